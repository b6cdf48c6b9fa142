"""Chinese: the native jieba segmenter gives ``jieba.lcut``'s tokens (whitespace dropped) on jieba's own data, and
the ``zh`` analyzer gives pymilvus.model's ``zh`` tokens.

The reference is jieba itself, imported here and run per text on the same text the segmenter reads (lone
surrogates and NUL as spaces, sparsebolt.sparse.segmenters._common.readable_text). The corpora are
sparsebolt.testing.cjk_reference's sentences, the shared torture set, every code point, and hypothesis text.
"""

from __future__ import annotations

import json
import logging
import pickle
import string
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sparsebolt import _core
from sparsebolt.model.sparse import BM25EmbeddingFunction
from sparsebolt.sparse import Analyzer, build_default_analyzer
from sparsebolt.sparse.segmenters import JiebaSegmenter, MissingSegmenterError
from sparsebolt.sparse.segmenters._common import readable_text
from sparsebolt.sparse.segmenters.jieba import HMM_STATES, MIN_FLOAT, hmm_arrays, jieba_folder
from sparsebolt.testing import cjk_reference
from sparsebolt.testing.cjk_reference import ZH_SENTENCES, chinese_analyzer, shipped_list

jieba = pytest.importorskip("jieba")
jieba.setLogLevel(logging.WARNING)  # "Building prefix dict ..." on every first cut

TORTURE = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "torture"


def jieba_tokens(text: str, tokenizer=None) -> list[str]:
    """jieba.lcut (default mode, HMM) on the text the segmenter reads, whitespace tokens dropped."""
    cut = (tokenizer or jieba).lcut
    return [token for token in cut(readable_text(text)) if not token.isspace()]


@pytest.fixture(scope="module")
def native() -> _core.JiebaSegmenter:
    return JiebaSegmenter().native_segmenter()


def assert_same_tokens(native: _core.JiebaSegmenter, texts: list[str]) -> None:
    for text, tokens in zip(texts, native.segment(texts)):
        assert tokens == jieba_tokens(text), text


def test_tokens_equal_jieba_on_the_test_sentences(native):
    assert len(ZH_SENTENCES) > 190
    assert_same_tokens(native, list(ZH_SENTENCES))
    assert JiebaSegmenter()(list(ZH_SENTENCES)) == [jieba_tokens(text) for text in ZH_SENTENCES]


def test_tokens_equal_jieba_on_the_torture_set(native):
    if not TORTURE.is_dir():
        pytest.skip("../shared/data/torture is not on this machine")
    texts = []
    for name in ("corpus.jsonl", "queries.jsonl"):
        for line in (TORTURE / name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            texts += [record[field] for field in ("title", "text", "_id") if isinstance(record.get(field), str)]
    assert len(texts) > 2_000 and any("\u4e00" <= c <= "\u9fd5" for text in texts for c in text)
    assert_same_tokens(native, texts)


def test_every_code_point_segments_as_jieba_does(native):
    # Consecutive code points, 1,024 to a text: jieba's Han range makes long blocks with unknown runs for the
    # HMM, and every other character (whitespace included, which Python's str.isspace decides) stands alone.
    texts = ["".join(map(chr, range(start, min(start + 1024, sys.maxunicode + 1))))
             for start in range(0, sys.maxunicode + 1, 1024)]
    assert_same_tokens(native, texts)


COMMON = sorted({c for sentence in ZH_SENTENCES for c in sentence if "\u4e00" <= c <= "\u9fd5"})
SYMBOLS = list(string.ascii_letters + string.digits + "+#&._%-" + " \t\r\n\x0b\x0c\x1c\u3000\xa0\u2028\x85")
WIDE = [chr(c) for c in range(0xFF01, 0xFF5F)] + list("，。、；：？！“”‘’《》（）【】…—·〇")
han = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FD5)
cjk_heavy = st.text(alphabet=st.one_of(st.sampled_from(COMMON), han), max_size=60)
mixed = st.text(alphabet=st.one_of(st.sampled_from(COMMON), st.sampled_from(SYMBOLS), st.sampled_from(WIDE), han,
                                   st.characters(exclude_categories=[])), max_size=60)
numbers = st.lists(st.one_of(st.from_regex(r"[0-9]{1,4}(\.[0-9]{0,3})?%?", fullmatch=True),
                             st.sampled_from(COMMON), st.sampled_from(list(".%-+ 年月日")), st.sampled_from(WIDE)),
                   max_size=20).map("".join)
