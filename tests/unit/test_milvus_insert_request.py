"""The columnar insert request against pymilvus's own: for the schemas Milvus Lite describes, the request built from
a batch's columns equals (as a protobuf message) what pymilvus's Prepare builds from the same batch's row dicts,
for insert and upsert, BM25, SPLADE-sized and dense rows, the torture data and any Unicode text and metadata."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sparsebolt.milvus.batch import DocumentBatch, take_rows
from sparsebolt.milvus.connection import connect
from sparsebolt.milvus.fields import DENSE, MILVUS_BM25, SPARSE, VectorField
from sparsebolt.milvus.insert_request import build_request, sparse_contents, unsupported_schema
from sparsebolt.milvus.metadata import check_metadata
from sparsebolt.milvus.rows import document_id
from sparsebolt.milvus.schema import CollectionSpec, build_index_params, build_schema
from sparsebolt.milvus.sources import Document
from sparsebolt.milvus.vectors import EMPTY_SPARSE_INDEX, SparseColumn, sparse_column
from sparsebolt.milvus.writer import BatchWriter, columnar_unavailable
from tests.conftest import SHARED_DATA
from tests.unit.test_milvus_metadata import json_values

DIM = 16
LAYOUTS = {
    "bm25": CollectionSpec(name="bm25", vector_fields=(VectorField("sparse", SPARSE),)),
    "hybrid_int": CollectionSpec(name="hybrid_int", id_type="int",
                                 vector_fields=(VectorField("dense", DENSE, dim=DIM), VectorField("sparse", SPARSE))),
    "server_bm25": CollectionSpec(name="server_bm25", vector_fields=(VectorField("dense", DENSE, dim=DIM),
                                                                     VectorField("bm25", MILVUS_BM25))),
}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """Milvus Lite (embedded) with one collection per layout, created as TextCollection creates them."""
    client = connect(str(tmp_path_factory.mktemp("request") / "m.db"))
    for spec in LAYOUTS.values():
        client.create_collection(spec.name, schema=build_schema(spec), index_params=build_index_params(client, spec))
    yield client
    client.close()


def _schema(client, name):
    handler = client._get_connection()
    return handler._get_schema(name, context=client._generate_call_context())


def _random_sparse(rng, n, terms, dim=30_000) -> SparseColumn:
    """CSR rows of 0..terms terms (about one row in five empty), checked as an encoder's output is."""
    counts = np.where(rng.random(n) < 0.2, 0, rng.integers(1, terms + 1, n))
    rows = [np.sort(rng.choice(dim, k, replace=False)) for k in counts]
    indptr = np.concatenate([[0], np.cumsum(counts)])
    indices = np.concatenate(rows + [np.zeros(0, dtype=np.int64)])
    data = rng.random(indices.size).astype(np.float32) * 3 + 1e-6
    return sparse_column(sp.csr_array((data, indices, indptr), shape=(n, dim)), n)


def _batch(spec, ids, texts, metadata, rng, terms=12) -> DocumentBatch:
    n = len(ids)
    vectors = {}
    for entry in spec.vector_fields:
        if entry.kind == DENSE:
            vectors[entry.name] = rng.standard_normal((n, DIM)).astype(np.float32)
        elif entry.kind == SPARSE:
            vectors[entry.name] = _random_sparse(rng, n, terms)
    return DocumentBatch(spec.id_field, spec.text_field, ids, texts, metadata, vectors)


def _pymilvus_request(name, batch, schema, stamp, upsert):
    from pymilvus.client.prepare import Prepare

    make = Prepare.row_upsert_param if upsert else Prepare.row_insert_param
    return make(name, batch.rows(), "", schema["fields"], schema.get("struct_array_fields", []),
                enable_dynamic=schema.get("enable_dynamic_field", False), schema_timestamp=stamp)


