"""Milvus Lite embedded: ingestion, resume, BM25 statistics kept with the collection, and search in every mode.
Search results are checked against scores computed here from the same encoder outputs (exact search)."""

from __future__ import annotations

import numpy as np
import pytest

from sparsebolt.eval.beir import read_corpus as read_beir_corpus
from sparsebolt.milvus.collection import TextCollection
from sparsebolt.milvus.schema import MilvusBM25, SchemaMismatchError
from sparsebolt.milvus.sources import DataError
from tests.conftest import beir_dir

pytestmark = pytest.mark.integration

N_DOCS = 300
QUERIES = ["boundary layer transition on a flat plate", "heat transfer in supersonic flow",
           "buckling of thin cylindrical shells"]


@pytest.fixture(scope="module")
def cranfield_docs() -> list[dict]:
    ids, texts = read_beir_corpus(beir_dir("cranfield"))
    return [{"id": i, "text": t, "n": k} for k, (i, t) in enumerate(zip(ids[:N_DOCS], texts[:N_DOCS]))]


def _all_ids(collection: TextCollection) -> list:
    rows = collection.client.query(collection.name, filter="", output_fields=[collection.spec.id_field],
                                   limit=16384, consistency_level="Strong")
    return [r[collection.spec.id_field] for r in rows]


def test_sparse_search_equals_exact_bm25_scores(lite_uri, bm25, cranfield_docs):
    with TextCollection(lite_uri, "sparse_only", sparse=bm25) as col:
        summary = col.ingest(cranfield_docs, batch_size=64)
        assert (summary.inserted, summary.skipped, summary.failed) == (N_DOCS, 0, 0)
        assert col.count() == N_DOCS
        doc_matrix = bm25.encode_documents([d["text"] for d in cranfield_docs])
        query_matrix = bm25.encode_queries(QUERIES)
        expected = (query_matrix @ doc_matrix.T).toarray()
        results = col.search(QUERIES, mode="sparse", limit=10)
        for q, hits in enumerate(results):
            order = np.argsort(-expected[q], kind="stable")[:10]
            assert [h.score for h in hits] == pytest.approx(expected[q][order].tolist(), rel=1e-5)
            by_id = {d["id"]: k for k, d in enumerate(cranfield_docs)}
            for h in hits:
                assert h.score == pytest.approx(expected[q][by_id[h.id]], rel=1e-5)
                assert h.text == cranfield_docs[by_id[h.id]]["text"]


def test_reopen_uses_the_saved_bm25_statistics(lite_uri, bm25, cranfield_docs):
    from sparsebolt.model.sparse import BM25EmbeddingFunction

    with TextCollection(lite_uri, "stats", sparse=bm25) as col:
        col.ingest(cranfield_docs, batch_size=100)
        before = col.search(QUERIES, mode="sparse", limit=5)
    fresh = BM25EmbeddingFunction()
    assert fresh.dim == 0
    with TextCollection(lite_uri, "stats", sparse=fresh) as col:
        assert fresh.dim == bm25.dim > 0
        after = col.search(QUERIES, mode="sparse", limit=5)
    assert [[(h.id, round(h.score, 5)) for h in hits] for hits in after] == \
        [[(h.id, round(h.score, 5)) for h in hits] for hits in before]
    other = BM25EmbeddingFunction()
    other.fit(["a completely different corpus", "with other words"])
    with pytest.raises(SchemaMismatchError, match="other BM25 statistics"):
        TextCollection(lite_uri, "stats", sparse=other)


def test_resume_skips_stored_ids_and_upsert_replaces(lite_uri, bm25, cranfield_docs):
    bm25.fit([d["text"] for d in cranfield_docs])
    with TextCollection(lite_uri, "resume", sparse=bm25) as col:
        first = col.ingest(cranfield_docs[:120], batch_size=50)
        again = col.ingest(cranfield_docs, batch_size=50)
        assert (first.inserted, again.inserted, again.skipped) == (120, N_DOCS - 120, 120)
        ids = _all_ids(col)
        assert col.count() == len(ids) == len(set(ids)) == N_DOCS
        changed = [dict(cranfield_docs[0], text="replaced text about wings")]
        up = col.ingest(changed, on_existing="upsert")
        assert (up.inserted, up.skipped) == (1, 0) and col.count() == N_DOCS
        hit = col.search("replaced wings", mode="sparse", limit=1)[0]
        assert (hit.id, hit.text) == (cranfield_docs[0]["id"], "replaced text about wings")


