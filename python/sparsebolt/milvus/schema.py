"""The collection layout: which fields and indexes a sparsebolt collection has, and checking an existing one.
Field names and index choices live in one frozen spec so that create, open and search agree."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Optional, Sequence

from sparsebolt.milvus.fields import DENSE, DENSE_METRICS, MILVUS_BM25, SPARSE, VectorField

__all__ = ["CollectionSpec", "MilvusBM25", "SchemaMismatchError", "VectorField", "build_schema", "build_index_params",
           "spec_from_described", "check_encoders", "check_fields"]

SPARSE_MODES = ("client", "milvus-bm25")
ID_TYPES = ("str", "int")
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

    ``vector_fields`` lists the vector fields (:class:`VectorField`). When it is empty it is built from the
    one-dense-one-sparse arguments: ``dense_dim`` (None: no dense field) makes a dense field ``dense_field``
    with ``dense_metric``, ``dense_index_type`` and ``dense_index_params``; ``sparse_mode`` (None: no sparse
    field) makes ``sparse_field``, a SPARSE_FLOAT_VECTOR filled by a client-side encoder (``"client"``) or by
    Milvus's BM25 function from ``text`` (``"milvus-bm25"``). Those arguments then read as the first dense
    and the first sparse field's, whichever way the spec was made.
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
    vector_fields: tuple[VectorField, ...] = ()

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
        if not 1 <= self.text_max_length <= MAX_VARCHAR_LENGTH:
            raise ValueError(f"text_max_length must be in [1, {MAX_VARCHAR_LENGTH}], got {self.text_max_length}")
        vector_fields = tuple(self.vector_fields)
        for position, entry in enumerate(vector_fields):
            if not isinstance(entry, VectorField):
                raise TypeError(f"vector_fields[{position}] is {type(entry).__name__}, expected VectorField")
            if entry.kind == DENSE and entry.dim is None:
                raise ValueError(f"dense field {entry.name!r} needs a dim (or an encoder to take it from)")
        if not vector_fields:
            vector_fields = self._fields_from_arguments()
        else:
            dense_dim, sparse_mode = _first_dim_and_mode(vector_fields)
            # dataclasses.replace() passes the derived values back: only a different one is a conflict.
            if self.dense_dim not in (None, dense_dim) or self.sparse_mode not in (None, sparse_mode):
                raise ValueError("pass the vector fields either as vector_fields or as dense_dim/sparse_mode, "
                                 "not both")
        if not vector_fields:
            raise ValueError("a collection needs a dense encoder, a sparse encoder, or both")
        names = [self.id_field, self.text_field, *(f.name for f in vector_fields)]
        if len(set(names)) != len(names):
            raise ValueError(f"field names must differ, got {names}")
        if sum(f.kind == MILVUS_BM25 for f in vector_fields) > 1:
            raise ValueError("at most one field can be filled by Milvus's BM25 function: it reads the one text "
                             "field, so a second would hold the same vectors")
        object.__setattr__(self, "vector_fields", vector_fields)
        # The one-dense-one-sparse view reads the first field of each kind.
        dense_dim, sparse_mode = _first_dim_and_mode(vector_fields)
        object.__setattr__(self, "dense_dim", dense_dim)
        object.__setattr__(self, "sparse_mode", sparse_mode)
        dense = next((f for f in vector_fields if f.kind == DENSE), None)
        if dense is not None:
            object.__setattr__(self, "dense_field", dense.name)
            object.__setattr__(self, "dense_metric", dense.metric)
            object.__setattr__(self, "dense_index_type", dense.index_type)
        sparse = next((f for f in vector_fields if f.is_sparse), None)
        if sparse is not None:
            object.__setattr__(self, "sparse_field", sparse.name)

    def _fields_from_arguments(self) -> tuple[VectorField, ...]:
        if self.sparse_mode is not None and self.sparse_mode not in SPARSE_MODES:
            raise ValueError(f"sparse_mode must be None or one of {list(SPARSE_MODES)}, got {self.sparse_mode!r}")
        if self.dense_dim is not None and self.dense_dim <= 0:
            raise ValueError(f"dense dim must be positive, got {self.dense_dim}")
        if self.dense_metric.upper() not in DENSE_METRICS:
            raise ValueError(f"dense_metric must be one of {list(DENSE_METRICS)}, got {self.dense_metric!r}")
        out: list[VectorField] = []
        if self.dense_dim is not None:
            out.append(VectorField(self.dense_field, DENSE, dim=self.dense_dim, metric=self.dense_metric,
                                   index_type=self.dense_index_type, index_params=self.dense_index_params))
        if self.sparse_mode is not None:
            out.append(VectorField(self.sparse_field, MILVUS_BM25 if self.sparse_mode == "milvus-bm25" else SPARSE,
                                   index_params=self.sparse_index_params))
        return tuple(out)

    @property
    def has_dense(self) -> bool:
        return any(f.kind == DENSE for f in self.vector_fields)

    @property
    def has_sparse(self) -> bool:
        return any(f.is_sparse for f in self.vector_fields)

    @property
    def sparse_metric(self) -> str:
        return "BM25" if self.sparse_mode == "milvus-bm25" else "IP"

    @property
    def server_bm25(self) -> bool:
        """A field is filled by Milvus's BM25 function (the text field then has an analyzer)."""
        return any(f.kind == MILVUS_BM25 for f in self.vector_fields)

    def vector_field(self, name: str) -> VectorField:
        """The vector field called ``name``; ValueError naming the fields there are."""
        for entry in self.vector_fields:
            if entry.name == name:
                return entry
        raise ValueError(f"collection {self.name!r} has no vector field {name!r}; its vector fields are "
                         f"{[f.name for f in self.vector_fields]}")

    def with_vector_fields(self, vector_fields: Sequence[VectorField]) -> "CollectionSpec":
        """This spec with other vector fields (the one-dense-one-sparse arguments follow them)."""
        return replace(self, dense_dim=None, sparse_mode=None, vector_fields=tuple(vector_fields))

    @property
    def reserved_fields(self) -> frozenset[str]:
        return frozenset({self.id_field, self.text_field, self.dense_field, self.sparse_field,
                          *(f.name for f in self.vector_fields)})