def _assert_same_request(client, name, batch, upsert):
    schema, stamp = _schema(client, name)
    assert unsupported_schema(schema, batch) is None
    ours = build_request(batch, collection=name, schema=schema, schema_timestamp=stamp, upsert=upsert)
    theirs = _pymilvus_request(name, batch, schema, stamp, upsert)
    assert type(ours) is type(theirs)
    assert ours == theirs
    assert ours.SerializeToString(deterministic=True) == theirs.SerializeToString(deterministic=True)


@pytest.mark.parametrize("upsert", [False, True], ids=["insert", "upsert"])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("n, terms", [(1, 3), (7, 12), (256, 12), (64, 400)], ids=["1", "7", "256-bm25", "splade"])
def test_request_equals_pymilvus_rows_request(client, layout, upsert, n, terms):
    spec = LAYOUTS[layout]
    rng = np.random.default_rng(n + terms)
    ids = list(range(-n, 0)) if spec.id_type == "int" else [f"doc-{i}" for i in range(n)]
    metadata = [{} if i % 3 == 0 else {"year": i, "tags": ["a", i * 0.5], "deep": {"k": [None, True]}}
                for i in range(n)]
    batch = _batch(spec, ids, [f"text {i} é 東京" * (i % 4) for i in range(n)], metadata, rng, terms)
    _assert_same_request(client, spec.name, batch, upsert)


def test_the_torture_data_makes_the_same_request(client):
    path = SHARED_DATA / "torture" / "corpus.jsonl"
    if not path.is_file():
        pytest.skip(f"shared torture data not found at {path}")
    spec = LAYOUTS["bm25"]
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs = [Document(r["_id"], r["text"], {k: v for k, v in r.items() if k not in ("_id", "text")}) for r in records]
    ids = [document_id(d, spec) for d in docs]
    metadata = [check_metadata(d.fields, origin="", doc_id=i, reserved=spec.reserved_fields) for d, i in zip(docs, ids)]
    batch = _batch(spec, ids, [d.text for d in docs], metadata, np.random.default_rng(1))
    for upsert in (False, True):
        _assert_same_request(client, spec.name, batch, upsert)


VALID_TEXT = st.characters(blacklist_categories=("Cs",))
META_KEY = st.text(VALID_TEXT, min_size=1, max_size=12).filter(lambda k: k not in {"id", "text", "dense", "sparse",
                                                                                    "$meta"})
ROW = st.tuples(st.text(VALID_TEXT, min_size=1, max_size=24), st.text(VALID_TEXT, max_size=80),
                st.dictionaries(META_KEY, json_values, max_size=4))


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=1, max_size=10, unique_by=lambda r: r[0]), seed=st.integers(0, 2**16),
       upsert=st.booleans())
def test_any_unicode_text_and_metadata_make_the_same_request(client, rows, seed, upsert):
    spec = LAYOUTS["hybrid_int"] if seed % 2 else LAYOUTS["bm25"]
    ids = [seed * 100 + i for i in range(len(rows))] if spec.id_type == "int" else [r[0] for r in rows]
    metadata = [check_metadata(r[2], origin="", doc_id=i, reserved=spec.reserved_fields) for r, i in zip(rows, ids)]
    batch = _batch(spec, ids, [r[1] for r in rows], metadata, np.random.default_rng(seed))
    _assert_same_request(client, spec.name, batch, upsert)


