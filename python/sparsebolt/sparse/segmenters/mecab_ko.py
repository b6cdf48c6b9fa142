"""Korean: MeCab with mecab-ko-dic, keeping content morphemes (``sparsebolt[ko]``).

The core runs MeCab 0.996's algorithm itself on mecab-ko-dic's compiled dictionary (``_core.MecabSegmenter``,
loaded once per process and shared by the worker threads): a batch segments with no Python call per text and
the GIL released, with the morphemes mecab-python3 gives (tests/unit/test_segmenters_ko.py compares them).
Whether a morpheme is kept is decided once per dictionary entry at load time, from its part-of-speech tag.
Chosen by measurement on msmarco-ko-dev against Kiwi, Lindera and character bigrams (docs/bm25.md, "Chinese,
Japanese and Korean"): the best nDCG@10 and the fastest.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any, Sequence

from sparsebolt import _core
from sparsebolt.sparse.segmenters._common import require

__all__ = ["CONTENT_TAGS", "MecabKoreanSegmenter"]

# mecab-ko-dic's POS tags (Sejong tag set) kept as terms: nouns (common, proper, bound, counting unit),
# numerals, pronouns, verb and adjective stems, roots, foreign words, Chinese characters, numbers and general
# adverbs. Particles (J*), endings (E*), the copula (VCP), affixes and symbols are dropped. A compound tag
# ("VA+EC+VX+EP") counts by its first part; its surface is the whole inflected form.
CONTENT_TAGS = ("NNG", "NNP", "NNB", "NNBC", "NR", "NP", "VV", "VA", "XR", "SL", "SH", "SN", "MAG")


@lru_cache(maxsize=None)
def _native(dictionary: str) -> _core.MecabSegmenter:
    return _core.MecabSegmenter(name="mecab_ko", dictionary=dictionary, keep_pos=list(CONTENT_TAGS))


class MecabKoreanSegmenter:
    """A batch segmenter: ``segmenter(texts) -> one list of content morphemes per text``.

    Picklable (it pickles as its configuration; each process loads the dictionary once).
    """

    name = "mecab_ko"

    def load(self) -> "MecabKoreanSegmenter":
        """Loads the dictionary now (otherwise on the first batch); returns self. ImportError naming the extra
        to install when python-mecab-ko-dic is missing."""
        self.native_segmenter()
        return self

    def native_segmenter(self) -> _core.MecabSegmenter:
        """The loaded native segmenter, which ``Analyzer`` runs inside the core's batches."""
        dictionary = require("mecab_ko_dic", package="python-mecab-ko-dic", extra="ko")
        return _native(os.path.join(os.path.dirname(str(dictionary.__file__)), "dictionary"))

    def __call__(self, texts: Sequence[str]) -> list[list[str]]:
        return self.native_segmenter().segment(texts)

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        pass

    def __repr__(self) -> str:
        return "mecab_ko(MeCab + mecab-ko-dic, content morphemes)"