def _first_dim_and_mode(vector_fields: Sequence[VectorField]) -> tuple[Optional[int], Optional[str]]:
    dense = next((f for f in vector_fields if f.kind == DENSE), None)
    sparse = next((f for f in vector_fields if f.is_sparse), None)
    mode = None if sparse is None else ("milvus-bm25" if sparse.kind == MILVUS_BM25 else "client")
    return (dense.dim if dense else None), mode


def build_schema(spec: CollectionSpec) -> Any:
    """The pymilvus CollectionSchema for ``spec`` (dynamic fields on, for user metadata)."""
    from pymilvus import DataType, Function, FunctionType, MilvusClient  # noqa: PLC0415 - heavy import

    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=True)
    if spec.id_type == "int":
        schema.add_field(spec.id_field, DataType.INT64, is_primary=True)
    else:
        schema.add_field(spec.id_field, DataType.VARCHAR, is_primary=True, max_length=spec.id_max_length)
    text_kwargs: dict[str, Any] = {}
    if spec.server_bm25:
        text_kwargs["enable_analyzer"] = True
        if spec.analyzer_params:
            text_kwargs["analyzer_params"] = dict(spec.analyzer_params)
    schema.add_field(spec.text_field, DataType.VARCHAR, max_length=spec.text_max_length, **text_kwargs)
    for entry in spec.vector_fields:
        if entry.kind == DENSE:
            schema.add_field(entry.name, DataType.FLOAT_VECTOR, dim=entry.dim)
        else:
            schema.add_field(entry.name, DataType.SPARSE_FLOAT_VECTOR)
    for entry in spec.vector_fields:
        if entry.kind == MILVUS_BM25:
            schema.add_function(
                Function(
                    name=f"{entry.name}_bm25",
                    function_type=FunctionType.BM25,
                    input_field_names=[spec.text_field],
                    output_field_names=[entry.name],
                )
            )
    return schema


def build_index_params(client: Any, spec: CollectionSpec) -> Any:
    """One index per vector field: its ``index_type`` (dense: AUTOINDEX, sparse: SPARSE_INVERTED_INDEX), metric
    and params."""
    params = client.prepare_index_params()
    for entry in spec.vector_fields:
        params.add_index(field_name=entry.name, index_type=entry.index_type, metric_type=entry.metric,
                         params=dict(entry.index_params))
    return params