anything = st.text(alphabet=st.characters(exclude_categories=[]), max_size=60)  # lone surrogates included


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.one_of(cjk_heavy, mixed, numbers, anything), min_size=1, max_size=8))
def test_tokens_equal_jieba_on_any_text(native, texts):
    assert native.segment(texts) == [jieba_tokens(text) for text in texts]


def test_threads_give_the_same_tokens(native):
    texts = list(ZH_SENTENCES) * 7
    assert native.segment(texts, num_threads=3) == native.segment(texts, num_threads=1)


def test_the_dictionary_reads_as_jieba_reads_it(tmp_path):
    # Repeats (the last frequency wins, even 0), prefixes that are no word, a word with a character outside the
    # blocks; jieba's own Tokenizer on the same file is the reference, with jieba's HMM for both.
    lines = ["北京 10 ns", "北京大学 50 nt", "大学 7 n", "大学 0 n", "天安门 3", "我们 0", "我们 9 r", "γ射线 2 n",
             "学习 4 v", "自然语言 30", "自然 2", "处理 11 v", "C++ 5 nz", "3.14 2 m"]
    path = tmp_path / "dict.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    start, transition, emission = hmm_arrays(jieba_folder())
    ours = _core.JiebaSegmenter(str(path), start=start, transition=transition, emission=emission)
    reference = jieba.Tokenizer(str(path))
    reference.tmp_dir = str(tmp_path)  # its cache file
    reference.initialize()
    assert ours.total == reference.total == 135
    texts = ["我们在北京大学学习自然语言处理", "大学和北京", "C++和3.14", "γ射线天安门"] + list(ZH_SENTENCES[:40])
    assert ours.segment(texts) == [jieba_tokens(text, reference) for text in texts]


def test_the_loaded_data_is_jiebas():
    import jieba.finalseg
    from jieba.finalseg import prob_emit, prob_start, prob_trans

    start, transition, emission = hmm_arrays(jieba_folder())
    assert MIN_FLOAT == jieba.finalseg.MIN_FLOAT
    assert start.tolist() == [prob_start.P[s] for s in HMM_STATES]
    assert transition.tolist() == [[prob_trans.P[a].get(b, MIN_FLOAT) for b in HMM_STATES] for a in HMM_STATES]
    first = _core.JiebaSegmenter.HAN_FIRST
    assert (first, _core.JiebaSegmenter.HAN_COUNT) == (0x4E00, 0x9FD5 - 0x4E00 + 1)
    for row, state in enumerate(HMM_STATES):
        expected = [prob_emit.P[state].get(chr(first + i), MIN_FLOAT) for i in range(emission.shape[1])]
        assert emission[row].tolist() == expected
    jieba.dt.initialize()
    assert JiebaSegmenter().native_segmenter().total == jieba.dt.total


def test_bad_data_is_refused_with_advice(tmp_path):
    start, transition, emission = hmm_arrays(jieba_folder())
    dictionary = str(jieba_folder() / "dict.txt")
    with pytest.raises(ValueError, match=r"start must be a C-contiguous float64 array of shape \(4\); pass np"):
        _core.JiebaSegmenter(dictionary, start=start[:3], transition=transition, emission=emission)
    with pytest.raises(ValueError, match=r"transition must be .* shape \(4, 4\)"):
        _core.JiebaSegmenter(dictionary, start=start, transition=np.zeros((4, 4), dtype=np.float32), emission=emission)
    with pytest.raises(ValueError, match="emission must be a C-contiguous"):
        _core.JiebaSegmenter(dictionary, start=start, transition=transition, emission=np.asfortranarray(emission))
    with pytest.raises(ValueError, match="cannot read the jieba dictionary '.*nothing.txt'"):
        _core.JiebaSegmenter(str(tmp_path / "nothing.txt"), start=start, transition=transition, emission=emission)
    bad = tmp_path / "bad.txt"
    bad.write_text("北京 10 ns\n大学 many n\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"invalid dictionary entry in .*bad.txt at line 2 .*大学 many n"):
        _core.JiebaSegmenter(str(bad), start=start, transition=transition, emission=emission)
    with pytest.raises(TypeError, match=r"texts\[1\] is None, expected str"):
        JiebaSegmenter()(["北京", None])  # type: ignore[list-item]


def test_a_missing_jieba_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "jieba", None)  # what an import of a package that is not installed sees
    with pytest.raises(MissingSegmenterError, match=r"pip install 'sparsebolt\[zh\]'"):
        JiebaSegmenter().load()
    with pytest.raises(MissingSegmenterError, match=r"sparsebolt\[zh\]"):
        build_default_analyzer("zh")


