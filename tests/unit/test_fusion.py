"""Client-side RRF and weighted fusion: Milvus' documented examples, the formulas, bad input, and milvus-lite itself."""

from __future__ import annotations

from typing import Any, List

import pytest

from sparsebolt.rerank import (
    FusedResult,
    RerankResult,
    milvus_rrf_ranker,
    milvus_weighted_ranker,
    normalize_bm25,
    normalize_cosine,
    normalize_ip,
    normalize_l2,
    rrf_fuse,
    weighted_fuse,
)

# Milvus' reranking guide: two result lists of five ids each.
SPARSE = [101, 203, 150, 198, 175]
DENSE = [198, 101, 110, 175, 250]
IMAGE = [(101, 0.92), (203, 0.88), (150, 0.85), (198, 0.83), (175, 0.80)]
TEXT = [(198, 0.91), (101, 0.87), (110, 0.85), (175, 0.82), (250, 0.78)]


def test_rrf_on_the_milvus_guide_lists() -> None:
    # The guide's own final table forgets to add the two terms for 198 and 175; by its formula they rank 2nd and 3rd.
    fused = rrf_fuse([SPARSE, DENSE])
    assert [r.id for r in fused] == [101, 198, 175, 203, 110, 150, 250]  # 110 and 150 tie at 1/63: smaller id first
    expected = [1 / 61 + 1 / 62, 1 / 64 + 1 / 61, 1 / 65 + 1 / 64, 1 / 62, 1 / 63, 1 / 63, 1 / 65]
    assert [r.score for r in fused] == pytest.approx(expected, rel=1e-12)
    assert [r.id for r in rrf_fuse([SPARSE, DENSE], top_k=3)] == [101, 198, 175]


def test_rrf_k_and_ranks_follow_the_formula() -> None:
    fused = rrf_fuse([["a", "b", "c"], ["c", "a"], ["b"]], k=10)
    expected = {"a": 1 / 11 + 1 / 12, "b": 1 / 12 + 1 / 11, "c": 1 / 13 + 1 / 11}
    assert {r.id: r.score for r in fused} == pytest.approx(expected)
    assert [r.id for r in fused] == ["a", "b", "c"]  # a and b tie: the smaller id first


def test_a_retriever_listing_an_id_twice_counts_it_once_at_its_best_rank() -> None:
    assert rrf_fuse([[1, 2, 1]]) == [FusedResult(1, 1 / 61, 1), FusedResult(2, 1 / 62, 2)]


def test_weighted_reproduces_the_milvus_guide_example_on_raw_scores() -> None:
    fused = weighted_fuse([IMAGE, TEXT], [0.6, 0.4], top_k=5)
    assert [r.id for r in fused] == [101, 198, 175, 203, 150]
    assert [r.score for r in fused] == pytest.approx([0.9, 0.862, 0.808, 0.528, 0.51])


@pytest.mark.parametrize(
    "fn, points",
    [
        (normalize_cosine, [(-1.0, 0.0), (0.0, 0.5), (1.0, 1.0)]),
        (normalize_ip, [(0.0, 0.5), (1.0, 0.75), (-1.0, 0.25)]),
        (normalize_bm25, [(0.0, 0.0), (1.0, 0.5)]),
        (normalize_l2, [(0.0, 1.0), (1.0, 0.5)]),
    ],
)
def test_normalizers_at_known_points(fn: Any, points: List[Any]) -> None:
    for x, y in points:
        assert fn(x) == pytest.approx(y)


def test_weighted_with_metrics_normalizes_each_list() -> None:
    ip = [("x", 1.0), ("y", 0.0)]
    l2 = [("y", 0.0), ("x", 1.0)]
    fused = weighted_fuse([ip, l2], [0.5, 1.0], metrics=["IP", "l2"])
    assert {r.id: r.score for r in fused} == pytest.approx({"x": 0.5 * 0.75 + 0.5, "y": 0.5 * 0.5 + 1.0})


