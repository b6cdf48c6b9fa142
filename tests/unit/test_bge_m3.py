"""BGEM3EmbeddingFunction end to end on a tiny random XLM-RoBERTa in FlagEmbedding's folder layout (encoder
safetensors or pytorch_model.bin, both heads as torch.save zips), against the float64 numpy reference forward of
each text alone followed by FlagEmbedding's post-processing written out token by token: dense, lexical and ColBERT
outputs with padding and mixed lengths in one batch, pymilvus.model's shapes and signature, the graph cache,
model resolution, and the inputs and folders that are refused."""

from __future__ import annotations

import inspect
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.sparse import csr_array

from sparsebolt.engine import build
from sparsebolt.engine.build import data_file
from sparsebolt.engine.files import BGE_M3, MODELS_ENV, ModelNotFoundError, resolve_model
from sparsebolt.hybrid import BGEM3EmbeddingFunction
from sparsebolt.hybrid.checkpoint import bge_m3_graph
from sparsebolt.hybrid.lexical import assemble_csr, lexical_rows
from sparsebolt.testing.torch_checkpoints import torch_save
from tests.reference.transformer import XLMR_TINY, forward, random_weights, save_hf_folder

SEED = 3  # a draw whose lexical head keeps some tokens of most texts and zeroes others
COLBERT_DIM = 24  # unlike the hidden size (32), so that the two dims cannot be confused
PAD, UNK = 1, 3  # the unigram tokenizer's <pad> and <unk>; <s> 0, </s> 2
TEXTS = [
    "the cat sat on the mat",
    "",
    "dog",
    "the red sky and the blue sea ran far far away and the dogs sat on the mats singing the blue song",
    "zebra quux cat",  # unknown words become <unk>, which the lexical vector drops
    "sky sea sky sea sky sea sky",
    "blue",
    "   ",
    "the dog ran away",
]


