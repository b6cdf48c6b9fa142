"""Chinese: jieba's default mode (accurate, with HMM for unknown words) through rjieba (``sparsebolt[zh]``).

rjieba binds jieba-rs, a Rust port of jieba on jieba's own dictionary, and gives jieba's tokens
(``jieba.lcut``; tests/unit/test_segmenters_zh.py compares them) about 15x faster. Whitespace tokens, which
jieba emits one per character, are dropped: pymilvus.model's ``zh`` analyzer drops the ASCII space (its
punctuation filter) and nothing is gained by keeping a newline or tab as a term.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from sparsebolt.sparse.segmenters._common import readable_text, require

__all__ = ["JiebaSegmenter"]


class JiebaSegmenter:
    """A batch segmenter: ``segmenter(texts) -> one list of jieba tokens per text``. Picklable."""

    name = "jieba"

    def __init__(self) -> None:
        self._cut: Optional[Any] = None

    def load(self) -> "JiebaSegmenter":
        """Imports the library and loads its dictionary now (otherwise on the first batch); returns self.
        ImportError naming the extra to install when the library is missing."""
        self._load()
        return self

    def _load(self) -> Any:
        self._cut = require("rjieba", package="rjieba", extra="zh").cut
        return self._cut

    def __call__(self, texts: Sequence[str]) -> list[list[str]]:
        cut = self._cut or self._load()
        return [[token for token in cut(readable_text(text)) if not token.isspace()] for text in texts]

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._cut = None

    def __repr__(self) -> str:
        return "jieba(rjieba, default mode with HMM)"
