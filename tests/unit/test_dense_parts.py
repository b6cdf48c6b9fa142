"""Pooling, normalization, the cache folder and atomic writes of the dense encoder."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from sparsebolt._files import atomic_write_bytes, cache_dir
from sparsebolt.dense.pooling import cls_pool, l2_normalize, max_pool, mean_pool, pool, read_pooling
from tests.unit.dense_tiny import make_tiny_model


# pooling -------------------------------------------------------------------------------------------------
def _hidden() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((3, 4, 5)).astype(np.float32), np.array([[1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 1, 1]])


def test_mean_pool_ignores_padding() -> None:
    hidden, mask = _hidden()
    want = np.stack([hidden[i, : mask[i].sum()].mean(0) for i in range(3)])
    np.testing.assert_allclose(mean_pool(hidden, mask), want, rtol=1e-6)


def test_cls_and_max_pool() -> None:
    hidden, mask = _hidden()
    np.testing.assert_array_equal(cls_pool(hidden, mask), hidden[:, 0])
    want = np.stack([hidden[i, : mask[i].sum()].max(0) for i in range(3)])
    np.testing.assert_array_equal(max_pool(hidden, mask), want)


def test_pool_guards_all_masked_rows_and_zero_vectors() -> None:
    hidden, _ = _hidden()
    pooled = pool("mean", hidden, np.zeros((3, 4), dtype=np.int64))
    assert np.all(np.isfinite(pooled)) and pooled.dtype == np.float32
    normalized = l2_normalize(np.zeros((2, 5), dtype=np.float32))
    assert np.all(normalized == 0)
    np.testing.assert_allclose(np.linalg.norm(l2_normalize(hidden[:, 0]), axis=1), 1, rtol=1e-6)
    with pytest.raises(ValueError, match="mean"):
        pool("weightedmean", hidden, np.ones((3, 4)))


@pytest.mark.parametrize("mode", ["mean", "cls", "max"])
def test_read_pooling_from_a_sentence_transformers_folder(tmp_path, mode: str) -> None:
    assert read_pooling(make_tiny_model(tmp_path, pooling=mode)) == (mode, True)


def test_read_pooling_defaults_and_rejects_two_modes(tmp_path) -> None:
    assert read_pooling(tmp_path) == ("mean", True)  # a bare folder: the all-MiniLM-L6-v2 recipe
    folder = make_tiny_model(tmp_path / "m")
    config = folder / "1_Pooling" / "config.json"
    config.write_text(json.dumps({"pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": True}))
    with pytest.raises(ValueError, match="exactly one"):
        read_pooling(folder)


# cache ---------------------------------------------------------------------------------------------------
def test_cache_dir_precedence(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("SPARSEBOLT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "sparsebolt"
    monkeypatch.setenv("SPARSEBOLT_CACHE_DIR", str(tmp_path / "env"))
    assert cache_dir() == tmp_path / "env"
    assert cache_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("SPARSEBOLT_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "sparsebolt"


def test_atomic_writes_race_to_a_whole_file(tmp_path) -> None:
    target = tmp_path / "sub" / "graph.onnx"
    payloads = [bytes([i]) * 200_000 for i in range(8)]
    seen: list[bytes] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            if target.exists():
                seen.append(target.read_bytes())

    watcher = threading.Thread(target=reader)
    watcher.start()
    writers = [threading.Thread(target=atomic_write_bytes, args=(target, p)) for p in payloads]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    watcher.join()
    assert target.read_bytes() in payloads
    assert all(data in payloads for data in seen)  # never a half-written file
    assert [p.name for p in target.parent.iterdir()] == ["graph.onnx"]  # no temp files left


def test_atomic_write_leaves_nothing_on_failure(tmp_path) -> None:
    with pytest.raises(TypeError):
        atomic_write_bytes(tmp_path / "x.onnx", "not bytes")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
