"""Library segmenters for languages without spaces between words, by the names the language table uses.

Each is a picklable batch segmenter (a list of texts in, one token list per text out) whose library is an
optional extra; its tokens are then lowercased, stopped and stemmed natively by ``Analyzer``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sparsebolt.sparse.segmenters._common import MissingSegmenterError
from sparsebolt.sparse.segmenters.jieba import JiebaSegmenter
from sparsebolt.sparse.segmenters.kiwi import KiwiSegmenter
from sparsebolt.sparse.segmenters.mecab_ja import MecabJapaneseSegmenter
from sparsebolt.sparse.segmenters.mecab_ko import MecabKoreanSegmenter

__all__ = [
    "JiebaSegmenter",
    "KiwiSegmenter",
    "LibrarySegmenter",
    "MecabJapaneseSegmenter",
    "MecabKoreanSegmenter",
    "MissingSegmenterError",
    "library_name",
    "library_segmenter",
    "library_segmenters",
]


@dataclass(frozen=True)
class LibrarySegmenter:
    """A segmenter of the table: how to build it (loaded), and whether its language's analyzer lowercases."""

    build: Callable[[], Callable[[list[str]], list[list[str]]]]
    # pymilvus.model's zh and jp analyzers keep case; equal tokens mean keeping it too.
    lowercase: bool


_SEGMENTERS = {
    "jieba": LibrarySegmenter(lambda: JiebaSegmenter().load(), lowercase=False),
    "mecab": LibrarySegmenter(lambda: MecabJapaneseSegmenter().load(), lowercase=False),
    "mecab_ko": LibrarySegmenter(lambda: MecabKoreanSegmenter().load(), lowercase=True),
    "kiwi": LibrarySegmenter(lambda: KiwiSegmenter().load(), lowercase=True),
}


def library_segmenters() -> list[str]:
    """The names of the library segmenters."""
    return sorted(_SEGMENTERS)


def library_segmenter(name: str) -> LibrarySegmenter:
    """The library segmenter called ``name``; ValueError listing the known ones."""
    if name not in _SEGMENTERS:
        raise ValueError(f"unknown library segmenter {name!r}; choose one of {library_segmenters()}")
    return _SEGMENTERS[name]


def library_name(segmenter: object) -> str | None:
    """The table name of one of these library segmenters (``"mecab_ko"``), None for any other callable."""
    name = getattr(segmenter, "name", None)
    ours = type(segmenter).__module__.startswith("sparsebolt.sparse.segmenters.")
    return name if ours and name in _SEGMENTERS else None
