"""The collection layout: which fields and indexes a sparsebolt collection has, and checking an existing one.
Field names and index choices live in one frozen spec so that create, open and search agree."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Optional

__all__ = ["CollectionSpec", "MilvusBM25", "SchemaMismatchError", "build_schema", "build_index_params",
           "spec_from_described", "check_encoders"]

SPARSE_MODES = ("client", "milvus-bm25")
ID_TYPES = ("str", "int")
DENSE_METRICS = ("IP", "COSINE", "L2")
# Milvus's VARCHAR limit (bytes); texts longer than this cannot be stored in one row.
MAX_VARCHAR_LENGTH = 65535


class SchemaMismatchError(ValueError):
    """An existing collection does not fit the encoders or options it was opened with."""


@dataclass(frozen=True)
class MilvusBM25:
    """Milvus's own server-side BM25: the server analyzes ``text`` on insert and on search.

    Pass it as ``sparse=`` to compare client-side sparsebolt BM25 with Milvus's. ``analyzer_params``
    go to the text field unchanged (Milvus default: the ``standard`` analyzer).
    """

    analyzer_params: Optional[Mapping[str, Any]] = None


@dataclass(frozen=True)
class CollectionSpec:
    """Everything that decides a collection's schema and indexes.

    ``dense_dim`` None means no dense field; ``sparse_mode`` None means no sparse field, ``"client"``
    a SPARSE_FLOAT_VECTOR filled by a client-side encoder, ``"milvus-bm25"`` one filled by Milvus's
    BM25 function from ``text``.
    """

    name: str
    id_type: str = "str"
    dense_dim: Optional[int] = None
    sparse_mode: Optional[str] = None
    id_field: str = "id"
    text_field: str = "text"
    dense_field: str = "dense"
    sparse_field: str = "sparse"
    id_max_length: int = 512
    text_max_length: int = MAX_VARCHAR_LENGTH
    dense_metric: str = "IP"
    dense_index_type: str = "AUTOINDEX"
    dense_index_params: Mapping[str, Any] = field(default_factory=dict)
    sparse_index_params: Mapping[str, Any] = field(default_factory=dict)
    analyzer_params: Optional[Mapping[str, Any]] = None

    def __post_init__(self) -> None:
        if not self.name or not (self.name[0].isalpha() or self.name[0] == "_") or not all(
            ch.isalnum() or ch == "_" for ch in self.name
        ):
            raise ValueError(
                f"collection name {self.name!r} is not valid in Milvus: use letters, digits and '_', "
                f"starting with a letter or '_'"
            )
        if self.id_type not in ID_TYPES:
            raise ValueError(f"id_type must be one of {list(ID_TYPES)}, got {self.id_type!r}")
        if self.sparse_mode is not None and self.sparse_mode not in SPARSE_MODES:
            raise ValueError(f"sparse_mode must be None or one of {list(SPARSE_MODES)}, got {self.sparse_mode!r}")
        if self.dense_dim is None and self.sparse_mode is None:
            raise ValueError("a collection needs a dense encoder, a sparse encoder, or both")
        if self.dense_dim is not None and self.dense_dim <= 0:
            raise ValueError(f"dense dim must be positive, got {self.dense_dim}")
        if self.dense_metric.upper() not in DENSE_METRICS:
            raise ValueError(f"dense_metric must be one of {list(DENSE_METRICS)}, got {self.dense_metric!r}")
        if not 1 <= self.text_max_length <= MAX_VARCHAR_LENGTH:
            raise ValueError(f"text_max_length must be in [1, {MAX_VARCHAR_LENGTH}], got {self.text_max_length}")
        names = [self.id_field, self.text_field, self.dense_field, self.sparse_field]
        if len(set(names)) != len(names):
            raise ValueError(f"field names must differ, got {names}")

    @property
    def has_dense(self) -> bool:
        return self.dense_dim is not None

    @property
    def has_sparse(self) -> bool:
        return self.sparse_mode is not None

    @property
    def sparse_metric(self) -> str:
        return "BM25" if self.sparse_mode == "milvus-bm25" else "IP"

    @property
    def reserved_fields(self) -> frozenset[str]:
        return frozenset({self.id_field, self.text_field, self.dense_field, self.sparse_field})


def build_schema(spec: CollectionSpec) -> Any:
    """The pymilvus CollectionSchema for ``spec`` (dynamic fields on, for user metadata)."""
    from pymilvus import DataType, Function, FunctionType, MilvusClient  # noqa: PLC0415 - heavy import

    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=True)
    if spec.id_type == "int":
        schema.add_field(spec.id_field, DataType.INT64, is_primary=True)
    else:
        schema.add_field(spec.id_field, DataType.VARCHAR, is_primary=True, max_length=spec.id_max_length)
    text_kwargs: dict[str, Any] = {}
    if spec.sparse_mode == "milvus-bm25":
        text_kwargs["enable_analyzer"] = True
        if spec.analyzer_params:
            text_kwargs["analyzer_params"] = dict(spec.analyzer_params)
    schema.add_field(spec.text_field, DataType.VARCHAR, max_length=spec.text_max_length, **text_kwargs)
    if spec.has_dense:
        schema.add_field(spec.dense_field, DataType.FLOAT_VECTOR, dim=spec.dense_dim)
    if spec.has_sparse:
        schema.add_field(spec.sparse_field, DataType.SPARSE_FLOAT_VECTOR)
    if spec.sparse_mode == "milvus-bm25":
        schema.add_function(
            Function(
                name=f"{spec.sparse_field}_bm25",
                function_type=FunctionType.BM25,
                input_field_names=[spec.text_field],
                output_field_names=[spec.sparse_field],
            )
        )
    return schema


def build_index_params(client: Any, spec: CollectionSpec) -> Any:
    """Dense: ``dense_index_type`` (AUTOINDEX) with ``dense_metric`` (IP); sparse: SPARSE_INVERTED_INDEX."""
    params = client.prepare_index_params()
    if spec.has_dense:
        params.add_index(
            field_name=spec.dense_field,
            index_type=spec.dense_index_type,
            metric_type=spec.dense_metric.upper(),
            params=dict(spec.dense_index_params),
        )
    if spec.has_sparse:
        params.add_index(
            field_name=spec.sparse_field,
            index_type="SPARSE_INVERTED_INDEX",
            metric_type=spec.sparse_metric,
            params=dict(spec.sparse_index_params),
        )
    return params


def spec_from_described(described: Mapping[str, Any], template: CollectionSpec) -> CollectionSpec:
    """The spec of an existing collection (as describe_collection reports it), using ``template``'s field names.

    Raises SchemaMismatchError when the collection is not a sparsebolt-shaped one (no such primary key or
    text field). Index choices are kept from ``template``: they only matter when creating.
    """
    fields = {f["name"]: f for f in described.get("fields", [])}
    problems: list[str] = []
    pk = next((f for f in fields.values() if f.get("is_primary")), None)
    id_type = template.id_type
    if pk is None or pk["name"] != template.id_field:
        problems.append(f"its primary key is {pk and pk['name']!r}, expected {template.id_field!r}")
    elif _type_name(pk) not in ("INT64", "VARCHAR"):
        problems.append(f"its primary key {template.id_field!r} is {_type_name(pk)}, expected INT64 or VARCHAR")
    else:
        id_type = "int" if _type_name(pk) == "INT64" else "str"
    if template.text_field not in fields or _type_name(fields[template.text_field]) != "VARCHAR":
        problems.append(f"it has no VARCHAR text field {template.text_field!r}")
    dense_dim: Optional[int] = None
    dense = fields.get(template.dense_field)
    if dense is not None:
        if _type_name(dense) != "FLOAT_VECTOR":
            problems.append(f"its field {template.dense_field!r} is {_type_name(dense)}, expected FLOAT_VECTOR")
        else:
            dense_dim = int(dense.get("params", {}).get("dim", 0))
    sparse_mode: Optional[str] = None
    sparse = fields.get(template.sparse_field)
    if sparse is not None:
        if _type_name(sparse) != "SPARSE_FLOAT_VECTOR":
            problems.append(f"its field {template.sparse_field!r} is {_type_name(sparse)}, "
                            "expected SPARSE_FLOAT_VECTOR")
        else:
            server_side = bool(sparse.get("is_function_output")) or any(
                template.sparse_field in fn.get("output_field_names", []) for fn in described.get("functions", [])
            )
            sparse_mode = "milvus-bm25" if server_side else "client"
    if not problems and dense_dim is None and sparse_mode is None:
        problems.append(f"it has neither a {template.dense_field!r} nor a {template.sparse_field!r} vector field")
    if problems:
        raise SchemaMismatchError(
            f"collection {template.name!r} exists but is not a sparsebolt collection: " + "; ".join(problems)
            + ". Choose another collection name, or pass the field names it uses."
        )
    return replace(template, id_type=id_type, dense_dim=dense_dim, sparse_mode=sparse_mode)


def check_encoders(stored: CollectionSpec, *, dense_dim: Optional[int], sparse_mode: Optional[str]) -> None:
    """Raise SchemaMismatchError if the given encoders cannot feed or query the ``stored`` collection.

    An encoder may be missing (its search mode is then unavailable) but one that is given must fit.
    """
    problems: list[str] = []
    if dense_dim is not None:
        if stored.dense_dim is None:
            problems.append(f"it has no dense field {stored.dense_field!r} but a dense encoder was given")
        elif stored.dense_dim != dense_dim:
            problems.append(f"its dense field {stored.dense_field!r} has dim {stored.dense_dim}, "
                            f"the dense encoder gives {dense_dim}")
    if sparse_mode is not None:
        if stored.sparse_mode is None:
            problems.append(f"it has no sparse field {stored.sparse_field!r} but a sparse encoder was given")
        elif stored.sparse_mode != sparse_mode:
            if stored.sparse_mode == "milvus-bm25":
                problems.append(f"its sparse field {stored.sparse_field!r} is filled by Milvus's BM25 function, "
                                f"not by a client-side encoder (open it with sparse=MilvusBM25())")
            else:
                problems.append(f"its sparse field {stored.sparse_field!r} holds client-side vectors, "
                                f"not Milvus BM25 output (open it with the client-side sparse encoder)")
    if problems:
        raise SchemaMismatchError(
            f"collection {stored.name!r} exists but does not fit: " + "; ".join(problems)
            + ". Open it with matching encoders, choose another collection name, or recreate it "
            "(drop_existing=True, CLI --drop) and ingest again."
        )


def _type_name(f: Mapping[str, Any]) -> str:
    t = f.get("type")
    return getattr(t, "name", str(t))
