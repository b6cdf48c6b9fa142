"""Drop-in checks against pymilvus-model itself: identical vectors for the same analyzer, and params
files that each library writes and the other reads."""

from __future__ import annotations

import re

import numpy as np
import pytest

from sparsebolt.eval.beir import read_corpus, read_queries
from sparsebolt.model.sparse import BM25EmbeddingFunction
from tests.conftest import beir_dir

pymilvus_bm25 = pytest.importorskip("pymilvus.model.sparse.bm25.bm25")


def simple_analyzer(text: str) -> list[str]:
    # A plain Python analyzer both libraries call the same way; repeats and case survive on purpose.
    return re.findall(r"\w+", text.lower())


@pytest.fixture(scope="module")
def cranfield():
    folder = beir_dir("cranfield")
    _, corpus = read_corpus(folder)
    return corpus[:600], list(read_queries(folder).values())[:100]


def canonical(matrix):
    matrix = matrix.tocsr().copy()
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix


def assert_same_matrix(ours, theirs):
    ours, theirs = canonical(ours), canonical(theirs)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype == np.float32
    assert np.array_equal(ours.indptr, theirs.indptr)
    assert np.array_equal(ours.indices, theirs.indices)
    assert np.array_equal(ours.data, theirs.data)  # bit for bit


def test_python_analyzer_gives_pymilvus_vectors_exactly(cranfield):
    corpus, queries = cranfield
    theirs = pymilvus_bm25.BM25EmbeddingFunction(analyzer=simple_analyzer)
    theirs.fit(corpus)
    ours = BM25EmbeddingFunction(analyzer=simple_analyzer, num_workers=2).fit(corpus)
    assert list(ours.idf.items()) == [(w, [v, i]) for w, (v, i) in theirs.idf.items()]
    assert ours.avgdl == theirs.avgdl and ours.dim == theirs.dim
    assert_same_matrix(ours.encode_documents(corpus[:200]), theirs.encode_documents(corpus[:200]))
    assert_same_matrix(ours.encode_queries(queries + ["flow flow flow wing"]),
                       theirs.encode_queries(queries + ["flow flow flow wing"]))


def test_files_written_by_either_library_load_in_the_other(cranfield, tmp_path):
    corpus, queries = cranfield
    theirs = pymilvus_bm25.BM25EmbeddingFunction(analyzer=simple_analyzer)
    theirs.fit(corpus)
    ours = BM25EmbeddingFunction(analyzer=simple_analyzer).fit(corpus)
    theirs.save(str(tmp_path / "theirs.json"))
    ours.save(tmp_path / "ours.json")

    ours_from_theirs = BM25EmbeddingFunction(analyzer=simple_analyzer).load(tmp_path / "theirs.json")
    theirs_from_ours = pymilvus_bm25.BM25EmbeddingFunction(analyzer=simple_analyzer)
    theirs_from_ours.load(str(tmp_path / "ours.json"))

    docs = corpus[:100]
    assert_same_matrix(ours_from_theirs.encode_documents(docs), theirs.encode_documents(docs))
    assert_same_matrix(ours_from_theirs.encode_queries(queries), theirs.encode_queries(queries))
    assert_same_matrix(ours.encode_documents(docs), theirs_from_ours.encode_documents(docs))
    assert_same_matrix(ours.encode_queries(queries), theirs_from_ours.encode_queries(queries))


def test_native_analyzer_as_a_callable_in_pymilvus_gives_the_same_vectors(cranfield):
    # Our default analyzer is a plain callable to pymilvus-model: same tokens, same numbers, our speed.
    corpus, queries = cranfield
    ours = BM25EmbeddingFunction().fit(corpus)
    theirs = pymilvus_bm25.BM25EmbeddingFunction(analyzer=ours.analyzer)
    theirs.fit(corpus)
    assert_same_matrix(ours.encode_documents(corpus[:150]), theirs.encode_documents(corpus[:150]))
    assert_same_matrix(ours.encode_queries(queries), theirs.encode_queries(queries))
