"""sparsebolt.eval.metrics, which wraps pytrec_eval (trec_eval's C code), against pytrec_eval called directly on
random runs and a real BM25 run on msmarco-5k, per query and as means; against hand-worked values; plus the
conventions (which queries count, the MRR cut) and the errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparsebolt.eval.beir import read_corpus, read_qrels, read_queries
from sparsebolt.eval.metrics import (
    mean_mrr,
    mean_ndcg,
    mean_recall,
    mean_scores,
    mrr_at_k,
    ndcg_at_k,
    per_query,
    recall_at_k,
    score_run,
)
from tests.conftest import beir_dir

pytrec_eval = pytest.importorskip("pytrec_eval")

# No example database: it would write .hypothesis/ into the working tree.
PROPERTY = settings(database=None, deadline=None, max_examples=200)
DOCS = [f"d{i}" for i in range(12)]


def reference(runs: dict[str, list[str]], qrels: dict[str, dict[str, int]], k: int) -> dict[str, dict[str, float]]:
    """pytrec_eval's figures; MRR@k is trec_eval's recip_rank on the run cut at k (trec_eval has no cut for it)."""
    # Scores fall with rank, so trec_eval's score sort reproduces our order (its tie-break never applies).
    scored = {q: {doc: float(len(ranked) - i) for i, doc in enumerate(ranked)} for q, ranked in runs.items()}
    cut = {q: {doc: float(k - i) for i, doc in enumerate(ranked[:k])} for q, ranked in runs.items()}
    full = pytrec_eval.RelevanceEvaluator(qrels, {f"ndcg_cut.{k}", f"recall.{k}"}).evaluate(scored)
    mrr = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(cut)
    return {
        q: {"ndcg": m[f"ndcg_cut_{k}"], "recall": m[f"recall_{k}"], "mrr": mrr[q]["recip_rank"]}
        for q, m in full.items()
    }


def check_against_reference(runs, qrels, k) -> None:
    expected = reference(runs, qrels, k)
    if not expected:  # no run query is judged: a mistake (ids that do not match), refused rather than scored
        with pytest.raises(ValueError, match="no query of the run has judgements"):
            per_query(runs, qrels, k)
        return
    for metric in ("ndcg", "recall", "mrr"):
        ours = per_query(runs, qrels, k, metric=metric)
        assert ours.keys() == expected.keys(), metric  # the same queries count (judged and in the run)
        assert np.allclose([ours[q] for q in expected], [expected[q][metric] for q in expected], atol=1e-12), metric
    means = {metric: np.mean([m[metric] for m in expected.values()]) for metric in ("ndcg", "recall", "mrr")}
    assert mean_ndcg(runs, qrels, k) == pytest.approx(means["ndcg"], abs=1e-12)
    assert mean_recall(runs, qrels, k) == pytest.approx(means["recall"], abs=1e-12)
    assert mean_mrr(runs, qrels, k) == pytest.approx(means["mrr"], abs=1e-12)


queries = st.sampled_from([f"q{i}" for i in range(6)])
judgements = st.dictionaries(st.sampled_from(DOCS), st.integers(-1, 3), min_size=1, max_size=8)
rankings = st.permutations(DOCS).flatmap(lambda docs: st.integers(1, len(docs)).map(lambda n: list(docs[:n])))


@PROPERTY
@given(
    runs=st.dictionaries(queries, rankings, min_size=1, max_size=6),
    qrels=st.dictionaries(queries, judgements, min_size=1, max_size=6),
    k=st.sampled_from([1, 3, 5, 10, 20]),
)
def test_random_runs_match_pytrec_eval(runs, qrels, k):
    # Queries judged but absent from the run, run queries without judgements and all-zero judgements all occur here.
    check_against_reference(runs, qrels, k)


def test_msmarco_5k_bm25_run_matches_pytrec_eval():
    from sparsebolt.model.sparse import BM25EmbeddingFunction

    folder = beir_dir("msmarco-5k")
    doc_ids, corpus = read_corpus(folder)
    queries, qrels = read_queries(folder), read_qrels(folder)
    ef = BM25EmbeddingFunction().fit(corpus)
    scores = (ef.encode_queries(list(queries.values())) @ ef.encode_documents(corpus).T).toarray()
    top = np.argsort(-scores, axis=1, kind="stable")[:, :100]
    runs = {q: [doc_ids[i] for i in row] for q, row in zip(queries, top)}
    for k in (10, 100):
        check_against_reference(runs, qrels, k)
    assert 0.5 < mean_ndcg(runs, qrels) < 1.0  # a real run: far from both 0 and perfect


def test_hand_worked_values():
    relevance = {"a": 2, "b": 1, "z": 0}
    assert ndcg_at_k(["a", "b"], relevance) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "a"], {"a": 2}) == pytest.approx(1 / np.log2(3))
    assert recall_at_k(["x", "a", "b"], relevance, k=2) == pytest.approx(0.5)
    assert mrr_at_k(["z", "x", "b"], relevance, k=3) == pytest.approx(1 / 3)
    assert mrr_at_k(["z", "x", "b"], relevance, k=2) == 0.0


def test_conventions_for_unjudged_and_unretrieved_queries():
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 0}}
    runs = {"q1": ["a"], "q3": ["c"], "unjudged": ["a"]}
    # q2 (judged, not in the run) and "unjudged" are left out; q3 (no relevant document) scores 0.
    assert per_query(runs, qrels) == {"q1": 1.0, "q3": 0.0}
    assert mean_ndcg(runs, qrels) == pytest.approx(0.5)
    assert per_query({"q1": []}, qrels, metric="recall") == {"q1": 0.0}


def test_negative_grades_gain_nothing_as_in_trec_eval():
    assert ndcg_at_k(["bad", "a"], {"a": 1, "bad": -1}) == pytest.approx(1 / np.log2(3))
    assert mrr_at_k(["bad", "a"], {"a": 1, "bad": -1}) == pytest.approx(0.5)


def test_score_run_gives_every_measure_as_per_query_does():
    runs = {"q1": ["x", "a", "b"], "q2": ["b"], "q3": []}
    qrels = {"q1": {"a": 2, "b": 1}, "q2": {"a": 1}, "q3": {"c": 1}}
    scores = score_run(runs, qrels, ("nDCG@10", "Recall@100", "MRR@10", "mrr@1"))
    assert scores["q1"]["nDCG@10"] == pytest.approx((2 / np.log2(3) + 1 / np.log2(4)) / (2 + 1 / np.log2(3)))
    assert scores["q1"]["MRR@10"] == pytest.approx(0.5) and scores["q1"]["mrr@1"] == 0.0
    assert {q: s["Recall@100"] for q, s in scores.items()} == {"q1": 1.0, "q2": 0.0, "q3": 0.0}
    means = mean_scores(runs, qrels)
    assert means["nDCG@10"] == pytest.approx(mean_ndcg(runs, qrels, 10))
    assert means["Recall@100"] == pytest.approx(mean_recall(runs, qrels, 100))
    assert means["MRR@10"] == pytest.approx(mean_mrr(runs, qrels, 10))


@pytest.mark.parametrize("k", [0, -1, 2.5, True])
def test_bad_k_is_refused_with_advice(k):
    with pytest.raises(ValueError, match="k must be a positive integer"):
        ndcg_at_k(["a"], {"a": 1}, k)


def test_mistakes_are_refused_with_advice():
    with pytest.raises(ValueError, match="'a' appears twice"):
        ndcg_at_k(["a", "b", "a"], {"a": 1})
    with pytest.raises(ValueError, match="choose one of"):
        per_query({"q": ["a"]}, {"q": {"a": 1}}, metric="map")
    with pytest.raises(ValueError, match="query ids are strings"):
        mean_ndcg({1: ["a"]}, {"1": {"a": 1}})
    with pytest.raises(ValueError, match="run is empty"):
        mean_mrr({}, {"1": {"a": 1}})
    with pytest.raises(ValueError, match=r"unknown measure 'MAP@10'.*e\.g\. 'nDCG@10'"):
        score_run({"q": ["a"]}, {"q": {"a": 1}}, ("MAP@10",))
    with pytest.raises(ValueError, match="unknown measure"):
        score_run({"q": ["a"]}, {"q": {"a": 1}}, ("nDCG@0",))
    with pytest.raises(TypeError, match="list of document ids"):
        score_run({"q": "abc"}, {"q": {"a": 1}})
