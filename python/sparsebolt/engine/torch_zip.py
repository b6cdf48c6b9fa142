"""Tensors of a ``torch.save`` checkpoint (BGE-M3's ``sparse_linear.pt`` and ``colbert_linear.pt``, a
``pytorch_model.bin``) read as numpy arrays without importing torch, by an unpickler that builds nothing but
dicts, tuples, scalars and tensors.

The format, as PyTorch writes it since 1.6 (``torch/serialization.py``, ``_save``; ``caffe2/serialize/
inline_container.cc``): an uncompressed zip whose entries sit under one top-level folder (``archive/`` or the
file's stem). ``<folder>/data.pkl`` is a pickle (protocol 2) of the saved object in which every tensor is
``torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks)`` and
every storage a persistent id ``("storage", torch.<Dtype>Storage, key, location, numel)``; the storage's bytes
are the entry ``<folder>/data/<key>``, in the byte order named by ``<folder>/byteorder`` (``little`` when the
entry is absent, as in files older than PyTorch 2.1). A ``state_dict()`` is a ``collections.OrderedDict`` with a
``_metadata`` attribute, restored here as a plain attribute of the dict.
"""

from __future__ import annotations

import collections
import os
import pickle
import zipfile
from collections.abc import Mapping
from typing import IO, Any

import numpy as np

__all__ = ["STORAGE_DTYPES", "TorchCheckpointError", "read_state_dict", "read_torch_zip"]

# torch.<Name>Storage -> the numpy dtype of its elements (bfloat16 has none: its 16-bit words are widened below)
STORAGE_DTYPES: dict[str, str] = {
    "FloatStorage": "float32",
    "DoubleStorage": "float64",
    "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16",
    "LongStorage": "int64",
    "IntStorage": "int32",
    "ShortStorage": "int16",
    "CharStorage": "int8",
    "ByteStorage": "uint8",
    "BoolStorage": "bool",
}
_REBUILDERS = {"_rebuild_tensor_v2", "_rebuild_parameter"}
_ADVICE = "expected a file written by torch.save (a zip holding data.pkl and data/<key> entries)"


class TorchCheckpointError(ValueError):
    """The file is not a torch.save zip, or its pickle asks for something other than tensors and containers."""


