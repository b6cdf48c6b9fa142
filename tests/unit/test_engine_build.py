"""The ONNX file a model runs: a folder's prebuilt graph, or one built from the checkpoint with the requested heads
(and heads saved apart) and cached under a key of the weights, config, heads, head tensors, token types, builder
versions and calibration text; graphs too large for one file keep their tensors beside it."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from sparsebolt.engine import build
from sparsebolt.engine.build import cache_name, checkpoint_file, data_file, graph_path, save_graph
from sparsebolt.engine.files import BGE_M3, ModelFiles
from sparsebolt.engine.graph import GRAPH_VERSION
from tests.reference.transformer import BERT_TINY, forward, random_weights, save_hf_folder
from tests.unit.dense_tiny import make_tiny_model


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("SPARSEBOLT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SPARSEBOLT_MODELS_DIR", raising=False)


def test_graph_is_built_once_and_keyed_by_the_weights(tmp_path) -> None:
    folder = make_tiny_model(tmp_path / "a")
    files = ModelFiles(folder, "model_path")
    first = graph_path(files)
    built_at = first.stat().st_mtime_ns
    assert graph_path(files) == first and first.stat().st_mtime_ns == built_at  # reused, not rebuilt
    assert first.parent == tmp_path / "cache" / "onnx"

    changed = make_tiny_model(tmp_path / "b", seed=9)
    assert graph_path(ModelFiles(changed, "model_path")) != first
    copy = tmp_path / "c"
    shutil.copytree(folder, copy)
    assert graph_path(ModelFiles(copy, "model_path")) == first  # same bytes, same key, wherever they live


def test_the_hidden_state_graph_keeps_the_key_of_graphs_cached_before_heads(tmp_path) -> None:
    # The key such caches were written under: sha256(sha256(weights) hex + config.json bytes), then the recipe.
    folder = make_tiny_model(tmp_path / "m")
    key = hashlib.sha256()
    key.update(hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest().encode())
    key.update((folder / "config.json").read_bytes())
    files = ModelFiles(folder, "model_path")
    assert cache_name(files) == f"{key.hexdigest()[:32]}-g{GRAPH_VERSION}-fp32.onnx"
    assert graph_path(files).name == cache_name(files)


def test_the_written_out_attention_is_cached_apart_and_not_for_int8(tmp_path) -> None:
    files = ModelFiles(make_tiny_model(tmp_path / "m"), "model_path")
    default = graph_path(files, cache=tmp_path / "cache")
    matmul = graph_path(files, cache=tmp_path / "cache", attention="matmul")
    assert matmul != default and matmul.is_file() and cache_name(files, attention="onnx") == default.name
    assert "Attention" not in {node.op_type for node in onnx.load(str(matmul)).graph.node}
    with pytest.raises(ValueError, match="int8 graph runs on ONNX Runtime"):
        graph_path(files, cache=tmp_path / "cache", precision="int8", attention="matmul")


def test_heads_and_token_types_are_part_of_the_key(tmp_path) -> None:
    weights = random_weights(BERT_TINY, seed=2, architecture="sequence_classification")
    files = ModelFiles(save_hf_folder(tmp_path / "m", BERT_TINY, weights, architecture="sequence_classification"),
                       "model_path")
    recipes = [
        {"heads": ("hidden",), "token_type_ids": False},
        {"heads": ("hidden",), "token_type_ids": True},
        {"heads": ("classifier",), "token_type_ids": False},
        {"heads": ("classifier",), "token_type_ids": True},
        {"heads": ("hidden", "classifier"), "token_type_ids": True},
    ]
    paths = [graph_path(files, **recipe) for recipe in recipes]  # type: ignore[arg-type]
    assert len(set(paths)) == len(recipes)
    assert graph_path(files, heads=["classifier"], token_type_ids=True) == paths[3]  # any sequence of names

    # each cached file really is its recipe: the pair classifier against the numpy reference
    ids = np.array([[2, 5, 6, 3, 7, 8, 3]])
    types = np.array([[0, 0, 0, 0, 1, 1, 1]])
    session = ort.InferenceSession(str(paths[3]), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["input_ids", "attention_mask", "token_type_ids"]
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": types}
    (logits,) = session.run(["logits"], feed)
    expected = forward(BERT_TINY, weights, ids, np.ones_like(ids), heads=("classifier",), token_type_ids=types)
    np.testing.assert_allclose(logits, expected["classifier"], atol=1e-4)


def test_prebuilt_onnx_is_used_as_is_and_only_in_fp32(tmp_path) -> None:
    folder = make_tiny_model(tmp_path / "m")
    built = graph_path(ModelFiles(folder, "model_path"))
    os.replace(built, folder / "model.onnx")
    files = ModelFiles(folder, "model_path")
    assert graph_path(files) == folder / "model.onnx"
    assert graph_path(files, heads=("classifier",), token_type_ids=True) == folder / "model.onnx"
    with pytest.raises(ValueError, match="prebuilt ONNX"):
        graph_path(files, precision="int8")
    with pytest.raises(ValueError, match="fp32"):
        graph_path(files, precision="fp16")


def test_bad_head_lists_are_refused_before_anything_is_cached(tmp_path) -> None:
    files = ModelFiles(make_tiny_model(tmp_path / "m"), "model_path")
    with pytest.raises(ValueError, match="unknown head"):
        graph_path(files, heads=("pooler",))
    with pytest.raises(TypeError, match=r"pass \('hidden',\)"):
        graph_path(files, heads="hidden")
    assert not (tmp_path / "cache" / "onnx").exists()


def test_int8_graph_is_calibrated_on_the_demo_corpus_and_cached_apart(tmp_path) -> None:
    files = ModelFiles(make_tiny_model(tmp_path / "m"), "model_path")
    int8 = graph_path(files, precision="int8")
    assert int8 != graph_path(files) and int8.name.endswith("-int8.onnx") and int8.parent == tmp_path / "cache" / "onnx"


def test_int8_with_token_types_calibrates_on_the_inputs_the_graph_declares(tmp_path: Path) -> None:
    weights = random_weights(BERT_TINY, seed=4, architecture="sequence_classification")
    files = ModelFiles(save_hf_folder(tmp_path / "m", BERT_TINY, weights, architecture="sequence_classification"),
                       "model_path")
    int8 = graph_path(files, heads=("classifier",), token_type_ids=True, precision="int8")
    fp32 = graph_path(files, heads=("classifier",), token_type_ids=True)
    ids = np.array([[2, 5, 6, 3, 7, 8, 3]])
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.array([[0, 0, 0, 0, 1, 1, 1]])}
    run = [ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(None, feed)[0] for p in (int8, fp32)]
    assert int8 != fp32 and run[0].shape == run[1].shape == (1, 1)
    np.testing.assert_allclose(run[0], run[1], atol=0.2)  # int8 of a random model: close, not equal


def _hidden(graph: Path, ids: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(graph), providers=["CPUExecutionProvider"])
    return session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0]


def test_a_graph_over_the_single_file_limit_keeps_its_tensors_beside_it(tmp_path, monkeypatch) -> None:
    files = ModelFiles(make_tiny_model(tmp_path / "m"), "model_path")
    single = graph_path(files)
    assert not data_file(single).exists()
    monkeypatch.setattr(build, "SINGLE_FILE_LIMIT", 0)  # as XLM-R large in fp32 is over protobuf's 2 GiB
    external = graph_path(files, cache=tmp_path / "other")
    assert external.name == single.name  # the layout is no part of the key
    data = data_file(external)
    assert data.name == external.name + ".data" and data.stat().st_size > external.stat().st_size
    ids = np.array([[2, 5, 6, 3], [2, 7, 3, 0]])
    np.testing.assert_array_equal(_hidden(external, ids), _hidden(single, ids))
    built = external.stat().st_mtime_ns, data.stat().st_mtime_ns
    assert graph_path(files, cache=tmp_path / "other") == external
    assert (external.stat().st_mtime_ns, data.stat().st_mtime_ns) == built  # reused, not rebuilt
    assert sorted(p.name for p in external.parent.iterdir()) == [external.name, data.name]  # no staging left


def test_save_graph_writes_one_file_under_the_limit_and_two_over_it(tmp_path) -> None:
    import onnx

    model = onnx.load(str(graph_path(ModelFiles(make_tiny_model(tmp_path / "m"), "model_path"))))
    size = model.ByteSize()
    save_graph(model, tmp_path / "one.onnx", single_file_limit=size + 1)
    assert (tmp_path / "one.onnx").stat().st_size == size and not data_file(tmp_path / "one.onnx").exists()
    save_graph(model, tmp_path / "two.onnx", single_file_limit=size)
    assert data_file(tmp_path / "two.onnx").is_file()
    ids = np.array([[2, 9, 3]])
    np.testing.assert_array_equal(_hidden(tmp_path / "two.onnx", ids), _hidden(tmp_path / "one.onnx", ids))


def test_head_tensors_are_part_of_the_key_and_of_the_graph(tmp_path) -> None:
    weights = random_weights(BERT_TINY, seed=5, architecture="sequence_classification")
    head = {name: weights.pop(f"classifier.{name}") for name in ("weight", "bias")}  # saved apart, as BGE-M3's
    folder = save_hf_folder(tmp_path / "m", BERT_TINY, weights, architecture="sequence_classification")
    files = ModelFiles(folder, "model_path")
    plain = cache_name(files, heads=("classifier",))
    assert cache_name(files, heads=("classifier",), head_tensors={}) == plain
    keyed = cache_name(files, heads=("classifier",), head_tensors={"classifier": head})
    reordered = {"classifier": {"bias": head["bias"].copy(), "weight": head["weight"].copy()}}
    assert keyed != plain and cache_name(files, heads=("classifier",), head_tensors=reordered) == keyed
    nudged = {"classifier": {**head, "bias": head["bias"] + np.float32(1e-3)}}
    assert cache_name(files, heads=("classifier",), head_tensors=nudged) != keyed

    graph = graph_path(files, heads=("classifier",), head_tensors={"classifier": head})
    assert graph.name == keyed
    ids = np.array([[2, 5, 6, 3]])
    (logits,) = ort.InferenceSession(str(graph), providers=["CPUExecutionProvider"]).run(
        ["logits"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})
    expected = forward(BERT_TINY, {**weights, **{f"classifier.{k}": v for k, v in head.items()}}, ids,
                       np.ones_like(ids), heads=("classifier",))
    np.testing.assert_allclose(logits, expected["classifier"], atol=1e-4)


def test_head_tensors_cannot_join_a_prebuilt_graph(tmp_path) -> None:
    folder = make_tiny_model(tmp_path / "m")
    os.replace(graph_path(ModelFiles(folder, "model_path")), folder / "model.onnx")
    with pytest.raises(ValueError, match=r"prebuilt ONNX graph, which cannot take the heads \['colbert_linear'\]"):
        graph_path(ModelFiles(folder, "model_path"), head_tensors={"colbert_linear": {"weight": np.ones((2, 2))}})


def test_the_checkpoint_is_the_familys_first_weights_file(tmp_path) -> None:
    folder = make_tiny_model(tmp_path / "m")
    assert checkpoint_file(ModelFiles(folder, "model_path")) == folder / "model.safetensors"
    assert checkpoint_file(ModelFiles(folder, "model_path", BGE_M3)) == folder / "model.safetensors"
    os.replace(folder / "model.safetensors", folder / "pytorch_model.bin")
    assert checkpoint_file(ModelFiles(folder, "model_path", BGE_M3)) == folder / "pytorch_model.bin"
    (folder / "pytorch_model.bin").unlink()
    with pytest.raises(ValueError, match="has no model.safetensors or pytorch_model.bin; a BGE-M3 folder needs"):
        graph_path(ModelFiles(folder, "model_path", BGE_M3))
