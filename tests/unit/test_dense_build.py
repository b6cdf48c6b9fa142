"""The ONNX file an embedder runs: a folder's prebuilt graph, or one built from safetensors and cached under the
hash of the weights."""

from __future__ import annotations

import os
import shutil

import pytest

from sparsebolt.dense.build import graph_path
from sparsebolt.engine.files import ModelFiles
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


def test_prebuilt_onnx_is_used_as_is_and_only_in_fp32(tmp_path) -> None:
    folder = make_tiny_model(tmp_path / "m")
    built = graph_path(ModelFiles(folder, "model_path"))
    os.replace(built, folder / "model.onnx")
    files = ModelFiles(folder, "model_path")
    assert graph_path(files) == folder / "model.onnx"
    with pytest.raises(ValueError, match="prebuilt ONNX"):
        graph_path(files, precision="int8")
    with pytest.raises(ValueError, match="fp32"):
        graph_path(files, precision="fp16")


def test_int8_graph_is_calibrated_on_the_demo_corpus_and_cached_apart(tmp_path) -> None:
    files = ModelFiles(make_tiny_model(tmp_path / "m"), "model_path")
    int8 = graph_path(files, precision="int8")
    assert int8 != graph_path(files) and int8.name.endswith("-int8.onnx") and int8.parent == tmp_path / "cache" / "onnx"
