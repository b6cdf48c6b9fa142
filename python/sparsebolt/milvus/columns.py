"""Encoder outputs to Milvus columns: each encoder runs once per batch, however many fields it fills, and each field's
column is checked (dense: float32, finite, its dim; sparse: canonical CSR within Milvus's limits) before any write."""

from __future__ import annotations

from typing import Any, Mapping, Sequence, Union

import numpy as np

from sparsebolt.milvus.fields import DENSE, MILVUS_BM25, VectorField
from sparsebolt.milvus.vectors import (
    SparseColumn,
    dense_matrix,
    encode_dense,
    sparse_column,
    sparse_dicts,
    sparse_query_dicts,
)

__all__ = ["Column", "encode_columns", "column_values", "query_vectors", "client_fields"]

Column = Union[np.ndarray, SparseColumn]
"""A field's values for a batch: a float32 (n, dim) matrix (dense) or a :class:`SparseColumn`."""


def client_fields(fields: Sequence[VectorField], encoders: Mapping[str, Any]) -> list[VectorField]:
    """The fields an encoder given in ``encoders`` fills (Milvus fills its BM25 fields itself)."""
    return [f for f in fields if not f.server_side and encoders.get(f.name) is not None]


def encode_columns(fields: Sequence[VectorField], encoders: Mapping[str, Any],
                   texts: Sequence[str]) -> dict[str, Column]:
    """The checked column of every client-filled field in ``fields`` for documents ``texts``.

    ``encoders`` maps field names to encoders; fields given the same encoder object share one run of it (an
    encoder with several outputs, such as BGE-M3, returns a dict and each field takes its ``output``). A field
    without an encoder is a ValueError: it could not be written.
    """
    missing = [f.name for f in fields if not f.server_side and encoders.get(f.name) is None]
    if missing:
        raise ValueError(f"no encoder for the vector field(s) {missing}: pass one for each field to write")
    texts = list(texts)
    n = len(texts)
    columns: dict[str, Column] = {}
    for encoder, group in _by_encoder(fields, encoders):
        for vector_field, raw in _run(encoder, group, texts, queries=False):
            columns[vector_field.name] = (dense_matrix(raw, n, vector_field.dim) if vector_field.kind == DENSE
                                          else sparse_column(raw, n))
    return columns


def column_values(column: Column) -> list[Any]:
    """One Milvus value per row: a dense row (float32 array) or a sparse ``{index: weight}`` dict."""
    if isinstance(column, SparseColumn):
        return column.rows()
    return list(column)


def query_vectors(fields: Sequence[VectorField], encoders: Mapping[str, Any],
                  queries: Sequence[str]) -> dict[str, list[Any]]:
    """Per field, one search vector per query: a float32 row (dense), a ``{index: weight}`` dict of weights > 0
    (sparse; ``{}`` for a query without a known term), or the query text itself (Milvus BM25; ``""`` for a blank
    query). Encoders filling several of ``fields`` run once."""
    queries = list(queries)
    out: dict[str, list[Any]] = {}
    for vector_field in fields:
        if vector_field.kind == MILVUS_BM25:
            out[vector_field.name] = [q if q.strip() else "" for q in queries]  # the server analyzes the text
    wanted = [f for f in fields if not f.server_side]
    for encoder, group in _by_encoder(wanted, encoders):
        if len(group) == 1 and group[0].is_sparse and group[0].output is None:
            out[group[0].name] = sparse_query_dicts(encoder, queries)  # its one-query fast path, when it has one
            continue
        for vector_field, raw in _run(encoder, group, queries, queries=True):
            out[vector_field.name] = (list(dense_matrix(raw, len(queries), vector_field.dim))
                                      if vector_field.kind == DENSE else sparse_dicts(raw, len(queries)))
    return out


def _by_encoder(fields: Sequence[VectorField], encoders: Mapping[str, Any]) -> list[tuple[Any, list[VectorField]]]:
    groups: dict[int, tuple[Any, list[VectorField]]] = {}
    for vector_field in fields:
        encoder = encoders.get(vector_field.name)
        if encoder is None or vector_field.server_side:
            continue
        groups.setdefault(id(encoder), (encoder, []))[1].append(vector_field)
    return list(groups.values())


def _run(encoder: Any, group: list[VectorField], texts: list[str], *, queries: bool) -> list[tuple[VectorField, Any]]:
    """(field, raw output) for each field of ``group``, all from one call of ``encoder``."""
    keys = {f.output for f in group}
    named = sorted(str(k) for k in keys if k is not None)
    if keys == {None}:  # one output, maybe filling several fields
        if all(f.kind == DENSE for f in group):
            raw = encode_dense(encoder, texts, queries=queries)
        else:
            raw = (encoder.encode_queries if queries else encoder.encode_documents)(texts)
        if isinstance(raw, Mapping):
            raise ValueError(f"the {type(encoder).__name__} encoder returns several outputs ({sorted(raw)}): name "
                             f"the one that fills field(s) {[f.name for f in group]} with VectorField(output=...)")
        return [(f, raw) for f in group]
    if None in keys:
        raise ValueError(f"the {type(encoder).__name__} encoder fills fields {[f.name for f in group]}: give each "
                         f"of them the output it takes (VectorField(output=...))")
    outputs = (encoder.encode_queries if queries else encoder.encode_documents)(texts)
    if not isinstance(outputs, Mapping):
        raise ValueError(f"the {type(encoder).__name__} encoder returned {type(outputs).__name__}, not a dict of "
                         f"outputs, but fields {[f.name for f in group]} take outputs {named}; "
                         f"leave output=None for a single-output encoder")
    absent = [k for k in named if k not in outputs]
    if absent:
        raise ValueError(f"the {type(encoder).__name__} encoder returned outputs {sorted(outputs)}, without "
                         f"{absent}")
    return [(f, outputs[f.output]) for f in group]