def _heads(seed: int = 3) -> dict[str, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    hidden = XLMR_TINY["hidden_size"]
    return {
        "sparse_linear": {"weight": (rng.standard_normal((1, hidden)) * 0.3).astype(np.float32),
                          "bias": np.array([0.4], dtype=np.float32)},
        "colbert_linear": {"weight": (rng.standard_normal((COLBERT_DIM, hidden)) * 0.3).astype(np.float32),
                           "bias": (rng.standard_normal(COLBERT_DIM) * 0.05).astype(np.float32)},
    }


def make_bge_m3_folder(folder: Path, *, seed: int = 0, encoder_as_bin: bool = False) -> Path:
    """A FlagEmbedding BGE-M3 folder: config.json, the encoder, tokenizer.json, sparse_linear.pt and
    colbert_linear.pt."""
    weights = random_weights(XLMR_TINY, seed=seed)
    save_hf_folder(folder, XLMR_TINY, weights)
    if encoder_as_bin:
        (folder / "model.safetensors").unlink()
        torch_save(folder / "pytorch_model.bin", weights)
    for module, tensors in _heads(seed + 1).items():
        torch_save(folder / f"{module}.pt", tensors)
    return folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_bge_m3_folder(tmp_path_factory.mktemp("m3") / "bge-m3", seed=SEED)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def m3(folder: Path, cache: Path) -> BGEM3EmbeddingFunction:
    return BGEM3EmbeddingFunction(
        str(folder), batch_size=4, device="cpu", return_colbert_vecs=True, cache_dir=cache, threads=1
    )


def _reference(folder: Path, ids_per_text: list[list[int]], *, normalize: bool = True) -> dict[str, Any]:
    """Each text alone through the numpy reference, then FlagEmbedding's encode post-processing: CLS pooling,
    the per-token max of relu(sparse head) over ids that are not <s> </s> <pad> <unk>, ColBERT rows after <s>."""
    from safetensors.numpy import load_file

    heads = _heads(SEED + 1)
    weights = {**load_file(str(folder / "model.safetensors")),
               **{f"{m}.{k}": v for m, sd in heads.items() for k, v in sd.items()}}
    dense, sparse, colbert = [], [], []
    for ids in ids_per_text:
        batch = np.array([ids])
        out = forward(XLMR_TINY, weights, batch, np.ones_like(batch), heads=("hidden", "token_linear", "colbert"))
        cls = out["hidden"][0, 0]
        dense.append(cls / np.linalg.norm(cls) if normalize else cls)
        lexical: dict[int, float] = {}
        for token, weight in zip(ids, out["token_linear"][0, :, 0]):
            if token not in (0, 1, 2, 3) and weight > 0 and weight > lexical.get(token, 0):
                lexical[token] = float(weight)
        sparse.append(lexical)
        vectors = out["colbert"][0]
        colbert.append(vectors / np.linalg.norm(vectors, axis=1, keepdims=True) if normalize else vectors)
    return {"dense": dense, "sparse": sparse, "colbert_vecs": colbert}


def test_outputs_match_flagembedding_on_the_numpy_reference(folder: Path, m3: BGEM3EmbeddingFunction) -> None:
    ids = m3.tokenizer.encode_ids(TEXTS)
    assert len({len(row) for row in ids}) > 4 and max(map(len, ids)) == m3.max_length == 24  # truncated, padded
    got = m3.encode_documents(TEXTS)
    want = _reference(folder, ids)
    kept = [len(row) for row in want["sparse"]]
    assert sum(kept) > 20 and kept.count(0) >= 2  # weights above 0 kept, zeros (and specials) dropped
    assert list(got) == ["dense", "sparse", "colbert_vecs"]
    np.testing.assert_allclose(np.stack(got["dense"]), np.stack(want["dense"]), atol=2e-5)
    sparse = got["sparse"]
    assert isinstance(sparse, csr_array) and sparse.shape == (len(TEXTS), m3.dim["sparse"])
    assert sparse.dtype == np.float32 and sparse.has_sorted_indices
    for row, expected in enumerate(want["sparse"]):
        start, end = sparse.indptr[row], sparse.indptr[row + 1]
        assert sparse.indices[start:end].tolist() == sorted(expected), row
        np.testing.assert_allclose(sparse.data[start:end], [expected[k] for k in sorted(expected)], atol=2e-5)
    for text_ids, vectors, expected in zip(ids, got["colbert_vecs"], want["colbert_vecs"]):
        assert vectors.shape == (len(text_ids) - 1, COLBERT_DIM) and vectors.dtype == np.float32
        np.testing.assert_allclose(vectors, expected, atol=2e-5)


def test_special_tokens_and_empty_texts(m3: BGEM3EmbeddingFunction) -> None:
    got = m3(["", "zebra", "cat cat cat"])
    assert got["sparse"][[0]].nnz == 0 and got["sparse"][[1]].nnz == 0  # <s> </s> only; <unk> dropped
    cat = got["sparse"][[2]]
    assert cat.nnz <= 1 and (cat.nnz == 0 or cat.indices[0] not in (0, 1, 2, 3))
    assert got["colbert_vecs"][0].shape == (1, COLBERT_DIM)  # </s> is kept, as FlagEmbedding keeps it
    np.testing.assert_allclose(np.linalg.norm(got["dense"][0]), 1, rtol=1e-5)


@pytest.mark.parametrize("batch_size", [1, 3, 16])
def test_batching_does_not_change_outputs(folder: Path, cache: Path, m3: BGEM3EmbeddingFunction,
                                          batch_size: int) -> None:
    other = BGEM3EmbeddingFunction(str(folder), batch_size=batch_size, device="cpu", return_colbert_vecs=True,
                                   cache_dir=cache, threads=1)
    a, b = m3(TEXTS), other(TEXTS)
    np.testing.assert_allclose(np.stack(a["dense"]), np.stack(b["dense"]), atol=1e-5)
    np.testing.assert_array_equal(a["sparse"].indptr, b["sparse"].indptr)
    np.testing.assert_array_equal(a["sparse"].indices, b["sparse"].indices)
    np.testing.assert_allclose(a["sparse"].data, b["sparse"].data, atol=1e-5)
    for x, y in zip(a["colbert_vecs"], b["colbert_vecs"]):
        np.testing.assert_allclose(x, y, atol=1e-5)


def test_pymilvus_shapes_flags_and_dim(folder: Path, cache: Path, m3: BGEM3EmbeddingFunction) -> None:
    assert m3.dim == {"dense": 32, "colbert_vecs": COLBERT_DIM, "sparse": 4 + 15}
    for call in (m3, m3.encode_queries, m3.encode_documents):
        out = call(TEXTS[:2])
        assert all(isinstance(v, np.ndarray) and v.shape == (32,) and v.dtype == np.float32 for v in out["dense"])
    empty = m3([])
    assert empty["dense"] == [] and empty["colbert_vecs"] == [] and empty["sparse"].shape == (0, m3.dim["sparse"])
    default = BGEM3EmbeddingFunction(str(folder), cache_dir=cache)
    assert list(default(["cat"])) == ["dense", "sparse"]  # pymilvus' defaults: no ColBERT vectors
    raw = BGEM3EmbeddingFunction(str(folder), normalize_embeddings=False, return_dense=True, return_sparse=False,
                                 return_colbert_vecs=True, cache_dir=cache)
    got = raw(TEXTS[:4])
    assert list(got) == ["dense", "colbert_vecs"]
    want = _reference(folder, raw.tokenizer.encode_ids(TEXTS[:4]), normalize=False)
    np.testing.assert_allclose(np.stack(got["dense"]), np.stack(want["dense"]), atol=5e-5)
    for x, y in zip(got["colbert_vecs"], want["colbert_vecs"]):
        np.testing.assert_allclose(x, y, atol=5e-5)


def test_signature_matches_pymilvus_model() -> None:
    from pymilvus.model.hybrid.bge_m3 import BGEM3EmbeddingFunction as Theirs

    ours, theirs = inspect.signature(BGEM3EmbeddingFunction), inspect.signature(Theirs)
    positional = [p for p in theirs.parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "self"]
    assert [(p.name, p.default) for p in positional] == [
        (p.name, p.default) for p in list(ours.parameters.values())[: len(positional)]
    ]


def test_the_graph_is_built_once_and_keyed_by_both_heads(folder: Path, cache: Path, tmp_path: Path,
                                                          m3: BGEM3EmbeddingFunction) -> None:
    graphs = sorted((cache / "onnx").glob("*.onnx"))
    assert len(graphs) == 1 and not data_file(graphs[0]).exists()  # a tiny graph is one file
    built = graphs[0].stat().st_mtime_ns
    BGEM3EmbeddingFunction(str(folder), cache_dir=cache)
    assert graphs[0].stat().st_mtime_ns == built
    assert not [p for p in (cache / "onnx").iterdir() if p.name.startswith(".")]  # no staging left behind

    other = tmp_path / "other-colbert"
    shutil.copytree(folder, other)
    heads = _heads(SEED + 1)
    torch_save(other / "colbert_linear.pt", {**heads["colbert_linear"], "bias": heads["colbert_linear"]["bias"] + 1})
    files = resolve_model(str(other), family=BGE_M3)
    assert bge_m3_graph(files, cache=cache) not in graphs  # a head changes the key, the encoder alone does not
    torch_save(other / "colbert_linear.pt", heads["colbert_linear"])  # the same tensors written again
    assert bge_m3_graph(files, cache=cache) == graphs[0]


def test_a_graph_over_the_single_file_limit_is_saved_with_external_data(
    folder: Path, tmp_path: Path, m3: BGEM3EmbeddingFunction, monkeypatch: pytest.MonkeyPatch
) -> None:
    # XLM-R large in fp32 is over protobuf's 2 GiB; the tiny model takes that path with the limit at 0 bytes
    monkeypatch.setattr(build, "SINGLE_FILE_LIMIT", 0)
    external = BGEM3EmbeddingFunction(str(folder), batch_size=4, device="cpu", return_colbert_vecs=True,
                                      cache_dir=tmp_path / "cache", threads=1)
    (graph,) = (tmp_path / "cache" / "onnx").glob("*.onnx")
    assert data_file(graph).stat().st_size > graph.stat().st_size
    a, b = m3(TEXTS), external(TEXTS)
    np.testing.assert_array_equal(np.stack(a["dense"]), np.stack(b["dense"]))
    np.testing.assert_array_equal(a["sparse"].toarray(), b["sparse"].toarray())
    for x, y in zip(a["colbert_vecs"], b["colbert_vecs"]):
        np.testing.assert_array_equal(x, y)


def test_the_tokenizer_gives_the_vocabulary_and_the_dropped_ids(folder: Path, m3: BGEM3EmbeddingFunction) -> None:
    saved = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    pieces = [piece for piece, _ in saved["model"]["vocab"]]
    assert m3.tokenizer.vocab_size == len(pieces) == m3.dim["sparse"]
    assert [m3.tokenizer.token_to_id(piece) for piece in pieces[:5]] == [0, 1, 2, 3, 4]
    assert m3.tokenizer.token_to_id("no such piece") is None
    assert m3._dropped.tolist() == [0, 1, 2, 3]  # <s> <pad> </s> <unk>


def test_pytorch_model_bin_encoder_gives_the_same_vectors(tmp_path: Path, folder: Path,
                                                          m3: BGEM3EmbeddingFunction) -> None:
    bin_folder = make_bge_m3_folder(tmp_path / "bin", seed=SEED, encoder_as_bin=True)
    assert not (bin_folder / "model.safetensors").exists()
    other = BGEM3EmbeddingFunction(str(bin_folder), return_colbert_vecs=True, cache_dir=tmp_path / "cache")
    a, b = m3(TEXTS), other(TEXTS)
    np.testing.assert_allclose(np.stack(a["dense"]), np.stack(b["dense"]), atol=1e-6)
    np.testing.assert_allclose(a["sparse"].toarray(), b["sparse"].toarray(), atol=1e-6)


def test_hub_ids_resolve_through_the_models_dir_and_fail_with_the_places_tried(
    folder: Path, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "models"
    root.mkdir()
    os.symlink(folder, root / "BAAI--bge-m3")
    monkeypatch.setenv(MODELS_ENV, str(root))
    found = BGEM3EmbeddingFunction(cache_dir=cache, local_files_only=True)
    assert found.files.source == f"${MODELS_ENV}" and found.model_name == "BAAI/bge-m3"
    with pytest.raises(ModelNotFoundError, match=r"BAAI/bge-m4.*Tried, in order"):
        BGEM3EmbeddingFunction("BAAI/bge-m4", cache_dir=cache, local_files_only=True)


@pytest.mark.parametrize("missing", ["sparse_linear.pt", "colbert_linear.pt", "model.safetensors", "tokenizer.json"])
def test_a_folder_without_a_file_says_what_it_must_hold(tmp_path: Path, missing: str) -> None:
    broken = make_bge_m3_folder(tmp_path / "m3")
    (broken / missing).unlink()
    with pytest.raises(ValueError, match=rf"no {missing.split('.')[0]}.*needs model\.safetensors or "
                                         r"pytorch_model\.bin, and config\.json, tokenizer\.json, sparse_linear\.pt, "
                                         r"colbert_linear\.pt"):
        BGEM3EmbeddingFunction(model_path=broken, cache_dir=tmp_path / "cache")


def test_heads_of_the_wrong_shape_are_refused(tmp_path: Path) -> None:
    broken = make_bge_m3_folder(tmp_path / "m3")
    torch_save(broken / "sparse_linear.pt", {"weight": np.ones((2, 32), np.float32), "bias": np.ones(2, np.float32)})
    with pytest.raises(ValueError, match="one weight a token"):
        BGEM3EmbeddingFunction(str(broken), cache_dir=tmp_path / "cache")
    torch_save(broken / "sparse_linear.pt", {"weight": np.ones((1, 16), np.float32), "bias": np.ones(1, np.float32)})
    with pytest.raises(ValueError, match=r"hidden size is 32"):
        BGEM3EmbeddingFunction(str(broken), cache_dir=tmp_path / "cache")
    torch_save(broken / "sparse_linear.pt", {"linear.weight": np.ones((1, 32), np.float32)})
    with pytest.raises(ValueError, match=r"\['linear\.weight'\].*nn\.Linear"):
        BGEM3EmbeddingFunction(str(broken), cache_dir=tmp_path / "cache")


@pytest.mark.parametrize(
    ("texts", "error", "message"),
    [
        (None, TypeError, "got None"),
        ("one text", TypeError, r"pass \[text\]"),
        (["ok", 3], TypeError, r"texts\[1\] is of type int"),
        ([b"bytes"], TypeError, r"texts\[0\] is of type bytes"),
    ],
)
def test_bad_texts(m3: BGEM3EmbeddingFunction, texts: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        m3(texts)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"batch_size": 0}, ValueError, "batch_size must be a positive int"),
        ({"batch_size": 2.0}, TypeError, "batch_size must be an int"),
        ({"max_length": 25}, ValueError, r"max_length must be an int in \[1, 24\].*position table"),
        ({"return_dense": False, "return_sparse": False}, ValueError, "set at least one"),
        ({"devices": ["cpu", "cuda:0"]}, ValueError, "one device"),
        ({"device": "tpu"}, ValueError, "device 'tpu' is not supported"),
    ],
)
def test_bad_options(folder: Path, cache: Path, options: dict[str, Any], error: type[Exception],
                     message: str) -> None:
    with pytest.raises(error, match=message):
        BGEM3EmbeddingFunction(str(folder), cache_dir=cache, **options)


