"""The native engine against the pure-Python reference on the shared corpora: same vocabulary order,
same idf, same document and query vectors (within 1e-6 relative; in practice bit for bit)."""

from __future__ import annotations

import numpy as np
import pytest

from sparsebolt.eval.beir import read_corpus, read_queries
from sparsebolt.model.sparse import BM25EmbeddingFunction
from sparsebolt.sparse.stopwords import stopwords
from tests.conftest import beir_dir
from tests.parity.reference_bm25 import ReferenceAnalyzer, ReferenceBm25

pytest.importorskip("Stemmer")


@pytest.fixture(scope="module", params=["cranfield", "msmarco-5k"])
def fitted(request):
    folder = beir_dir(request.param)
    _, corpus = read_corpus(folder)
    queries = list(read_queries(folder).values())
    analyzer = ReferenceAnalyzer(stopwords("english"))
    corpus_terms = [analyzer(text) for text in corpus]
    reference = ReferenceBm25().fit(corpus_terms)
    ef = BM25EmbeddingFunction(num_workers=2).fit(corpus)
    return corpus, corpus_terms, queries, analyzer, reference, ef


def rows(matrix):
    for start, end in zip(matrix.indptr[:-1], matrix.indptr[1:]):
        yield matrix.indices[start:end], matrix.data[start:end]


def test_analyzer_equals_reference(fitted):
    corpus, corpus_terms, _, _, _, ef = fitted
    assert [ef.analyzer(text) for text in corpus] == corpus_terms


def test_statistics_equal_reference(fitted):
    corpus, _, _, _, reference, ef = fitted
    assert ef.corpus_size == len(corpus)
    assert ef.avgdl == reference.avgdl
    assert list(ef.idf) == list(reference.vocabulary)  # first-occurrence order
    np.testing.assert_allclose([v for v, _ in ef.idf.values()], reference.idf, rtol=1e-12)


def test_document_vectors_equal_reference(fitted):
    corpus, corpus_terms, _, _, reference, ef = fitted
    matrix = ef.encode_documents(corpus)
    assert matrix.shape == (len(corpus), len(reference.vocabulary))
    for (indices, values), terms in zip(rows(matrix), corpus_terms):
        want = reference.document_vector(terms)
        assert indices.tolist() == sorted(want)
        np.testing.assert_allclose(values, [want[i] for i in indices.tolist()], rtol=1e-6)


def test_query_vectors_equal_reference(fitted):
    _, _, queries, analyzer, reference, ef = fitted
    matrix = ef.encode_queries(queries)
    for (indices, values), query in zip(rows(matrix), queries):
        want = reference.query_vector(analyzer(query))
        assert indices.tolist() == sorted(want)
        np.testing.assert_allclose(values, [want[i] for i in indices.tolist()], rtol=1e-6)


def test_fit_encode_documents_equals_reference(fitted):
    corpus, corpus_terms, _, _, reference, _ = fitted
    ef = BM25EmbeddingFunction(num_workers=2)
    matrix = ef.fit_encode_documents(corpus)
    assert ef.avgdl == reference.avgdl
    assert list(ef.idf) == list(reference.vocabulary)
    np.testing.assert_allclose([v for v, _ in ef.idf.values()], reference.idf, rtol=1e-12)
    assert matrix.shape == (len(corpus), len(reference.vocabulary))
    for (indices, values), terms in zip(rows(matrix), corpus_terms):
        want = reference.document_vector(terms)
        assert indices.tolist() == sorted(want)
        np.testing.assert_allclose(values, [want[i] for i in indices.tolist()], rtol=1e-6)
