"""What a ``TextCollection`` is opened with: the vector fields asked for and the encoder of each, from the
one-dense-one-sparse arguments or from explicit ``fields``/``encoders``, checked before Milvus is asked anything."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Optional, Sequence

from sparsebolt.milvus.fields import (
    DENSE,
    MILVUS_BM25,
    SPARSE,
    VectorField,
    output_dim,
    output_named,
    with_encoder_dim,
)
from sparsebolt.milvus.retry import RetryPolicy, call_with_retry
from sparsebolt.milvus.schema import CollectionSpec, MilvusBM25, SchemaMismatchError

__all__ = ["Request", "requested_fields", "fields_for_encoders", "with_stored_metrics", "DENSE_FIELD",
           "SPARSE_FIELD"]

DENSE_FIELD, SPARSE_FIELD = "dense", "sparse"


@dataclass
class Request:
    """``fields`` None: the collection's own fields, for the ``encoders`` given by field name."""

    fields: Optional[list[VectorField]]
    encoders: dict[str, Any] = field(default_factory=dict)
    analyzer_params: Optional[Mapping[str, Any]] = None


def requested_fields(
    *,
    dense: Any,
    sparse: Any,
    fields: Optional[Sequence[VectorField]],
    encoders: Optional[Mapping[str, Any]],
    dense_metric: str,
    dense_index_type: str,
    dense_index_params: Optional[Mapping[str, Any]],
    sparse_index_params: Optional[Mapping[str, Any]],
) -> Request:
    """The fields and encoders of a TextCollection's arguments (see its docstring)."""
    if isinstance(sparse, str):
        raise TypeError("sparse= takes an encoder or MilvusBM25(), not a string")
    if fields is None and encoders is None:
        out: list[VectorField] = []
        by_field: dict[str, Any] = {}
        # An encoder with several outputs (BGE-M3) fills each field with the output of the field's name; given
        # as both, the one object runs once per batch for the two fields.
        if dense is not None:
            output = output_named(dense, DENSE_FIELD)
            dim = output_dim(dense, output)
            if dim <= 0:
                raise ValueError(f"the dense encoder reports dim {dim}; expected a positive int")
            out.append(VectorField(DENSE_FIELD, DENSE, dim=dim, metric=dense_metric, index_type=dense_index_type,
                                   index_params=dict(dense_index_params or {}), output=output))
            by_field[DENSE_FIELD] = dense
        if sparse is not None:
            server = isinstance(sparse, MilvusBM25)
            out.append(VectorField(SPARSE_FIELD, MILVUS_BM25 if server else SPARSE,
                                   index_params=dict(sparse_index_params or {}),
                                   output=None if server else output_named(sparse, SPARSE_FIELD)))
            by_field[SPARSE_FIELD] = sparse
        return Request(out, by_field, sparse.analyzer_params if isinstance(sparse, MilvusBM25) else None)
    if dense is not None or sparse is not None:
        raise TypeError("pass either dense=/sparse= or fields=/encoders=, not both")
    if encoders is not None and not isinstance(encoders, Mapping):
        raise TypeError(f"encoders takes a dict of field name -> encoder, got {type(encoders).__name__}")
    given = {name: enc for name, enc in (encoders or {}).items() if enc is not None}
    if fields is None:
        return Request(None, given)
    if isinstance(fields, (str, VectorField)):
        raise TypeError("fields takes a list of VectorField")
    names = [f.name for f in fields]
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise ValueError(f"encoders names fields {unknown} that are not among the fields {names}")
    resolved = []
    analyzer: Optional[Mapping[str, Any]] = None
    for entry in fields:
        if not isinstance(entry, VectorField):
            raise TypeError(f"fields takes VectorField entries, got {type(entry).__name__}")
        encoder = given.get(entry.name)
        if entry.kind == MILVUS_BM25:
            if encoder is not None and not isinstance(encoder, MilvusBM25):
                raise TypeError(f"field {entry.name!r} is filled by Milvus's BM25 function: its encoder can only be "
                                f"MilvusBM25(analyzer_params=...), got {type(encoder).__name__}")
            analyzer = encoder.analyzer_params if encoder is not None else None
        elif isinstance(encoder, MilvusBM25):
            raise TypeError(f"field {entry.name!r} is a {entry.kind} field filled by a client-side encoder; use "
                            f"VectorField(kind='milvus-bm25') for Milvus's BM25")
        resolved.append(_with_dim(entry, encoder))
    return Request(resolved, given, analyzer)


def fields_for_encoders(stored: CollectionSpec, encoders: Mapping[str, Any]) -> list[VectorField]:
    """The stored fields that ``encoders`` (by field name) fill, dense dims taken from the encoders, so that
    :func:`~sparsebolt.milvus.schema.check_fields` compares them with the stored ones."""
    names = [f.name for f in stored.vector_fields]
    unknown = sorted(set(encoders) - set(names))
    if unknown:
        raise SchemaMismatchError(f"collection {stored.name!r} has no vector field(s) {unknown} for the encoders "
                                  f"given; its vector fields are {names}")
    out = []
    for entry in stored.vector_fields:
        encoder = encoders.get(entry.name)
        if encoder is None:
            continue
        if entry.kind == DENSE:
            dim = output_dim(encoder, entry.output)
            out.append(VectorField(entry.name, DENSE, dim=dim if dim > 0 else None, output=entry.output))
        else:
            out.append(VectorField(entry.name, MILVUS_BM25 if isinstance(encoder, MilvusBM25) else SPARSE))
    return out


def _with_dim(entry: VectorField, encoder: Any) -> VectorField:
    if encoder is None or entry.kind != DENSE:
        return entry
    if entry.dim is None:
        return with_encoder_dim(entry, encoder)
    dim = output_dim(encoder, entry.output)
    if dim > 0 and dim != entry.dim:
        raise ValueError(f"field {entry.name!r} has dim {entry.dim} but its encoder gives {dim}")
    return entry


def with_stored_metrics(client: Any, spec: CollectionSpec, retry: RetryPolicy) -> CollectionSpec:
    """``spec`` with each dense field's metric as its stored index says, whatever the caller's defaults said."""
    fields = []
    for entry in spec.vector_fields:
        if entry.kind != DENSE:
            fields.append(entry)
            continue
        try:
            info = call_with_retry(lambda: client.describe_index(spec.name, entry.name, timeout=retry.timeout),
                                   retry, what=f"describing the index of {spec.name!r}")
        except Exception:  # noqa: BLE001 - no index described: keep the caller's metric
            fields.append(entry)
            continue
        metric = (info or {}).get("metric_type")
        fields.append(replace(entry, metric=str(metric).upper()) if metric else entry)
    return spec.with_vector_fields(fields)
