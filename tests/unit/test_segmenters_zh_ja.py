"""Chinese (rjieba) and Japanese (MeCab + unidic-lite) give pymilvus.model's zh and jp analyzer tokens.

pymilvus.model's analyzers run for real when NLTK's stopword corpus is on this machine (its StopwordFilter
needs it and would try to download it otherwise). Without it, the reference is their pipeline rebuilt from
their source (tokenizers.py, lang.yaml) with the same libraries: ``jieba.lcut`` or a fresh
``MeCab.Tagger("-Owakati")`` per text, lang.yaml's character and punctuation filters, NLTK's word lists.
"""

from __future__ import annotations

import pickle
import string
from importlib import resources
from pathlib import Path

import pytest

from sparsebolt.sparse import Analyzer
from sparsebolt.sparse.segmenters import JiebaSegmenter, MecabJapaneseSegmenter
from tests.unit.test_segmenters_corpus import JA_SENTENCES, ZH_SENTENCES


def shipped_list(name: str) -> list[str]:
    text = resources.files("sparsebolt.sparse.stopwords").joinpath(f"{name}.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line]


def pymilvus_config(language: str) -> dict:
    yaml = pytest.importorskip("yaml")
    import pymilvus.model.sparse.bm25 as bm25

    return yaml.safe_load((Path(bm25.__file__).parent / "lang.yaml").read_text(encoding="utf-8"))[language]


def nltk_has_stopwords() -> bool:
    try:
        import nltk

        nltk.data.find("corpora/stopwords")
        return True
    except (ImportError, LookupError):
        return False


def pymilvus_reference(language: str):
    """pymilvus.model's analyzer for ``language``, or its pipeline rebuilt (see the module docstring)."""
    if nltk_has_stopwords():
        from pymilvus.model.sparse.bm25.tokenizers import build_default_analyzer

        return build_default_analyzer(language)
    config = pymilvus_config(language)
    extras = next(f["params"].get("extras", "") for f in config["filters"] if f["class"] == "PunctuationFilter")
    punctuation = set(string.punctuation + extras)
    if language == "zh":
        import jieba

        # NLTK's Chinese list: chinese.txt holds it, then the punctuation below.
        stop = set(shipped_list("chinese")[:841])
        return lambda text: [t for t in jieba.lcut(text) if t not in stop and t not in punctuation]
    import MeCab

    chars = config["preprocessors"][0]["params"]["chars_to_replace"]
    table = str.maketrans({c: " " for c in chars})
    stop = set(shipped_list("english"))  # StopwordFilter() with no language is NLTK's English list

    def japanese(text: str) -> list[str]:
        tokens = MeCab.Tagger("-Owakati").parse(text.translate(table)).split()
        return [t for t in tokens if t not in stop and t not in punctuation]

    return japanese


def chinese_analyzer() -> Analyzer:
    return Analyzer("zh", lowercase=False, stemmer="none", stopwords=shipped_list("chinese"),
                    segmenter=JiebaSegmenter(), stopword_source="chinese")


def japanese_analyzer() -> Analyzer:
    return Analyzer("ja", lowercase=False, stemmer="none", stopwords=shipped_list("japanese"),
                    segmenter=MecabJapaneseSegmenter(), stopword_source="japanese")


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


def test_japanese_tokens_equal_pymilvus_jp():
    pytest.importorskip("MeCab")
    pytest.importorskip("unidic_lite")
    reference = pymilvus_reference("jp")
    analyzer = japanese_analyzer()
    for sentence in JA_SENTENCES:
        assert analyzer(sentence) == reference(sentence), sentence
    assert "猫" in analyzer("吾輩は猫である。") and "。" not in analyzer("吾輩は猫である。")


def test_japanese_bad_text_separates_and_empty_texts_give_nothing():
    pytest.importorskip("MeCab")
    pytest.importorskip("unidic_lite")
    segmenter = MecabJapaneseSegmenter()
    assert segmenter(["", "  ", "。、"]) == [[], [], []]
    assert segmenter(["東京\udcff大阪"]) == segmenter(["東京 大阪"])
    assert segmenter(["東京\x00大阪"]) == segmenter(["東京 大阪"])


@pytest.mark.parametrize(
    "make, text", [(chinese_analyzer, "我们在北京大学学习"), (japanese_analyzer, "東京は日本の首都です")]
)
def test_pickling_keeps_the_terms(make, text):
    pytest.importorskip("MeCab" if make is japanese_analyzer else "rjieba")
    analyzer = make()
    restored = pickle.loads(pickle.dumps(analyzer))
    assert restored(text) == analyzer(text) and repr(restored) == repr(analyzer)
    assert "lowercase=False" in repr(analyzer) and "stemmer='none'" in repr(analyzer)
