"""splade-tiny (a real SPLADE model, fetched from PyPI by tests/splade_model.py) on Cranfield abstracts, scientific
abstracts of SciFact's length, some past its 512 positions: the same vectors and non-zero terms as the float64 numpy
reference transformer, batched and length-sorted against each text alone, and top-k against the reference's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sparsebolt.eval import read_corpus
from sparsebolt.sparse import SpladeEmbeddingFunction
from tests.conftest import beir_dir
from tests.splade_model import reference_splade, splade_tiny_or_skip

# terms whose weight is below this may fall on either side of zero between float32 and float64
ZERO_BAND = 1e-4


@pytest.fixture(scope="module")
def splade_tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return splade_tiny_or_skip(tmp_path_factory)


@pytest.fixture(scope="module")
def abstracts() -> list[str]:
    texts = read_corpus(beir_dir("cranfield"))[1]
    longest = sorted(range(len(texts)), key=lambda i: -len(texts[i]))[:3]  # truncated at 512 tokens
    return [texts[i] for i in longest] + texts[:13]


def test_vectors_and_terms_equal_the_reference(splade_tiny: Path, abstracts: list[str], tmp_path: Path) -> None:
    splade = SpladeEmbeddingFunction(model_path=splade_tiny, cache_dir=tmp_path, batch_size=4, threads=2)
    got = splade.encode_documents(abstracts).toarray().astype(np.float64)
    want = reference_splade(splade_tiny, abstracts, max_length=512)
    cosine = (got * want).sum(1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(want, axis=1))
    assert cosine.min() >= 0.9999, cosine
    np.testing.assert_allclose(got, want, atol=2e-3, rtol=0)
    clear = np.abs(want) > ZERO_BAND
    assert np.array_equal((got > 0)[clear], (want > 0)[clear])
    assert not np.any((got > 0) & ~clear & (want <= 0) & (got > ZERO_BAND))


def test_top_k_documents_keep_the_reference_largest_terms(
    splade_tiny: Path, abstracts: list[str], tmp_path: Path
) -> None:
    k = 64
    splade = SpladeEmbeddingFunction(model_path=splade_tiny, cache_dir=tmp_path, k_tokens_document=k)
    got = splade.encode_documents(abstracts[:6])
    want = reference_splade(splade_tiny, abstracts[:6], max_length=512)
    for row in range(6):
        kept = set(got[[row]].indices.tolist())
        assert len(kept) == k
        ranked = np.argsort(-want[row])
        # the reference's top k, up to terms within float32 rounding of the k-th weight
        border = want[row, ranked[k - 1]]
        sure = {int(i) for i in ranked[:k] if want[row, i] > border + 1e-4}
        assert sure <= kept
        assert all(want[row, i] >= border - 1e-4 for i in kept)
