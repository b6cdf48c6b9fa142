"""Tuning hybrid fusion on held-out queries: the RRF constant k and the weighted ranker's (dense, sparse) weights
chosen on one half of the queries by nDCG@10, and reported with every measure on the other half, beside the
fusion asked for and each single mode, so an overfitted choice shows as a drop from tune to test."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from sparsebolt.eval.metrics import MEASURES, score_run

__all__ = ["DENSE_WEIGHTS", "FusionTuning", "RRF_KS", "check_fusion", "split_queries", "tune_fusion"]

RRF_KS = (1, 2, 5, 10, 20, 40, 60, 100, 200, 500)
"""RRF constants tried: small k trusts the top ranks of each list, large k flattens them (Milvus' default: 60)."""
DENSE_WEIGHTS = tuple(round(0.1 * i, 1) for i in range(11))
"""Dense weights tried by the weighted ranker; the sparse weight is 1 - dense."""
TUNED_ON = "nDCG@10"
_RRF_K_MAX = 16384  # Milvus accepts k in the open interval (0, 16384)


@dataclass
class FusionTuning:
    """The fusion parameters found on the tuning queries and every measure of them on the test queries."""

    seed: int
    tune_queries: int
    test_queries: int
    rrf_k: int
    weights: tuple[float, float]
    tune: dict[str, float]  # row -> nDCG@10 on the tuning queries
    test: dict[str, dict[str, float]]  # row -> measure -> mean on the test queries

    def to_dict(self) -> dict[str, Any]:
        return {"tuned_on": TUNED_ON, "seed": self.seed, "tune_queries": self.tune_queries,
                "test_queries": self.test_queries, "rrf_k": self.rrf_k, "weights": list(self.weights),
                "tune": dict(self.tune), "test": {row: dict(scores) for row, scores in self.test.items()}}


def check_fusion(ranker: str, rrf_k: int, weights: Optional[Sequence[float]]) -> None:
    """ValueError (or TypeError) with advice for fusion options Milvus would refuse."""
    if ranker not in ("rrf", "weighted"):
        raise ValueError(f"ranker must be 'rrf' or 'weighted', got {ranker!r}")
    if isinstance(rrf_k, bool) or not isinstance(rrf_k, int) or not 0 < rrf_k < _RRF_K_MAX:
        raise ValueError(f"rrf_k must be an integer in 1..{_RRF_K_MAX - 1} (Milvus' range; 60 is its default), "
                         f"got {rrf_k!r}")
    if weights is None:
        return
    if ranker != "weighted":
        raise ValueError("weights apply to ranker='weighted'; RRF takes rrf_k")
    if isinstance(weights, (str, bytes)) or len(weights) != 2:
        raise ValueError(f"weights must be two numbers, (dense, sparse), e.g. (0.7, 0.3); got {weights!r}")
    if not all(isinstance(w, (int, float)) and not isinstance(w, bool) and math.isfinite(w) and 0 <= w <= 1
               for w in weights):
        raise ValueError(f"each weight must be a number in [0, 1], as Milvus' WeightedRanker takes; got {weights!r}")


def split_queries(query_ids: Sequence[str], *, seed: int = 0) -> tuple[list[str], list[str]]:
    """The query ids shuffled by ``seed`` and cut in two halves (tune, test); the test half takes an odd one."""
    if len(query_ids) < 2:
        raise ValueError(f"a split needs at least 2 queries, got {len(query_ids)}")
    shuffled = list(query_ids)
    random.Random(seed).shuffle(shuffled)
    half = len(shuffled) // 2
    return shuffled[:half], shuffled[half:]


def tune_fusion(collection: Any, queries: Mapping[str, str], qrels: Mapping[str, Mapping[str, int]],
                tune_ids: Sequence[str], test_ids: Sequence[str], *, baseline: Mapping[str, Any],
                modes: Mapping[str, Mapping[str, Mapping[str, float]]], limits: tuple[int, int] = (10, 100),
                seed: int = 0) -> FusionTuning:
    """Every k of :data:`RRF_KS` and every weight of :data:`DENSE_WEIGHTS` searched (hybrid) for the ``tune_ids``
    queries, as :func:`~sparsebolt.eval.evaluate` searches (``limits``: the hits of the search that the @10
    measures read, and of the one Recall@100 reads); the best of each by nDCG@10 (the first in grid order on a
    tie) searched for the ``test_ids`` queries. ``baseline`` is the fusion asked for (``ranker``, ``rrf_k``,
    ``weights``), and ``modes`` the per-query scores already measured (mode -> query -> measure), reported on the
    test queries as well."""

    top, deep = limits

    def hybrid(ids: Sequence[str], *, test: bool = True, **fusion: Any) -> dict[str, dict[str, float]]:
        texts = [queries[q] for q in ids]
        scores: dict[str, dict[str, float]] = {q: {} for q in ids}
        for limit in (top, deep) if test else (top,):  # tuning reads nDCG@10 alone
            found = collection.search(texts, mode="hybrid", limit=limit, **fusion)
            measures = [m for m in MEASURES if m.endswith(f"@{limit}")]
            for q, values in score_run({q: [str(h.id) for h in hits] for q, hits in zip(ids, found)}, qrels,
                                       measures).items():
                scores[q].update(values)
        return scores

    def mean(scores: Mapping[str, Mapping[str, float]], ids: Sequence[str], measure: str) -> float:
        return sum(scores[q][measure] for q in ids) / len(ids)

    rrf = {k: mean(hybrid(tune_ids, test=False, ranker="rrf", rrf_k=k), tune_ids, TUNED_ON) for k in RRF_KS}
    weighted = {w: mean(hybrid(tune_ids, test=False, ranker="weighted", weights=[w, round(1 - w, 1)]), tune_ids,
                        TUNED_ON) for w in DENSE_WEIGHTS}
    best_k = max(rrf, key=lambda k: rrf[k])
    best_w = max(weighted, key=lambda w: weighted[w])
    weights = (best_w, round(1 - best_w, 1))
    rows = {
        f"hybrid rrf k={best_k}": hybrid(test_ids, ranker="rrf", rrf_k=best_k),
        f"hybrid weighted {weights[0]:g},{weights[1]:g}": hybrid(test_ids, ranker="weighted", weights=list(weights)),
        f"hybrid as asked ({_describe(baseline)})": hybrid(test_ids, **baseline),
        **{name: scores for name, scores in modes.items() if name != "hybrid"},
    }
    test = {row: {m: mean(scores, test_ids, m) for m in MEASURES} for row, scores in rows.items()}
    return FusionTuning(seed=seed, tune_queries=len(tune_ids), test_queries=len(test_ids), rrf_k=best_k,
                        weights=weights, tune={f"rrf k={best_k}": rrf[best_k],
                                               f"weighted {weights[0]:g},{weights[1]:g}": weighted[best_w]},
                        test=test)


def _describe(fusion: Mapping[str, Any]) -> str:
    if fusion.get("ranker") == "weighted":
        weights = fusion.get("weights") or (0.5, 0.5)
        return f"weighted {weights[0]:g},{weights[1]:g}"
    return f"rrf k={fusion.get('rrf_k', 60)}"
