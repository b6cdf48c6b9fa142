"""Japanese: MeCab with unidic-lite, as pymilvus.model's ``jp`` analyzer (``sparsebolt[ja]``).

The same steps as pymilvus.model: its character filter turns Japanese punctuation into spaces, then
``MeCab.Tagger("-Owakati")`` splits the text into words. pymilvus.model builds a new Tagger (loading the
dictionary) for every text; this one keeps one per process.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from sparsebolt.sparse.segmenters._common import readable_text, require

__all__ = ["CHARACTERS_TO_SPACE", "MecabJapaneseSegmenter"]

# pymilvus.model's lang.yaml, jp: CharacterfilterPreprocessor.chars_to_replace.
CHARACTERS_TO_SPACE = (
    "、", "。", "「", "」", "『", "』", "【", "】", "（", "）", "｛", "｝", "・", "：", "；", "！", "？", "ー",
    "〜", "…", "‥", "[", "]",
)
_TO_SPACE = str.maketrans({character: " " for character in CHARACTERS_TO_SPACE})


class MecabJapaneseSegmenter:
    """A batch segmenter: ``segmenter(texts) -> one list of MeCab words per text``. Picklable."""

    name = "mecab"

    def __init__(self) -> None:
        self._tagger: Optional[Any] = None

    def load(self) -> "MecabJapaneseSegmenter":
        """Imports the library and loads its dictionary now (otherwise on the first batch); returns self.
        ImportError naming the extra to install when the library is missing."""
        self._load()
        return self

    def _load(self) -> Any:
        require("unidic_lite", package="unidic-lite", extra="ja")
        mecab = require("MeCab", package="mecab-python3", extra="ja")
        self._tagger = mecab.Tagger("-Owakati")  # finds unidic-lite, as pymilvus.model's Tagger does
        return self._tagger

    def __call__(self, texts: Sequence[str]) -> list[list[str]]:
        parse = (self._tagger or self._load()).parse
        return [parse(readable_text(text).translate(_TO_SPACE)).split() for text in texts]

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._tagger = None

    def __repr__(self) -> str:
        return "mecab(MeCab + unidic-lite, wakati)"