def test_the_zh_analyzer_segments_in_the_core():
    analyzer = build_default_analyzer("zh")
    assert analyzer.segments_natively and isinstance(analyzer.segmenter, JiebaSegmenter)
    assert "segmenter=jieba(native C++ on jieba's dict.txt" in repr(analyzer)
    assert JiebaSegmenter().native_segmenter() is analyzer.segmenter.native_segmenter()  # loaded once per process
    with pytest.raises(ValueError, match="segments natively"):
        analyzer.segment(["北京"])
    assert "jieba" in _core.dictionary_segmenters() and "jieba" not in _core.python_segmenters()


def pymilvus_reference():
    if not cjk_reference.nltk_has_stopwords():
        pytest.importorskip("yaml")  # the rebuilt pipeline reads lang.yaml
    return cjk_reference.pymilvus_reference("zh")


def test_chinese_tokens_equal_pymilvus_zh():
    reference = pymilvus_reference()
    analyzer = chinese_analyzer()
    for sentence in ZH_SENTENCES:
        assert analyzer(sentence) == reference(sentence), sentence
    assert build_default_analyzer("zh")(ZH_SENTENCES[0]) == reference(ZH_SENTENCES[0])


@pytest.mark.parametrize("workers", [1, 2])
def test_bm25_vectors_equal_those_of_jiebas_own_tokens(workers):
    texts = list(ZH_SENTENCES) * 3 + ["", "   ", "Python和PYTHON"]
    stop = shipped_list("chinese")

    def reference_segmenter(batch: list[str]) -> list[list[str]]:
        return [jieba_tokens(text) for text in batch]

    python = Analyzer("zh", lowercase=False, stemmer="none", stopwords=stop, segmenter=reference_segmenter)
    ours = BM25EmbeddingFunction(analyzer=chinese_analyzer(), num_workers=workers)
    theirs = BM25EmbeddingFunction(analyzer=python, num_workers=workers)
    mine, expected = ours.fit_encode_documents(texts), theirs.fit_encode_documents(texts)
    assert ours.idf == theirs.idf and len(ours.idf) > 500
    assert np.array_equal(mine.indptr, expected.indptr) and np.array_equal(mine.indices, expected.indices)
    assert np.array_equal(mine.data, expected.data)
    queries = ["北京大学的自然语言处理", "结婚的和尚未结婚的"]
    assert (ours.encode_queries(queries) != theirs.encode_queries(queries)).nnz == 0


def test_chinese_stopword_file_is_nltk_list_then_pymilvus_punctuation():
    pytest.importorskip("yaml")
    words = shipped_list("chinese")
    assert len(words) == len(set(words))
    assert words[:3] == ["一", "一下", "一些"] and words[840] == "是不是"
    config = cjk_reference.pymilvus_config("zh")
    extras = next(f["params"]["extras"] for f in config["filters"] if f["class"] == "PunctuationFilter")
    assert set(words[841:]) == set(string.punctuation + extras) - {" "}


def test_chinese_whitespace_is_no_token_and_bad_text_separates():
    segmenter = JiebaSegmenter()
    assert segmenter(["我爱\n北京\t天安门  ", "", " "]) == [["我", "爱", "北京", "天安门"], [], []]
    assert segmenter(["北京\udcff上海", "北京\x00上海"]) == segmenter(["北京 上海"]) * 2
    assert chinese_analyzer()("Python和PYTHON") == ["Python", "PYTHON"]  # case kept, as pymilvus.model


def test_pickling_keeps_the_terms():
    analyzer = chinese_analyzer()
    restored = pickle.loads(pickle.dumps(analyzer))
    assert restored("我们在北京大学学习") == analyzer("我们在北京大学学习") and repr(restored) == repr(analyzer)
    assert "lowercase=False" in repr(analyzer) and "stemmer='none'" in repr(analyzer)
    assert len(pickle.dumps(JiebaSegmenter())) < 200  # its configuration, never the dictionary
