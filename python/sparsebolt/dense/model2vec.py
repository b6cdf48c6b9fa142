"""Model2VecEmbeddingFunction: static (model2vec) embeddings, a text's vector being the mean of its tokens' rows.

Owns reading a model2vec folder (``model.safetensors`` + ``config.json`` + ``tokenizer.json``) and model2vec's
tokenisation rules; the mean itself is the native kernel's (``_core.StaticEmbedding``, csrc/static_embedding/),
which takes a whole batch's token ids as one buffer and runs with the GIL released. A BERT WordPiece tokenizer.json
is tokenised natively too (``_core.WordPieceTokenizer``, see dense/wordpiece.py), with the same ids as the
``tokenizers`` library; any other pipeline goes through ``tokenizers``. The call shape is
``pymilvus.model.dense.Model2VecEmbeddingFunction``'s, without the ``model2vec`` package.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from itertools import chain
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np
from tokenizers import Tokenizer

from sparsebolt import _core
from sparsebolt._inputs import positive_int, texts_arg
from sparsebolt.dense.wordpiece import native_wordpiece
from sparsebolt.engine.files import MODEL2VEC, ModelFiles, resolve_model
from sparsebolt.engine.tokenizer import valid_text

logger = logging.getLogger(__name__)

__all__ = ["Model2VecEmbeddingFunction", "StaticModelFiles", "load_static_model"]

DEFAULT_MODEL2VEC = "minishlab/potion-base-8M"
# model2vec's defaults where config.json names neither (model2vec.model.DEFAULT_MAX_LENGTH, _DEFAULT_NORMALIZE).
_DEFAULT_MAX_LENGTH = 512
_DEFAULT_NORMALIZE = False
# The matrix dtypes model2vec's quantization writes (model2vec.quantization.DType); all are pooled in float32.
_MATRIX_DTYPES = ("float32", "float16", "float64", "int8")
# StaticModel.from_pretrained options that change the weights and that sparsebolt does not reproduce.
_REFUSED_OPTIONS = {
    "quantize_to": "quantize the folder once with model2vec (StaticModel.from_pretrained(..., quantize_to=...)"
    ".save_pretrained(folder)) and pass that folder; sparsebolt pools every matrix dtype in float32",
    "vocabulary_quantization": "quantize the vocabulary once with model2vec and save the model, then pass its folder",
    "subfolder": "pass the subfolder's own path as model_source",
}
_IGNORED_OPTIONS = ("force_download",)  # a cached snapshot is always reused; nothing to force


class _FromConfig:
    """A setting left out: config.json's value, else model2vec's default, applies."""


FROM_CONFIG = _FromConfig()


class StaticModelFiles:
    """A loaded model2vec folder: the float32 matrix, the per-token extras and the encode settings."""

    def __init__(
        self,
        files: ModelFiles,
        *,
        normalize: Optional[bool] = None,
        max_length: Union[int, None, _FromConfig] = FROM_CONFIG,
        dimensionality: Optional[int] = None,
    ) -> None:
        self.files = files
        config = _read_config(files.config)
        self.normalize = bool(config.get("normalize", _DEFAULT_NORMALIZE)) if normalize is None else bool(normalize)
        if isinstance(max_length, _FromConfig):
            max_length = config.get("max_length", _DEFAULT_MAX_LENGTH)
        self.max_length: Optional[int] = (
            None if max_length is None else positive_int(max_length, name="max_length", hint=" (or None: no cut)")
        )
        tensors = _read_tensors(files.safetensors)
        matrix = tensors["embeddings"]
        if dimensionality is not None:
            dimensionality = positive_int(dimensionality, name="dimensionality", maximum=matrix.shape[1],
                                          hint=" (the model's dimension)")
            matrix = matrix[:, :dimensionality]
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        self.matrix_dtype = str(tensors["embeddings"].dtype)
        mapping, weights = tensors.get("mapping"), tensors.get("weights")
        self.token_rows = None if mapping is None else np.ascontiguousarray(mapping, dtype=np.int64)
        self.token_weights = None if weights is None else np.ascontiguousarray(weights, dtype=np.float32)
        self.tokenizer = Tokenizer.from_file(str(files.tokenizer))
        vocab = self.tokenizer.get_vocab()
        self.vocab_size = len(vocab)
        # model2vec cuts each text to max_length * (median token length) characters before tokenising.
        self.median_token_length = int(np.median([len(token) for token in vocab])) if vocab else 0
        self.unk_id = _unknown_token_id(self.tokenizer)


def load_static_model(
    model_source: Union[str, "os.PathLike[str]"],
    *,
    token: Optional[str] = None,
    cache_dir: Union[str, "os.PathLike[str]", None] = None,
    revision: Optional[str] = None,
    local_files_only: bool = False,
    **settings: Any,
) -> StaticModelFiles:
    """Find a model2vec folder (a local folder, ``$SPARSEBOLT_MODELS_DIR``, the user cache, the Hugging Face cache,
    then a hub download: :func:`sparsebolt.engine.files.resolve_model`) and load it."""
    if not model_source or not isinstance(model_source, (str, os.PathLike)):
        raise TypeError(f"model_source must be a model2vec folder or hub id (str or Path), got {model_source!r}")
    files = resolve_model(
        str(model_source), family=MODEL2VEC, cache=cache_dir, revision=revision, token=token,
        local_files_only=local_files_only,
    )
    return StaticModelFiles(files, **settings)


class Model2VecEmbeddingFunction:
    """A model2vec static embedding model: each text's vector is the mean of its token rows, computed natively.

    ``model_source`` is a model2vec folder (``model.safetensors`` + ``config.json`` + ``tokenizer.json``, as
    ``StaticModel.save_pretrained`` writes) or a hub id (default ``minishlab/potion-base-8M``), found as
    :func:`load_static_model` says. Keyword options are ``StaticModel.from_pretrained``'s: ``token``,
    ``normalize`` (default: config.json's ``normalize``), ``max_length`` (default: config.json's, else 512; None
    for no truncation) and ``dimensionality`` (keep the first columns); ``force_download`` is accepted and has no
    effect. sparsebolt's own: ``threads`` (None: one per core), ``batch_size`` (texts tokenised per kernel call),
    ``cache_dir``, ``revision``, ``local_files_only``. ``threads`` applies to the native tokenizer too.

    Vectors equal model2vec's ``StaticModel.encode``: the same truncation, the unknown token dropped, a text with no
    known token a zero vector, the same normalisation. They are float32 for every matrix dtype (model2vec returns
    float16 for a float16 matrix). ``encode_documents``/``encode_queries``/``__call__`` return lists of ``(dim,)``
    arrays, as pymilvus.model; :meth:`encode` returns one ``(n, dim)`` array.
    """

    def __init__(self, model_source: Union[str, Path] = DEFAULT_MODEL2VEC, **kwargs: Any) -> None:
        for name, advice in _REFUSED_OPTIONS.items():
            if kwargs.get(name) is not None:
                raise ValueError(f"{name} is not supported by sparsebolt's Model2VecEmbeddingFunction: {advice}")
            kwargs.pop(name, None)
        for name in _IGNORED_OPTIONS:
            kwargs.pop(name, None)
        threads = kwargs.pop("threads", None)
        self.threads = 0 if threads is None else positive_int(threads, name="threads", hint=" (or None: all cores)")
        self.batch_size = positive_int(kwargs.pop("batch_size", 16384), name="batch_size")
        settings = {name: kwargs.pop(name) for name in ("normalize", "max_length", "dimensionality") if name in kwargs}
        loading = {n: kwargs.pop(n) for n in ("token", "cache_dir", "revision", "local_files_only") if n in kwargs}
        if kwargs:
            raise TypeError(
                f"Model2VecEmbeddingFunction got unexpected options {sorted(kwargs)}; it takes token, normalize, "
                "max_length, dimensionality, force_download, threads, batch_size, cache_dir, revision, local_files_only"
            )
        self.model_source = model_source
        self.model = load_static_model(model_source, **loading, **settings)
        self._table = _core.StaticEmbedding(
            self.model.matrix,
            vocab_size=self.model.vocab_size,
            token_rows=self.model.token_rows,
            token_weights=self.model.token_weights,
        )
        self._tokenizer = _pooling_tokenizer(self.model.tokenizer, self.model.max_length)
        self._encode_batch = getattr(self._tokenizer, "encode_batch_fast", self._tokenizer.encode_batch)
        # The native WordPiece tokenizer where it reproduces tokenizer.json exactly, else the tokenizers library.
        self._native, why = native_wordpiece(self.model.tokenizer.to_str())
        logger.debug("model2vec %s tokenises with %s", model_source,
                     "the native WordPiece tokenizer" if self._native else f"the tokenizers library ({why})")
        # Character cut before tokenising, as model2vec: a text cannot need more than this many characters.
        length = self.model.max_length
        self._max_chars = None if length is None else length * self.model.median_token_length
        logger.debug("loaded model2vec %s from %s (%s)", model_source, self.model.files.folder, self.model.files.source)

    # pymilvus.model's interface ------------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return int(self._table.dim)

    def __call__(self, texts: Sequence[str]) -> List[np.ndarray]:
        return list(self.encode(texts))

    def encode_queries(self, queries: Sequence[str]) -> List[np.ndarray]:
        return list(self._encode(texts_arg(queries, name="queries")))

    def encode_documents(self, documents: Sequence[str]) -> List[np.ndarray]:
        return list(self._encode(texts_arg(documents, name="documents")))

    # the fast path -------------------------------------------------------------------------------------------
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` into one float32 ``(len(texts), dim)`` array, rows in input order."""
        return self._encode(texts_arg(texts, name="texts"))

    def _encode(self, texts: List[str]) -> np.ndarray:
        if len(texts) <= self.batch_size:
            return self._encode_chunk(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            chunk = texts[start : start + self.batch_size]
            out[start : start + len(chunk)] = self._encode_chunk(chunk)
        return out

    def _encode_chunk(self, texts: List[str]) -> np.ndarray:
        if self._max_chars is not None and texts and max(map(len, texts)) > self._max_chars:
            texts = [text[: self._max_chars] for text in texts]
        if self._native is not None:
            ids, offsets = self._native.encode_batch(texts, max_length=self.model.max_length, num_threads=self.threads)
        else:
            ids, offsets = self._tokenize(texts)
        unk = -1 if self.model.unk_id is None else self.model.unk_id
        return self._table.mean_pool(
            ids, offsets, skip_id=unk, normalize=self.model.normalize, num_threads=self.threads
        )

    def _tokenize(self, texts: List[str]) -> Tuple[np.ndarray, np.ndarray]:
        """The tokenizers library's ids for the pipelines the native tokenizer does not reproduce; lone surrogates
        become U+FFFD first, as the native tokenizer reads them (tokenizers refuses them)."""
        texts = [valid_text(text) for text in texts]
        id_lists = [encoding.ids for encoding in self._encode_batch(texts, add_special_tokens=False)]
        lengths = np.fromiter(map(len, id_lists), dtype=np.int64, count=len(id_lists))
        offsets = np.zeros(len(id_lists) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        ids = np.fromiter(chain.from_iterable(id_lists), dtype=np.int32, count=int(offsets[-1]))
        return ids, offsets

    def __repr__(self) -> str:
        return (
            f"Model2VecEmbeddingFunction(model_source={str(self.model_source)!r}, dim={self.dim}, "
            f"normalize={self.model.normalize}, max_length={self.model.max_length}, "
            f"matrix_dtype={self.model.matrix_dtype!r}, source={self.model.files.source!r})"
        )


def _read_config(path: Path) -> Dict[str, Any]:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc}); a model2vec config.json is a JSON object") from exc
    if not isinstance(config, dict):
        raise ValueError(f"{path} holds {type(config).__name__}; a model2vec config.json is a JSON object")
    return config


