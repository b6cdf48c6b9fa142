"""BGE-M3 (Chen et al., 2024) on ONNX Runtime, no PyTorch: pymilvus.model's ``BGEM3EmbeddingFunction`` over the
engine. One forward pass per batch gives the dense vector (the first token's hidden state), the lexical weights
(relu of the sparse head per token) and the ColBERT vectors (the multi-vector head on the tokens after <s>);
here they are normalised, pooled into CSR rows and cut to each text's tokens, as FlagEmbedding does."""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_array

from sparsebolt._inputs import positive_int, texts_arg
from sparsebolt.dense.pooling import l2_normalize
from sparsebolt.engine.config import TransformerConfig
from sparsebolt.engine.files import BGE_M3, ModelFiles, resolve_model
from sparsebolt.engine.precision import resolve_precision
from sparsebolt.engine.runner import BatchRunner
from sparsebolt.engine.session import ProviderSpec, create_session
from sparsebolt.engine.tokenizer import TextTokenizer

from .checkpoint import OUTPUTS, bge_m3_graph
from .lexical import LexicalRows, assemble_csr, lexical_rows

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_MAX_LENGTH", "BGEM3EmbeddingFunction"]

# FlagEmbedding's M3Embedder truncates passages (and, through pymilvus.model, every text) to 512 tokens unless
# told otherwise; the model reads up to 8192.
DEFAULT_MAX_LENGTH = 512
# the tokens whose weights FlagEmbedding drops from the lexical vector, as named in special_tokens_map.json
_DROPPED_SPECIALS = ("cls_token", "eos_token", "pad_token", "unk_token")
_XLMR_SPECIALS = {"cls_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}
_CUDA = "CUDAExecutionProvider"


class BGEM3EmbeddingFunction:
    """pymilvus.model's ``BGEM3EmbeddingFunction``: ``encode_documents``/``encode_queries``/``__call__`` return a
    dict with ``dense`` (a list of float32 ``(1024,)`` arrays), ``sparse`` (a float32 ``csr_array`` of shape
    ``(n, dim["sparse"])``) and ``colbert_vecs`` (per text a float32 ``(tokens - 1, dim["colbert_vecs"])``
    array), each present when its ``return_*`` flag is set; :attr:`dim` gives the three sizes.

    ``model_name`` is a hub id or a folder in FlagEmbedding's layout (see :data:`sparsebolt.engine.files.BGE_M3`;
    looked for as :func:`sparsebolt.engine.files.resolve_model` says). ``normalize_embeddings`` L2-normalises the
    dense and ColBERT vectors; lexical weights are never normalised. ``device`` is ``"cpu"``, ``"cuda"``,
    ``"cuda:N"`` or None (CUDA when this onnxruntime build has it, as FlagEmbedding picks a GPU when there is one).
    ``use_fp16`` does not change the graph: it runs in fp32 everywhere, so the vectors are FlagEmbedding's fp32
    ones. On the CPU that is FlagEmbedding's own rule (it turns fp16 off there); on CUDA a warning says so.

    Beyond pymilvus': ``max_length`` (tokens a text is truncated to; None: 512 as in FlagEmbedding, or the
    model's limit if lower; at most that limit, 8192 for BGE-M3), ``threads`` (onnxruntime intra-op threads),
    ``providers``, ``cache_dir``, ``local_files_only``, ``revision``, ``token``, and ``devices`` (pymilvus'
    alias of ``device``; one device per function).
    """

    def __init__(
        self,
        model_name: str = "BAAI/bge-m3",
        batch_size: int = 16,
        device: str | None = None,
        normalize_embeddings: bool = True,
        use_fp16: bool = False,
        return_dense: bool = True,
        return_sparse: bool = True,
        return_colbert_vecs: bool = False,
        *,
        model_path: str | os.PathLike[str] | None = None,
        max_length: int | None = None,
        threads: int | None = None,
        precision: str = "fp32",
        providers: Sequence[ProviderSpec] | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        local_files_only: bool = False,
        revision: str | None = None,
        token: str | None = None,
        devices: str | Sequence[str] | None = None,
    ) -> None:
        self.model_name = model_name
        self.batch_size = positive_int(batch_size, name="batch_size")
        self.normalize_embeddings = normalize_embeddings
        self.use_fp16 = use_fp16
        self.return_dense, self.return_sparse = return_dense, return_sparse
        self.return_colbert_vecs = return_colbert_vecs
        if not (return_dense or return_sparse or return_colbert_vecs):
            raise ValueError("return_dense, return_sparse and return_colbert_vecs are all False: set at least one")
        self.device = _pick_device(device, devices, providers)
        resolve = functools.partial(
            resolve_model, cache=cache_dir, revision=revision, token=token, local_files_only=local_files_only
        )
        self.files: ModelFiles = resolve(model_name, family=BGE_M3, model_path=model_path)
        self.config = TransformerConfig.from_file(self.files.config)
        longest = self.config.max_sequence_length
        self.max_length = min(DEFAULT_MAX_LENGTH, longest) if max_length is None else positive_int(
            max_length, name="max_length", maximum=longest, hint=" (the model's position table reads that many)"
        )
        self.tokenizer = TextTokenizer(self.files.tokenizer, max_length=self.max_length)
        self._vocab = self.tokenizer.vocab_size
        self._dropped = _dropped_ids(self.tokenizer, self.files.folder)
        self.run_precision = resolve_precision(precision, device=self.device, int8=False)
        graph = bge_m3_graph(self.files, cache=cache_dir, attention=self.run_precision.attention)
        self.session = create_session(
            graph, device=self.device, providers=providers, threads=threads, runtime=self.run_precision.runtime
        )
        # longest first within each chunk, as FlagEmbedding sorts: the largest batch runs (and fails) first
        self._runner: BatchRunner[str] = BatchRunner(
            self.session, self.tokenizer.encode, pad_id=self.tokenizer.pad_id, longest_first=True, graph=str(graph)
        )
        self._colbert_dim = int(next(o.shape[-1] for o in self.session.get_outputs() if o.name == OUTPUTS["colbert"]))
        wanted = {"hidden": return_dense, "token_linear": return_sparse, "colbert": return_colbert_vecs}
        self._outputs = [OUTPUTS[head] for head, on in wanted.items() if on]
        _note_fp16(use_fp16, self.session.get_providers())
        logger.debug("loaded %s from %s (%s)", model_name, self.files.folder, self.files.source)

    # pymilvus.model's interface ------------------------------------------------------------------------------
    def __call__(self, texts: Sequence[str]) -> dict[str, Any]:
        return self._encode(texts_arg(texts, name="texts"))

    def encode_queries(self, queries: Sequence[str]) -> dict[str, Any]:
        return self._encode(texts_arg(queries, name="queries"))

    def encode_documents(self, documents: Sequence[str]) -> dict[str, Any]:
        return self._encode(texts_arg(documents, name="documents"))

    @property
    def dim(self) -> dict[str, int]:
        """``dense``: the hidden size; ``colbert_vecs``: the ColBERT head's width; ``sparse``: the tokenizer's
        vocabulary, added tokens included (pymilvus' ``len(tokenizer)``)."""
        return {"dense": self.config.hidden_size, "colbert_vecs": self._colbert_dim, "sparse": self._vocab}

    # the pass ----------------------------------------------------------------------------------------------
    def _encode(self, texts: list[str]) -> dict[str, Any]:
        n = len(texts)
        dense = np.empty((n, self.config.hidden_size), dtype=np.float32) if self.return_dense else None
        colbert: list[np.ndarray] = [np.empty((0, self._colbert_dim), np.float32)] * n
        lexical: list[tuple[np.ndarray, LexicalRows]] = []
        for rows, feeds, outputs in self._runner.named_batches(texts, self.batch_size, self._outputs):
            mask = feeds["attention_mask"]
            if dense is not None:
                cls = outputs[OUTPUTS["hidden"]][:, 0, :]
                dense[rows] = l2_normalize(cls) if self.normalize_embeddings else cls
            if self.return_sparse:
                weights = outputs[OUTPUTS["token_linear"]][:, :, 0]
                lexical.append((rows, lexical_rows(weights, feeds["input_ids"], mask, self._dropped, self._vocab)))
            if self.return_colbert_vecs:
                vectors = outputs[OUTPUTS["colbert"]]
                if self.normalize_embeddings:
                    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)
                # each text's rows: its tokens after <s>, </s> included (FlagEmbedding's tokens_num - 1)
                for position, (row, length) in enumerate(zip(rows, mask.sum(axis=1))):
                    colbert[row] = vectors[position, : length - 1].copy()
        result: dict[str, Any] = {}
        if dense is not None:
            result["dense"] = list(dense)
        if self.return_sparse:
            result["sparse"] = csr_array(assemble_csr(lexical, n), shape=(n, self._vocab))
        if self.return_colbert_vecs:
            result["colbert_vecs"] = colbert
        return result

    def __repr__(self) -> str:
        flags = [name for name, on in (("dense", self.return_dense), ("sparse", self.return_sparse),
                                       ("colbert_vecs", self.return_colbert_vecs)) if on]
        return (
            f"{type(self).__name__}(model_name={self.model_name!r}, returns={flags}, dim={self.dim}, "
            f"max_length={self.max_length}, device={self.device!r}, source={self.files.source!r})"
        )


