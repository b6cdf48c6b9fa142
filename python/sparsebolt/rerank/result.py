"""RerankResult and BaseRerankFunction, with the shapes of ``pymilvus.model.base``.

Every reranker returns ``list[RerankResult]`` best first; ``to_dict()`` and the repr match pymilvus-model 0.3.4.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Tuple

from sparsebolt._inputs import texts_arg, top_k_arg

__all__ = ["BaseRerankFunction", "RerankResult", "check_rerank_input"]


class RerankResult:
    """One reranked document: ``index`` into the documents passed in, its ``score`` and its ``text``."""

    __slots__ = ("text", "score", "index")

    def __init__(self, text: str, score: float, index: int) -> None:
        self.text = text
        self.score = score
        self.index = index

    def to_dict(self) -> Dict[str, Any]:
        return {"text": self.text, "score": self.score, "index": self.index}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RerankResult):
            return NotImplemented
        return (self.text, self.score, self.index) == (other.text, other.score, other.index)

    def __hash__(self) -> int:
        return hash((self.text, self.score, self.index))

    def __str__(self) -> str:
        return f"RerankResult(text={self.text!r}, score={self.score}, index={self.index})"

    __repr__ = __str__


class BaseRerankFunction(ABC):
    """``rf(query, documents, top_k=5) -> list[RerankResult]`` sorted by score, best first."""

    @abstractmethod
    def __call__(self, query: str, documents: List[str], top_k: Optional[int] = 5) -> List[RerankResult]:
        """Rerank ``documents`` for ``query``."""


def check_rerank_input(query: Any, documents: Any, top_k: Any) -> Tuple[List[str], Optional[int]]:
    """The documents as a list of str and how many results to keep (None: all), by sparsebolt's one input
    contract (``sparsebolt._inputs``): a bare str for ``documents`` is a TypeError, a tuple or generator is read
    as a list, and ``top_k`` of None or 0 keeps every document, as pymilvus' local rerankers do (``if top_k:``).
    """
    if not isinstance(query, str):
        raise TypeError(f"query must be a str, got {type(query).__name__}")
    return texts_arg(documents, name="documents"), top_k_arg(top_k)
