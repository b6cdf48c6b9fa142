"""BM25EmbeddingFunction's behaviour: shapes, odd sizes, streaming, threads, save/load and bad input."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from scipy.sparse import csr_array

from sparsebolt.model.sparse import BM25EmbeddingFunction
from sparsebolt.sparse import Analyzer
from tests.parity.reference_bm25 import ReferenceBm25

WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau".split()


def make_corpus(n: int, seed: int = 7) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=rng.integers(0, 30))) for _ in range(n)]


PLAIN = Analyzer(lowercase=True, stopwords=[], stemmer="none")


def as_dicts(matrix: csr_array) -> list[dict[int, float]]:
    return [
        dict(zip(matrix.indices[s:e].tolist(), matrix.data[s:e].tolist()))
        for s, e in zip(matrix.indptr[:-1], matrix.indptr[1:])
    ]


@pytest.mark.parametrize("n", [1, 7, 1024])
def test_vectors_equal_reference_for_odd_sizes(n):
    corpus = make_corpus(n)
    ef = BM25EmbeddingFunction(analyzer=PLAIN, num_workers=2).fit(corpus)
    reference = ReferenceBm25().fit([PLAIN(t) for t in corpus])
    assert list(ef.idf) == list(reference.vocabulary)
    docs = ef.encode_documents(corpus)
    assert isinstance(docs, csr_array) and docs.shape == (n, ef.dim) and docs.dtype == np.float32
    for got, text in zip(as_dicts(docs), corpus):
        want = reference.document_vector(PLAIN(text))
        assert got.keys() == want.keys()
        np.testing.assert_array_equal(
            np.float32([got[k] for k in want]), np.float32([want[k] for k in want])
        )


def test_rows_have_sorted_unique_indices_and_one_index_dtype():
    ef = BM25EmbeddingFunction(analyzer=PLAIN).fit(make_corpus(200))
    docs = ef.encode_documents(make_corpus(50, seed=3))
    assert docs.indices.dtype == docs.indptr.dtype == np.int32
    for s, e in zip(docs.indptr[:-1], docs.indptr[1:]):
        row = docs.indices[s:e]
        assert np.all(np.diff(row) > 0)


def test_empty_strings_give_empty_rows_and_empty_list_gives_empty_matrix():
    ef = BM25EmbeddingFunction(analyzer=PLAIN).fit(["alpha beta", "", "gamma"])
    docs = ef.encode_documents(["", "alpha", "", "unknown words only"])
    assert docs.shape == (4, 3)
    assert np.diff(docs.indptr).tolist() == [0, 1, 0, 0]
    assert ef.encode_queries([]).shape == (0, 3)


def test_query_repeats_sum_idf_and_dot_product_is_bm25():
    corpus = make_corpus(300)
    ef = BM25EmbeddingFunction(analyzer=PLAIN).fit(corpus)
    reference = ReferenceBm25().fit([PLAIN(t) for t in corpus])
    query = "alpha alpha beta unknownword"
    got = as_dicts(ef.encode_queries([query]))[0]
    want = reference.query_vector(PLAIN(query))
    assert got == {k: float(np.float32(v)) for k, v in want.items()}
    scores = (ef.encode_documents(corpus) @ ef.encode_queries([query]).T).toarray().ravel()
    assert np.argmax(scores) == np.argmax(
        [sum(want.get(k, 0) * v for k, v in reference.document_vector(PLAIN(t)).items()) for t in corpus]
    )


def test_fast_query_path_equals_csr_path():
    ef = BM25EmbeddingFunction().fit(make_corpus(100) + ["Running studies of generalization"])
    for query in ["running generalizations", "alpha alpha beta", "", "nothing known here", "The the THE"]:
        assert ef.encode_query_as_dict(query) == as_dicts(ef.encode_queries([query]))[0]


def test_fit_streams_any_iterable_in_batches_with_the_same_result():
    corpus = make_corpus(2_000)
    whole = BM25EmbeddingFunction(analyzer=PLAIN).fit(corpus)
    streamed = BM25EmbeddingFunction(analyzer=PLAIN).fit((t for t in corpus), batch_size=97)
    assert list(streamed.idf) == list(whole.idf)
    assert streamed.avgdl == whole.avgdl and streamed.corpus_size == 2_000
    assert (streamed.encode_documents(corpus) != whole.encode_documents(corpus)).nnz == 0


@pytest.mark.parametrize("workers", [1, 2, 3, 8])
def test_thread_count_changes_nothing(workers):
    corpus = make_corpus(3_000, seed=11) * 20  # enough text to split across threads
    one = BM25EmbeddingFunction(num_workers=1).fit(corpus)
    many = BM25EmbeddingFunction(num_workers=workers).fit(corpus)
    assert list(many.idf.items()) == list(one.idf.items())
    a, b = one.encode_documents(corpus), many.encode_documents(corpus)
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("analyzer", [None, PLAIN, str.split], ids=["default", "native-plain", "python-callable"])
def test_fit_encode_documents_equals_fit_then_encode(workers, analyzer):
    corpus = make_corpus(2_000, seed=5) * 10 + ["", "the and of"]
    separate = BM25EmbeddingFunction(analyzer=analyzer, num_workers=workers).fit(corpus)
    expected = separate.encode_documents(corpus)
    fused = BM25EmbeddingFunction(analyzer=analyzer, num_workers=workers)
    matrix = fused.fit_encode_documents(corpus)
    assert matrix.shape == expected.shape and matrix.has_sorted_indices
    assert np.array_equal(matrix.indptr, expected.indptr) and np.array_equal(matrix.indices, expected.indices)
    assert np.array_equal(matrix.data, expected.data)
    assert list(fused.idf.items()) == list(separate.idf.items()) and fused.avgdl == separate.avgdl
    assert fused.statistics.to_bytes() == separate.statistics.to_bytes()  # partial_fit goes on from the same state
    fused.partial_fit(["omega"])
    assert "omega" in fused.idf


@pytest.mark.parametrize(
    "documents, error, message",
    [
        ([], ValueError, "empty corpus"),
        (["the and of", ""], ValueError, "no terms after analysis"),
        (None, TypeError, "list of str"),
        ("one string", TypeError, "not a single string"),
        (["fine", 3], TypeError, r"documents\[1\] is of type int"),
    ],
)
def test_bad_fit_encode_input_is_rejected_and_leaves_the_model_as_it_was(documents, error, message):
    ef = BM25EmbeddingFunction().fit(["alpha beta gamma"])
    before, statistics = dict(ef.idf), ef.statistics
    with pytest.raises(error, match=message):
        ef.fit_encode_documents(documents)
    assert ef.idf == before and ef.statistics is statistics


def test_concurrent_encode_calls_equal_serial_calls():
    corpus = make_corpus(500)
    ef = BM25EmbeddingFunction(num_workers=2).fit(corpus)
    batches = [make_corpus(64, seed=s) for s in range(16)]
    serial = [ef.encode_documents(b) for b in batches]
    serial_queries = [ef.encode_query_as_dict(b[0]) for b in batches]
    barrier = threading.Barrier(8)

    def work(i):
        barrier.wait() if i < 8 else None
        return ef.encode_documents(batches[i]), ef.encode_query_as_dict(batches[i][0])

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(16)))
    for (docs, query), want_docs, want_query in zip(results, serial, serial_queries):
        assert (docs != want_docs).nnz == 0 and query == want_query


def test_save_load_round_trip_and_format(tmp_path):
    ef = BM25EmbeddingFunction().fit(make_corpus(50) + ["Ünïcödé wörds"])
    path = tmp_path / "params.json"
    ef.save(path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["version"] == "v1" and saved["corpus_size"] == 51
    assert saved["idf_word"] == list(ef.idf) and len(saved["idf_value"]) == ef.dim
    loaded = BM25EmbeddingFunction().load(path)
    texts = make_corpus(20, seed=5)
    assert (loaded.encode_documents(texts) != ef.encode_documents(texts)).nnz == 0
    assert (loaded.encode_queries(texts) != ef.encode_queries(texts)).nnz == 0
    assert [p.name for p in tmp_path.iterdir()] == ["params.json"]  # no temporary file left behind


def test_failed_save_keeps_the_previous_file(tmp_path):
    ef = BM25EmbeddingFunction(analyzer=PLAIN).fit(["alpha beta"])
    path = tmp_path / "params.json"
    ef.save(path)
    before = path.read_bytes()
    ef._model = None
    with pytest.raises(ValueError, match="not fitted"):
        ef.save(path)
    assert path.read_bytes() == before


def test_encoding_before_fit_is_a_clear_error():
    ef = BM25EmbeddingFunction()
    for call in (lambda: ef.encode_documents(["x"]), lambda: ef.encode_queries(["x"]),
                 lambda: ef.encode_query_as_dict("x")):
        with pytest.raises(ValueError, match=r"not fitted: call fit\(corpus\) or load\(path\) first"):
            call()
    assert ef.dim == 0


@pytest.mark.parametrize(
    "corpus, error, message",
    [
        ([], ValueError, "empty corpus"),
        (["the and of", ""], ValueError, "no terms after analysis"),
        (None, TypeError, "corpus must be a list of str, got None"),
        ("one string", TypeError, r"not a single string; pass \[text\]"),
        (["fine", 3, "fine"], TypeError, r"corpus\[1\] is of type int"),
        (["fine", None], TypeError, r"corpus\[1\] is None"),
    ],
)
def test_bad_fit_input_is_rejected_and_leaves_the_model_as_it_was(corpus, error, message):
    ef = BM25EmbeddingFunction().fit(["alpha beta gamma"])
    before = dict(ef.idf)
    with pytest.raises(error, match=message):
        ef.fit(corpus)
    assert ef.idf == before


def test_bad_item_position_counts_across_streamed_batches():
    ef = BM25EmbeddingFunction()
    corpus = ["fine"] * 250 + [b"bytes"]
    with pytest.raises(TypeError, match=r"corpus\[250\] is of type bytes"):
        ef.fit(iter(corpus), batch_size=100)
    assert ef.dim == 0


def test_bad_encode_input_is_rejected():
    ef = BM25EmbeddingFunction().fit(["alpha beta"])
    with pytest.raises(TypeError, match=r"documents\[2\] is None"):
        ef.encode_documents(["a", "b", None])
    with pytest.raises(TypeError, match="not a single string"):
        ef.encode_queries("alpha")
    with pytest.raises(TypeError, match=r"query\[0\] is of type int"):
        ef.encode_query_as_dict(7)
    with pytest.raises(ValueError, match="encode_documents"):
        ef(["alpha"])


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "not found"),
        ('{"version": "v1", "corpus_size": 3, "avgdl": 2.0, "idf_wo', "not valid JSON"),
        ("\x00\x01garbage", "not valid JSON"),
        ('{"version": "v2", "corpus_size": 1}', "unsupported format version 'v2'"),
        ('{"corpus_size": 1}', "unsupported format version None"),
        ('[1, 2]', "expected a JSON object"),
        ('{"version": "v1", "corpus_size": 3}', "missing keys"),
        ('{"version": "v1", "corpus_size": 3, "avgdl": 2.0, "idf_word": ["a"], "idf_value": [1, 2], '
         '"k1": 1.5, "b": 0.75, "epsilon": 0.25}', "1 terms but idf_value has 2"),
        ('{"version": "v1", "corpus_size": 3, "avgdl": 2.0, "idf_word": ["a", "a"], "idf_value": [1, 2], '
         '"k1": 1.5, "b": 0.75, "epsilon": 0.25}', "duplicate term"),
        ('{"version": "v1", "corpus_size": -3, "avgdl": 2.0, "idf_word": [], "idf_value": [], '
         '"k1": 1.5, "b": 0.75, "epsilon": 0.25}', "corpus_size"),
        ('{"version": "v1", "corpus_size": 3, "avgdl": "x", "idf_word": [], "idf_value": [], '
         '"k1": 1.5, "b": 0.75, "epsilon": 0.25}', "avgdl"),
        ('{"version": "v1", "corpus_size": 3, "avgdl": 2.0, "idf_word": [1], "idf_value": [1.0], '
         '"k1": 1.5, "b": 0.75, "epsilon": 0.25}', r"idf_word\[0\]"),
    ],
)
def test_bad_params_files_are_rejected_and_leave_the_model_as_it_was(tmp_path, content, message):
    ef = BM25EmbeddingFunction().fit(["alpha beta gamma"])
    before = dict(ef.idf)
    path = tmp_path / "params.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        ef.load(path)
    assert ef.idf == before


@pytest.mark.parametrize("kwargs", [{"k1": -1}, {"b": 1.5}, {"epsilon": float("nan")}, {"num_workers": 0},
                                    {"analyzer": 42}])
def test_bad_constructor_arguments(kwargs):
    with pytest.raises((ValueError, TypeError)):
        BM25EmbeddingFunction(**kwargs)


def test_corpus_argument_fits_at_construction_like_pymilvus():
    ef = BM25EmbeddingFunction(corpus=["alpha beta", "beta gamma"])
    assert ef.dim == 3 and ef.corpus_size == 2 and ef.avgdl == 2.0


def test_long_terms_sharing_their_first_and_last_bytes_stay_distinct():
    # The string table compares long keys by their first/last 8 bytes first: these differ only inside.
    middle = [f"prefixab{c}suffixyz" for c in "0123456789"] + [f"prefixab{c * 9}suffixyz" for c in "abc"]
    short = ["a", "ab", "abc", "abcd", "abcde", "abcdefg", "abcdefgh", "abcdefghi", "bcdefghi"]
    corpus = [" ".join(middle), " ".join(short), " ".join(middle[::-1] + short[::-1])]
    ef = BM25EmbeddingFunction(analyzer=Analyzer(stemmer="none")).fit(corpus)
    assert list(ef.idf) == middle + short
    assert np.diff(ef.encode_documents(corpus).indptr).tolist() == [len(middle), len(short), len(middle) + len(short)]


def test_pickled_function_encodes_the_same_and_can_keep_fitting():
    import pickle

    corpus = make_corpus(300)
    ef = BM25EmbeddingFunction(num_workers=2).fit(corpus)
    clone = pickle.loads(pickle.dumps(ef))
    assert (clone.encode_documents(corpus) != ef.encode_documents(corpus)).nnz == 0
    assert clone.encode_query_as_dict("alpha beta") == ef.encode_query_as_dict("alpha beta")
    more = make_corpus(50, seed=99)
    assert list(clone.partial_fit(more).idf.items()) == list(ef.partial_fit(more).idf.items())
    assert pickle.loads(pickle.dumps(BM25EmbeddingFunction())).dim == 0