def test_metadata_filter_int_ids_and_empty_texts(lite_uri, bm25):
    docs = [{"id": i, "text": f"alpha beta word{i} {'gamma ' * (i % 3)}", "year": 2000 + i, "tags": {"odd": i % 2 == 1}}
            for i in range(40)]
    docs.append({"id": 99, "text": "", "year": 1999})  # no term at all: stored with the placeholder weight
    with TextCollection(lite_uri, "meta", sparse=bm25, id_type="int") as col:
        assert col.ingest(docs, batch_size=8).inserted == 41
        hits = col.search("gamma", mode="sparse", limit=50, filter="year >= 2030", output_fields=["year"])
        assert hits and all(h.fields["year"] >= 2030 for h in hits) and all(isinstance(h.id, int) for h in hits)
        assert {h.id for h in hits} == {i for i in range(30, 40) if i % 3}
        assert col.search("zzzz unknown words", mode="sparse") == []
        with pytest.raises(DataError, match=r"input record 0: id 'abc' is not an integer.*holds 41 documents"):
            col.ingest([{"id": "abc", "text": "x"}])


def test_schema_and_encoder_mismatches_are_clear(lite_uri, bm25):
    class Fixed:
        """A constant encoder of a given dim (enough to create a dense field)."""

        def __init__(self, dim):
            self.dim = dim

        def encode_documents(self, texts):
            return np.ones((len(texts), self.dim), np.float32) / np.sqrt(self.dim)

        encode_queries = encode_documents

    TextCollection(lite_uri, "dims", dense=Fixed(8)).close()
    with pytest.raises(SchemaMismatchError, match="has dim 8, the dense encoder gives 16"):
        TextCollection(lite_uri, "dims", dense=Fixed(16))
    with pytest.raises(SchemaMismatchError, match="no sparse field"):
        TextCollection(lite_uri, "dims", sparse=bm25)
    with pytest.raises(ValueError, match="does not exist yet"):
        TextCollection(lite_uri, "nothing_here")
    with TextCollection(lite_uri, "dims", dense=Fixed(8), drop_existing=True) as col:
        assert col.count() == 0
        with pytest.raises(ValueError, match="no sparse vectors"):
            col.search("x", mode="sparse")


def test_dense_and_hybrid_with_minilm(lite_uri, bm25, dense_encoder, cranfield_docs):
    docs = cranfield_docs[:120]
    with TextCollection(lite_uri, "hybrid", dense=dense_encoder, sparse=bm25, dense_index_type="FLAT") as col:
        assert col.ingest(docs, batch_size=40).inserted == len(docs)
        assert col.modes == ("dense", "sparse", "hybrid")
        vectors = np.asarray(dense_encoder.encode_documents([d["text"] for d in docs]), np.float32)
        qv = np.asarray(dense_encoder.encode_queries(QUERIES), np.float32)
        expected = qv @ vectors.T
        for q, hits in enumerate(col.search(QUERIES, mode="dense", limit=5)):
            order = np.argsort(-expected[q])[:5]
            assert [h.score for h in hits] == pytest.approx(expected[q][order].tolist(), abs=1e-4)
        for mode_hits in col.search(QUERIES, mode="hybrid", limit=5):
            scores = [h.score for h in mode_hits]
            assert len(mode_hits) == 5 and scores == sorted(scores, reverse=True)
            assert all(0 < s <= 2 / 61 for s in scores)  # RRF with k=60 over two routes
        weighted = col.search(QUERIES[0], mode="hybrid", ranker="weighted", weights=(1.0, 0.0), limit=5)
        dense_only = col.search(QUERIES[0], mode="dense", limit=5)
        assert [h.id for h in weighted] == [h.id for h in dense_only]


def test_rerank_hook_reorders_hits(lite_uri, bm25, cranfield_docs):
    try:
        from pymilvus.model.base import RerankResult  # what pymilvus.model rerankers return
    except ImportError:  # pymilvus 2.5 without pymilvus-model: the same three fields
        from dataclasses import dataclass

        @dataclass
        class RerankResult:  # type: ignore[no-redef]
            text: str
            score: float
            index: int

    def shortest_first(query, documents, top_k=5):
        """A real (if simple) reranker with pymilvus.model's call shape: shorter documents first."""
        order = sorted(range(len(documents)), key=lambda i: len(documents[i]))[:top_k]
        return [RerankResult(text=documents[i], score=1.0 / (1 + len(documents[i])), index=i) for i in order]

    with TextCollection(lite_uri, "rerank", sparse=bm25) as col:
        col.ingest(cranfield_docs, batch_size=100)
        plain = col.search(QUERIES[0], mode="sparse", limit=20)
        reranked = col.search(QUERIES[0], mode="sparse", limit=3, candidates=20, rerank=shortest_first)
    assert [h.id for h in reranked] == [h.id for h in sorted(plain, key=lambda h: len(h.text))[:3]]


