"""The dense embedding functions: pymilvus.model's API over the ONNX engine (sparsebolt.engine), which
tokenizes, sorts texts by length and runs per-batch-padded batches; here the token vectors are pooled and
normalized, instructions prefixed, and vectors returned in input order."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from sparsebolt._inputs import positive_int, texts_arg
from sparsebolt.engine.build import graph_path
from sparsebolt.engine.files import DEFAULT_MODEL, ModelFiles, resolve_model
from sparsebolt.engine.precision import resolve_precision
from sparsebolt.engine.runner import BatchRunner
from sparsebolt.engine.session import ProviderSpec, create_session
from sparsebolt.engine.tokenizer import Feeds, TextTokenizer, read_max_seq_length

from .pooling import l2_normalize, pool, read_pooling

logger = logging.getLogger(__name__)

__all__ = ["OnnxEmbeddingFunction", "DefaultEmbeddingFunction", "SentenceTransformerEmbeddingFunction"]

_HIDDEN_OUTPUT_NAMES = ("last_hidden_state", "token_embeddings")


class OnnxEmbeddingFunction:
    """A BERT-family sentence-transformers model on ONNX Runtime, no PyTorch.

    ``model_name`` is a hub id (``all-MiniLM-L6-v2`` means ``sentence-transformers/all-MiniLM-L6-v2``) or a local
    folder; see :func:`sparsebolt.engine.files.resolve_model` for where files are looked for. ``precision`` is
    ``"fp32"`` (same vectors as sentence-transformers), ``"int8"`` (quantized, on ONNX Runtime), ``"bf16"``
    (OpenVINO on AMX / AVX-512 BF16) or ``"auto"`` (the fastest of those this CPU has; engine/precision.py).
    ``threads`` sets the runtime's threads (None: one per core); ``device`` is ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    ``encode_documents``/``encode_queries``/``__call__`` return lists of float32 ``(dim,)`` arrays as in
    pymilvus.model; :meth:`encode` returns one ``(n, dim)`` array.
    """

    def __init__(
        self,
        model_name: str = DEFAULT_MODEL,
        tokenizer_name: str | None = None,
        *,
        model_path: str | os.PathLike[str] | None = None,
        precision: str = "fp32",
        device: str = "cpu",
        providers: Sequence[ProviderSpec] | None = None,
        threads: int | None = None,
        batch_size: int = 32,
        max_seq_length: int | None = None,
        normalize_embeddings: bool = True,
        query_instruction: str = "",
        doc_instruction: str = "",
        cache_dir: str | os.PathLike[str] | None = None,
        local_files_only: bool = False,
        revision: str | None = None,
        token: str | None = None,
    ) -> None:
        self.batch_size = positive_int(batch_size, name="batch_size")
        self.model_name = model_name
        self.precision = precision
        self.normalize_embeddings = normalize_embeddings
        self.query_instruction = query_instruction
        self.doc_instruction = doc_instruction
        resolve = functools.partial(
            resolve_model, cache=cache_dir, revision=revision, token=token, local_files_only=local_files_only
        )
        self.files: ModelFiles = resolve(model_name, model_path=model_path)
        tokenizer_files = self.files if tokenizer_name is None else resolve(tokenizer_name)
        self.tokenizer = TextTokenizer(
            tokenizer_files.tokenizer, max_length=max_seq_length or read_max_seq_length(self.files.folder)
        )
        self.pooling, self._model_normalizes = read_pooling(self.files.folder)
        self.run_precision = resolve_precision(precision, device=device)
        graph = graph_path(
            self.files, precision=self.run_precision.graph, cache=cache_dir, attention=self.run_precision.attention
        )
        self.session = create_session(
            graph, device=device, providers=providers, threads=threads, runtime=self.run_precision.runtime
        )
        self._output, self._output_rank = _pick_output(self.session)
        self._runner = BatchRunner(
            self.session, self.tokenizer.encode, pad_id=self.tokenizer.pad_id, output=self._output, graph=str(graph)
        )
        self._dim = self._read_dim()
        logger.debug("loaded %s from %s (%s)", model_name, self.files.folder, self.files.source)

    # pymilvus.model's interface ------------------------------------------------------------------------------
    def __call__(self, texts: Sequence[str]) -> list[np.ndarray]:
        return list(self.encode(texts))

    def encode_queries(self, queries: Sequence[str]) -> list[np.ndarray]:
        return list(self._encode_checked(_prefixed(self.query_instruction, queries, "queries"), self.batch_size))

    def encode_documents(self, documents: Sequence[str]) -> list[np.ndarray]:
        return list(self._encode_checked(_prefixed(self.doc_instruction, documents, "documents"), self.batch_size))

    @property
    def dim(self) -> int:
        return self._dim

    # the fast path -------------------------------------------------------------------------------------------
    def encode(self, texts: Sequence[str], *, batch_size: int | None = None) -> np.ndarray:
        """Embed ``texts`` into one float32 ``(len(texts), dim)`` array, rows in input order."""
        size = self.batch_size if batch_size is None else positive_int(batch_size, name="batch_size")
        return self._encode_checked(texts_arg(texts, name="texts"), size)

    def _encode_checked(self, texts: list[str], size: int) -> np.ndarray:
        out = self._runner.run(texts, size, finish=self._sentence_vectors, row_shape=(self._dim,))
        if self.normalize_embeddings and self._model_normalizes:
            out = l2_normalize(out)
        return out

    def _sentence_vectors(self, output: np.ndarray, feeds: Feeds) -> np.ndarray:
        """The graph's sentence vectors, or its token vectors pooled over the attention mask."""
        return output if self._output_rank == 2 else pool(self.pooling, output, feeds["attention_mask"])

    def _read_dim(self) -> int:
        declared = self.session.get_outputs()
        width = next(o.shape[-1] for o in declared if o.name == self._output)
        if isinstance(width, int):
            return width
        feeds = self.tokenizer.pad(self.tokenizer.encode_ids([""]))
        return int(self._sentence_vectors(self._runner.forward(feeds), feeds).shape[-1])

    def _precision_label(self) -> str:
        resolved = self.run_precision.name
        return repr(self.precision) if resolved == self.precision else f"{self.precision!r} ({resolved})"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(model_name={self.model_name!r}, precision={self._precision_label()}, "
            f"dim={self._dim}, "
            f"max_seq_length={self.tokenizer.max_length}, pooling={self.pooling!r}, source={self.files.source!r})"
        )


