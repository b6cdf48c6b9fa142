"""Retrieval metrics per query and as a mean over judged queries (nDCG@k, recall@k, MRR@k), computed by
pytrec_eval: trec_eval's own C code, which BEIR reports with. Needs the eval extra: ``pip install 'sparsebolt[eval]'``.

Measures are trec_eval's ``ndcg_cut.k``, ``recall.k`` and ``recip_rank`` on the run cut at k (trec_eval has no cut
for MRR). A grade above 0 is relevant; a zero or negative grade gains nothing (trec_eval's convention).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Callable, Mapping, Sequence

__all__ = ["MEASURES", "mean_mrr", "mean_ndcg", "mean_recall", "mean_scores", "mrr_at_k", "ndcg_at_k", "per_query",
           "recall_at_k", "require_pytrec_eval", "score_run"]

Run = Mapping[str, Sequence[str]]  # query id -> document ids, best first
Qrels = Mapping[str, Mapping[str, int]]  # query id -> {document id: grade}

MEASURES = ("nDCG@10", "Recall@100", "MRR@10")
"""The figures ``sparsebolt eval`` reports, as BEIR names them."""

# Our metric name -> (trec_eval measure to request, the key pytrec_eval reports it under, given the cut k).
_TREC: dict[str, Callable[[int], tuple[str, str]]] = {
    "ndcg": lambda k: (f"ndcg_cut.{k}", f"ndcg_cut_{k}"),
    "recall": lambda k: (f"recall.{k}", f"recall_{k}"),
    "mrr": lambda k: ("recip_rank", "recip_rank"),
}
_LABELS = {"ndcg": "nDCG", "recall": "Recall", "mrr": "MRR"}


def require_pytrec_eval() -> ModuleType:
    """The pytrec_eval module, or an ImportError naming the extra that installs it."""
    try:
        return importlib.import_module("pytrec_eval")
    except ImportError as exc:
        raise ImportError(f"sparsebolt.eval's metrics are computed by pytrec_eval, which is not installed ({exc}); "
                          f"install the eval extra: pip install 'sparsebolt[eval]'") from exc


def ndcg_at_k(ranked_ids: Sequence[str], relevance: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k of one ranking (trec_eval ``ndcg_cut``): DCG = sum over the top k of grade / log2(rank + 1) (rank
    from 1), divided by the DCG of the ideal ranking; 0.0 when no document is relevant. Unjudged documents and
    negative grades gain 0."""
    return _one(ranked_ids, relevance, k, "ndcg")


def recall_at_k(ranked_ids: Sequence[str], relevance: Mapping[str, int], k: int = 10) -> float:
    """The share of the relevant documents (grade > 0) found in the top k; 0.0 when none is relevant."""
    return _one(ranked_ids, relevance, k, "recall")


def mrr_at_k(ranked_ids: Sequence[str], relevance: Mapping[str, int], k: int = 10) -> float:
    """1 / rank of the first relevant document (grade > 0) in the top k (rank from 1); 0.0 when none is there."""
    return _one(ranked_ids, relevance, k, "mrr")


def per_query(runs: Run, qrels: Qrels, k: int = 10, *, metric: str = "ndcg") -> dict[str, float]:
    """``{query id: metric@k}`` for the judged queries of ``runs``: those with an entry in ``qrels``.

    Convention (trec_eval's): a query of ``runs`` without judgements is left out, not scored 0, and a judged
    query missing from ``runs`` is left out too; pass every judged query in ``runs`` (an empty list scores 0).
    """
    if metric not in _TREC:
        raise ValueError(f"unknown metric {metric!r}; choose one of {sorted(_TREC)}")
    label = f"{_LABELS[metric]}@{_cut(k)}"
    return {q: scores[label] for q, scores in score_run(runs, qrels, (label,)).items()}