def test_use_fp16_on_the_cpu_is_fp32_with_a_note(folder: Path, cache: Path, m3: BGEM3EmbeddingFunction,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="sparsebolt.hybrid.bge_m3"):
        half = BGEM3EmbeddingFunction(str(folder), device="cpu", use_fp16=True, cache_dir=cache)
    assert "ignored on the CPU" in caplog.text
    np.testing.assert_array_equal(np.stack(half(TEXTS)["dense"]), np.stack(m3(TEXTS)["dense"]))


def test_model_hybrid_exports_and_mgte_is_refused_with_advice() -> None:
    from sparsebolt import model
    from sparsebolt.model.hybrid import BGEM3EmbeddingFunction as Exported

    assert Exported is BGEM3EmbeddingFunction and model.hybrid.BGEM3EmbeddingFunction is Exported
    with pytest.raises(ImportError, match="MGTEEmbeddingFunction.*pymilvus.model"):
        from sparsebolt.model.hybrid import MGTEEmbeddingFunction  # noqa: F401


def test_lexical_rows_equal_a_token_by_token_max() -> None:
    rng = np.random.default_rng(7)
    batch, seq, vocab = 6, 11, 9  # a small vocabulary: many repeated ids per row
    ids = rng.integers(0, vocab, size=(batch, seq))
    weights = np.maximum(rng.standard_normal((batch, seq)), 0).astype(np.float32)
    lengths = rng.integers(1, seq + 1, size=batch)
    mask = (np.arange(seq) < lengths[:, None]).astype(np.int64)
    dropped = np.array([0, 2])
    counts, indices, values = lexical_rows(weights, ids, mask, dropped, vocab)
    start = 0
    for row in range(batch):
        expected: dict[int, float] = {}
        for position in range(lengths[row]):
            token, weight = int(ids[row, position]), float(weights[row, position])
            if token not in (0, 2) and weight > expected.get(token, 0.0):
                expected[token] = weight
        end = start + counts[row]
        assert indices[start:end].tolist() == sorted(expected)
        assert values[start:end].tolist() == [np.float32(expected[k]) for k in sorted(expected)]
        start = end
    # two batches in shuffled input order come back row by row
    order = np.array([4, 0, 5, 1, 3, 2])
    data, idx, indptr = assemble_csr([(order[:3], lexical_rows(weights[:3], ids[:3], mask[:3], dropped, vocab)),
                                      (order[3:], lexical_rows(weights[3:], ids[3:], mask[3:], dropped, vocab))], 6)
    got = csr_array((data, idx, indptr), shape=(6, vocab)).toarray()
    whole = csr_array((values, indices, np.r_[0, np.cumsum(counts)]), shape=(batch, vocab)).toarray()
    np.testing.assert_array_equal(got[order], whole)
    assert idx.dtype == np.int32 and indptr.dtype == np.int32