def test_milvus_server_side_bm25_mode(lite_uri, cranfield_docs):
    with TextCollection(lite_uri, "server_bm25", sparse=MilvusBM25()) as col:
        assert col.ingest(cranfield_docs, batch_size=100).inserted == N_DOCS
        hits = col.search("supersonic heat transfer", mode="sparse", limit=10)
    scores = [h.score for h in hits]
    assert len(hits) == 10 and all(s > 0 for s in scores) and scores == sorted(scores, reverse=True)
    assert any(w in hits[0].text.lower() for w in ("supersonic", "heat"))


def test_metadata_blobs_are_chunked_versioned_and_deleted(lite_uri):
    import os

    from sparsebolt.milvus import stats
    from sparsebolt.milvus.connection import connect

    client = connect(lite_uri)
    try:
        big = os.urandom(200_000)  # incompressible: several 60,000-character rows
        stats.save_blob(client, "c1", "bm25", big)
        stats.save_blob(client, "c1_other", "bm25", b"neighbour")
        assert stats.load_blob(client, "c1", "bm25") == big
        stats.save_blob(client, "c1", "bm25", b"second version")
        assert stats.load_blob(client, "c1", "bm25") == b"second version"
        keys = {r["key"] for r in client.query(stats.META_COLLECTION, filter="", output_fields=["key"], limit=100,
                                                consistency_level="Strong")}
        assert sum(k.startswith("c1/") for k in keys) == 2  # header + the one chunk of the new version
        stats.delete_blobs(client, "c1")
        assert stats.load_blob(client, "c1", "bm25") is None
        assert stats.load_blob(client, "c1_other", "bm25") == b"neighbour"  # '_' is not a wildcard here
        assert stats.load_blob(client, "never", "bm25") is None
    finally:
        client.close()


@pytest.mark.parametrize("sparse_kind", ["client", "milvus-bm25"])
def test_hybrid_fused_client_side_on_lite_2_equals_the_engines_hybrid_search(lite_uri, bm25, dense_encoder,
                                                                            cranfield_docs, sparse_kind):
    """On Lite 2.x hybrid is fused client-side (its hybrid_search mixes up hits' fields for ids with quotes);
    on ASCII ids, where the engine's own hybrid_search is right, both give the same scores rank by rank."""
    from pymilvus import AnnSearchRequest, RRFRanker, WeightedRanker

    from sparsebolt.milvus.expr import LITE_25

    sparse = bm25 if sparse_kind == "client" else MilvusBM25()
    docs = cranfield_docs[:100]
    cases = [("rrf", None), ("weighted", (0.7, 0.3)), ("weighted", (0.0, 1.0))]
    with TextCollection(lite_uri, "fused", dense=dense_encoder, sparse=sparse, dense_index_type="FLAT") as col:
        assert col.dialect == LITE_25
        col.ingest(docs, batch_size=50)
        for query, (ranker, weights) in ((q, case) for q in QUERIES for case in cases):
            ours = col.search(query, mode="hybrid", ranker=ranker, weights=weights, limit=10)
            dense_q = dense_encoder.encode_queries([query])[0]
            sparse_q = query if sparse_kind == "milvus-bm25" else bm25.encode_query_as_dict(query)
            metric = "BM25" if sparse_kind == "milvus-bm25" else "IP"
            requests = [AnnSearchRequest(data=[dense_q], anns_field="dense", param={"metric_type": "IP"}, limit=20),
                        AnnSearchRequest(data=[sparse_q], anns_field="sparse", param={"metric_type": metric},
                                         limit=20)]
            fusion = RRFRanker(60) if ranker == "rrf" else WeightedRanker(*weights)
            engine = col.client.hybrid_search("fused", requests, fusion, limit=10, output_fields=["text"])[0]
            if not (sparse_kind == "milvus-bm25" and ranker == "weighted"):
                assert [h.score for h in ours] == pytest.approx([h["distance"] for h in engine], abs=1e-5)
            # else: Lite 2.5.1's WeightedRanker normalises server-side BM25 as a distance (best hits last);
            # the client-side fusion applies Milvus's BM25 normaliser, 2 * atan(s) / pi, as servers do.
            texts = {d["id"]: d["text"] for d in docs}
            assert all(h.text == texts[h.id] for h in ours)
            if weights == (0.0, 1.0):  # all weight on the sparse route: the sparse route's order
                sparse_only = col.search(query, mode="sparse", limit=10)
                assert [h.id for h in ours[: len(sparse_only)]] == [h.id for h in sparse_only]
