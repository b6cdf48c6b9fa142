"""Metadata through real Milvus: odd keys and nested values ingested by TextCollection read back equal, and
output_request + pick bring back exactly the requested keys from search, on embedded Lite (2.5) and a Lite 3.x
server."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from sparsebolt.milvus.collection import TextCollection
from sparsebolt.milvus.ingest import IngestError
from sparsebolt.milvus.metadata import output_request
from sparsebolt.milvus.results import hits_from_milvus
from sparsebolt.milvus.sources import DataError
from sparsebolt.milvus.vectors import sparse_query_dicts

pytestmark = pytest.mark.integration

ODD_KEYS = ["my key", "q'k", "a.b", "ключ", "emoji😀", "new\nline"]
N_DOCS = 6


def _docs() -> list[dict]:
    """Each document has a different subset of the odd keys, so absent keys are checked too."""
    docs = []
    for i in range(N_DOCS):
        doc = {"id": f"d{i}", "text": f"alpha word{i}", "year": 2000 + i}
        for k, key in enumerate(ODD_KEYS):
            if (i + k) % 3:
                doc[key] = [f"{key} {i}", i * 1.5, None, i % 2 == 0][k % 4]
        doc["nested"] = {"k": [1, "two", 3.25, None, {"deep": [True, False]}], "": "empty nested key",
                         "$meta": {"x y": i}, "ключ": ["значение", 2**63 - 1, -(2**63)]}
        if i % 2:
            doc["edges"] = {"tiny": 5e-324, "huge": 1.7976931348623157e308, "nul": "a\x00b", "empty": ""}
        docs.append(doc)
    # Converted on the way in: the tuple is stored as a list, numpy scalars as plain numbers.
    docs[0]["converted"] = (1, (2, np.int64(3)), np.float32(0.25), np.bool_(True))
    return docs


def _stored(doc: dict) -> dict:
    """What a document's metadata should read back as."""
    out = {k: v for k, v in doc.items() if k not in ("id", "text")}
    if "converted" in out:
        out["converted"] = [1, [2, 3], 0.25, True]
    return out


