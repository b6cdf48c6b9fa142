"""Encoder outputs checked as Milvus values: dense matrices checked for shape, sparse CSR in canonical form and as
rows of {index: weight}. One conversion per batch (``tolist`` once, then slices), never one scipy row per document."""

from __future__ import annotations

import functools
import inspect
import typing
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

import numpy as np

__all__ = ["dense_matrix", "encode_dense", "has_array_encode", "SparseColumn", "sparse_column", "sparse_rows",
           "sparse_query_dicts", "EMPTY_SPARSE_INDEX", "EMPTY_SPARSE_WEIGHT"]

# Milvus's largest sparse index (2**32 - 2). Milvus Lite 3.x refuses a stored sparse vector without a nonzero
# weight, so a document with no known term gets this one tiny weight: no query ever has this index, so it
# never scores, and every Milvus version accepts it.
EMPTY_SPARSE_INDEX = 2**32 - 2
EMPTY_SPARSE_WEIGHT = 1e-30
_MAX_SPARSE_INDEX = 2**32 - 2


def dense_matrix(vectors: Any, n: int, dim: Optional[int]) -> np.ndarray:
    """``vectors`` (a 2-D array or a list of 1-D arrays) as a C-contiguous float32 (n, dim) matrix."""
    if isinstance(vectors, np.ndarray):
        matrix = vectors
    elif len(vectors) == 0:
        matrix = np.zeros((0, dim or 0), dtype=np.float32)
    else:
        matrix = np.stack([np.asarray(v) for v in vectors])
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[0] != n or (dim is not None and matrix.shape[1] != dim):
        raise ValueError(
            f"the dense encoder returned shape {matrix.shape}, expected ({n}, {dim}); "
            f"is it the encoder this collection was created with?"
        )
    if not np.isfinite(matrix).all():
        raise ValueError("the dense encoder returned NaN or infinite values")
    return matrix


def encode_dense(encoder: Any, texts: Sequence[str], *, queries: bool) -> Any:
    """``encoder.encode_documents``/``encode_queries`` of ``texts``, through a 2-D fast path when the encoder has one.

    An encoder whose class declares ``encode(texts) -> numpy.ndarray`` (sparsebolt's ONNX encoders do) returns one
    ``(n, dim)`` array, which skips building one array per text. ``encode`` adds no instruction prefix, so it is
    used only when the encoder has none for this side; an ``encode`` without that declared return type may mean
    something else and is never called.
    """
    if has_array_encode(encoder, queries=queries):
        return encoder.encode(list(texts))
    return (encoder.encode_queries if queries else encoder.encode_documents)(list(texts))


def has_array_encode(encoder: Any, *, queries: bool) -> bool:
    """Whether ``encoder.encode(texts)`` is declared to return the (n, dim) ndarray that ``encode_queries``
    (``queries``) or ``encode_documents`` would give as rows: no instruction for that side."""
    if getattr(encoder, "query_instruction" if queries else "doc_instruction", ""):
        return False
    method = getattr(type(encoder), "encode", None)
    return callable(method) and _returns_ndarray(method)


@functools.lru_cache(maxsize=256)
def _returns_ndarray(method: Callable[..., Any]) -> bool:
    function = inspect.unwrap(method)
    try:
        declared = typing.get_type_hints(function).get("return")
    except Exception:  # noqa: BLE001 - an annotation naming something not importable here: read it as text
        declared = getattr(function, "__annotations__", {}).get("return")
    if isinstance(declared, str):
        return declared in ("np.ndarray", "numpy.ndarray", "ndarray")
    return declared is np.ndarray


