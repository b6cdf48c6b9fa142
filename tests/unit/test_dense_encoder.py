"""The embedding functions end to end on a tiny random BERT folder: against the numpy reference pipeline,
input order, batching, bad input, threads, and pymilvus.model's constructor shapes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from safetensors.numpy import load_file

from sparsebolt.dense import OnnxEmbeddingFunction, SentenceTransformerEmbeddingFunction
from tests.unit.dense_tiny import TINY_CONFIG, bert_forward, make_tiny_model, write_tokenizer
from tests.unit.test_engine_session import echo_graph

TEXTS = [
    "the cat sat on the mat",
    "",
    "dog",
    "   \t\n ",
    "the red sky and the blue sea ran far far away and the dogs sat on the mats singing",
    "blue",
    "the unknown words here map to unk",
    "cats",
    "sky sea sky sea sky sea sky sea sky sea sky sea sky sea sky sea sky sea sky sea sky sea sky sea",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("tiny") / "model", max_seq_length=20)


@pytest.fixture(scope="module")
def encoder(folder, tmp_path_factory):
    return OnnxEmbeddingFunction(model_path=folder, cache_dir=tmp_path_factory.mktemp("cache"), threads=1)


def _reference(folder, encoder, texts: list[str], normalize: bool = True) -> np.ndarray:
    weights = load_file(str(folder / "model.safetensors"))
    rows = []
    for ids in encoder.tokenizer.encode_ids(texts):
        ids_ = np.array([ids])
        hidden = bert_forward(weights, TINY_CONFIG, ids_, np.ones_like(ids_))[0]
        vec = hidden.mean(0)
        rows.append(vec / np.linalg.norm(vec) if normalize else vec)
    return np.array(rows)


def test_vectors_match_the_numpy_pipeline_in_input_order(folder, encoder) -> None:
    got = encoder.encode(TEXTS, batch_size=4)
    assert got.shape == (len(TEXTS), 32) and got.dtype == np.float32 and got.flags.c_contiguous
    np.testing.assert_allclose(got, _reference(folder, encoder, TEXTS), atol=2e-5)
    assert encoder.dim == 32


@pytest.mark.parametrize("batch_size", [1, 2, 7, 64])
def test_batch_size_does_not_change_vectors(encoder, batch_size: int) -> None:
    np.testing.assert_allclose(encoder.encode(TEXTS, batch_size=batch_size), encoder.encode(TEXTS), atol=1e-5)


def test_texts_beyond_max_seq_length_are_truncated(encoder) -> None:
    long = " ".join(["sky"] * 500)
    truncated = " ".join(["sky"] * 18)  # 18 + [CLS] + [SEP] = max_seq_length 20
    np.testing.assert_allclose(encoder.encode([long]), encoder.encode([truncated]), atol=1e-6)


def test_pymilvus_shapes(encoder) -> None:
    for call in (encoder, encoder.encode_documents, encoder.encode_queries):
        out = call(TEXTS[:3])
        assert isinstance(out, list) and len(out) == 3
        assert all(v.shape == (32,) and v.dtype == np.float32 for v in out)
    assert encoder([]) == [] and encoder.encode([]).shape == (0, 32)
    np.testing.assert_allclose(np.linalg.norm(encoder.encode(TEXTS), axis=1), 1, rtol=1e-5)


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        (None, "got None"),
        ("the cat", "single string"),
        (["the cat", "dog", 3], r"texts\[2\] is of type int, expected str"),
        (["the cat", None], r"texts\[1\] is None, expected str"),
        ([b"bytes"], r"texts\[0\] is of type bytes"),
        (b"bytes", r"got bytes; decode it"),
    ],
)
def test_bad_input_says_what_and_where(encoder, texts, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        encoder.encode(texts)


def test_bad_input_in_documents_and_queries_is_named(encoder) -> None:
    with pytest.raises(TypeError, match=r"documents\[1\]"):
        encoder.encode_documents(["a", 1.5])
    with pytest.raises(TypeError, match="queries must be a list"):
        encoder.encode_queries(None)


@pytest.mark.parametrize("batch_size, error", [(0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError)])
def test_batch_size_must_be_a_positive_int(encoder, batch_size, error) -> None:
    with pytest.raises(error, match="batch_size"):
        encoder.encode(TEXTS, batch_size=batch_size)


def test_threads_share_one_encoder(encoder) -> None:
    texts = [TEXTS[i % len(TEXTS)] + " cat" * (i % 5) for i in range(60)]
    serial = [encoder.encode(texts[i::6]) for i in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        threaded = list(pool.map(lambda i: encoder.encode(texts[i::6]), range(6)))
    for a, b in zip(serial, threaded):
        np.testing.assert_array_equal(a, b)


def test_instructions_prefix_queries_and_documents(folder, tmp_path) -> None:
    ef = SentenceTransformerEmbeddingFunction(
        str(folder), 4, "red ", "blue ", "cpu", True, cache_folder=tmp_path, threads=1
    )
    plain = OnnxEmbeddingFunction(model_path=folder, cache_dir=tmp_path, threads=1)
    np.testing.assert_allclose(ef.encode_queries(["sky"])[0], plain.encode(["red sky"])[0], atol=1e-6)
    np.testing.assert_allclose(ef.encode_documents(["sky"])[0], plain.encode(["blue sky"])[0], atol=1e-6)
    np.testing.assert_allclose(ef(["sky"])[0], plain.encode(["sky"])[0], atol=1e-6)
    assert ef.batch_size == 4


def test_unnormalized_vectors_are_the_mean_pool(folder, tmp_path) -> None:
    ef = SentenceTransformerEmbeddingFunction(str(folder), normalize_embeddings=False, cache_folder=tmp_path)
    np.testing.assert_allclose(ef.encode(TEXTS), _reference(folder, ef, TEXTS, normalize=False), atol=5e-5)


def test_unknown_keyword_is_a_type_error(folder) -> None:
    with pytest.raises(TypeError, match="trust_me"):
        SentenceTransformerEmbeddingFunction(str(folder), trust_me=True)


def test_cuda_request_without_onnxruntime_gpu_fails_clearly(folder, tmp_path) -> None:
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this onnxruntime has CUDA")
    with pytest.raises(ValueError, match="onnxruntime-gpu"):
        SentenceTransformerEmbeddingFunction(str(folder), device="cuda", cache_folder=tmp_path)


def test_cls_pooling_folder(tmp_path) -> None:
    folder = make_tiny_model(tmp_path / "cls", pooling="cls")
    ef = OnnxEmbeddingFunction(model_path=folder, cache_dir=tmp_path)
    weights = load_file(str(folder / "model.safetensors"))
    ids = np.array([ef.tokenizer.encode_ids(["the cat"])[0]])
    want = bert_forward(weights, TINY_CONFIG, ids, np.ones_like(ids))[0, 0]
    np.testing.assert_allclose(ef.encode(["the cat"])[0], want / np.linalg.norm(want), atol=2e-5)


def test_a_prebuilt_graph_wanting_other_inputs_is_refused(tmp_path) -> None:
    from onnx import TensorProto

    folder = tmp_path / "m"
    folder.mkdir()
    write_tokenizer(folder / "tokenizer.json")
    (folder / "model.onnx").write_bytes(echo_graph({"input_ids": TensorProto.INT64, "pixel_values": TensorProto.FLOAT}))
    with pytest.raises(ValueError, match=r"declares inputs \['input_ids', 'pixel_values'\]; sparsebolt feeds"):
        OnnxEmbeddingFunction(model_path=folder, cache_dir=tmp_path)
