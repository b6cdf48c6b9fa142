"""SPLADE learned sparse vectors: pymilvus.model's ``SpladeEmbeddingFunction`` over the ONNX engine
(sparsebolt.engine), which resolves the model, builds its graph with the ``splade`` head (the MLM logits pooled
inside the graph, a block of the vocabulary at a time), tokenizes, sorts by length and runs padded batches; here
the pooled [batch, vocab] weights become one CSR matrix, top-k per row where asked, rows in input order."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.sparse import csr_array

from sparsebolt._inputs import positive_int, texts_arg
from sparsebolt.engine.build import graph_path
from sparsebolt.engine.config import TransformerConfig
from sparsebolt.engine.files import SPLADE, ModelFiles, resolve_model
from sparsebolt.engine.graph import HEAD_OUTPUTS
from sparsebolt.engine.precision import resolve_precision
from sparsebolt.engine.runner import BatchRunner
from sparsebolt.engine.session import ProviderSpec, create_session
from sparsebolt.engine.tokenizer import TextTokenizer, read_max_seq_length

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_SPLADE_MODEL", "SpladeEmbeddingFunction", "sparse_rows", "top_k_mask"]

DEFAULT_SPLADE_MODEL = "naver/splade-cocondenser-ensembledistil"
_OUTPUT = HEAD_OUTPUTS["splade"]


class SpladeEmbeddingFunction:
    """A SPLADE model (any BERT-family ``*ForMaskedLM`` checkpoint) on ONNX Runtime, no PyTorch.

    Each text's vector is w_j = max_i log(1 + relu(z_ij)) over its tokens i of the masked-LM logits z
    (Formal et al., 2021), as pymilvus.model and sentence-transformers' ``SparseEncoder`` compute it; pad tokens
    never enter the max. ``encode_documents`` / ``encode_queries`` prepend ``doc_instruction`` /
    ``query_instruction`` and keep the ``k_tokens_document`` / ``k_tokens_query`` largest weights per text (None:
    all); ``__call__`` uses neither, as in pymilvus.model. Each returns a float32 ``csr_array`` of shape
    ``(len(texts), dim)`` with sorted column indices, ``dim`` being the vocabulary size.

    ``model_name`` is a hub id or a folder with ``config.json``, ``model.safetensors`` and ``tokenizer.json``
    (see :func:`sparsebolt.engine.files.resolve_model` for where it is looked for); the graph is built from the
    checkpoint on first use and cached. Texts are truncated to ``max_length`` tokens (default: what the folder
    states, ``tokenizer_config.json``'s ``model_max_length`` for a plain Hugging Face snapshot, as pymilvus.model
    truncates). ``threads`` sets onnxruntime's intra-op threads (None: one per core); ``device`` is ``"cpu"``,
    ``"cuda"`` or ``"cuda:N"``, ``providers`` an explicit provider list.

    A text with no word pieces (``""``, only whitespace) gives an empty row: pymilvus.model returns there the
    expansion of ``[CLS] [SEP]`` alone, the same terms for every such text, which match every query on nothing.
    """

    def __init__(
        self,
        model_name: str = DEFAULT_SPLADE_MODEL,
        batch_size: int = 32,
        query_instruction: str = "",
        doc_instruction: str = "",
        device: str | None = "cpu",
        k_tokens_query: int | None = None,
        k_tokens_document: int | None = None,
        *,
        model_path: str | os.PathLike[str] | None = None,
        providers: Sequence[ProviderSpec] | None = None,
        threads: int | None = None,
        precision: str = "fp32",
        max_length: int | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        local_files_only: bool = False,
        revision: str | None = None,
        token: str | None = None,
    ) -> None:
        self.batch_size = positive_int(batch_size, name="batch_size")
        self.model_name = model_name
        self.query_instruction = _instruction(query_instruction, "query_instruction")
        self.doc_instruction = _instruction(doc_instruction, "doc_instruction")
        self.k_tokens_query = _k_tokens(k_tokens_query, "k_tokens_query")
        self.k_tokens_document = _k_tokens(k_tokens_document, "k_tokens_document")
        self.device = device or "cpu"
        resolve = functools.partial(
            resolve_model, cache=cache_dir, revision=revision, token=token, local_files_only=local_files_only
        )
        self.files: ModelFiles = resolve(model_name, family=SPLADE, model_path=model_path)
        config = TransformerConfig.from_file(self.files.config)
        readable = config.max_sequence_length
        if max_length is None:
            max_length = min(read_max_seq_length(self.files.folder), readable)
        else:
            max_length = positive_int(max_length, name="max_length", maximum=readable,
                                      hint=f" (the model has {readable} positions)")
        self.tokenizer = TextTokenizer(self.files.tokenizer, max_length=max_length)
        # [CLS] [SEP] (or <s> </s>): a text tokenized to no more than these has no word pieces
        self._special_tokens = len(self.tokenizer.encode_ids([""])[0])
        self.run_precision = resolve_precision(precision, device=self.device, int8=False)
        graph = graph_path(self.files, heads=("splade",), cache=cache_dir, attention=self.run_precision.attention)
        self.session = create_session(
            graph, device=self.device, providers=providers, threads=threads, runtime=self.run_precision.runtime
        )
        # longest first: the largest batch runs first, so a batch too big for memory fails at once
        self._runner: BatchRunner[str] = BatchRunner(
            self.session, self.tokenizer.encode, pad_id=self.tokenizer.pad_id, output=_OUTPUT, longest_first=True,
            graph=f"the SPLADE graph built from {self.files.safetensors}",
        )
        self._dim = config.vocab_size
        logger.debug("loaded SPLADE %s from %s (%s)", model_name, self.files.folder, self.files.source)

    # pymilvus.model's interface ------------------------------------------------------------------------------
    def __call__(self, texts: Sequence[str]) -> csr_array:
        return self.encode(texts_arg(texts, name="texts"))

    def encode_documents(self, documents: Sequence[str]) -> csr_array:
        texts = _prefixed(self.doc_instruction, documents, "documents")
        return self.encode(texts, k_tokens=self.k_tokens_document)

    def encode_queries(self, queries: Sequence[str]) -> csr_array:
        return self.encode(_prefixed(self.query_instruction, queries, "queries"), k_tokens=self.k_tokens_query)

    @property
    def dim(self) -> int:
        return self._dim

    # the one path every call takes ----------------------------------------------------------------------------
    def encode(self, texts: Sequence[str], *, k_tokens: int | None = None) -> csr_array:
        """``texts`` as SPLADE vectors, no instruction added: a float32 ``csr_array (len(texts), dim)``, rows in
        input order, each with its ``k_tokens`` largest weights (None: every non-zero weight)."""
        texts = texts_arg(texts, name="texts")
        k_tokens = _k_tokens(k_tokens, "k_tokens")
        order, counts, indices, values = [], [], [], []
        for rows, feeds, weights in self._runner.batches(texts, self.batch_size):
            empty = feeds["attention_mask"].sum(axis=1) <= self._special_tokens
            batch_counts, batch_indices, batch_values = sparse_rows(weights, k_tokens=k_tokens, empty=empty)
            order.append(rows)
            counts.append(batch_counts)
            indices.append(batch_indices)
            values.append(batch_values)
        return _csr_in_input_order(order, counts, indices, values, shape=(len(texts), self._dim))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(model_name={self.model_name!r}, dim={self._dim}, "
            f"max_length={self.tokenizer.max_length}, source={self.files.source!r})"
        )


def sparse_rows(
    weights: np.ndarray, *, k_tokens: int | None = None, empty: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The CSR parts of pooled weights [rows, vocab] in one vectorised pass: non-zero count per row, then the
    column indices (int32, ascending within each row) and float32 values of the kept entries, row after row.
    Keeps every positive weight, or each row's ``k_tokens`` largest (:func:`top_k_mask`); ``empty`` rows keep
    none."""
    keep = weights > 0
    if k_tokens is not None:
        keep &= top_k_mask(weights, k_tokens)
    if empty is not None:
        keep[empty] = False
    # row-major: columns come out sorted within each row
    return np.count_nonzero(keep, axis=1), np.nonzero(keep)[1].astype(np.int32), weights[keep]


