"""Retrieval metrics per query and as a mean over judged queries: nDCG@k, recall@k and MRR@k.

Definitions follow trec_eval (``ndcg_cut``, ``recall``, ``recip_rank`` on a run cut at k), which BEIR reports.
"""

from __future__ import annotations

import math
from typing import Callable, Mapping, Sequence

Run = Mapping[str, Sequence[str]]  # query id -> document ids, best first
Qrels = Mapping[str, Mapping[str, int]]  # query id -> {document id: grade}


def ndcg_at_k(ranked_ids: Sequence[str], relevance: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with linear gains: DCG = sum over the top k of grade / log2(rank + 1) (rank from 1), divided by
    the DCG of the ideal ranking (the positive grades sorted down, cut at k); 0.0 when no document is relevant.

    Unjudged documents have grade 0. A negative grade counts in the DCG but never in the ideal ranking.
    """
    top = _top(ranked_ids, k)
    dcg = sum(relevance.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(top))
    ideal = sorted((g for g in relevance.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 2) for rank, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranked_ids: Sequence[str], relevance: Mapping[str, int], k: int = 10) -> float:
    """The share of the relevant documents (grade > 0) found in the top k; 0.0 when none is relevant."""
    relevant = {doc for doc, grade in relevance.items() if grade > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(_top(ranked_ids, k))) / len(relevant)


def mrr_at_k(ranked_ids: Sequence[str], relevance: Mapping[str, int], k: int = 10) -> float:
    """1 / rank of the first relevant document (grade > 0) in the top k (rank from 1); 0.0 when none is there."""
    for rank, doc in enumerate(_top(ranked_ids, k), 1):
        if relevance.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


METRICS: dict[str, Callable[[Sequence[str], Mapping[str, int], int], float]] = {
    "ndcg": ndcg_at_k,
    "recall": recall_at_k,
    "mrr": mrr_at_k,
}


def per_query(runs: Run, qrels: Qrels, k: int = 10, *, metric: str = "ndcg") -> dict[str, float]:
    """``{query id: metric@k}`` for the judged queries of ``runs``: those with an entry in ``qrels``.

    Convention (trec_eval's): a query of ``runs`` without judgements is left out, not scored 0, and a judged
    query missing from ``runs`` is left out too; pass every judged query in ``runs`` (an empty list scores 0).
    """
    function = METRICS.get(metric)
    if function is None:
        raise ValueError(f"unknown metric {metric!r}; choose one of {sorted(METRICS)}")
    scores = {q: function(ranked, qrels[q], k) for q, ranked in runs.items() if q in qrels}
    if not scores and runs:
        sample = next(iter(runs))
        raise ValueError(f"no query of the run has judgements (run ids like {sample!r}, qrels ids like "
                         f"{next(iter(qrels), None)!r}); query ids are strings on both sides, as read_qrels gives them")
    return scores


def mean_ndcg(runs: Run, qrels: Qrels, k: int = 10) -> float:
    """Mean nDCG@k over the judged queries of ``runs`` (see :func:`per_query` for which queries count)."""
    return _mean(per_query(runs, qrels, k, metric="ndcg"))


def mean_recall(runs: Run, qrels: Qrels, k: int = 10) -> float:
    """Mean recall@k over the judged queries of ``runs`` (see :func:`per_query` for which queries count)."""
    return _mean(per_query(runs, qrels, k, metric="recall"))


def mean_mrr(runs: Run, qrels: Qrels, k: int = 10) -> float:
    """MRR@k: mean reciprocal rank over the judged queries of ``runs`` (see :func:`per_query`)."""
    return _mean(per_query(runs, qrels, k, metric="mrr"))


def _top(ranked_ids: Sequence[str], k: int) -> Sequence[str]:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer (the cut-off rank), got {k!r}")
    top = ranked_ids[:k]
    # A document counted twice would inflate DCG past the ideal; hits must be deduplicated before scoring.
    if len(set(top)) != len(top):
        seen: set[str] = set()
        repeated = next(doc for doc in top if doc in seen or seen.add(doc))  # type: ignore[func-returns-value]
        raise ValueError(f"document {repeated!r} appears twice in a ranking; list each document once per query")
    return top


def _mean(scores: Mapping[str, float]) -> float:
    if not scores:
        raise ValueError("no judged query to average over: the run is empty")
    return sum(scores.values()) / len(scores)