def same(a, b) -> bool:
    """Equal with types (True is not 1, 1 is not 1.0) and dict key order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return sorted(a) == sorted(b) and all(same(a[k], b[k]) for k in a)
    return a == b


@pytest.fixture(params=["embedded-lite", "lite-3-server"])
def uri(request, tmp_path) -> str:
    if request.param == "embedded-lite":  # Milvus Lite 2.5.1 where it has wheels
        return str(tmp_path / "milvus.db")
    return request.getfixturevalue("lite_server").uri


@pytest.fixture
def collection(uri, bm25):
    docs = _docs()
    with TextCollection(uri, "meta_odd", sparse=bm25, drop_existing=True) as col:
        summary = col.ingest(docs)
        assert (summary.inserted, col.count()) == (N_DOCS, N_DOCS)
        yield col, docs


def test_odd_keys_and_nested_values_read_back_equal(collection):
    col, docs = collection
    by_id = {d["id"]: d for d in docs}
    for fields in (["$meta"], ["text", "$meta"]):
        rows = col.client.query(col.name, filter="", output_fields=fields, limit=100, consistency_level="Strong")
        assert sorted(r["id"] for r in rows) == sorted(by_id)
        for row in rows:
            doc = by_id[row["id"]]
            expected = _stored(doc) if fields == ["$meta"] else {**_stored(doc), "text": doc["text"]}
            got = {k: v for k, v in row.items() if k != "id"}
            assert same(got, expected), (row["id"], got, expected)


def test_output_request_and_pick_against_search(collection):
    col, docs = collection
    spec = col.spec
    by_id = {d["id"]: d for d in docs}
    query = sparse_query_dicts(col.sparse, ["alpha"])
    requests = [
        (["text", *ODD_KEYS, "year", "nested", "absent key", "absent_plain"], ["text", "$meta"]),
        (["year", "absent_plain", "text"], ["year", "absent_plain", "text"]),  # plain names: sent as they are
        (["ключ"], ["$meta"]),
        (["$meta"], ["$meta"]),
    ]
    for names, expected_sent in requests:
        sent, pick = output_request(names, spec.reserved_fields)
        assert sent == expected_sent
        raw = col.client.search(col.name, data=query, anns_field=spec.sparse_field, limit=N_DOCS,
                                output_fields=sent, search_params={"metric_type": spec.sparse_metric})
        assert len(raw[0]) == N_DOCS
        for row in raw[0]:
            doc = by_id[row["id"]]
            expected = _stored(doc) if names == ["$meta"] else {n: doc[n] for n in names if n in doc}
            assert same({k: v for k, v in pick(row["entity"]).items() if k != "id"}, expected), (names, row["entity"])
        hits = hits_from_milvus(raw[0], metric=spec.sparse_metric, id_field=spec.id_field,
                                text_field=spec.text_field, pick=pick)
        for hit in hits:
            doc = by_id[hit.id]
            wanted = _stored(doc) if names == ["$meta"] else {n: doc[n] for n in names if n in doc and n != "text"}
            assert same(hit.fields, wanted)
            assert hit.text == (doc["text"] if "text" in names else "")


@pytest.mark.parametrize(("bad", "message"), [
    ({"bad": {"k": [1, math.nan]}}, "metadata field bad['k'][1] is nan"),
    ({"my key": b"raw"}, "metadata field 'my key' is a bytes value"),
    ({"count": 2**70}, "metadata field count is 1180591620717411303424, outside int64"),
    ({"sparse": [1]}, "metadata uses the key(s) ['sparse']"),
])
def test_a_bad_record_stops_the_ingestion_naming_it(lite_uri, bm25, bad, message):
    with TextCollection(lite_uri, "meta_bad", sparse=bm25) as col:
        assert col.ingest([{"id": "a", "text": "alpha one", "ok": 1}]).inserted == 1
        docs = [{"id": "c", "text": "alpha three", "ok": 2}, {"id": "b", "text": "alpha two", **bad}]
        with pytest.raises((DataError, IngestError), match=re.escape(f"input record 1: document 'b': {message}")):
            col.ingest(docs)
        assert col.count() == 1  # the batch holding it was never written (pymilvus stored NaN as null)


class _Directions:
    """A tiny dense encoder (unit vectors from the text's length), enough to make hybrid_search run."""

    dim = 4

    def encode_documents(self, texts):
        angles = np.array([len(t) for t in texts], np.float32)[:, None] * np.arange(1, 5, dtype=np.float32)
        vectors = np.cos(angles)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    encode_queries = encode_documents


def test_output_request_and_pick_against_hybrid_search(uri, bm25):
    from pymilvus import AnnSearchRequest, RRFRanker

    docs = _docs()
    dense = _Directions()
    with TextCollection(uri, "meta_hybrid", dense=dense, sparse=bm25, dense_index_type="FLAT",
                        drop_existing=True) as col:
        assert col.ingest(docs).inserted == N_DOCS
        spec = col.spec
        names = ["text", "my key", "ключ", "year", "absent key"]
        sent, pick = output_request(names, spec.reserved_fields)
        assert sent == ["text", "$meta"]
        requests = [
            AnnSearchRequest(data=[dense.encode_queries(["alpha"])[0].tolist()], anns_field=spec.dense_field,
                             param={"metric_type": spec.dense_metric}, limit=N_DOCS),
            AnnSearchRequest(data=sparse_query_dicts(col.sparse, ["alpha"]), anns_field=spec.sparse_field,
                             param={"metric_type": spec.sparse_metric}, limit=N_DOCS),
        ]
        raw = col.client.hybrid_search(col.name, requests, RRFRanker(60), limit=N_DOCS, output_fields=sent)
        assert len(raw[0]) == N_DOCS
        by_id = {d["id"]: d for d in docs}
        for row in raw[0]:
            doc = by_id[row["id"]]
            assert same(pick(row["entity"]), {n: doc[n] for n in names if n in doc}), row["entity"]
