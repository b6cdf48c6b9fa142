"""The ONNX file a model runs: a folder's prebuilt graph, or one built from safetensors with the requested heads
and cached under a key of the weights, config, heads, token types, builder versions and calibration text."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from sparsebolt.engine.build import cache_name, graph_path
from sparsebolt.engine.files import ModelFiles
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
