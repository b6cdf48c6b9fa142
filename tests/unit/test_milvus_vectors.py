"""Encoder outputs to Milvus values: dense shape/finite checks, CSR rows to dicts, empty-row placeholder."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_array

from sparsebolt.milvus.results import Hit, hits_from_milvus, normalize_score
from sparsebolt.milvus.vectors import (
    EMPTY_SPARSE_INDEX,
    EMPTY_SPARSE_WEIGHT,
    dense_matrix,
    sparse_query_dicts,
    sparse_rows,
)


def test_dense_matrix_accepts_list_of_rows_and_noncontiguous_arrays():
    rows = [np.arange(4, dtype=np.float64), np.ones(4)]
    m = dense_matrix(rows, 2, 4)
    assert m.dtype == np.float32 and m.flags.c_contiguous and m.shape == (2, 4)
    strided = np.arange(16, dtype=np.float32).reshape(2, 8)[:, ::2]
    assert np.array_equal(dense_matrix(strided, 2, 4), strided)
    assert dense_matrix([], 0, 4).shape == (0, 4)


@pytest.mark.parametrize("bad, match", [
    (np.zeros((2, 3), np.float32), r"shape \(2, 3\), expected \(2, 4\)"),
    (np.zeros((3, 4), np.float32), "shape"),
    (np.array([[np.nan, 0, 0, 0], [0, 0, 0, 0]], np.float32), "NaN"),
])
def test_dense_matrix_rejects_wrong_shapes_and_nan(bad, match):
    with pytest.raises(ValueError, match=match):
        dense_matrix(bad, 2, 4)


def test_sparse_rows_match_the_matrix_and_fill_empty_rows():
    m = csr_array((np.array([1.5, 2.0, 0.5], np.float32), np.array([3, 10, 7]), np.array([0, 2, 2, 3])), shape=(3, 20))
    rows = sparse_rows(m, 3)
    assert rows[0] == {3: 1.5, 10: 2.0}
    assert rows[1] == {EMPTY_SPARSE_INDEX: EMPTY_SPARSE_WEIGHT}
    assert rows[2] == {7: 0.5}
    dense = m.toarray()
    for i, row in enumerate(rows):
        for k, v in row.items():
            if k != EMPTY_SPARSE_INDEX:
                assert dense[i, k] == pytest.approx(v)


def test_sparse_rows_sum_duplicates_and_drop_explicit_zeros():
    m = csr_array((np.array([1.0, 2.0, 0.0], np.float32), np.array([4, 4, 5]), np.array([0, 3])), shape=(1, 8))
    assert sparse_rows(m, 1) == [{4: 3.0}]


@pytest.mark.parametrize("data, match", [([np.nan], "NaN"), ([-1.0], "negative")])
def test_sparse_rows_reject_bad_weights(data, match):
    m = csr_array((np.array(data, np.float32), np.array([0]), np.array([0, 1])), shape=(1, 2))
    with pytest.raises(ValueError, match=match):
        sparse_rows(m, 1)


def test_sparse_rows_row_count_must_match():
    with pytest.raises(ValueError, match="2 rows for 3 texts"):
        sparse_rows(csr_array((2, 5), dtype=np.float32), 3)


class _WithFastPath:
    def encode_query_as_dict(self, query: str) -> dict[int, float]:
        return {len(query): 1.0, 0: 0.0, 1: -0.5}


class _CsrOnly:
    def encode_queries(self, queries):
        return csr_array((np.array([2.0, -1.0], np.float32), np.array([1, 2]), np.array([0, 1, 2])), shape=(2, 3))


def test_sparse_queries_use_fast_path_drop_negative_weights_and_keep_empty_queries_empty():
    assert sparse_query_dicts(_WithFastPath(), ["abc"]) == [{3: 1.0}]
    assert sparse_query_dicts(_CsrOnly(), ["a", "unknown"]) == [{1: 2.0}, {}]


def test_scores_are_higher_is_better():
    assert normalize_score(0.25, "L2") == -0.25
    assert normalize_score(-3.5, "BM25") == 3.5 == normalize_score(3.5, "BM25")
    assert normalize_score(0.7, "ip") == 0.7
    rows = [{"id": "b", "distance": -1.0, "entity": {"text": "tb"}},
            {"id": "a", "distance": -2.0, "entity": {"text": "ta", "lang": "en"}}]
    hits = hits_from_milvus(rows, metric="BM25", id_field="id", text_field="text")
    assert hits == [Hit("a", 2.0, "ta", {"lang": "en"}), Hit("b", 1.0, "tb", {})]
    assert hits[0].to_dict() == {"id": "a", "score": 2.0, "text": "ta", "fields": {"lang": "en"}}


class _Recorder:
    """Stands for an encoder from elsewhere: only the pymilvus.model methods may be used."""

    dim = 2
    doc_instruction = ""

    def __init__(self):
        self.calls = []

    def encode(self, texts):
        self.calls.append("encode")
        return np.ones((len(texts), 2), np.float32)

    def encode_documents(self, texts):
        self.calls.append("encode_documents")
        return [np.ones(2, np.float32) for _ in texts]

    encode_queries = encode_documents


class _DeclaresArrays(_Recorder):
    """Declares the capability: ``encode(texts) -> np.ndarray`` of the rows encode_documents would give."""

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append("encode")
        return np.ones((len(texts), 2), np.float32)


def test_fast_path_is_only_for_encoders_declaring_it_without_instructions():
    from sparsebolt.milvus.vectors import encode_dense, has_array_encode

    other = _Recorder()
    encode_dense(other, ["a"], queries=False)
    assert other.calls == ["encode_documents"]  # an undeclared encode() may mean something else
    ours = _DeclaresArrays()
    encode_dense(ours, ["a"], queries=False)
    ours.doc_instruction = "passage: "
    encode_dense(ours, ["a"], queries=False)
    assert ours.calls == ["encode", "encode_documents"]
    assert has_array_encode(ours, queries=True) and not has_array_encode(ours, queries=False)


def test_sparsebolts_onnx_encoder_declares_the_fast_path():
    from sparsebolt.milvus.vectors import has_array_encode

    dense = pytest.importorskip("sparsebolt.dense")
    assert has_array_encode(dense.OnnxEmbeddingFunction.__new__(dense.OnnxEmbeddingFunction), queries=False)


@pytest.mark.parametrize("seed", range(5))
def test_sparse_rows_with_zeros_and_empty_rows_match_dense(seed):
    rng = np.random.default_rng(seed)
    dense = rng.random((9, 12)).astype(np.float32)
    dense[dense < 0.6] = 0
    dense[[0, 4, 8]] = 0  # empty rows, first and last included
    m = csr_array(dense)
    m.data[::3] = 0  # explicit zeros stored in the structure
    rows = sparse_rows(m, 9)
    expected = m.toarray()
    for i, row in enumerate(rows):
        nonzero = {int(k): float(v) for k, v in enumerate(expected[i]) if v != 0}
        assert row == (nonzero or {EMPTY_SPARSE_INDEX: EMPTY_SPARSE_WEIGHT})
