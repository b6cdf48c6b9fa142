"""Tokenization, pooling, provider selection, cache folder and atomic writes of the dense encoder."""

from __future__ import annotations

import json
import logging
import threading

import numpy as np
import pytest

from sparsebolt.dense.cache import atomic_write_bytes, cache_dir
from sparsebolt.dense.pooling import cls_pool, l2_normalize, max_pool, mean_pool, pool, read_pooling
from sparsebolt.dense.session import check_active_providers, create_session, make_session_options, select_providers
from sparsebolt.dense.tokenize import TextTokenizer, read_max_seq_length
from tests.unit.dense_tiny import make_tiny_model, write_tokenizer

CPU, CUDA = "CPUExecutionProvider", "CUDAExecutionProvider"


# tokenization --------------------------------------------------------------------------------------------
def test_tokenizer_overrides_the_files_truncation_and_fixed_padding(tmp_path) -> None:
    vocab = write_tokenizer(tmp_path / "tokenizer.json", truncation=8, fixed_padding=16)
    tok = TextTokenizer(tmp_path / "tokenizer.json", max_length=12)
    ids = tok.encode_ids(["the cat", "the cat sat on the mat the dog ran far away the red sky", ""])
    assert ids[0] == [vocab["[CLS]"], vocab["the"], vocab["cat"], vocab["[SEP]"]]  # no padding to 16
    assert len(ids[1]) == 12 and ids[1][-1] == vocab["[SEP]"]  # truncated at 12, not 8, [SEP] kept
    assert ids[2] == [vocab["[CLS]"], vocab["[SEP]"]]  # an empty text is [CLS][SEP]


def test_pad_right_to_the_longest_in_the_batch(tmp_path) -> None:
    write_tokenizer(tmp_path / "tokenizer.json")
    tok = TextTokenizer(tmp_path / "tokenizer.json", max_length=20)
    input_ids, mask = tok.pad([[2, 5, 3], [2, 3], [2, 5, 6, 7, 3]])
    assert input_ids.dtype == np.int64 and mask.dtype == np.int64 and input_ids.shape == (3, 5)
    np.testing.assert_array_equal(mask.sum(1), [3, 2, 5])
    np.testing.assert_array_equal(input_ids[1], [2, 3, 0, 0, 0])


def test_max_seq_length_prefers_sentence_bert_config(tmp_path) -> None:
    assert read_max_seq_length(make_tiny_model(tmp_path / "m", max_seq_length=20)) == 20
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "tokenizer_config.json").write_text(json.dumps({"model_max_length": int(1e30)}))
    (tmp_path / "bare" / "config.json").write_text(json.dumps({"max_position_embeddings": 128}))
    assert read_max_seq_length(tmp_path / "bare") == 128  # tokenizer_config's "no limit" sentinel is skipped


def test_tokenizer_rejects_max_length_below_two(tmp_path) -> None:
    write_tokenizer(tmp_path / "tokenizer.json")
    with pytest.raises(ValueError, match="at least 2"):
        TextTokenizer(tmp_path / "tokenizer.json", max_length=1)


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


# providers and sessions ----------------------------------------------------------------------------------
def test_cpu_is_the_default_provider() -> None:
    assert select_providers(available=[CPU]) == [CPU]


def test_cuda_maps_to_the_cuda_provider_with_cpu_after_it() -> None:
    chosen = select_providers("cuda:1", available=[CUDA, CPU])
    assert chosen == [(CUDA, {"device_id": 1}), CPU]
    assert select_providers("cuda", available=[CUDA, CPU])[0] == (CUDA, {"device_id": 0})


def test_cuda_without_onnxruntime_gpu_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="onnxruntime-gpu"):
        select_providers("cuda", available=[CPU])


def test_cuda_on_this_onnxruntime_build_fails_before_running(tmp_path) -> None:
    import onnxruntime as ort

    if CUDA in ort.get_available_providers():
        pytest.skip("this onnxruntime has CUDA")
    with pytest.raises(ValueError, match="not available in this onnxruntime build"):
        create_session(b"unused", device="cuda")


@pytest.mark.parametrize(
    ("device", "providers", "message"),
    [
        ("tpu", None, "not supported"),
        ("cuda:x", None, "integer"),
        ("cpu", [], "empty"),
        ("cpu", ["TensorrtExecutionProvider"], "not available"),
    ],
)
def test_bad_device_or_providers(device: str, providers, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        select_providers(device, providers, available=[CPU])


def test_explicit_providers_pass_through_with_options() -> None:
    chosen = select_providers(providers=[(CUDA, {"device_id": 2}), CPU], available=[CUDA, CPU])
    assert chosen == [(CUDA, {"device_id": 2}), CPU]


def test_a_dropped_provider_is_logged(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="sparsebolt.dense.session"):
        check_active_providers([(CUDA, {"device_id": 0}), CPU], [CPU])
    assert "CUDAExecutionProvider" in caplog.text
    caplog.clear()
    check_active_providers([CPU], [CPU])
    assert caplog.text == ""


@pytest.mark.parametrize("threads", [0, -1, 1.5, "2"])
def test_threads_must_be_positive(threads) -> None:
    with pytest.raises(ValueError, match="threads"):
        make_session_options(threads=threads)


def test_threads_reach_the_session_options() -> None:
    assert make_session_options(threads=3).intra_op_num_threads == 3


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
