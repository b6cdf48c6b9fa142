"""Japanese: the native MeCab segmenter on unidic-lite gives mecab-python3's words (MeCab's own library, the
reference) and pymilvus.model's jp analyzer tokens, on the test sentences, the torture texts, MeCab's edge
rules one by one and arbitrary Unicode text."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparsebolt import _core
from sparsebolt.sparse.analyzer import build_default_analyzer
from sparsebolt.sparse.segmenters import MecabJapaneseSegmenter, MissingSegmenterError
from sparsebolt.testing import cjk_reference
from sparsebolt.testing.cjk_reference import JA_SENTENCES, japanese_analyzer

pytest.importorskip("unidic_lite")
pytest.importorskip("MeCab")  # the reference

from sparsebolt.testing.mecab_reference import MecabPython3Japanese  # noqa: E402

TORTURE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "torture"
# No example database: it would write .hypothesis/ into the working tree.
PROPERTY = settings(database=None, deadline=None, max_examples=300)
PYTHON_WHITESPACE = [chr(c) for c in range(0x110000) if chr(c).isspace()]
# Kana, kanji, the long-vowel mark, letters and digits, spaces and filtered punctuation, for generated text.
JAPANESE_CHARACTERS = "あいうえおかきくけこんアイウエオカキクケコンー東京大阪日本語猫犬x1２ 　\t、。[]"


@pytest.fixture(scope="module")
def reference() -> MecabPython3Japanese:
    return MecabPython3Japanese()


def assert_same_words(texts: list[str], reference: MecabPython3Japanese) -> None:
    want = reference(texts)
    got = MecabJapaneseSegmenter()(texts)
    for text, mine, theirs in zip(texts, got, want):
        assert mine == theirs, text


def test_tokens_equal_pymilvus_jp():
    if not cjk_reference.nltk_has_stopwords():
        pytest.importorskip("yaml")  # the rebuilt pipeline reads lang.yaml
    reference = cjk_reference.pymilvus_reference("jp")
    analyzer = japanese_analyzer()
    assert analyzer.segments_natively
    for sentence in JA_SENTENCES:
        assert analyzer(sentence) == reference(sentence), sentence
    assert "猫" in analyzer("吾輩は猫である。") and "。" not in analyzer("吾輩は猫である。")


def test_words_equal_mecab_python3_on_the_test_sentences_in_one_batch_and_on_threads(reference):
    assert len(JA_SENTENCES) > 80
    texts = list(JA_SENTENCES)
    want = reference(texts)
    native = MecabJapaneseSegmenter().native_segmenter()
    assert native.segment(texts, num_threads=1) == want
    assert native.segment(texts * 3, num_threads=2) == want * 3


@pytest.mark.skipif(not TORTURE.is_dir(), reason="../shared/data/torture is not on this machine")
def test_words_equal_mecab_python3_on_the_torture_texts(reference):
    texts = [
        record["text"]
        for name in ("corpus.jsonl", "queries.jsonl")
        for record in map(json.loads, (TORTURE / name).read_text(encoding="utf-8").splitlines())
        if isinstance(record.get("text"), str)
    ]
    assert len(texts) > 1000
    assert_same_words(texts, reference)


@pytest.mark.parametrize(
    "text",
    [
        # Unknown-word grouping: runs of one category up to MeCab's max-grouping-size (24 after the first).
        *("x" * n for n in (1, 2, 23, 24, 25, 26, 27, 51, 52)),
        "ア" * 30 + "です",
        "ｶﾀｶﾅﾃﾞｽ半角",
        "ΑΒΓΔ и кириллица 〇〇〇 一二三四五六七八九十百千万億",
        # Code points past U+FFFF have U+0000's class in MeCab (UCS-2), and U+FFFF reads a zero record.
        "😀😀abc𠮷野家\U0001f600テスト\uffff\uffffです\ufffe",
        # Whitespace: leading runs fold into the next word; Python's other whitespace splits unknown words.
        "  \t\n 東京 \r\n大阪\v\f",
        *(f"ab{space}cd東京{space}{space}です" for space in PYTHON_WHITESPACE),
        "、。「」『』【】（）｛｝・：；！？ー〜…‥[]",
        "これは[テスト]ですー〜",
        "ＡＢＣ１２３，４５６円　全角スペース",
        "http://example.com/path?q=1 と mail@example.jp",
        "々〃ゝゞヽヾ",
        "",
        " ",
    ],
)
def test_words_equal_mecab_python3_on_edge_rules(text, reference):
    assert_same_words([text], reference)


@st.composite
def japanese_like_text(draw: st.DrawFn) -> str:
    pieces = st.one_of(
        st.sampled_from(list(JA_SENTENCES)),
        st.text(st.sampled_from(JAPANESE_CHARACTERS), max_size=30),
        st.text(st.characters(exclude_categories=()), max_size=20),  # surrogates and NUL included
    )
    return "".join(draw(st.lists(pieces, max_size=5)))


@PROPERTY
@given(text=japanese_like_text())
def test_words_equal_mecab_python3_on_arbitrary_text(reference, text):
    assert MecabJapaneseSegmenter()([text]) == reference([text])


def test_bad_text_separates_and_empty_texts_give_nothing():
    segmenter = MecabJapaneseSegmenter()
    assert segmenter(["", "  ", "。、"]) == [[], [], []]
    assert segmenter(["東京\udcff大阪"]) == segmenter(["東京 大阪"])
    assert segmenter(["東京\x00大阪"]) == segmenter(["東京 大阪"])
    analyzer = japanese_analyzer()
    assert analyzer._native.analyze(b"\xe6\x9d\xb1\xe4\xba\xac\xff\xe5\xa4\xa7\xe9\x98\xaa") == analyzer("東京 大阪")
    with pytest.raises(TypeError, match=r"must be a list of str, not a single string"):
        segmenter("東京")  # type: ignore[arg-type]


def test_the_default_analyzer_segments_in_the_core_with_one_dictionary_per_process():
    analyzer = build_default_analyzer("ja")
    assert analyzer.segments_natively and "東京" in analyzer("東京は日本の首都です")
    native = MecabJapaneseSegmenter().native_segmenter()
    assert native is MecabJapaneseSegmenter().native_segmenter()
    assert isinstance(native, _core.DictionarySegmenter) and native.name == "mecab"
    assert native.split_at_whitespace and native.keep_pos == [] and "、" in native.characters_to_space


def test_a_missing_dictionary_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "unidic_lite", None)  # what an uninstalled package looks like to import
    with pytest.raises(MissingSegmenterError, match=r"pip install 'sparsebolt\[ja\]' \(or pip install unidic-lite\)"):
        MecabJapaneseSegmenter().load()


def test_bad_dictionary_folders_and_options_are_value_errors_with_advice(tmp_path):
    import unidic_lite

    with pytest.raises(ValueError, match=r"cannot read the MeCab dictionary file '.*sys\.dic'.*installed"):
        _core.MecabSegmenter(name="mecab", dictionary=str(tmp_path))
    for name in ("char.bin", "unk.dic", "dicrc"):
        shutil.copy(Path(unidic_lite.DICDIR) / name, tmp_path / name)
    (tmp_path / "sys.dic").write_bytes((Path(unidic_lite.DICDIR) / "sys.dic").read_bytes()[:4096])
    with pytest.raises(ValueError, match=r"is not a MeCab 0\.996 dictionary file \(wrong magic number or truncated\)"):
        _core.MecabSegmenter(name="mecab", dictionary=str(tmp_path))
    with pytest.raises(ValueError, match="unknown segmenter 'nope'"):
        _core.MecabSegmenter(name="nope", dictionary=unidic_lite.DICDIR)
    with pytest.raises(ValueError, match="'kiwi' does not run on a loaded dictionary"):
        _core.MecabSegmenter(name="kiwi", dictionary=unidic_lite.DICDIR)
    with pytest.raises(ValueError, match="characters_to_space must hold single characters, got 'ab'"):
        _core.MecabSegmenter(name="mecab", dictionary=unidic_lite.DICDIR, characters_to_space=["ab"])


def test_pickling_keeps_the_terms():
    import pickle

    analyzer = japanese_analyzer()
    restored = pickle.loads(pickle.dumps(analyzer))
    assert restored("東京は日本の首都です") == analyzer("東京は日本の首都です") and repr(restored) == repr(analyzer)
    assert "lowercase=False" in repr(analyzer) and "stemmer='none'" in repr(analyzer)
