"""A DocumentBatch as the InsertRequest / UpsertRequest that pymilvus would build from its rows, made from the
columns in a few buffer operations: sparse contents sliced from one interleaved buffer, dense vectors from the
matrix's bytes."""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import numpy as np

from sparsebolt.milvus.batch import DocumentBatch
from sparsebolt.milvus.vectors import EMPTY_SPARSE_INDEX, EMPTY_SPARSE_WEIGHT, SparseColumn

__all__ = ["build_request", "sparse_contents", "unsupported_schema"]

_DYNAMIC = "$meta"  # pymilvus's DYNAMIC_FIELD_NAME
_EMPTY_JSON = b"{}"
# Per row, Milvus's SparseFloatArray holds (uint32 index, float32 weight) pairs, little-endian, by index.
_PAIR = np.dtype([("index", "<u4"), ("weight", "<f4")])


def sparse_contents(column: SparseColumn) -> list[bytes]:
    """One ``SparseFloatArray.contents`` entry per row, byte for byte what pymilvus packs for the row's
    ``{index: weight}`` dict (an empty row gets the placeholder of :data:`EMPTY_SPARSE_INDEX`).

    All pairs go into one interleaved buffer in one numpy step; each row is then a slice of its bytes.
    """
    n = len(column)
    lengths = np.diff(column.indptr)
    empty = lengths == 0
    bounds = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.where(empty, 1, lengths), out=bounds[1:])
    pairs = np.empty(int(bounds[-1]), dtype=_PAIR)
    if empty.any():
        # Each pair moves right by the placeholders of the empty rows before it.
        where = np.arange(column.indices.size) + np.repeat(bounds[:-1] - column.indptr[:-1], lengths)
        pairs["index"][where] = column.indices
        pairs["weight"][where] = column.data
        pairs["index"][bounds[:-1][empty]] = EMPTY_SPARSE_INDEX
        pairs["weight"][bounds[:-1][empty]] = EMPTY_SPARSE_WEIGHT
    else:
        pairs["index"] = column.indices
        pairs["weight"] = column.data
    buffer = pairs.tobytes()
    offsets = (bounds * _PAIR.itemsize).tolist()
    return [buffer[offsets[i] : offsets[i + 1]] for i in range(n)]


def unsupported_schema(schema: Mapping[str, Any], batch: DocumentBatch) -> Optional[str]:
    """Why ``batch`` cannot be sent as columns into a collection of ``schema`` (pymilvus's describe_collection
    dict), or None when it can: every field the request needs is one this builder fills as pymilvus would."""
    from pymilvus import DataType  # noqa: PLC0415 - only with a client

    if schema.get("struct_array_fields"):
        return "the collection has struct array fields"
    known = {batch.id_field: (DataType.INT64, DataType.VARCHAR), batch.text_field: (DataType.VARCHAR,)}
    for name, column in batch.vectors.items():
        known[name] = (DataType.SPARSE_FLOAT_VECTOR,) if isinstance(column, SparseColumn) else (DataType.FLOAT_VECTOR,)
    seen = set()
    for field in schema.get("fields", ()):
        name = field.get("name")
        if field.get("is_function_output", False):
            if name in known:
                return f"field {name!r} is filled by a function on the server"
            continue
        if field.get("auto_id", False) or field.get("nullable", False) or field.get("default_value") is not None:
            return f"field {name!r} has an automatic id, a default or nulls"
        if field.get("type") not in known.get(name, ()):
            return f"field {name!r} of type {field.get('type')!r} is not one the columns fill"
        seen.add(name)
    if seen != set(known):
        return f"the columns {sorted(set(known) - seen)} are not fields of the collection"
    if not schema.get("enable_dynamic_field", False) and any(batch.metadata):
        return "the collection has no dynamic field for the metadata"
    return None


def build_request(batch: DocumentBatch, *, collection: str, schema: Mapping[str, Any], schema_timestamp: int,
                  upsert: bool, partition_name: str = "") -> Any:
    """The ``InsertRequest`` (``UpsertRequest`` when ``upsert``) that pymilvus's ``Prepare.row_insert_param``
    (``row_upsert_param``) makes from ``batch.rows()``: the same fields in the schema's order, then the dynamic
    field; equal as protobuf messages. ``schema`` must pass :func:`unsupported_schema`."""
    from pymilvus import DataType  # noqa: PLC0415
    from pymilvus.grpc_gen import milvus_pb2, schema_pb2  # noqa: PLC0415

    make = milvus_pb2.UpsertRequest if upsert else milvus_pb2.InsertRequest
    request = make(collection_name=collection, partition_name=partition_name, num_rows=len(batch),
                   schema_timestamp=schema_timestamp)
    for field in schema["fields"]:
        if field.get("is_function_output", False):
            continue
        name, kind = field["name"], field["type"]
        data = schema_pb2.FieldData(field_name=name, type=kind)
        if name == batch.id_field:
            _fill_scalars(data, batch.ids, integer=kind == DataType.INT64)
        elif name == batch.text_field:
            _fill_scalars(data, batch.texts, integer=False)
        elif kind == DataType.SPARSE_FLOAT_VECTOR:
            column = batch.vectors[name]
            assert isinstance(column, SparseColumn)
            data.vectors.sparse_float_vector.contents.extend(sparse_contents(column))
        else:
            matrix = np.ascontiguousarray(batch.vectors[name], dtype=np.float32)
            data.vectors.dim = matrix.shape[1]
            data.vectors.float_vector.MergeFromString(_packed_floats(matrix))
        request.fields_data.append(data)
    if schema.get("enable_dynamic_field", False):
        dynamic = schema_pb2.FieldData(field_name=_DYNAMIC, type=DataType.JSON, is_dynamic=True)
        dynamic.scalars.json_data.data.extend(_json_rows(batch.metadata))
        request.fields_data.append(dynamic)
    return request


def _fill_scalars(data: Any, values: Sequence[Any], *, integer: bool) -> None:
    (data.scalars.long_data if integer else data.scalars.string_data).data.extend(values)


def _packed_floats(matrix: np.ndarray) -> bytes:
    """A serialized ``FloatArray`` holding ``matrix`` row by row: field 1, packed (tag, varint length, the
    little-endian float32 bytes), so protobuf copies the buffer instead of appending one float at a time."""
    raw = matrix.astype("<f4", copy=False).tobytes()
    size, varint = len(raw), bytearray()
    while True:
        low, size = size & 0x7F, size >> 7
        varint.append(low | (0x80 if size else 0))
        if not size:
            break
    return b"\x0a" + bytes(varint) + raw


def _json_rows(metadata: Sequence[Mapping[str, Any]]) -> list[bytes]:
    """Each row's metadata as pymilvus's ``convert_to_json`` writes it (orjson); checked metadata holds only
    JSON values, so no numpy conversion is needed."""
    import orjson  # noqa: PLC0415 - a dependency of pymilvus

    return [orjson.dumps(fields) if fields else _EMPTY_JSON for fields in metadata]