def top_k_mask(weights: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of the ``k`` largest entries of each row of ``weights`` [rows, vocab]; equal values at the
    cut are taken from the lowest column up, so the choice is deterministic (torch.topk's among ties is not)."""
    width = weights.shape[1]
    if k >= width:
        return np.ones(weights.shape, dtype=bool)
    kth = np.partition(weights, width - k, axis=1)[:, width - k, None]  # each row's k-th largest value
    above = weights > kth
    tied = weights == kth
    room = k - np.count_nonzero(above, axis=1, keepdims=True)
    return above | (tied & (np.cumsum(tied, axis=1) <= room))


def _csr_in_input_order(
    order: list[np.ndarray],
    counts: list[np.ndarray],
    indices: list[np.ndarray],
    values: list[np.ndarray],
    *,
    shape: tuple[int, int],
) -> csr_array:
    """One CSR matrix from per-batch rows (in run order, ``order`` giving each row's input position), permuted
    back to input order with scipy's native row gather."""
    if not order:
        return csr_array(
            (np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(shape[0] + 1, np.int32)), shape=shape
        )
    run_order = np.concatenate(order)
    indptr = np.zeros(len(run_order) + 1, dtype=np.int64)
    np.cumsum(np.concatenate(counts), out=indptr[1:])
    # one index dtype for indices and indptr (scipy copies both to int64 when they differ)
    index_type = np.int32 if indptr[-1] < np.iinfo(np.int32).max else np.int64
    in_run_order = csr_array(
        (np.concatenate(values).astype(np.float32, copy=False), np.concatenate(indices).astype(index_type),
         indptr.astype(index_type)),
        shape=shape,
    )
    in_run_order.has_sorted_indices = True
    position = np.empty_like(run_order)
    position[run_order] = np.arange(len(run_order))
    out = in_run_order[position]
    out.has_sorted_indices = True
    return out


def _k_tokens(value: Any, name: str) -> int | None:
    return None if value is None else positive_int(value, name=name, hint=" or None for every non-zero weight")


def _instruction(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str (prepended to every text; '' for none), got {type(value).__name__}")
    return value


def _prefixed(prefix: str, texts: Sequence[str], what: str) -> list[str]:
    checked = texts_arg(texts, name=what)
    return [prefix + text for text in checked] if prefix else checked
