"""Vector fields: VectorField and spec validation, the dim helper, and several fields through schema and describe."""

from __future__ import annotations

import pytest
from pymilvus import DataType

from sparsebolt.milvus.fields import VectorField, output_dim, with_encoder_dim
from sparsebolt.milvus.schema import (
    CollectionSpec,
    SchemaMismatchError,
    build_schema,
    check_fields,
    spec_from_described,
)
from tests.unit.test_milvus_schema import _described


@pytest.mark.parametrize("kwargs, error, match", [
    ({"name": "1st", "kind": "dense", "dim": 4}, ValueError, "not valid in Milvus"),
    ({"name": "has space", "kind": "dense", "dim": 4}, ValueError, "not valid in Milvus"),
    ({"name": "ünï", "kind": "sparse"}, ValueError, "not valid in Milvus"),
    ({"name": "", "kind": "sparse"}, ValueError, "not valid in Milvus"),
    ({"name": "x" * 256, "kind": "sparse"}, ValueError, "at most 255"),
    ({"name": 7, "kind": "sparse"}, TypeError, "must be a str"),
    ({"name": "v", "kind": "splade"}, ValueError, "kind must be one of"),
    ({"name": "v", "kind": "dense", "dim": 0}, ValueError, "positive"),
    ({"name": "v", "kind": "dense", "dim": -3}, ValueError, "positive"),
    ({"name": "v", "kind": "dense", "dim": 40_000}, ValueError, "at most 32768"),
    ({"name": "v", "kind": "dense", "dim": "384"}, TypeError, "dim must be an int"),
    ({"name": "v", "kind": "dense", "dim": True}, TypeError, "dim must be an int"),
    ({"name": "v", "kind": "sparse", "dim": 30000}, ValueError, "only dense fields have a dim"),
    ({"name": "v", "kind": "dense", "dim": 4, "metric": "HAMMING"}, ValueError, "metric must be one of"),
    ({"name": "v", "kind": "sparse", "metric": "L2"}, ValueError, "metric must be one of"),
    ({"name": "v", "kind": "milvus-bm25", "output": "sparse"}, ValueError, "no encoder output"),
    ({"name": "v", "kind": "dense", "dim": 4, "output": ""}, TypeError, "output must be a non-empty str"),
])
def test_bad_vector_fields_are_refused_with_advice(kwargs, error, match):
    with pytest.raises(error, match=match):
        VectorField(**kwargs)


def test_vector_field_defaults():
    dense, sparse, server = VectorField("d", "dense", dim=8, metric="cosine"), VectorField("s", "sparse"), \
        VectorField("b", "milvus-bm25")
    assert (dense.metric, dense.index_type) == ("COSINE", "AUTOINDEX")
    assert (sparse.metric, sparse.index_type, sparse.is_sparse, sparse.server_side) == \
        ("IP", "SPARSE_INVERTED_INDEX", True, False)
    assert (server.metric, server.server_side) == ("BM25", True)


@pytest.mark.parametrize("fields, error, match", [
    ((VectorField("v", "dense", dim=4), VectorField("v", "sparse")), ValueError, "field names must differ"),
    ((VectorField("text", "sparse"),), ValueError, "field names must differ"),
    ((VectorField("id", "dense", dim=2),), ValueError, "field names must differ"),
    ((VectorField("a", "milvus-bm25"), VectorField("b", "milvus-bm25")), ValueError, "at most one field"),
    ((VectorField("d", "dense"),), ValueError, "needs a dim"),
    (("dense",), TypeError, "expected VectorField"),
])
def test_bad_field_lists_are_refused(fields, error, match):
    with pytest.raises(error, match=match):
        CollectionSpec(name="c", vector_fields=fields)


def test_one_dense_one_sparse_arguments_make_the_same_fields_as_the_list():
    legacy = CollectionSpec(name="c", dense_dim=8, sparse_mode="client", dense_metric="L2")
    listed = CollectionSpec(name="c", vector_fields=(VectorField("dense", "dense", dim=8, metric="L2"),
                                                     VectorField("sparse", "sparse")))
    assert legacy.vector_fields == listed.vector_fields
    assert (listed.dense_dim, listed.sparse_mode, listed.dense_metric) == (8, "client", "L2")
    with pytest.raises(ValueError, match="not both"):
        CollectionSpec(name="c", dense_dim=16, vector_fields=listed.vector_fields)


class _Encoder:
    def __init__(self, dim):
        self._dim = dim

    @property
    def dim(self):
        if isinstance(self._dim, Exception):
            raise self._dim
        return self._dim