def test_rerank_results_fuse_by_document_index() -> None:
    docs = ["d0", "d1", "d2"]
    jina = [RerankResult(docs[2], 0.9, 2), RerankResult(docs[0], 0.5, 0)]
    cohere = [RerankResult(docs[0], 0.8, 0), RerankResult(docs[1], 0.1, 1)]
    fused = rrf_fuse([jina, cohere])
    assert [r.id for r in fused] == [0, 2, 1]
    assert fused[0].item is jina[1] and fused[0].item.text == "d0"
    weighted = weighted_fuse([jina, cohere], [0.5, 0.5])
    assert [r.id for r in weighted] == [0, 2, 1]
    assert [r.score for r in weighted] == pytest.approx([0.65, 0.45, 0.05])


def test_milvus_hits_and_custom_keys() -> None:
    hits_a = [{"id": 7, "distance": 0.9, "entity": {}}, {"id": 3, "distance": 0.4, "entity": {}}]
    hits_b = [{"id": 3, "distance": 0.8, "entity": {}}]
    assert [r.id for r in weighted_fuse([hits_a, hits_b], [0.5, 0.5], metrics="COSINE")] == [3, 7]
    records = [[{"pk": "a", "s": 2.0}], [{"pk": "b", "s": 1.0}]]
    fused = weighted_fuse(records, [1.0, 1.0], key=lambda r: (r["pk"], r["s"]))
    assert [(r.id, r.score) for r in fused] == [("a", 2.0), ("b", 1.0)]
    assert fused[0].to_dict() == {"id": "a", "score": 2.0}


def test_mixed_id_types_keep_first_seen_order_on_ties() -> None:
    assert [r.id for r in rrf_fuse([["b", 1], [1, "b"]])] == ["b", 1]


def test_empty_inputs() -> None:
    assert rrf_fuse([]) == [] and rrf_fuse([[], []]) == []
    assert weighted_fuse([[]], [1.0]) == []


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: rrf_fuse([[1]], k=0), r"k must be a number in \(0, 16384\)"),
        (lambda: rrf_fuse([[1]], k=16384), "k must be"),
        (lambda: rrf_fuse("ab"), "list of ranked lists"),
        (lambda: rrf_fuse(["ab"]), r"rankings\[0\] must be a list"),
        (lambda: rrf_fuse([[[1, 2, 3]]]), "unhashable id"),
        (lambda: rrf_fuse([[1]], top_k=-1), "top_k"),
        (lambda: weighted_fuse([IMAGE, TEXT], [0.5]), "one weight per ranking"),
        (lambda: weighted_fuse([IMAGE], [1.5]), r"\[0, 1\]"),
        (lambda: weighted_fuse([IMAGE], [0.5], metrics="HAMMING"), "unknown metric 'HAMMING'"),
        (lambda: weighted_fuse([IMAGE, TEXT], [0.5, 0.5], metrics=["IP"]), "one metric per ranking"),
        (lambda: weighted_fuse([SPARSE], [0.5]), "no numeric score"),
        (lambda: weighted_fuse([[("a", float("nan"))]], [0.5]), "no numeric score"),
        (lambda: milvus_rrf_ranker(0), "k must be"),
        (lambda: milvus_weighted_ranker(), "one weight per AnnSearchRequest"),
        (lambda: milvus_weighted_ranker(0.5, 2), r"\[0, 1\]"),
    ],
)
def test_bad_input_raises_value_error_with_advice(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_milvus_ranker_helpers_build_pymilvus_rankers() -> None:
    from pymilvus import RRFRanker, WeightedRanker

    rrf = milvus_rrf_ranker()
    assert isinstance(rrf, RRFRanker) and rrf.dict() == RRFRanker(60).dict()
    weighted = milvus_weighted_ranker(0.7, 0.3, norm_score=False)
    assert isinstance(weighted, WeightedRanker) and weighted.dict() == WeightedRanker(0.7, 0.3, norm_score=False).dict()
