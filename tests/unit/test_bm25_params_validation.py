"""BM25 params files: every value is checked as the constructor checks it, and errors name the file, the field
and the allowed range; files written by sparsebolt and by pymilvus-model still load."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from sparsebolt.model.sparse import BM25EmbeddingFunction

CORPUS = ["alpha beta gamma", "beta gamma delta", "gamma delta epsilon alpha", "zeta"]


def simple_analyzer(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def valid_document() -> dict:
    return {
        "version": "v1",
        "corpus_size": 3,
        "avgdl": 2.5,
        "idf_word": ["alpha", "beta"],
        "idf_value": [0.5, 1.25],
        "k1": 1.5,
        "b": 0.75,
        "epsilon": 0.25,
    }


def write(tmp_path, **changes) -> str:
    document = valid_document()
    document.update(changes)
    path = tmp_path / "params.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def load_error(path: str) -> str:
    ef = BM25EmbeddingFunction(analyzer=simple_analyzer).fit(CORPUS)
    before = dict(ef.idf)
    with pytest.raises(ValueError) as error:
        ef.load(path)
    assert ef.idf == before and (ef.k1, ef.b, ef.epsilon) == (1.5, 0.75, 0.25)  # a failed load changes nothing
    message = str(error.value)
    assert repr(path) in message  # names the file
    return message


@pytest.mark.parametrize(
    ("field", "value"),
    [("k1", -1), ("k1", -0.001), ("b", 5), ("b", -0.5), ("k1", "1.5"), ("b", None), ("epsilon", [0.25]),
     ("epsilon", float("nan")), ("k1", float("inf")), ("k1", 10**400), ("b", True)],
)
def test_k1_b_epsilon_are_refused_with_the_constructors_own_message(tmp_path, field: str, value) -> None:
    with pytest.raises(ValueError) as constructor:
        BM25EmbeddingFunction(**{field: value})
    message = load_error(write(tmp_path, **{field: value}))
    assert str(constructor.value) in message  # the constructor's check, told against the file
    assert field in message and ("[0, 1]" in message or ">= 0" in message or "finite number" in message)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"corpus_size": 2**70}, rf"corpus_size must be an integer from 1 to 2\*\*63 - 1 .*found {2**70}$"),
        ({"corpus_size": 2**63}, "corpus_size must be an integer from 1 to 2"),
        ({"corpus_size": -3}, "corpus_size must be an integer from 1 to 2.*found -3"),
        ({"corpus_size": 0}, "corpus_size must be an integer from 1"),
        ({"corpus_size": 3.0}, "corpus_size must be an integer"),
        ({"corpus_size": "3"}, "corpus_size must be an integer"),
        ({"corpus_size": True}, "corpus_size must be an integer"),
        ({"avgdl": -1.0}, r"avgdl must be a finite number > 0 .*found -1.0"),
        ({"avgdl": 0}, "avgdl must be a finite number > 0"),
        ({"avgdl": "2.5"}, "avgdl must be a finite number > 0"),
        ({"avgdl": float("inf")}, "avgdl must be a finite number > 0"),
        ({"idf_value": [0.5, "1.25"]}, r"idf_value\[1\] must be a finite number, found '1.25'"),
        ({"idf_value": [None, 1.0]}, r"idf_value\[0\] must be a finite number, found None"),
        ({"idf_value": [0.5, float("nan")]}, r"idf_value\[1\] must be a finite number, found nan"),
        ({"idf_value": [0.5, 10**400]}, r"idf_value\[1\] must be a finite number"),
        ({"idf_value": [[0.5], [1.0]]}, r"idf_value\[0\] must be a finite number, found \[0.5\]"),
        ({"idf_value": [0.5]}, "idf_word has 2 terms but idf_value has 1 values"),
        ({"idf_word": ["alpha", 7]}, r"idf_word\[1\] is int, expected str"),
        ({"idf_word": ["alpha", "alpha"]}, "duplicate term in idf_word: 'alpha'"),
        ({"idf_word": ["alpha", "be\ud800ta"]}, r"idf_word\[1\] is .*lone surrogate"),
        ({"idf_word": "alpha beta"}, "idf_word and idf_value must be lists"),
    ],
)
def test_bad_values_name_the_file_the_field_and_the_range(tmp_path, changes: dict, expected: str) -> None:
    assert re.search(expected, load_error(write(tmp_path, **changes)))


@pytest.mark.parametrize("field", list(valid_document()))
def test_a_missing_field_is_named(tmp_path, field: str) -> None:
    document = valid_document()
    del document[field]
    path = tmp_path / "params.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    expected = "unsupported format version None" if field == "version" else f"missing keys \\['{field}'\\]"
    assert re.search(expected, load_error(str(path)))


def test_edge_values_the_constructor_accepts_load(tmp_path) -> None:
    path = write(tmp_path, k1=0, b=1, epsilon=-0.5, corpus_size=2**63 - 1, idf_value=[0, 2**64])
    ef = BM25EmbeddingFunction().load(path)
    assert (ef.k1, ef.b, ef.epsilon, ef.corpus_size) == (0.0, 1.0, -0.5, 2**63 - 1)
    assert ef.idf == {"alpha": [0.0, 0], "beta": [float(2**64), 1]}


def test_a_file_written_by_save_still_loads(tmp_path) -> None:
    ef = BM25EmbeddingFunction(analyzer=simple_analyzer, k1=1.2, b=0.6, epsilon=0.1).fit(CORPUS)
    ef.save(tmp_path / "ours.json")
    loaded = BM25EmbeddingFunction(analyzer=simple_analyzer).load(tmp_path / "ours.json")
    assert (loaded.k1, loaded.b, loaded.epsilon, loaded.corpus_size) == (1.2, 0.6, 0.1, len(CORPUS))
    assert (loaded.encode_documents(CORPUS) != ef.encode_documents(CORPUS)).nnz == 0
    assert (loaded.encode_queries(CORPUS) != ef.encode_queries(CORPUS)).nnz == 0


def test_a_file_written_by_pymilvus_model_still_loads(tmp_path) -> None:
    pymilvus_bm25 = pytest.importorskip("pymilvus.model.sparse.bm25.bm25")
    theirs = pymilvus_bm25.BM25EmbeddingFunction(analyzer=simple_analyzer)
    theirs.fit(CORPUS)
    theirs.save(str(tmp_path / "theirs.json"))
    ours = BM25EmbeddingFunction(analyzer=simple_analyzer).load(tmp_path / "theirs.json")
    expected = (theirs.k1, theirs.b, theirs.epsilon, theirs.corpus_size)
    assert (ours.k1, ours.b, ours.epsilon, ours.corpus_size) == expected
    for mine, reference in ((ours.encode_documents(CORPUS), theirs.encode_documents(CORPUS)),
                            (ours.encode_queries(CORPUS), theirs.encode_queries(CORPUS))):
        assert np.array_equal(mine.toarray(), reference.toarray())