def test_output_dim_reads_int_and_dict_dims_and_missing_ones():
    assert output_dim(_Encoder(384)) == 384
    assert output_dim(_Encoder({"dense": 1024, "sparse": 250002, "colbert_vecs": 1024}), "sparse") == 250002
    assert output_dim(object()) == 0  # no dim at all
    assert output_dim(_Encoder(ValueError("not fitted"))) == 0
    assert output_dim(_Encoder(None)) == 0
    with pytest.raises(ValueError, match=r"several outputs \(\['colbert_vecs', 'dense'\]\).*output='colbert_vecs'"):
        output_dim(_Encoder({"dense": 4, "colbert_vecs": 4}))
    with pytest.raises(ValueError, match="no output 'lexical'"):
        output_dim(_Encoder({"dense": 4}), "lexical")
    with pytest.raises(ValueError, match="single output"):
        output_dim(_Encoder(4), "dense")
    assert with_encoder_dim(VectorField("d", "dense", output="dense"), _Encoder({"dense": 6})).dim == 6
    with pytest.raises(ValueError, match="reports dim 0"):
        with_encoder_dim(VectorField("d", "dense"), object())


def _many() -> CollectionSpec:
    return CollectionSpec(name="c", analyzer_params={"type": "english"}, vector_fields=(
        VectorField("title_vec", "dense", dim=4, output="dense"),
        VectorField("body_vec", "dense", dim=8, metric="L2"),
        VectorField("lexical", "sparse", output="sparse"),
        VectorField("bm25", "sparse"),
        VectorField("server", "milvus-bm25"),
    ))


def test_several_fields_build_one_schema_field_and_index_each():
    spec = _many()
    schema = build_schema(spec)
    assert {f.name: f.dtype for f in schema.fields} == {
        "id": DataType.VARCHAR, "text": DataType.VARCHAR, "title_vec": DataType.FLOAT_VECTOR,
        "body_vec": DataType.FLOAT_VECTOR, "lexical": DataType.SPARSE_FLOAT_VECTOR,
        "bm25": DataType.SPARSE_FLOAT_VECTOR, "server": DataType.SPARSE_FLOAT_VECTOR}
    assert [fn.to_dict()["output_field_names"] for fn in schema.functions] == [["server"]]
    assert spec.reserved_fields >= {"title_vec", "body_vec", "lexical", "bm25", "server"}


def test_several_fields_read_back_from_describe():
    spec = _many()
    plain = spec_from_described(_described(spec), CollectionSpec(name="c", dense_dim=1))
    assert [(f.name, f.kind, f.dim) for f in plain.vector_fields] == [
        ("title_vec", "dense", 4), ("body_vec", "dense", 8), ("lexical", "sparse", None), ("bm25", "sparse", None),
        ("server", "milvus-bm25", None)]
    assert plain.vector_field("title_vec").output is None  # Milvus does not know encoder outputs
    kept = spec_from_described(_described(spec), spec)  # the template's outputs and index choices are kept
    assert kept.vector_fields == spec.vector_fields
    with pytest.raises(ValueError, match=r"no vector field 'nope'; its vector fields are \['title_vec'"):
        kept.vector_field("nope")


def test_unsupported_vector_types_are_named():
    described = {"fields": [{"name": "id", "type": DataType.VARCHAR, "is_primary": True},
                            {"name": "text", "type": DataType.VARCHAR},
                            {"name": "bits", "type": DataType.BINARY_VECTOR, "params": {"dim": 64}}]}
    with pytest.raises(SchemaMismatchError, match="'bits' is BINARY_VECTOR, which sparsebolt does not fill"):
        spec_from_described(described, CollectionSpec(name="c", dense_dim=1))


def test_field_checks_name_the_field():
    stored = _many()
    check_fields(stored, [VectorField("body_vec", "dense", dim=8), VectorField("bm25", "sparse")])
    with pytest.raises(SchemaMismatchError, match="'body_vec' has dim 8, the dense encoder gives 4"):
        check_fields(stored, [VectorField("body_vec", "dense", dim=4)])
    with pytest.raises(SchemaMismatchError, match="no sparse field 'other'"):
        check_fields(stored, [VectorField("other", "sparse")])
    with pytest.raises(SchemaMismatchError, match="'server' is filled by Milvus's BM25 function"):
        check_fields(stored, [VectorField("server", "sparse")])
    with pytest.raises(SchemaMismatchError, match="'lexical' is a sparse field, the encoder given fills a dense"):
        check_fields(stored, [VectorField("lexical", "dense", dim=4)])
