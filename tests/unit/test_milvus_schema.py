"""Collection layout: spec validation, the pymilvus schema it builds, and reading back an existing collection."""

from __future__ import annotations

import pytest
from pymilvus import DataType

from sparsebolt.milvus.schema import (
    CollectionSpec,
    SchemaMismatchError,
    build_schema,
    check_encoders,
    spec_from_described,
)


@pytest.mark.parametrize("kwargs, match", [
    ({"name": "1bad", "dense_dim": 4}, "not valid"),
    ({"name": "has-dash", "dense_dim": 4}, "not valid"),
    ({"name": "ok", "dense_dim": 4, "id_type": "uuid"}, "id_type"),
    ({"name": "ok"}, "needs a dense encoder, a sparse encoder"),
    ({"name": "ok", "dense_dim": 0}, "positive"),
    ({"name": "ok", "dense_dim": 4, "dense_metric": "HAMMING"}, "dense_metric"),
    ({"name": "ok", "dense_dim": 4, "text_max_length": 70000}, "text_max_length"),
    ({"name": "ok", "sparse_mode": "splade"}, "sparse_mode"),
    ({"name": "ok", "dense_dim": 4, "text_field": "id"}, "must differ"),
])
def test_invalid_specs(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CollectionSpec(**kwargs)


def _described(spec: CollectionSpec) -> dict:
    """describe_collection's shape for the schema we build (fields as pymilvus reports them)."""
    schema = build_schema(spec)
    fields = []
    for f in schema.fields:
        d = f.to_dict()
        entry = {"name": d["name"], "type": d["type"], "params": d.get("params", {})}
        if d.get("is_primary"):
            entry["is_primary"] = True
        if d.get("is_function_output"):
            entry["is_function_output"] = True
        fields.append(entry)
    return {"fields": fields, "functions": [fn.to_dict() for fn in schema.functions]}


def test_build_schema_fields():
    spec = CollectionSpec(name="c", dense_dim=384, sparse_mode="client", id_type="int")
    schema = build_schema(spec)
    types = {f.name: f.dtype for f in schema.fields}
    assert types == {"id": DataType.INT64, "text": DataType.VARCHAR, "dense": DataType.FLOAT_VECTOR,
                     "sparse": DataType.SPARSE_FLOAT_VECTOR}
    assert schema.enable_dynamic_field and not schema.functions


def test_milvus_bm25_mode_adds_the_function_and_analyzer():
    spec = CollectionSpec(name="c", sparse_mode="milvus-bm25", analyzer_params={"type": "english"})
    schema = build_schema(spec)
    assert [fn.to_dict()["output_field_names"] for fn in schema.functions] == [["sparse"]]
    text = next(f for f in schema.fields if f.name == "text")
    assert text.params.get("enable_analyzer") is True


@pytest.mark.parametrize("spec", [
    CollectionSpec(name="c", dense_dim=8, sparse_mode="client"),
    CollectionSpec(name="c", dense_dim=8),
    CollectionSpec(name="c", sparse_mode="milvus-bm25", id_type="int"),
])
def test_spec_round_trips_through_describe(spec):
    back = spec_from_described(_described(spec), CollectionSpec(name="c", dense_dim=1))
    assert (back.id_type, back.dense_dim, back.sparse_mode) == (spec.id_type, spec.dense_dim, spec.sparse_mode)


def test_foreign_collection_is_refused():
    described = {"fields": [{"name": "pk", "type": DataType.INT64, "is_primary": True},
                            {"name": "vector", "type": DataType.FLOAT_VECTOR, "params": {"dim": 8}}]}
    with pytest.raises(SchemaMismatchError, match="not a sparsebolt collection.*primary key is 'pk'"):
        spec_from_described(described, CollectionSpec(name="c", dense_dim=1))


def test_encoder_mismatches_are_explained():
    stored = CollectionSpec(name="c", dense_dim=384, sparse_mode="client")
    check_encoders(stored, dense_dim=384, sparse_mode=None)  # a missing encoder is fine
    check_encoders(stored, dense_dim=None, sparse_mode="client")
    with pytest.raises(SchemaMismatchError, match="has dim 384, the dense encoder gives 768"):
        check_encoders(stored, dense_dim=768, sparse_mode="client")
    with pytest.raises(SchemaMismatchError, match="client-side vectors"):
        check_encoders(stored, dense_dim=None, sparse_mode="milvus-bm25")
    server = CollectionSpec(name="c", sparse_mode="milvus-bm25")
    with pytest.raises(SchemaMismatchError, match="Milvus's BM25 function"):
        check_encoders(server, dense_dim=None, sparse_mode="client")
    with pytest.raises(SchemaMismatchError, match="no dense field"):
        check_encoders(server, dense_dim=384, sparse_mode=None)
