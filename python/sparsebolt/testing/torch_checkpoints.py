"""Checkpoints written as ``torch.save`` writes them, without torch: Python's pickler at protocol 2 with torch's
persistent ids and rebuild call, under stand-in ``torch`` modules that exist only while pickling, in a stored zip
laid out as PyTorch's zip writer lays it out. For the tests of sparsebolt.engine.torch_zip and BGE-M3, and for
bench/bench_bge_m3.py, which build FlagEmbedding folders where torch is not installed."""

from __future__ import annotations

import collections
import contextlib
import io
import pickle
import sys
import types
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Storage", "Tensor", "torch_save"]

# numpy dtype -> the torch storage class torch.save names for it
_STORAGE_NAMES = {
    np.dtype(np.float32): "FloatStorage",
    np.dtype(np.float64): "DoubleStorage",
    np.dtype(np.float16): "HalfStorage",
    np.dtype(np.int64): "LongStorage",
    np.dtype(np.int32): "IntStorage",
    np.dtype(np.int8): "CharStorage",
    np.dtype(np.uint8): "ByteStorage",
    np.dtype(np.bool_): "BoolStorage",
}


class Storage:
    """A storage to save: its elements (1-D) and, for bfloat16, the 16-bit words instead."""

    def __init__(self, elements: np.ndarray, *, bfloat16: bool = False) -> None:
        self.elements = np.ascontiguousarray(elements).reshape(-1)
        self.bfloat16 = bfloat16

    @property
    def storage_name(self) -> str:
        return "BFloat16Storage" if self.bfloat16 else _STORAGE_NAMES[self.elements.dtype]


class Tensor:
    """A tensor to save: a view of ``storage`` as torch describes one (offset, size, stride in elements)."""

    def __init__(self, storage: Storage, offset: int, size: tuple[int, ...], stride: tuple[int, ...]) -> None:
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    @classmethod
    def of(cls, array: np.ndarray) -> Tensor:
        array = np.ascontiguousarray(array)
        strides = tuple(s // array.itemsize for s in array.strides)
        return cls(Storage(array), 0, array.shape, strides)

    def __reduce_ex__(self, protocol: Any) -> Any:
        # torch.Tensor._reduce_ex_internal for a dense CPU tensor
        rebuild = sys.modules["torch._utils"]._rebuild_tensor_v2
        return rebuild, (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict())


@contextlib.contextmanager
def _torch_names() -> Iterator[types.ModuleType]:
    """Stand-in ``torch`` and ``torch._utils`` modules holding the names the pickle refers to, so that the
    pickler can write them as globals; sys.modules is restored afterwards."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args: Any) -> None:
        raise AssertionError("never called while saving")

    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2  # type: ignore[attr-defined]
    for name in {*_STORAGE_NAMES.values(), "BFloat16Storage"}:
        storage_class = type(name, (), {"__module__": "torch"})
        setattr(torch, name, storage_class)
    torch._utils = utils  # type: ignore[attr-defined]
    saved = {name: sys.modules.get(name) for name in ("torch", "torch._utils")}
    sys.modules["torch"], sys.modules["torch._utils"] = torch, utils
    try:
        yield torch
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def torch_save(
    path: Path, obj: Any, *, folder: str = "archive", byteorder: str = "little", metadata: bool = True
) -> Path:
    """``obj`` (tensors as :class:`Tensor`, or arrays in a mapping) written as torch.save writes it: a stored
    zip with ``<folder>/data.pkl`` (protocol 2, a persistent id per storage), ``<folder>/byteorder``,
    ``<folder>/data/<key>`` per storage, ``<folder>/version``. A mapping becomes a state dict: an OrderedDict
    with ``_metadata``, as ``Module.state_dict()`` returns."""
    if isinstance(obj, Mapping):
        state = collections.OrderedDict((k, v if isinstance(v, Tensor) else Tensor.of(v)) for k, v in obj.items())
        if metadata:
            state._metadata = collections.OrderedDict({"": {"version": 1}})  # type: ignore[attr-defined]
        obj = state
    keys: dict[int, str] = {}
    storages: dict[str, Storage] = {}
    buffer = io.BytesIO()
    with _torch_names() as torch:

        class Pickler(pickle.Pickler):
            def persistent_id(self, value: Any) -> Any:
                if not isinstance(value, Storage):
                    return None
                key = keys.setdefault(id(value), str(len(keys)))
                storages[key] = value
                return ("storage", getattr(torch, value.storage_name), key, "cpu", value.elements.size)

        Pickler(buffer, protocol=2).dump(obj)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{folder}/data.pkl", buffer.getvalue())
        if byteorder:
            archive.writestr(f"{folder}/byteorder", byteorder)
        for key, storage in storages.items():
            elements = storage.elements.astype(storage.elements.dtype.newbyteorder(">" if byteorder == "big" else "<"))
            archive.writestr(f"{folder}/data/{key}", elements.tobytes())
        archive.writestr(f"{folder}/version", "3\n")
        archive.writestr(f"{folder}/.data/serialization_id", "0123456789")
    return path
