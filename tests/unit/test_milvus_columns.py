"""Encoder outputs to Milvus columns: one run per encoder however many fields it fills, and each column checked."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_array

from sparsebolt.milvus.columns import column_values, encode_columns, query_vectors
from sparsebolt.milvus.fields import VectorField
from sparsebolt.milvus.vectors import EMPTY_SPARSE_INDEX, EMPTY_SPARSE_WEIGHT, SparseColumn

VOCAB = ["wind", "sail", "rice", "boat", "cook"]


class TwoOutputs:
    """A tiny BGE-M3-shaped encoder: a dict of outputs, a dense one (4 floats) and a sparse one (term counts)."""

    dim = {"dense": 4, "sparse": len(VOCAB)}

    def __init__(self) -> None:
        self.calls = 0

    def encode_documents(self, texts):
        self.calls += 1
        rows, cols, vals = [], [], []
        for r, text in enumerate(texts):
            words = text.split()
            for c, term in enumerate(VOCAB):
                if words.count(term):
                    rows.append(r)
                    cols.append(c)
                    vals.append(float(words.count(term)))
        sparse = csr_array((np.array(vals, np.float32), (rows, cols)), shape=(len(texts), len(VOCAB)))
        dense = [np.array([len(t), t.count("a"), t.count("i"), 1.0], np.float32) for t in texts]
        return {"dense": dense, "sparse": sparse, "colbert_vecs": [None] * len(texts)}

    encode_queries = encode_documents


FIELDS = [VectorField("dense", "dense", dim=4, output="dense"), VectorField("sparse", "sparse", output="sparse")]
TEXTS = ["sail boat wind wind", "cook rice", "nothing known here"]


def test_one_encoder_filling_two_fields_runs_once_and_each_field_takes_its_output():
    encoder = TwoOutputs()
    columns = encode_columns(FIELDS, {"dense": encoder, "sparse": encoder}, TEXTS)
    assert encoder.calls == 1
    reference = encoder.encode_documents(TEXTS)
    np.testing.assert_array_equal(columns["dense"], np.stack(reference["dense"]))
    assert columns["dense"].dtype == np.float32 and columns["dense"].flags.c_contiguous
    sparse = columns["sparse"]
    assert isinstance(sparse, SparseColumn) and len(sparse) == 3
    expected = reference["sparse"].toarray()
    rows = column_values(sparse)
    for i, row in enumerate(rows):
        nonzero = {k: float(v) for k, v in enumerate(expected[i]) if v}
        assert row == (nonzero or {EMPTY_SPARSE_INDEX: EMPTY_SPARSE_WEIGHT})
    queries = query_vectors(FIELDS, {"dense": encoder, "sparse": encoder}, ["wind", "zzz"])
    assert encoder.calls == 3 and queries["sparse"] == [{0: 1.0}, {}]
    assert [q.tolist() for q in queries["dense"]] == [[4.0, 0.0, 1.0, 1.0], [3.0, 0.0, 0.0, 1.0]]


def test_milvus_bm25_fields_need_no_encoder_and_search_with_the_text():
    fields = [VectorField("server", "milvus-bm25")]
    assert encode_columns(fields, {}, TEXTS) == {}
    assert query_vectors(fields, {}, ["heat", "  "]) == {"server": ["heat", ""]}


class _Dense:
    dim = 3

    def __init__(self, out):
        self.out = out

    def encode_documents(self, texts):
        return self.out


class _Sparse:
    def __init__(self, out):
        self.out = out

    def encode_documents(self, texts):
        return self.out


def _csr(data, indices, indptr, width=10):
    return csr_array((np.array(data, np.float64), np.array(indices, np.int64), np.array(indptr)),
                     shape=(len(indptr) - 1, width))


@pytest.mark.parametrize("out, match", [
    (np.zeros((2, 4), np.float32), r"shape \(2, 4\), expected \(2, 3\)"),
    (np.array([[np.inf, 0, 0], [0, 0, 0]]), "NaN or infinite"),
    ({"dense": np.zeros((2, 3))}, "several outputs"),
])
def test_dense_columns_are_checked(out, match):
    with pytest.raises(ValueError, match=match):
        encode_columns([VectorField("d", "dense", dim=3)], {"d": _Dense(out)}, ["a", "b"])


@pytest.mark.parametrize("out, error, match", [
    (_csr([np.nan], [1], [0, 1, 1]), ValueError, "NaN"),
    (_csr([-0.5], [1], [0, 1, 1]), ValueError, "negative"),
    (_csr([1.0], [2**32 - 1], [0, 1, 1], width=2**32), ValueError, "beyond Milvus's limit"),
    (_csr([1.0], [1], [0, 1]), ValueError, "1 rows for 2 texts"),
    ([{1: 1.0}, {}], TypeError, "expected a scipy sparse matrix"),
])
def test_sparse_columns_are_checked(out, error, match):
    with pytest.raises(error, match=match):
        encode_columns([VectorField("s", "sparse")], {"s": _Sparse(out)}, ["a", "b"])


def test_sparse_columns_are_canonical_sorted_summed_and_without_zeros():
    unsorted = _csr([1.0, 2.0, 0.0, 3.0, 4.0], [7, 2, 5, 2, 9], [0, 3, 5])  # row 0: 7, 2 and an explicit zero
    unsorted.has_sorted_indices = False
    duplicated = csr_array((np.array([1.0, 2.0], np.float32), np.array([4, 4]), np.array([0, 2, 2])), shape=(2, 8))
    for out, expected in ((unsorted, ([2, 7, 2, 9], [0, 2, 4])), (duplicated, ([4], [0, 1, 1]))):
        column = encode_columns([VectorField("s", "sparse")], {"s": _Sparse(out)}, ["a", "b"])["s"]
        assert (column.indices.tolist(), column.indptr.tolist()) == expected
        assert column.data.dtype == np.float32 and (column.data != 0).all()


def test_field_and_output_mistakes_are_explained():
    encoder = TwoOutputs()
    with pytest.raises(ValueError, match="no encoder for the vector field"):
        encode_columns(FIELDS, {"dense": encoder}, TEXTS)
    with pytest.raises(ValueError, match="give each of them the output it takes"):
        encode_columns([FIELDS[0], VectorField("sparse", "sparse")], {"dense": encoder, "sparse": encoder}, TEXTS)
    with pytest.raises(ValueError, match=r"returned outputs \['colbert_vecs', 'dense', 'sparse'\], without "
                                         r"\['lexical'\]"):
        encode_columns([VectorField("x", "sparse", output="lexical")], {"x": encoder}, TEXTS)
    with pytest.raises(ValueError, match="not a dict of outputs"):
        encode_columns([VectorField("d", "dense", dim=3, output="dense")],
                       {"d": _Dense(np.zeros((3, 3)))}, TEXTS)