def score_run(runs: Run, qrels: Qrels, measures: Sequence[str] = MEASURES) -> dict[str, dict[str, float]]:
    """``{query id: {measure: value}}`` for the judged queries of ``runs`` (see :func:`per_query`), with
    ``measures`` named as BEIR names them: ``"nDCG@10"``, ``"Recall@100"``, ``"MRR@10"`` (any cut k >= 1).

    One pytrec_eval evaluation per distinct cut of MRR, one for the rest.
    """
    wanted = [_parse(name) for name in measures]
    _check_ids(runs, qrels)
    evaluator = require_pytrec_eval().RelevanceEvaluator
    judged = {q: dict(qrels[q]) for q in runs if q in qrels}
    out: dict[str, dict[str, float]] = {q: {} for q in judged}
    if not judged:
        return out
    plain = [(name, metric, k) for name, metric, k in wanted if metric != "mrr"]
    if plain:
        scored = {q: _scores(runs[q]) for q in judged}
        found = evaluator(judged, {_TREC[m](k)[0] for _, m, k in plain}).evaluate(scored)
        for name, metric, k in plain:
            key = _TREC[metric](k)[1]
            for q in judged:
                out[q][name] = found.get(q, {}).get(key, 0.0)
    for k in sorted({k for _, metric, k in wanted if metric == "mrr"}):
        cut = {q: _scores(runs[q][:k]) for q in judged}
        found = evaluator(judged, {"recip_rank"}).evaluate(cut)
        for name, metric, cut_k in wanted:
            if metric == "mrr" and cut_k == k:
                for q in judged:
                    out[q][name] = found.get(q, {}).get("recip_rank", 0.0)
    return out


def mean_scores(runs: Run, qrels: Qrels, measures: Sequence[str] = MEASURES) -> dict[str, float]:
    """``{measure: mean over the judged queries of runs}`` (see :func:`score_run`)."""
    scores = score_run(runs, qrels, measures)
    if not scores:
        raise ValueError("no judged query to average over: the run is empty")
    return {name: sum(s[name] for s in scores.values()) / len(scores) for name in measures}


def mean_ndcg(runs: Run, qrels: Qrels, k: int = 10) -> float:
    """Mean nDCG@k over the judged queries of ``runs`` (see :func:`per_query` for which queries count)."""
    return _mean(per_query(runs, qrels, k, metric="ndcg"))


def mean_recall(runs: Run, qrels: Qrels, k: int = 10) -> float:
    """Mean recall@k over the judged queries of ``runs`` (see :func:`per_query` for which queries count)."""
    return _mean(per_query(runs, qrels, k, metric="recall"))


def mean_mrr(runs: Run, qrels: Qrels, k: int = 10) -> float:
    """MRR@k: mean reciprocal rank over the judged queries of ``runs`` (see :func:`per_query`)."""
    return _mean(per_query(runs, qrels, k, metric="mrr"))


def _one(ranked_ids: Sequence[str], relevance: Mapping[str, int], k: int, metric: str) -> float:
    label = f"{_LABELS[metric]}@{_cut(k)}"
    scores = score_run({"q": list(ranked_ids)}, {"q": dict(relevance)}, (label,))
    return scores["q"][label]


def _parse(name: str) -> tuple[str, str, int]:
    """``"nDCG@10"`` -> (name, "ndcg", 10); the measure names are case-insensitive."""
    metric, _, cut = name.partition("@")
    found = next((m for m, label in _LABELS.items() if label.lower() == metric.lower()), None)
    if found is None or not cut.isdigit() or int(cut) < 1:
        raise ValueError(f"unknown measure {name!r}; name one as <measure>@<k> with a measure of "
                         f"{sorted(_LABELS.values())}, e.g. 'nDCG@10'")
    return name, found, int(cut)


def _cut(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer (the cut-off rank), got {k!r}")
    return k


def _scores(ranked: Sequence[str]) -> dict[str, float]:
    """A ranking as trec_eval's run of scores: falling with rank, so its score sort keeps our order exactly
    (its tie-break, by document id, never applies)."""
    if isinstance(ranked, str):
        raise TypeError(f"a ranking is a list of document ids, got the string {ranked!r}")
    scores = {str(doc): float(len(ranked) - rank) for rank, doc in enumerate(ranked)}
    # A document listed twice would be scored once, at its last rank: refuse it rather than move it.
    if len(scores) != len(ranked):
        seen: set[str] = set()
        repeated = next(doc for doc in ranked if doc in seen or seen.add(doc))  # type: ignore[func-returns-value]
        raise ValueError(f"document {repeated!r} appears twice in a ranking; list each document once per query")
    return scores


def _check_ids(runs: Run, qrels: Qrels) -> None:
    if runs and not any(q in qrels for q in runs):
        sample = next(iter(runs))
        raise ValueError(f"no query of the run has judgements (run ids like {sample!r}, qrels ids like "
                         f"{next(iter(qrels), None)!r}); query ids are strings on both sides, as read_qrels gives them")


def _mean(scores: Mapping[str, float]) -> float:
    if not scores:
        raise ValueError("no judged query to average over: the run is empty")
    return sum(scores.values()) / len(scores)
