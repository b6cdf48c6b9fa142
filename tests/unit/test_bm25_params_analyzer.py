"""BM25 params files record the analyzer the terms came from: a load into a function with another analyzer is
refused with advice, the same analyzer (under any alias) loads, and files without a record load as before."""

from __future__ import annotations

import json
import pathlib

import pytest

from sparsebolt.model.sparse import BM25EmbeddingFunction
from sparsebolt.sparse.analyzer import Analyzer, build_default_analyzer
from sparsebolt.sparse.params_file import ANALYZER_KEYS, analyzer_record, read_params

CORPUS = ["Die Kinder spielten im Garten", "Die Häuser sind alt", "Kinder lachen und spielen"]


def fitted(tmp_path, language: str = "de") -> str:
    path = tmp_path / f"{language}.json"
    BM25EmbeddingFunction(analyzer=build_default_analyzer(language=language)).fit(CORPUS).save(path)
    return str(path)


def test_save_records_the_analyzer(tmp_path) -> None:
    path = fitted(tmp_path)
    record = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))["analyzer"]
    assert record == {"language": "de", "lowercase": True, "stemmer": "german", "stopwords": "german",
                      "segmenter": "letters_digits"}
    assert read_params(path).analyzer == record


def test_the_same_analyzer_under_an_alias_loads(tmp_path) -> None:
    path = fitted(tmp_path)
    loaded = BM25EmbeddingFunction(analyzer=build_default_analyzer(language="german")).load(path)
    assert loaded.encode_queries(["Kinder"]).nnz == 1


@pytest.mark.parametrize(
    ("analyzer", "differs"),
    [
        (lambda: build_default_analyzer(language="en"), "stemmer, stopwords differ"),
        (lambda: Analyzer("de", stopwords=["die"], stemmer="german"), "stopwords differ"),
        (lambda: Analyzer("de", lowercase=False, stopwords=None, stemmer="german"), "lowercase, stopwords differ"),
    ],
)
def test_another_analyzer_is_refused_with_advice(tmp_path, analyzer, differs: str) -> None:
    path = fitted(tmp_path)
    function = BM25EmbeddingFunction(analyzer=analyzer())
    with pytest.raises(ValueError, match=differs) as error:
        function.load(path)
    message = str(error.value)
    assert repr(path) in message and "build_default_analyzer(language='de')" in message and "fit again" in message
    assert function.dim == 0  # a refused load changes nothing


def test_a_custom_stopword_list_is_recorded_by_its_content() -> None:
    record = analyzer_record(Analyzer("x", stopwords=["b", "a"], stemmer="none"))
    assert record is not None and record["stopwords"].startswith("custom:2 words:")
    assert analyzer_record(Analyzer("x", stopwords=None, stemmer="none"))["stopwords"] == "none"  # type: ignore[index]
    assert analyzer_record(str.split) is None


def test_files_without_a_record_and_python_analyzers_load_unchecked(tmp_path) -> None:
    path = fitted(tmp_path)
    document = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    del document["analyzer"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(document), encoding="utf-8")
    assert read_params(old).analyzer is None
    BM25EmbeddingFunction(analyzer=build_default_analyzer(language="en")).load(old)
    BM25EmbeddingFunction(analyzer=lambda text: text.lower().split()).load(path)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ("german", "analyzer must be a JSON object"),
        ({"language": "de"}, "the analyzer record lacks"),
        (dict.fromkeys(ANALYZER_KEYS, "x"), "analyzer.lowercase must be a bool"),
    ],
)
def test_a_bad_record_is_named(tmp_path, record, expected: str) -> None:
    path = fitted(tmp_path)
    document = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    document["analyzer"] = record
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ValueError, match=expected):
        read_params(bad)


def test_a_library_segmenter_is_recorded_by_its_table_name(tmp_path) -> None:
    pytest.importorskip("MeCab")
    pytest.importorskip("jieba")
    path = tmp_path / "ko.json"
    BM25EmbeddingFunction(analyzer=build_default_analyzer(language="kr")).fit(["한국의 수도는 서울입니다"]).save(path)
    assert read_params(str(path)).analyzer["segmenter"] == "mecab_ko"
    assert BM25EmbeddingFunction(analyzer=build_default_analyzer(language="korean")).load(str(path)).dim > 0
    with pytest.raises(ValueError, match="segmenter"):
        BM25EmbeddingFunction(analyzer=build_default_analyzer(language="zh")).load(str(path))