def test_sparse_contents_are_pymilvus_packing_of_each_row():
    from pymilvus.client.entity_helper import sparse_rows_to_proto

    column = _random_sparse(np.random.default_rng(3), 50, 300)
    expected = sparse_rows_to_proto(column.rows()).contents
    assert sparse_contents(column) == list(expected)
    empty = SparseColumn(np.zeros(3, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
    placeholder = sparse_rows_to_proto([{EMPTY_SPARSE_INDEX: 1e-30}]).contents[0]
    assert sparse_contents(empty) == [placeholder, placeholder]


def test_take_keeps_rows_and_their_form():
    spec = LAYOUTS["hybrid_int"]
    batch = _batch(spec, list(range(9)), [f"t{i}" for i in range(9)], [{"i": i} for i in range(9)],
                   np.random.default_rng(0), terms=5)
    rows = batch.rows()
    for positions in ([], [4], [8, 0, 3], list(range(9))):
        part = take_rows(batch, positions)
        assert isinstance(part, DocumentBatch) and len(part) == len(positions)
        got = part.rows()
        want = [rows[i] for i in positions]
        assert [{k: v for k, v in r.items() if k != "dense"} for r in got] == \
               [{k: v for k, v in r.items() if k != "dense"} for r in want]
        assert all(np.array_equal(a["dense"], b["dense"]) for a, b in zip(got, want))
    assert take_rows(rows, [2, 1]) == [rows[2], rows[1]]
    with pytest.raises(ValueError, match="one value per document"):
        DocumentBatch("id", "text", [1, 2], ["a"], [{}, {}], {})


def test_schemas_the_columns_do_not_fill_are_named(client):
    from pymilvus import DataType, MilvusClient

    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
    schema.add_field("text", DataType.VARCHAR, max_length=1000)
    schema.add_field("year", DataType.INT64)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    index = client.prepare_index_params()
    index.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    client.create_collection("extra", schema=schema, index_params=index)
    described, _ = _schema(client, "extra")
    sparse = _random_sparse(np.random.default_rng(0), 2, 4)
    batch = DocumentBatch("id", "text", ["a", "b"], ["x", "y"], [{}, {}], {"sparse": sparse})
    assert "'year'" in unsupported_schema(described, batch)
    bm25, _ = _schema(client, "server_bm25")
    filled = DocumentBatch("id", "text", ["a"], ["x"], [{}], {"bm25": sparse.take(np.array([0])),
                                                            "dense": np.zeros((1, DIM), np.float32)})
    assert "filled by a function" in unsupported_schema(bm25, filled)
    no_dense = DocumentBatch("id", "text", ["a"], ["x"], [{}], {})
    assert "'dense'" in unsupported_schema(bm25, no_dense)


def test_the_writer_falls_back_to_rows_and_says_so_once(client, caplog):
    """A schema field the columns do not fill (a metadata key that is a field of its own): the rows go through
    client.insert, which stores the key in that field."""
    from pymilvus import DataType, MilvusClient

    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=True)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
    schema.add_field("text", DataType.VARCHAR, max_length=1000)
    schema.add_field("year", DataType.INT64)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    index = client.prepare_index_params()
    index.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    client.create_collection("fallback", schema=schema, index_params=index)
    writer = BatchWriter(client, "fallback", upsert=False, timeout=30)
    assert writer.columnar
    sparse = _random_sparse(np.random.default_rng(5), 4, 4)
    with caplog.at_level(logging.DEBUG, logger="sparsebolt.milvus.writer"):
        for start in (0, 2):
            part = sparse.take(np.arange(start, start + 2))
            writer(DocumentBatch("id", "text", [f"d{start}", f"d{start + 1}"], ["x", "y"],
                                 [{"year": start}, {"year": start + 1, "k": "v"}], {"sparse": part}))
    told = [r for r in caplog.records if "as rows" in r.getMessage()]
    assert len(told) == 1 and "'year'" in told[0].getMessage()
    got = client.query("fallback", filter="year >= 0", output_fields=["year", "k"], consistency_level="Strong")
    assert sorted((r["id"], r["year"], r.get("k")) for r in got) == [
        ("d0", 0, None), ("d1", 1, "v"), ("d2", 2, None), ("d3", 3, "v")]


def test_clients_and_releases_it_does_not_know_get_rows(client, monkeypatch):
    import pymilvus

    assert columnar_unavailable(client) is None
    assert "not a pymilvus MilvusClient" in columnar_unavailable(object())
    monkeypatch.setattr(pymilvus, "__version__", "9.1.0")
    assert "pymilvus 9.1.0" in columnar_unavailable(client)
    assert not BatchWriter(client, "bm25", upsert=False, timeout=None).columnar
