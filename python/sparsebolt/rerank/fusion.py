"""Client-side fusion of ranked lists (RRF and weighted scores) with Milvus' formulas, plus the matching Milvus rankers.

The formulas follow Milvus' rerank functions (``internal/util/function/rerank``): RRF adds ``1 / (k + rank)`` with
ranks from 1; the weighted ranker adds ``weight * normalize(score)`` with a per-metric normalizer; ties go to the
smaller id. So ``rrf_fuse`` over the lists that ``search`` returned reproduces ``hybrid_search(ranker=RRFRanker())``:
the same scores at every rank; Milvus Lite 3.x also breaks ties by id, Lite 2.5.1 orders equal scores its own way.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, Hashable, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

__all__ = [
    "FusedResult",
    "milvus_rrf_ranker",
    "milvus_weighted_ranker",
    "normalize_bm25",
    "normalize_cosine",
    "normalize_ip",
    "normalize_l2",
    "rrf_fuse",
    "weighted_fuse",
]

# Milvus accepts k in the open interval (0, 16384).
_RRF_K_MAX = 16384


class FusedResult:
    """One fused item: its ``id``, the fused ``score``, and ``item``, the first input entry seen with that id."""

    __slots__ = ("id", "score", "item")

    def __init__(self, id: Hashable, score: float, item: Any) -> None:  # noqa: A002 - Milvus calls it id
        self.id = id
        self.score = score
        self.item = item

    def to_dict(self) -> Dict[str, Any]:
        return {"id": self.id, "score": self.score}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FusedResult):
            return NotImplemented
        return (self.id, self.score) == (other.id, other.score)

    def __repr__(self) -> str:
        return f"FusedResult(id={self.id!r}, score={self.score})"


def normalize_cosine(score: float) -> float:
    """COSINE similarity in [-1, 1] to [0, 1]: ``(1 + s) / 2``."""
    return (1.0 + score) * 0.5


def normalize_ip(score: float) -> float:
    """Inner product in (-inf, inf) to (0, 1): ``0.5 + atan(s) / pi``."""
    return 0.5 + math.atan(score) / math.pi


def normalize_bm25(score: float) -> float:
    """BM25 score in [0, inf) to [0, 1): ``2 * atan(s) / pi``."""
    return 2.0 * math.atan(score) / math.pi


def normalize_l2(distance: float) -> float:
    """L2 (and other smaller-is-better) distance in [0, inf) to (0, 1], larger = closer: ``1 - 2 * atan(d) / pi``."""
    return 1.0 - 2.0 * math.atan(distance) / math.pi


_NORMALIZERS: Mapping[str, Callable[[float], float]] = {
    "COSINE": normalize_cosine,
    "IP": normalize_ip,
    "BM25": normalize_bm25,
    "L2": normalize_l2,
}


def _normalizer(metric: Optional[str]) -> Callable[[float], float]:
    if metric is None:
        return float
    if not isinstance(metric, str) or metric.upper() not in _NORMALIZERS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {sorted(_NORMALIZERS)} or None (raw scores)")
    return _NORMALIZERS[metric.upper()]


def _id_and_score(item: Any) -> Tuple[Hashable, Optional[float]]:
    """Read (id, score) from a RerankResult (index, score), a Milvus hit or dict (id, distance/score),
    an ``(id, score)`` pair, an object with ``.id`` and ``.distance``/``.score``, or a bare id (no score)."""
    if hasattr(item, "index") and hasattr(item, "score") and hasattr(item, "text"):
        return item.index, item.score
    if isinstance(item, Mapping) and "id" in item:
        score = item.get("distance", item.get("score"))
        return item["id"], score
    if isinstance(item, tuple) and len(item) == 2:
        return item[0], item[1]
    if hasattr(item, "id") and (hasattr(item, "distance") or hasattr(item, "score")):
        return item.id, getattr(item, "distance", getattr(item, "score", None))
    return item, None


def _ranked(
    rankings: Sequence[Iterable[Any]], key: Optional[Callable[[Any], Tuple[Hashable, Optional[float]]]]
) -> List[List[Tuple[Hashable, Optional[float], Any]]]:
    if isinstance(rankings, (str, bytes)) or not isinstance(rankings, Sequence):
        raise ValueError("rankings must be a list of ranked lists, one per retriever")
    read = key or _id_and_score
    lists = []
    for r, ranking in enumerate(rankings):
        if isinstance(ranking, (str, bytes)):
            raise ValueError(f"rankings[{r}] must be a list of results, got a {type(ranking).__name__}")
        entries = []
        seen = set()
        for item in ranking:
            item_id, score = read(item)
            try:
                fresh = item_id not in seen
            except TypeError:
                raise ValueError(
                    f"rankings[{r}] holds an unhashable id {item_id!r}; pass key=lambda x: (id, score)"
                ) from None
            if fresh:  # a retriever that lists an id twice ranks it once, at its best position
                seen.add(item_id)
                entries.append((item_id, score, item))
        lists.append(entries)
    return lists


def _finish(scores: Dict[Hashable, float], first: Dict[Hashable, Any], top_k: Optional[int]) -> List[FusedResult]:
    try:
        # Milvus' order: higher score first, then the smaller id.
        ids = sorted(scores, key=lambda i: (-scores[i], i))
    except TypeError:
        ids = sorted(scores, key=lambda i: -scores[i])  # ids of mixed types: first-seen order among ties
    if top_k is not None:
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 0:
            raise ValueError(f"top_k must be a non-negative int or None, got {top_k!r}")
        ids = ids[:top_k]
    return [FusedResult(i, scores[i], first[i]) for i in ids]


def rrf_fuse(
    rankings: Sequence[Iterable[Any]],
    *,
    k: float = 60,
    top_k: Optional[int] = None,
    key: Optional[Callable[[Any], Tuple[Hashable, Optional[float]]]] = None,
) -> List[FusedResult]:
    """Reciprocal rank fusion (Cormack, Clarke and Buettcher, SIGIR 2009): ``score(d) = sum_i 1 / (k + rank_i(d))``.

    ``rankings`` holds one best-first list per retriever; entries may be RerankResult, Milvus hits, ``(id, score)``
    pairs or bare ids (``key`` reads anything else as ``(id, score)``). Ranks start at 1, ``k`` must lie in
    (0, 16384) as in Milvus. Returns FusedResult best first, ties to the smaller id.
    """
    if isinstance(k, bool) or not isinstance(k, (int, float)) or not 0 < k < _RRF_K_MAX:
        raise ValueError(f"k must be a number in (0, {_RRF_K_MAX}) as Milvus requires, got {k!r}")
    scores: Dict[Hashable, float] = {}
    first: Dict[Hashable, Any] = {}
    for entries in _ranked(rankings, key):
        for rank, (item_id, _, item) in enumerate(entries, start=1):
            scores[item_id] = scores.get(item_id, 0.0) + 1.0 / (k + rank)
            first.setdefault(item_id, item)
    return _finish(scores, first, top_k)


def weighted_fuse(
    rankings: Sequence[Iterable[Any]],
    weights: Sequence[float],
    *,
    metrics: Union[None, str, Sequence[Optional[str]]] = None,
    top_k: Optional[int] = None,
    key: Optional[Callable[[Any], Tuple[Hashable, Optional[float]]]] = None,
) -> List[FusedResult]:
    """Weighted score fusion as Milvus' WeightedRanker: ``score(d) = sum_i w_i * normalize_i(score_i(d))``.

    A list where ``d`` is absent adds nothing. ``metrics`` names each list's metric (``"COSINE"``, ``"IP"``,
    ``"L2"``, ``"BM25"``; one string for all) to normalise as Milvus does with ``norm_score=True``; None adds raw
    scores (``norm_score=False``, or scores already in [0, 1] such as reranker relevance). Weights lie in [0, 1].
    """
    lists = _ranked(rankings, key)
    if isinstance(weights, (str, bytes)) or not isinstance(weights, Sequence) or len(weights) != len(lists):
        raise ValueError(f"give one weight per ranking: {len(lists)} rankings, weights={weights!r}")
    for w in weights:
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not 0.0 <= w <= 1.0:
            raise ValueError(f"weights must be numbers in [0, 1] as Milvus requires, got {w!r}")
    if metrics is None or isinstance(metrics, str):
        per_list: Sequence[Optional[str]] = [metrics] * len(lists)
    else:
        per_list = list(metrics)
        if len(per_list) != len(lists):
            raise ValueError(f"give one metric per ranking: {len(lists)} rankings, metrics={metrics!r}")
    scores: Dict[Hashable, float] = {}
    first: Dict[Hashable, Any] = {}
    for r, (entries, weight, metric) in enumerate(zip(lists, weights, per_list)):
        normalize = _normalizer(metric)
        for item_id, score, item in entries:
            if isinstance(score, bool) or not isinstance(score, (int, float)) or math.isnan(score):
                raise ValueError(f"rankings[{r}] entry {item_id!r} has no numeric score; weighted fusion needs scores")
            scores[item_id] = scores.get(item_id, 0.0) + weight * normalize(float(score))
            first.setdefault(item_id, item)
    return _finish(scores, first, top_k)


def milvus_rrf_ranker(k: float = 60) -> Any:
    """``pymilvus.RRFRanker(k)`` for ``hybrid_search``, with k checked against Milvus' range here, not at search."""
    if isinstance(k, bool) or not isinstance(k, (int, float)) or not 0 < k < _RRF_K_MAX:
        raise ValueError(f"k must be a number in (0, {_RRF_K_MAX}) as Milvus requires, got {k!r}")
    from pymilvus import RRFRanker

    return RRFRanker(k)


def milvus_weighted_ranker(*weights: float, norm_score: bool = True) -> Any:
    """``pymilvus.WeightedRanker(*weights, norm_score=...)`` for ``hybrid_search``, one weight in [0, 1] per request."""
    if not weights:
        raise ValueError("give one weight per AnnSearchRequest, e.g. milvus_weighted_ranker(0.7, 0.3)")
    for w in weights:
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not 0.0 <= w <= 1.0:
            raise ValueError(f"weights must be numbers in [0, 1] as Milvus requires, got {w!r}")
    from pymilvus import WeightedRanker

    return WeightedRanker(*weights, norm_score=norm_score)
