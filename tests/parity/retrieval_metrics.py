"""nDCG@k with linear gains (as pytrec_eval and BEIR compute it), for retrieval checks."""

from __future__ import annotations

import math


def ndcg_at_k(ranked_ids: list[str], relevance: dict[str, int], k: int = 10) -> float:
    dcg = sum(relevance.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked_ids[:k]))
    ideal = sorted((g for g in relevance.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 2) for rank, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def mean_ndcg(runs: dict[str, list[str]], qrels: dict[str, dict[str, int]], k: int = 10) -> float:
    judged = [q for q in runs if q in qrels]
    return sum(ndcg_at_k(runs[q], qrels[q], k) for q in judged) / len(judged)
