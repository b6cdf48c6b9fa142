"""Search hits and score normalisation: every score sparsebolt returns is "higher is better".
Milvus reports L2 as a distance and Milvus Lite 3.x reports BM25 as ``-score``; both are turned around here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Union

__all__ = ["Hit", "normalize_score", "hits_from_milvus"]


@dataclass
class Hit:
    """One search result: the document's id, a score where higher is better, its text and requested fields."""

    id: Union[str, int]
    score: float
    text: str = ""
    fields: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "score": self.score, "text": self.text, "fields": dict(self.fields)}


def normalize_score(distance: float, metric: str) -> float:
    """Milvus's ``distance`` as a higher-is-better score for ``metric``.

    IP, COSINE and ranker (RRF/weighted) outputs already grow with relevance. L2 is a distance, so it is
    negated. BM25 scores are never negative, but Milvus Lite 3.x returns ``-score`` while Milvus servers and
    Lite 2.5 return ``score``: the absolute value is right for both.
    """
    metric = metric.upper()
    if metric == "L2":
        return -float(distance)
    if metric == "BM25":
        return abs(float(distance))
    return float(distance)


def hits_from_milvus(rows: Any, *, metric: str, id_field: str, text_field: str,
                     pick: Optional[Callable[[Mapping[str, Any]], Mapping[str, Any]]] = None) -> list[Hit]:
    """Turn one query's Milvus hits (dicts with id, distance, entity) into sorted :class:`Hit` s.

    ``pick(entity)`` chooses the entity's keys that become ``Hit.fields`` (the ``pick`` of
    :func:`sparsebolt.milvus.metadata.output_request`, when '$meta' brought back every dynamic key);
    without it, every key is kept. The id and text fields never go into ``Hit.fields``.
    """
    hits = []
    for row in rows:
        entity: Mapping[str, Any] = row.get("entity") or {}
        chosen = entity if pick is None else pick(entity)
        fields = {k: v for k, v in chosen.items() if k not in (id_field, text_field)}
        hits.append(
            Hit(
                id=row.get("id", entity.get(id_field)),
                score=normalize_score(row.get("distance", 0.0), metric),
                text=entity.get(text_field, ""),
                fields=fields,
            )
        )
    # Milvus returns best first already; a stable sort keeps its tie order and fixes any sign flip.
    hits.sort(key=lambda h: -h.score)
    return hits