class _StorageRef:
    """One storage of the checkpoint: its elements as a flat numpy array."""

    def __init__(self, elements: np.ndarray) -> None:
        self.elements = elements


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the globals a tensor checkpoint names; anything else (``os.system``, a model class) is a
    TorchCheckpointError instead of an import and a call."""

    def __init__(self, file: IO[bytes], *, storages: Mapping[str, bytes], big_endian: bool, source: str) -> None:
        super().__init__(file)
        self._storages = storages
        self._big_endian = big_endian
        self._source = source

    def find_class(self, module: str, name: str) -> Any:
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name in _REBUILDERS:
            return _rebuild_tensor_v2 if name == "_rebuild_tensor_v2" else _rebuild_parameter
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(name)
        raise TorchCheckpointError(
            f"{self._source}: its pickle refers to {module}.{name}, which a tensor checkpoint never needs; refusing "
            "to load it (only tensors, storages and OrderedDicts are read, nothing is imported or run)"
        )

    def persistent_load(self, pid: Any) -> _StorageRef:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise TorchCheckpointError(f"{self._source}: unknown persistent id {pid!r} in data.pkl; {_ADVICE}")
        _, storage_type, key, _location, numel = pid
        if not isinstance(storage_type, _StorageType) or not isinstance(key, str) or not isinstance(numel, int):
            raise TorchCheckpointError(f"{self._source}: malformed storage reference {pid!r}; {_ADVICE}")
        raw = self._storages.get(key)
        if raw is None:
            raise TorchCheckpointError(f"{self._source}: data.pkl names storage {key!r} but data/{key} is missing")
        return _StorageRef(storage_type.elements(raw, numel, big_endian=self._big_endian, source=self._source))


class _StorageType:
    """Stands for ``torch.<Name>Storage`` in the pickle: knows how to view raw bytes as its elements."""

    def __init__(self, name: str) -> None:
        self.name = name

    def elements(self, raw: bytes, numel: int, *, big_endian: bool, source: str) -> np.ndarray:
        kind = STORAGE_DTYPES[self.name]
        bf16 = kind == "bfloat16"
        dtype = np.dtype(np.uint16 if bf16 else kind).newbyteorder(">" if big_endian else "<")
        if len(raw) < numel * dtype.itemsize:
            raise TorchCheckpointError(
                f"{source}: a {self.name} of {numel} elements needs {numel * dtype.itemsize} bytes, its entry has "
                f"{len(raw)}; the file is truncated"
            )
        elements = np.frombuffer(raw, dtype=dtype, count=numel)
        if bf16:
            # bfloat16 is the high half of a float32: shift the 16-bit word into place
            return (elements.astype(np.uint32) << 16).view(np.float32)
        return elements.astype(dtype.newbyteorder("="), copy=False)


def _rebuild_tensor_v2(
    storage: _StorageRef,
    storage_offset: int,
    size: tuple[int, ...],
    stride: tuple[int, ...],
    requires_grad: bool = False,
    backward_hooks: Any = None,
    metadata: Any = None,
) -> np.ndarray:
    """The tensor ``storage[storage_offset:]`` viewed with ``size`` and ``stride`` (in elements), copied out so
    that it owns contiguous memory."""
    if not isinstance(storage, _StorageRef):
        raise TorchCheckpointError(f"a tensor is rebuilt from {type(storage).__name__}, not a storage; {_ADVICE}")
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride) or storage_offset < 0 or any(s < 0 for s in size + stride):
        raise TorchCheckpointError(f"a tensor has size {size}, stride {stride}, offset {storage_offset}; {_ADVICE}")
    elements = storage.elements
    if 0 in size:
        return np.zeros(size, dtype=elements.dtype)
    last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= elements.size:
        raise TorchCheckpointError(
            f"a tensor of size {size}, stride {stride} at offset {storage_offset} reaches element {last} of a "
            f"storage of {elements.size}; the file is corrupt"
        )
    view = np.lib.stride_tricks.as_strided(
        elements[storage_offset:], shape=size, strides=[s * elements.itemsize for s in stride], writeable=False
    )
    return np.array(view, order="C")


def _rebuild_parameter(data: np.ndarray, requires_grad: bool = False, backward_hooks: Any = None) -> np.ndarray:
    """An ``nn.Parameter`` saved as such is its tensor."""
    return data


def read_torch_zip(path: str | os.PathLike[str]) -> Any:
    """The object ``torch.save`` wrote to ``path``, with tensors as numpy arrays (see the module docstring for
    the format). Raises :class:`TorchCheckpointError` for a file that is not such a zip, or whose pickle names
    anything beyond tensors, storages and OrderedDicts."""
    source = str(path)
    if not zipfile.is_zipfile(source):
        raise TorchCheckpointError(
            f"{source} is not a zip file; {_ADVICE}. A checkpoint from PyTorch before 1.6 (the legacy format) "
            "can be re-saved with torch.save(torch.load(path), path)"
        )
    with zipfile.ZipFile(source) as archive:
        names = archive.namelist()
        pickles = [name for name in names if name.endswith("data.pkl") and name.count("/") == 1]
        if len(pickles) != 1:
            raise TorchCheckpointError(f"{source} holds {len(pickles)} top-level data.pkl entries; {_ADVICE}")
        folder = pickles[0][: -len("data.pkl")]
        order = folder + "byteorder"
        big_endian = order in names and archive.read(order).strip() == b"big"
        storages = {
            name[len(folder) + len("data/") :]: archive.read(name)
            for name in names
            if name.startswith(folder + "data/") and not name.endswith("/")
        }
        with archive.open(pickles[0]) as handle:
            unpickler = _RestrictedUnpickler(handle, storages=storages, big_endian=big_endian, source=source)
            try:
                return unpickler.load()
            except TorchCheckpointError:
                raise
            except (pickle.UnpicklingError, EOFError, AttributeError, TypeError, IndexError) as error:
                raise TorchCheckpointError(f"{source}: data.pkl cannot be read ({error}); {_ADVICE}") from None


def read_state_dict(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """A saved ``state_dict()`` (tensor name -> tensor) as numpy arrays; a TorchCheckpointError if ``path``
    holds anything else."""
    loaded = read_torch_zip(path)
    if not isinstance(loaded, Mapping) or not all(
        isinstance(name, str) and isinstance(value, np.ndarray) for name, value in loaded.items()
    ):
        raise TorchCheckpointError(
            f"{path} holds a {type(loaded).__name__}, not a state dict of named tensors; save one with "
            "torch.save(module.state_dict(), path)"
        )
    return dict(loaded)

