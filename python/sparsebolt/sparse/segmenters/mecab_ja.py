"""Japanese: MeCab's segmentation with unidic-lite, as pymilvus.model's ``jp`` analyzer (``sparsebolt[ja]``).

The same steps as pymilvus.model: its character filter turns Japanese punctuation into spaces, then MeCab's
best path (``MeCab.Tagger("-Owakati").parse(text).split()``) splits the text into words. The core runs MeCab
0.996's algorithm itself on unidic-lite's compiled dictionary (``_core.MecabSegmenter``, loaded once per
process and shared by the worker threads), so a batch segments with no Python call per text and the GIL
released; tests/unit/test_segmenters_ja.py compares it with mecab-python3.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

from sparsebolt import _core
from sparsebolt.sparse.segmenters._common import require

__all__ = ["CHARACTERS_TO_SPACE", "MecabJapaneseSegmenter"]

# pymilvus.model's lang.yaml, jp: CharacterfilterPreprocessor.chars_to_replace.
CHARACTERS_TO_SPACE = (
    "、", "。", "「", "」", "『", "』", "【", "】", "（", "）", "｛", "｝", "・", "：", "；", "！", "？", "ー",
    "〜", "…", "‥", "[", "]",
)


@lru_cache(maxsize=None)
def _native(dictionary: str) -> _core.MecabSegmenter:
    return _core.MecabSegmenter(
        name="mecab", dictionary=dictionary, characters_to_space=list(CHARACTERS_TO_SPACE), split_at_whitespace=True
    )


class MecabJapaneseSegmenter:
    """A batch segmenter: ``segmenter(texts) -> one list of MeCab words per text``. Picklable (it pickles as
    its configuration; each process loads the dictionary once)."""

    name = "mecab"

    def load(self) -> "MecabJapaneseSegmenter":
        """Loads the dictionary now (otherwise on the first batch); returns self. ImportError naming the extra
        to install when unidic-lite is missing."""
        self.native_segmenter()
        return self

    def native_segmenter(self) -> _core.MecabSegmenter:
        """The loaded native segmenter, which ``Analyzer`` runs inside the core's batches."""
        unidic_lite = require("unidic_lite", package="unidic-lite", extra="ja")
        return _native(str(unidic_lite.DICDIR))

    def __call__(self, texts: Sequence[str]) -> list[list[str]]:
        return self.native_segmenter().segment(texts)

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        pass

    def __repr__(self) -> str:
        return "mecab(MeCab + unidic-lite, wakati)"
