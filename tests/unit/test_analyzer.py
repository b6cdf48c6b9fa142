"""The native analyzer against Python's own Unicode semantics, on odd input and bad input."""

from __future__ import annotations

import pickle
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparsebolt import _core
from sparsebolt.model.sparse.bm25.tokenizers import build_default_analyzer
from sparsebolt.sparse import Analyzer
from sparsebolt.sparse.stopwords import stopwords
from tests.parity.reference_bm25 import TOKEN, WORD_WITH_MARKS, ReferenceAnalyzer, simple_lower

BARE = Analyzer(lowercase=False, stopwords=[], stemmer="none")
LOWER = Analyzer(lowercase=True, stopwords=[], stemmer="none")
MARKS_BARE = Analyzer(lowercase=False, stopwords=[], stemmer="none", segmenter="letters_marks")
MARKS_LOWER = Analyzer(lowercase=True, stopwords=[], stemmer="none", segmenter="letters_marks")


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


@pytest.mark.parametrize("plane_start", [0x0, 0x10000, 0xE0000])
def test_letters_marks_keeps_every_mark_after_a_letter_and_none_before(plane_start):
    # Each code point after a letter, and alone between spaces: a mark (or joiner) stays with the letter and
    # never starts a word; everything else is the letters_digits scanner's.
    code_points = [cp for cp in range(plane_start, plane_start + 0x10000) if not 0xD800 <= cp <= 0xDFFF]
    text = " ".join("a" + chr(cp) + " " + chr(cp) for cp in code_points)
    assert MARKS_BARE(text) == WORD_WITH_MARKS.findall(text)


@pytest.mark.parametrize(
    "text",
    [
        "हिन्दी भाषा में लिखा गया",  # Devanagari vowel signs (Mc, Mn) and virama
        "தமிழ் மொழி பேசுகிறார்கள்",  # Tamil
        "اللُّغَةُ العَرَبِيَّةُ",  # Arabic with harakat
        "می\u200cخواهم",  # Persian with a zero-width non-joiner
        "Cafe\u0301 \u0301x naïve",  # a decomposed é; a mark that starts a word is a separator
        "emoji 👍🏽 and zwj 👨\u200d👩\u200d👧 inside",
        "ab\ud800\u0301cd",  # a lone surrogate separates, and the mark after it starts nothing
    ],
)
def test_letters_marks_tokens_equal_the_reference(text):
    assert MARKS_BARE(text) == WORD_WITH_MARKS.findall(text)
    assert MARKS_LOWER(text) == [simple_lower(t) for t in WORD_WITH_MARKS.findall(text)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_letters_marks_tokens_equal_the_reference_on_any_text(text):
    assert MARKS_LOWER(text) == [simple_lower(t) for t in WORD_WITH_MARKS.findall(text)]


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


# -- the language table ------------------------------------------------------------------------------------


def test_every_language_row_builds_its_analyzer_from_the_table():
    for entry in _core.languages():
        assert entry.stemmer in _core.stemmers() and entry.segmenter in _core.segmenters() + _core.python_segmenters()
        analyzer = build_default_analyzer(entry.code)
        assert analyzer.stemmer == entry.stemmer
        # A library segmenter, built from the table's name, whether it runs in Python or on a loaded dictionary
        if entry.segmenter in _core.python_segmenters() + _core.dictionary_segmenters():
            assert callable(analyzer.segmenter)
        else:
            assert analyzer.segmenter == entry.segmenter
        assert analyzer.stopwords == (stopwords(entry.stopwords) if entry.stopwords else [])
        for alias in entry.aliases:
            assert build_default_analyzer(alias)("Running studies") == analyzer("Running studies")
            assert stopwords(alias) == analyzer.stopwords


def test_unknown_languages_stemmers_and_segmenters_list_the_known_ones():
    with pytest.raises(ValueError, match="available: 'en' or 'english'"):
        build_default_analyzer("klingon")
    with pytest.raises(ValueError, match="'english', 'none'"):
        Analyzer(stemmer="klingon")
    with pytest.raises(ValueError, match="'letters_digits'"):
        Analyzer(segmenter="klingon")
    with pytest.raises(ValueError, match=r"no stopword list for 'xx'; available: \[.*'english'.*\]"):
        stopwords("xx")
    with pytest.raises(TypeError, match="callable"):
        Analyzer(segmenter=3)
    with pytest.raises(TypeError, match="language must be a str"):
        build_default_analyzer(None)


# -- a Python segmenter ------------------------------------------------------------------------------------


def split_on_bars(texts):
    return [text.split("|") for text in texts]


def reference_terms(text: str, stop: set[str]) -> list[str]:
    import Stemmer

    stem = Stemmer.Stemmer("english").stemWord
    return [stem(simple_lower(raw)) for raw in text.split("|") if raw and simple_lower(raw) not in stop]


def test_python_segmenter_tokens_are_lowercased_stopped_and_stemmed_natively():
    pytest.importorskip("Stemmer")
    words = stopwords("english")
    analyzer = Analyzer(stopwords=words, segmenter=split_on_bars)
    text = "The Running|dogs, barking||İstanbul ΣΟΦΟΣ|ünïcödé and more|the"
    assert analyzer(text) == reference_terms(text, set(words))
    assert analyzer(text)[:2] == ["the run", "dogs, bark"]  # the segmenter decides what a token is
    assert analyzer(text)[-1] == "ünïcödé and mor"  # "the" alone is a stopword
    assert not analyzer.segments_natively and analyzer.segmenter is split_on_bars
    assert "split_on_bars" in repr(analyzer)
    clone = pickle.loads(pickle.dumps(analyzer))
    assert clone(text) == analyzer(text)


def test_python_segmenter_mistakes_get_clear_errors():
    with pytest.raises(ValueError, match="returned 2 token lists for 1 texts"):
        Analyzer(segmenter=lambda texts: [["a"], ["b"]])("a")
    with pytest.raises(TypeError, match="must return a list of token lists"):
        Analyzer(segmenter=lambda texts: "a b")("a")
    with pytest.raises(TypeError, match="the segmenter returned a token of type int"):
        Analyzer(segmenter=lambda texts: [[1]])("a")
    with pytest.raises(TypeError, match=r"text\[0\] is None"):
        Analyzer(segmenter=split_on_bars)(None)
    with pytest.raises(ValueError, match="segments natively"):
        Analyzer().segment(["a"])
