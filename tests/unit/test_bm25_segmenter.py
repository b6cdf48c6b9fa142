"""The segmenter plug point end to end: an Analyzer whose segmenter is a Python batch callable feeds the
core's token path, which lowercases, drops stopwords and stems natively; vectors equal the reference BM25."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sparsebolt.model.sparse import BM25EmbeddingFunction
from sparsebolt.sparse import Analyzer
from tests.parity.reference_bm25 import ReferenceBm25, simple_lower

PHRASES = ["Alpha beta", "GAMMA", "the", "delta  epsilon", "zeta", "Running", "runs", "ünïcödé", "ΣΟΦΟΣ", ""]
STOPWORDS = ["the", "zeta"]


class CommaSegmenter:
    """Splits on commas, keeping each phrase whole (spaces included); counts its calls to show it runs per batch."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, texts: list[str]) -> list[list[str]]:
        self.calls += 1
        return [text.split(",") for text in texts]


def make_corpus(n: int, seed: int = 11) -> list[str]:
    rng = np.random.default_rng(seed)
    return [",".join(rng.choice(PHRASES, size=rng.integers(0, 12))) for _ in range(n)]


def reference_terms(text: str) -> list[str]:
    import Stemmer

    stem = Stemmer.Stemmer("english").stemWord
    return [stem(simple_lower(raw)) for raw in text.split(",") if raw and simple_lower(raw) not in STOPWORDS]


def as_dicts(matrix) -> list[dict[int, float]]:
    return [
        dict(zip(matrix.indices[s:e].tolist(), matrix.data[s:e].tolist()))
        for s, e in zip(matrix.indptr[:-1], matrix.indptr[1:])
    ]


def assert_rows_equal(matrix, expected: list[dict[int, float]]) -> None:
    for got, want in zip(as_dicts(matrix), expected):
        assert got.keys() == want.keys()
        np.testing.assert_array_equal(np.float32([got[k] for k in want]), np.float32([want[k] for k in want]))


@pytest.mark.parametrize("workers", [1, 3])
def test_python_segmenter_fits_and_encodes_like_the_reference(workers):
    pytest.importorskip("Stemmer")
    segmenter = CommaSegmenter()
    analyzer = Analyzer(stopwords=STOPWORDS, stemmer="english", segmenter=segmenter)
    corpus = make_corpus(3_000)
    queries = ["alpha BETA,gamma,gamma", "RUNNING,nothing known", ""]
    ef = BM25EmbeddingFunction(analyzer=analyzer, num_workers=workers).fit(corpus, batch_size=1_000)
    assert segmenter.calls == 3  # one call per batch, never one per document
    reference = ReferenceBm25().fit([reference_terms(text) for text in corpus])
    assert list(ef.idf) == list(reference.vocabulary)
    assert "alpha beta" in ef.idf and "run" in ef.idf and "σοφοσ" in ef.idf and "zeta" not in ef.idf

    documents = ef.encode_documents(corpus)
    assert documents.shape == (len(corpus), ef.dim) and documents.has_sorted_indices
    assert_rows_equal(documents, [reference.document_vector(reference_terms(text)) for text in corpus])
    assert_rows_equal(ef.encode_queries(queries), [reference.query_vector(reference_terms(q)) for q in queries])
    assert ef.encode_query_as_dict(queries[0]) == as_dicts(ef.encode_queries(queries[:1]))[0]

    fused = BM25EmbeddingFunction(analyzer=analyzer, num_workers=workers)
    matrix = fused.fit_encode_documents(corpus)
    assert np.array_equal(matrix.indices, documents.indices) and np.array_equal(matrix.data, documents.data)
    assert fused.statistics.to_bytes() == ef.statistics.to_bytes()


def split_on_spaces(texts: list[str]) -> list[list[str]]:
    return [text.split(" ") for text in texts]


def test_python_segmenter_statistics_merge_only_with_their_own_kind():
    segmented = Analyzer(stemmer="none", segmenter=split_on_spaces)
    corpus = ["A b", "b  C", "c d the"]
    whole = BM25EmbeddingFunction(analyzer=segmented).fit(corpus)
    sharded = BM25EmbeddingFunction(analyzer=segmented)
    tail = sharded.new_statistics(shard=1).update(corpus[2:])
    sharded.fit_statistics(tail.merge(sharded.new_statistics(shard=0).update(corpus[:2])))
    assert list(sharded.idf.items()) == list(whole.idf.items()) == list(
        BM25EmbeddingFunction(analyzer=Analyzer(stemmer="none")).fit(corpus).idf.items()
    )
    assert "segmenter=python:" in tail.signature
    native = BM25EmbeddingFunction(analyzer=Analyzer(stemmer="none"))
    with pytest.raises(ValueError, match="different analyzers"):
        native.new_statistics().update(corpus).merge(tail)


def test_python_segmenter_mistakes_name_the_document():
    ef = BM25EmbeddingFunction(analyzer=Analyzer(segmenter=lambda texts: [[1] for _ in texts]))
    with pytest.raises(TypeError, match="the segmenter returned a token of type int for document 0"):
        ef.fit(["a"])
    ef = BM25EmbeddingFunction(analyzer=Analyzer(segmenter=lambda texts: [["a"]]))
    with pytest.raises(ValueError, match="returned 1 token lists for 2 texts"):
        ef.fit(["a", "b"])
    ef = BM25EmbeddingFunction(analyzer=Analyzer(segmenter=split_on_spaces)).fit(["a b"])
    with pytest.raises(TypeError, match=r"queries\[1\] is None"):
        ef.encode_queries(["a", None])


@given(st.text(alphabet="abcÉé \ud800\udc80\udfff", max_size=40))
def test_lone_surrogates_in_a_python_segmenters_tokens_are_separators_as_in_text(text: str) -> None:
    segmented = Analyzer(stemmer="none", stopwords=[], segmenter=split_on_spaces)
    native = Analyzer(stemmer="none", stopwords=[])
    assert segmented(text) == native(text)
    fitted = BM25EmbeddingFunction(analyzer=segmented).fit([text, "a"])
    assert all("\udc80" not in term and "\ud800" not in term for term in fitted.idf)
