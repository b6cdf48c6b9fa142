"""sparsebolt.model.utils.stack_sparse_embeddings against pymilvus.model's own function on the same rows: the
same type, shape, format and values, for an encoder's csr_array rows, csr_matrix rows, 1-D coo_arrays and a mix."""

from __future__ import annotations

from typing import Any, Callable, List

import numpy as np
import pytest
import scipy.sparse as sp

from sparsebolt.model import utils
from sparsebolt.model.sparse import BM25EmbeddingFunction, build_default_analyzer
from sparsebolt.model.sparse.utils import stack_sparse_embeddings as from_sparse_utils

theirs = pytest.importorskip("pymilvus.model.sparse.utils").stack_sparse_embeddings


def bm25_rows() -> List[Any]:
    bm25 = BM25EmbeddingFunction(build_default_analyzer("en"))
    corpus = ["the cat sat on the mat", "dogs run far", "a red sky over the blue sea", ""]
    bm25.fit(corpus)
    matrix = bm25.encode_documents(corpus)
    return [matrix[[i]] for i in range(matrix.shape[0])]


def random_rows(kind: Callable[[np.ndarray], Any], count: int = 5, dim: int = 40) -> List[Any]:
    rng = np.random.default_rng(4)
    dense = rng.random((count, dim)) * (rng.random((count, dim)) < 0.2)
    return [kind(dense[i : i + 1]) for i in range(count)]


@pytest.mark.parametrize(
    "make_rows",
    [
        bm25_rows,
        lambda: random_rows(sp.csr_array),
        lambda: random_rows(sp.csr_matrix),
        lambda: random_rows(lambda row: sp.coo_array(row[0])),  # 1-D rows, reshaped to (1, dim)
        lambda: random_rows(sp.csr_array)[:2] + random_rows(sp.csr_matrix)[2:],
    ],
    ids=["bm25-rows", "csr_array", "csr_matrix", "1-D coo_array", "mixed"],
)
def test_same_result_as_pymilvus_model(make_rows: Callable[[], List[Any]]) -> None:
    rows = make_rows()
    ours, reference = utils.stack_sparse_embeddings(rows), theirs(rows)
    assert type(ours) is type(reference) and ours.shape == reference.shape and ours.format == reference.format
    assert ours.dtype == reference.dtype
    np.testing.assert_array_equal(ours.toarray(), reference.toarray())
    assert type(from_sparse_utils(iter(rows))) is type(reference)  # any iterable, and the sparse.utils path


def test_bad_input_is_explained() -> None:
    with pytest.raises(ValueError, match="sparse_embs is empty"):
        utils.stack_sparse_embeddings([])
    with pytest.raises(TypeError, match=r"sparse_embs\[1\] is ndarray.*numpy.vstack"):
        utils.stack_sparse_embeddings([sp.csr_array(np.ones((1, 3))), np.ones(3)])
    with pytest.raises(TypeError, match="must be a list of scipy sparse rows"):
        utils.stack_sparse_embeddings(None)  # type: ignore[arg-type]


def test_pymilvus_install_helpers_are_refused_with_the_reason() -> None:
    with pytest.raises(ImportError, match="import_model2vec is not available.*never does"):
        utils.import_model2vec  # noqa: B018
    with pytest.raises(AttributeError):
        utils.no_such_helper  # noqa: B018