def _pick_device(device: str | None, devices: str | Sequence[str] | None, providers: object) -> str:
    """``device``, or pymilvus' ``devices`` alias, or for None CUDA when onnxruntime has it, else the CPU."""
    if devices is not None:
        chosen = [devices] if isinstance(devices, str) else list(devices)
        if len(chosen) != 1:
            raise ValueError(
                f"devices={devices!r}: one BGEM3EmbeddingFunction runs on one device; make one per device"
            )
        device = chosen[0]
    if device is not None:
        return device
    if providers is not None:
        return "cpu"  # unused: the providers list decides
    import onnxruntime as ort

    return "cuda" if _CUDA in ort.get_available_providers() else "cpu"


def _note_fp16(use_fp16: bool, active: Sequence[str]) -> None:
    if not use_fp16:
        return
    if _CUDA in active:
        logger.warning("use_fp16=True: sparsebolt runs BGE-M3 in fp32 on CUDA too (no fp16 graph is built)")
    else:
        logger.info("use_fp16=True is ignored on the CPU, as in FlagEmbedding: the graph runs in fp32")


def _dropped_ids(tokenizer: TextTokenizer, folder: Path) -> np.ndarray:
    """The ids of the special tokens FlagEmbedding drops from lexical weights (cls, eos, pad, unk), named by
    ``special_tokens_map.json`` or ``tokenizer_config.json``, else XLM-R's ``<s> </s> <pad> <unk>``."""
    names = {**_XLMR_SPECIALS, **_special_names(folder / "tokenizer_config.json"),
             **_special_names(folder / "special_tokens_map.json")}
    ids = [tokenizer.token_to_id(names[key]) for key in _DROPPED_SPECIALS]
    return np.array(sorted({i for i in ids if i is not None}))


def _special_names(path: Path) -> dict[str, str]:
    """``{"cls_token": "<s>", ...}`` from a tokenizer's JSON file, where entries are strings or AddedToken dicts."""
    if not path.is_file():
        return {}
    saved = json.loads(path.read_text(encoding="utf-8"))
    found = {}
    for key in _DROPPED_SPECIALS:
        value = saved.get(key) if isinstance(saved, dict) else None
        content = value.get("content") if isinstance(value, dict) else value
        if isinstance(content, str):
            found[key] = content
    return found