def _csr_parts(matrix: Any, n: int, *, queries: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not hasattr(matrix, "indptr"):
        if not hasattr(matrix, "tocsr"):
            raise TypeError(f"the sparse encoder returned {type(matrix).__name__}; expected a scipy sparse matrix "
                            f"(csr_array) with one row per text")
        matrix = matrix.tocsr()
    if not matrix.has_canonical_format:  # duplicate or unsorted indices: sum them, as scipy does
        matrix = matrix.copy()
        matrix.sum_duplicates()
    if matrix.shape[0] != n:
        raise ValueError(f"the sparse encoder returned {matrix.shape[0]} rows for {n} texts")
    data = np.asarray(matrix.data)
    if data.size and not np.isfinite(data).all():
        raise ValueError("the sparse encoder returned NaN or infinite weights")
    if not queries and data.size and (data < 0).any():
        raise ValueError("the sparse encoder returned negative weights; Milvus's sparse IP index needs weights >= 0")
    indices = np.asarray(matrix.indices)
    if indices.size and int(indices.max()) > _MAX_SPARSE_INDEX:
        raise ValueError(f"sparse index {int(indices.max())} is beyond Milvus's limit {_MAX_SPARSE_INDEX}")
    return np.asarray(matrix.indptr), indices, data


@dataclass(frozen=True)
class SparseColumn:
    """A batch of sparse vectors in canonical CSR form: per row, sorted unique indices below Milvus's limit, and
    finite nonzero weights (float32). Rows may be empty; :meth:`rows` gives Milvus a placeholder for those."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def take(self, positions: np.ndarray) -> "SparseColumn":
        """The rows at ``positions`` (an int array), in that order, as a new column."""
        starts, counts = self.indptr[positions], self.indptr[positions + 1] - self.indptr[positions]
        indptr = np.zeros(len(positions) + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        gather = np.repeat(starts - indptr[:-1], counts) + np.arange(indptr[-1])
        return SparseColumn(indptr, self.indices[gather], self.data[gather])

    def rows(self) -> list[dict[int, float]]:
        """Milvus sparse rows; a row without a nonzero weight gets the placeholder (see EMPTY_SPARSE_INDEX)."""
        idx, val, bounds = self.indices.tolist(), self.data.tolist(), self.indptr.tolist()
        empty = {EMPTY_SPARSE_INDEX: EMPTY_SPARSE_WEIGHT}
        return [dict(zip(idx[bounds[i] : bounds[i + 1]], val[bounds[i] : bounds[i + 1]])) or dict(empty)
                for i in range(len(self))]


def sparse_column(matrix: Any, n: int) -> SparseColumn:
    """CSR ``matrix`` (n document rows) checked and made canonical: duplicates summed, indices sorted, explicit
    zeros dropped; ValueError for NaN, negative weights or indices Milvus cannot hold."""
    indptr, indices, data = _csr_parts(matrix, n)
    if data.size and not data.all():  # explicit zeros: Milvus wants none, so drop them first
        keep = data != 0
        row_of = np.repeat(np.arange(n), np.diff(indptr))
        indptr = np.concatenate([[0], np.cumsum(np.bincount(row_of[keep], minlength=n))])
        indices, data = indices[keep], data[keep]
    return SparseColumn(np.asarray(indptr, dtype=np.int64), np.asarray(indices, dtype=np.int64),
                        np.asarray(data, dtype=np.float32))


def sparse_rows(matrix: Any, n: int) -> list[dict[int, float]]:
    """CSR ``matrix`` (n rows) as Milvus sparse rows; rows without a nonzero weight get the placeholder."""
    return sparse_column(matrix, n).rows()


def sparse_dicts(matrix: Any, n: int) -> list[dict[int, float]]:
    """CSR query rows as sparse dicts holding only weights > 0 (a row with none is ``{}``)."""
    indptr, indices, data = _csr_parts(matrix, n, queries=True)
    idx, val, bounds = indices.tolist(), data.tolist(), indptr.tolist()
    return [
        {k: v for k, v in zip(idx[bounds[i] : bounds[i + 1]], val[bounds[i] : bounds[i + 1]]) if v > 0.0}
        for i in range(n)
    ]


def sparse_query_dicts(encoder: Any, queries: Sequence[str]) -> list[dict[int, float]]:
    """Queries as sparse dicts; a query with no known term is ``{}`` (the caller skips it).

    Uses the encoder's single-query fast path ``encode_query_as_dict`` when it has one. Milvus accepts
    only weights > 0, so terms with a negative idf are left out: pymilvus-model's BM25 gives them
    ``epsilon * mean idf``, which is negative only when most of a (tiny) corpus' terms are in most documents.
    """
    fast = getattr(encoder, "encode_query_as_dict", None)
    if fast is not None:
        out = []
        for q in queries:
            d = fast(q)
            out.append({int(k): float(v) for k, v in d.items() if v > 0.0})
        return out
    return sparse_dicts(encoder.encode_queries(list(queries)), len(queries))