def _read_tensors(path: Path) -> Dict[str, np.ndarray]:
    """The ``embeddings`` matrix and the optional ``weights`` and ``mapping`` of a model2vec model.safetensors."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="numpy") as opened:
            names = set(opened.keys())
            if "embeddings" not in names:
                raise ValueError(
                    f"{path} has no 'embeddings' tensor (it holds {sorted(names)[:5]}...): it is not a model2vec "
                    "model; a transformer checkpoint runs in SentenceTransformerEmbeddingFunction"
                )
            tensors = {name: opened.get_tensor(name) for name in ("embeddings", "weights", "mapping") if name in names}
    except (OSError, TypeError) as exc:  # safetensors' numpy loader refuses bfloat16 with a TypeError
        raise ValueError(f"cannot read {path}: {exc}; model2vec matrices are {', '.join(_MATRIX_DTYPES)}") from exc
    matrix = tensors["embeddings"]
    if matrix.ndim != 2 or str(matrix.dtype) not in _MATRIX_DTYPES:
        raise ValueError(
            f"{path}'s embeddings are {matrix.dtype} of shape {matrix.shape}; a model2vec matrix is 2-D "
            f"{' / '.join(_MATRIX_DTYPES)}"
        )
    return tensors


def _unknown_token_id(tokenizer: Tokenizer) -> Optional[int]:
    """The unknown token's id, as model2vec finds it (its ``_get_unk_token_id``): WordPiece, BPE and WordLevel name
    an ``unk_token``, Unigram an ``unk_id``. model2vec drops this id from every text before averaging."""
    model = tokenizer.model
    if hasattr(model, "unk_token"):
        name = model.unk_token
        return None if name is None else tokenizer.token_to_id(name)
    unk_id = json.loads(tokenizer.to_str())["model"].get("unk_id")
    return None if unk_id is None else int(unk_id)


def _pooling_tokenizer(tokenizer: Tokenizer, max_length: Optional[int]) -> Tokenizer:
    """A copy of ``tokenizer`` that never pads and truncates to ``max_length`` tokens (none when None), as
    model2vec's encode sets it up."""
    copy = Tokenizer.from_str(tokenizer.to_str())
    copy.no_padding()
    if max_length is None:
        copy.no_truncation()
    else:
        copy.enable_truncation(max_length)
    return copy
