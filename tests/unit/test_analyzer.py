"""The native analyzer against Python's own Unicode semantics, on odd input and bad input."""

from __future__ import annotations

import pickle
import random

import pytest

from sparsebolt import _core
from sparsebolt.model.sparse.bm25.tokenizers import build_default_analyzer
from sparsebolt.sparse import Analyzer
from sparsebolt.sparse.stopwords import stopwords
from tests.parity.reference_bm25 import TOKEN, ReferenceAnalyzer, simple_lower

BARE = Analyzer(lowercase=False, stopwords=[], stemmer="none")
LOWER = Analyzer(lowercase=True, stopwords=[], stemmer="none")


def test_tables_come_from_this_interpreter():
    import unicodedata

    assert _core.UNICODE_VERSION == unicodedata.unidata_version


@pytest.mark.parametrize("plane_start", [0x0, 0x10000, 0x20000, 0xE0000])
def test_every_code_point_is_classified_and_lowercased_as_python_does(plane_start):
    # One code point per token slot, separated by a space: the analyzer must keep exactly the
    # isalnum() ones, mapped by the simple lowercase mapping.
    code_points = [cp for cp in range(plane_start, plane_start + 0x10000) if not 0xD800 <= cp <= 0xDFFF]
    text = " ".join(chr(cp) for cp in code_points)
    expected_bare = [chr(cp) for cp in code_points if chr(cp).isalnum()]
    assert BARE(text) == expected_bare
    assert LOWER(text) == [simple_lower(ch) for ch in expected_bare]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \t\n",
        "Hello, World!",
        "snake_case and kebab-case and CamelCase",
        "İstanbul ΣΟΦΟΣ Straße ǅemal ＡＢＣ１２３",
        "naïve café résumé — “quoted” 'single'",
        "数字 123 ٣٤٥ ⅻ ½ ² 漢字かなカナ",
        "हिन्दी العربية עברית",
        "emoji 👍🏽 and zwj 👨‍👩‍👧 inside",
        "tab\tand\u00a0nbsp\u2003em-space",
        "a" * 10_000 + " b",
    ],
)
def test_tokens_equal_the_regex_reference(text):
    assert BARE(text) == TOKEN.findall(text)
    assert LOWER(text) == [simple_lower(t) for t in TOKEN.findall(text)]


def test_tokens_equal_the_regex_reference_for_every_ascii_byte_at_every_offset():
    # The scanner reads 8 bytes at a time: every ASCII character must be classified right in every lane.
    rng = random.Random(8)
    alphabet = [chr(c) for c in range(128)] + ["é", "漢", "İ", "\udc80"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        assert BARE(text) == TOKEN.findall(text), repr(text)
        assert LOWER(text) == [simple_lower(t) for t in TOKEN.findall(text)], repr(text)


def test_simple_case_mapping_is_not_str_lower():
    # str.lower() gives 'i̇' (two code points) for U+0130 and a final sigma by context; the analyzer does neither.
    assert LOWER("İ") == ["i"]
    assert LOWER("ΣΑΣ") == ["σασ"]


def test_invalid_utf8_bytes_separate_tokens_and_never_crash():
    cases = {
        b"ab\xffcd": ["ab", "cd"],
        b"ab\xc0\xafcd": ["ab", "cd"],  # overlong '/'
        b"ab\xed\xa0\x80cd": ["ab", "cd"],  # encoded surrogate
        b"ab\xf4\x90\x80\x80cd": ["ab", "cd"],  # past U+10FFFF
        b"ab\xe2\x82": ["ab"],  # truncated at the end
        b"\x80\x80\x80": [],
        "caf\u00e9".encode(): ["café"],
    }
    for raw, expected in cases.items():
        assert LOWER(raw) == expected, raw


def test_lone_surrogates_separate_tokens():
    assert LOWER("ab\ud800cd\udfffef") == ["ab", "cd", "ef"]


def test_stopwords_apply_after_lowercasing_and_before_stemming():
    analyzer = Analyzer(lowercase=True, stopwords=["the", "running"], stemmer="english")
    assert analyzer("The RUNNING runners ran") == ["runner", "ran"]


def test_default_analyzer_matches_reference_pipeline():
    pytest.importorskip("Stemmer")
    analyzer = build_default_analyzer("en")
    reference = ReferenceAnalyzer(stopwords("english"))
    text = "The researchers were studying generalizations of the Turing-test; they'd published 12 papers in 1956!"
    assert analyzer(text) == reference(text)
    assert analyzer.name == "en" and analyzer.stemmer == "english" and len(analyzer.stopwords) == 198


def test_default_stopwords_are_nltk_english():
    words = stopwords("english")
    assert len(words) == len(set(words)) == 198
    assert {"the", "a", "and", "don't", "shouldn", "y"} <= set(words)


def test_analyzer_is_inspectable_and_picklable():
    analyzer = build_default_analyzer()
    assert "stemmer='english'" in repr(analyzer) and "198 words" in repr(analyzer)
    clone = pickle.loads(pickle.dumps(analyzer))
    assert clone("Running studies") == analyzer("Running studies") == ["run", "studi"]


def test_bad_input_gets_clear_errors():
    with pytest.raises(TypeError, match="got None"):
        LOWER(None)
    with pytest.raises(TypeError, match="int"):
        LOWER(5)
    with pytest.raises(ValueError, match="unknown stemmer"):
        Analyzer(stemmer="klingon")
    with pytest.raises(ValueError, match="no default analyzer for language 'xx'"):
        build_default_analyzer("xx")
    with pytest.raises(TypeError, match=r"stopwords\[1\]"):
        Analyzer(stopwords=["a", 3])


def test_large_text_yields_every_token():
    text = "word " * 200_000
    assert len(LOWER(text)) == 200_000