DefaultEmbeddingFunction = OnnxEmbeddingFunction
"""pymilvus.model's ``DefaultEmbeddingFunction``: all-MiniLM-L6-v2, 384 dimensions."""


class SentenceTransformerEmbeddingFunction(OnnxEmbeddingFunction):
    """pymilvus.model's ``SentenceTransformerEmbeddingFunction`` constructor, served by the ONNX engine.

    Any BERT-family sentence-transformers folder or hub id works. Keyword options beyond pymilvus' are those of
    :class:`OnnxEmbeddingFunction`; ``cache_folder`` (sentence-transformers' name) is accepted for ``cache_dir``.
    """

    def __init__(
        self,
        model_name: str = "all-MiniLM-L6-v2",
        batch_size: int = 32,
        query_instruction: str = "",
        doc_instruction: str = "",
        device: str = "cpu",
        normalize_embeddings: bool = True,
        **kwargs: Any,
    ) -> None:
        if "cache_folder" in kwargs:
            kwargs["cache_dir"] = kwargs.pop("cache_folder")
        super().__init__(
            model_name,
            batch_size=batch_size,
            query_instruction=query_instruction,
            doc_instruction=doc_instruction,
            device=device,
            normalize_embeddings=normalize_embeddings,
            **kwargs,
        )


def _pick_output(session: Any) -> tuple[str, int]:
    outputs = session.get_outputs()
    chosen = next((o for o in outputs if o.name in _HIDDEN_OUTPUT_NAMES), outputs[0])
    rank = len(chosen.shape)
    if rank not in (2, 3):
        raise ValueError(f"graph output {chosen.name!r} has rank {rank}; expected token vectors [batch, seq, dim]")
    return chosen.name, rank


def _prefixed(prefix: str, texts: Sequence[str], what: str) -> list[str]:
    texts = texts_arg(texts, name=what)
    return [prefix + text for text in texts] if prefix else texts