def spec_from_described(described: Mapping[str, Any], template: CollectionSpec) -> CollectionSpec:
    """The spec of an existing collection (as describe_collection reports it), with ``template``'s id and text
    field names.

    Every FLOAT_VECTOR field becomes a dense field and every SPARSE_FLOAT_VECTOR one a sparse field (filled by
    Milvus's BM25 function when it is a function's output). A field that ``template`` also has keeps the
    template's encoder output key and index choices (those only matter when creating). Raises
    SchemaMismatchError when the collection is not a sparsebolt-shaped one (no such primary key or text field,
    no vector field sparsebolt can fill).
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
    function_outputs = {name for fn in described.get("functions", []) for name in fn.get("output_field_names", [])}
    wanted = {f.name: f for f in template.vector_fields}
    found: list[VectorField] = []
    for name, described_field in fields.items():
        kind_name = _type_name(described_field)
        if name == template.text_field or described_field.get("is_primary"):
            continue
        if kind_name == "FLOAT_VECTOR":
            kind = DENSE
        elif kind_name == "SPARSE_FLOAT_VECTOR":
            kind = MILVUS_BM25 if described_field.get("is_function_output") or name in function_outputs else SPARSE
        elif kind_name.endswith("VECTOR"):
            problems.append(f"its field {name!r} is {kind_name}, which sparsebolt does not fill")
            continue
        else:
            continue  # a scalar field declared in the schema: metadata, not sparsebolt's concern
        dim = int(described_field.get("params", {}).get("dim", 0)) if kind == DENSE else None
        like = wanted.get(name)
        if like is not None and like.kind == kind:
            found.append(replace(like, dim=dim))
        else:
            found.append(VectorField(name, kind, dim=dim))
    if not problems and not found:
        problems.append(f"it has neither a {template.dense_field!r} nor a {template.sparse_field!r} vector field")
    if problems:
        raise SchemaMismatchError(
            f"collection {template.name!r} exists but is not a sparsebolt collection: " + "; ".join(problems)
            + ". Choose another collection name, or pass the field names it uses."
        )
    return replace(template.with_vector_fields(found), id_type=id_type)


def check_fields(stored: CollectionSpec, given: Sequence[VectorField]) -> None:
    """Raise SchemaMismatchError if fields ``given`` (by the encoders passed) cannot feed or query ``stored``.

    An encoder may be missing (its search mode is then unavailable) but one that is given must fit.
    """
    problems: list[str] = []
    for entry in given:
        found = next((f for f in stored.vector_fields if f.name == entry.name), None)
        what = "dense" if entry.kind == DENSE else "sparse"
        if found is None:
            problems.append(f"it has no {what} field {entry.name!r} but a {what} encoder was given")
        elif DENSE in (found.kind, entry.kind) and found.kind != entry.kind:
            problems.append(f"its field {entry.name!r} is a {found.kind} field, the encoder given fills a "
                            f"{entry.kind} one")
        elif found.kind == DENSE:
            if entry.dim is not None and found.dim != entry.dim:
                problems.append(f"its dense field {entry.name!r} has dim {found.dim}, "
                                f"the dense encoder gives {entry.dim}")
        elif found.kind == MILVUS_BM25 and entry.kind != MILVUS_BM25:
            problems.append(f"its sparse field {entry.name!r} is filled by Milvus's BM25 function, "
                            f"not by a client-side encoder (open it with sparse=MilvusBM25())")
        elif found.kind == SPARSE and entry.kind != SPARSE:
            problems.append(f"its sparse field {entry.name!r} holds client-side vectors, "
                            f"not Milvus BM25 output (open it with the client-side sparse encoder)")
    if problems:
        raise SchemaMismatchError(
            f"collection {stored.name!r} exists but does not fit: " + "; ".join(problems)
            + ". Open it with matching encoders, choose another collection name, or recreate it "
            "(drop_existing=True, CLI --drop) and ingest again."
        )


def check_encoders(stored: CollectionSpec, *, dense_dim: Optional[int], sparse_mode: Optional[str]) -> None:
    """:func:`check_fields` for one dense encoder of ``dense_dim`` and one sparse encoder (``sparse_mode``),
    filling the fields ``dense`` and ``sparse``."""
    given: list[VectorField] = []
    if dense_dim is not None:
        given.append(VectorField(stored.dense_field, DENSE, dim=dense_dim))
    if sparse_mode is not None:
        given.append(VectorField(stored.sparse_field, MILVUS_BM25 if sparse_mode == "milvus-bm25" else SPARSE))
    check_fields(stored, given)


def _type_name(f: Mapping[str, Any]) -> str:
    t = f.get("type")
    return getattr(t, "name", str(t))
