"""The torch.save reader on checkpoints written in torch.save's own layout without torch
(sparsebolt.testing.torch_checkpoints: no torch in this environment). Also the files it must refuse: pickles
that import anything else, broken storages, and files that are no torch zip at all."""

from __future__ import annotations

import pickle
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sparsebolt.engine.torch_zip import TorchCheckpointError, read_state_dict, read_torch_zip
from sparsebolt.testing.torch_checkpoints import Storage, Tensor, torch_save


def test_a_linear_state_dict_reads_back_exactly(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    weight, bias = rng.standard_normal((1, 8)).astype(np.float32), np.array([0.25], dtype=np.float32)
    path = torch_save(tmp_path / "sparse_linear.pt", {"weight": weight, "bias": bias})
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist()[0] == "archive/data.pkl"
        assert b"_rebuild_tensor_v2" in archive.read("archive/data.pkl")
    loaded = read_state_dict(path)
    assert list(loaded) == ["weight", "bias"]
    for name, want in (("weight", weight), ("bias", bias)):
        assert loaded[name].dtype == np.float32 and loaded[name].shape == want.shape
        np.testing.assert_array_equal(loaded[name], want)
    assert read_torch_zip(path)._metadata == {"": {"version": 1}}


def test_folder_named_after_the_file_and_no_byteorder_entry(tmp_path: Path) -> None:
    """Older PyTorch names the folder after the file and writes no byteorder entry (little-endian)."""
    values = np.arange(6, dtype=np.float32).reshape(2, 3)
    path = torch_save(tmp_path / "colbert_linear.pt", {"weight": values}, folder="colbert_linear", byteorder="")
    np.testing.assert_array_equal(read_state_dict(path)["weight"], values)


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int64, np.int32, np.int8, np.uint8, np.bool_])
def test_each_storage_type_keeps_its_dtype(tmp_path: Path, dtype: type) -> None:
    values = (np.arange(12).reshape(3, 4) % 5).astype(dtype)
    got = read_state_dict(torch_save(tmp_path / "t.pt", {"x": values}))["x"]
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, values)


def test_bfloat16_widens_to_float32(tmp_path: Path) -> None:
    want = np.array([1.0, -2.5, 0.15625, 2.0**120, 0.0], dtype=np.float32)  # all exact in bfloat16
    words = (want.view(np.uint32) >> 16).astype(np.uint16)
    tensor = Tensor(Storage(words, bfloat16=True), 0, (5,), (1,))
    got = read_state_dict(torch_save(tmp_path / "bf16.pt", {"x": tensor}))["x"]
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)


def test_views_offsets_strides_and_shared_storage(tmp_path: Path) -> None:
    base = np.arange(20, dtype=np.float32)
    storage = Storage(base)
    tensors = {
        "transposed": Tensor(storage, 0, (4, 5), (1, 4)),  # the transpose of a 5x4 row-major matrix
        "offset": Tensor(storage, 7, (2, 3), (3, 1)),
        "scalar": Tensor(storage, 19, (), ()),
        "empty": Tensor(storage, 0, (0, 3), (3, 1)),
    }
    got = read_state_dict(torch_save(tmp_path / "views.pt", tensors))
    np.testing.assert_array_equal(got["transposed"], base.reshape(5, 4).T)
    np.testing.assert_array_equal(got["offset"], base[7:13].reshape(2, 3))
    assert got["scalar"].shape == () and got["scalar"] == 19
    assert got["empty"].shape == (0, 3)
    assert all(array.flags.c_contiguous and array.flags.owndata for array in got.values())


def test_big_endian_files(tmp_path: Path) -> None:
    values = np.linspace(-1, 1, 7).astype(np.float64)
    got = read_state_dict(torch_save(tmp_path / "be.pt", {"x": values}, byteorder="big"))["x"]
    assert got.dtype == np.float64 and got.dtype.isnative
    np.testing.assert_array_equal(got, values)


def _zip_with_pickle(path: Path, payload: bytes, entries: Mapping[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", payload)
        for name, data in (entries or {}).items():
            archive.writestr(f"archive/{name}", data)
    return path


class _RunsACommand:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> Any:
        import os

        return os.system, (f"touch {self.marker}",)


def test_pickles_that_import_anything_else_are_refused_without_running_it(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = _zip_with_pickle(tmp_path / "evil.pt", pickle.dumps({"x": _RunsACommand(marker)}, protocol=2))
    with pytest.raises(TorchCheckpointError, match=r"refers to (posix|os|nt)\.system.*refusing"):
        read_torch_zip(path)
    assert not marker.exists()
    builtin = _zip_with_pickle(tmp_path / "eval.pt", b"\x80\x02cbuiltins\neval\nX\x04\x00\x00\x001+1\x85R.")
    with pytest.raises(TorchCheckpointError, match=r"builtins\.eval"):
        read_torch_zip(builtin)


def test_broken_storages_are_refused_with_the_reason(tmp_path: Path) -> None:
    good = torch_save(tmp_path / "good.pt", {"w": np.ones((2, 3), dtype=np.float32)})
    with zipfile.ZipFile(good) as archive:
        payload = archive.read("archive/data.pkl")
    missing = _zip_with_pickle(tmp_path / "missing.pt", payload)
    with pytest.raises(TorchCheckpointError, match=r"data/0 is missing"):
        read_state_dict(missing)
    truncated = _zip_with_pickle(tmp_path / "short.pt", payload, {"data/0": b"\x00" * 8})
    with pytest.raises(TorchCheckpointError, match="truncated"):
        read_state_dict(truncated)
    overrun = Tensor(Storage(np.zeros(4, dtype=np.float32)), 2, (2, 2), (2, 1))
    with pytest.raises(TorchCheckpointError, match="corrupt"):
        read_state_dict(torch_save(tmp_path / "overrun.pt", {"w": overrun}))


def test_files_that_are_no_torch_zip(tmp_path: Path) -> None:
    legacy = tmp_path / "legacy.bin"
    legacy.write_bytes(pickle.dumps({"weight": [1.0, 2.0]}))
    with pytest.raises(TorchCheckpointError, match="not a zip file.*legacy format"):
        read_state_dict(legacy)
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(TorchCheckpointError, match="0 top-level data.pkl"):
        read_state_dict(plain)
    garbage = _zip_with_pickle(tmp_path / "garbage.pt", b"\x80\x02not a pickle")
    with pytest.raises(TorchCheckpointError, match="cannot be read"):
        read_state_dict(garbage)
    single = torch_save(tmp_path / "tensor.pt", Tensor.of(np.ones(3, dtype=np.float32)))
    np.testing.assert_array_equal(read_torch_zip(single), np.ones(3))
    with pytest.raises(TorchCheckpointError, match="not a state dict.*state_dict"):
        read_state_dict(single)
    assert issubclass(TorchCheckpointError, ValueError)
