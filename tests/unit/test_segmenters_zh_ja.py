"""Chinese (rjieba) gives pymilvus.model's zh analyzer tokens; Japanese's own are in test_segmenters_ja.py.

The references and sentences are sparsebolt.testing.cjk_reference's: pymilvus.model's analyzers for real when
NLTK's stopword corpus is on this machine, else their pipeline rebuilt from their source.
"""

from __future__ import annotations

import pickle
import string

import pytest

from sparsebolt.sparse.segmenters import JiebaSegmenter
from sparsebolt.testing import cjk_reference
from sparsebolt.testing.cjk_reference import (
    ZH_SENTENCES,
    chinese_analyzer,
    japanese_analyzer,
    shipped_list,
)


def pymilvus_config(language: str) -> dict:
    pytest.importorskip("yaml")
    return cjk_reference.pymilvus_config(language)


def pymilvus_reference(language: str):
    if not cjk_reference.nltk_has_stopwords():
        pytest.importorskip("yaml")  # the rebuilt pipeline reads lang.yaml
    return cjk_reference.pymilvus_reference(language)


def test_chinese_tokens_equal_pymilvus_zh():
    pytest.importorskip("rjieba")
    pytest.importorskip("jieba")
    reference = pymilvus_reference("zh")
    analyzer = chinese_analyzer()
    assert len(ZH_SENTENCES) > 150
    for sentence in ZH_SENTENCES:
        assert analyzer(sentence) == reference(sentence), sentence
    batch = analyzer.segment(list(ZH_SENTENCES))
    assert [analyzer._native.analyze_tokens(tokens) for tokens in batch] == [reference(s) for s in ZH_SENTENCES]


def test_chinese_stopword_file_is_nltk_list_then_pymilvus_punctuation():
    words = shipped_list("chinese")
    assert len(words) == len(set(words))
    assert words[:3] == ["一", "一下", "一些"] and words[840] == "是不是"
    config = pymilvus_config("zh")
    extras = next(f["params"]["extras"] for f in config["filters"] if f["class"] == "PunctuationFilter")
    assert set(words[841:]) == set(string.punctuation + extras) - {" "}


def test_chinese_whitespace_is_no_token_and_bad_text_separates():
    pytest.importorskip("rjieba")
    segmenter = JiebaSegmenter()
    assert segmenter(["我爱\n北京\t天安门  ", "", " "]) == [["我", "爱", "北京", "天安门"], [], []]
    assert segmenter(["北京\udcff上海"]) == segmenter(["北京 上海"])
    assert chinese_analyzer()("Python和PYTHON") == ["Python", "PYTHON"]  # case kept, as pymilvus.model


@pytest.mark.parametrize(
    "make, text", [(chinese_analyzer, "我们在北京大学学习"), (japanese_analyzer, "東京は日本の首都です")]
)
def test_pickling_keeps_the_terms(make, text):
    pytest.importorskip("MeCab" if make is japanese_analyzer else "rjieba")
    analyzer = make()
    restored = pickle.loads(pickle.dumps(analyzer))
    assert restored(text) == analyzer(text) and repr(restored) == repr(analyzer)
    assert "lowercase=False" in repr(analyzer) and "stemmer='none'" in repr(analyzer)
