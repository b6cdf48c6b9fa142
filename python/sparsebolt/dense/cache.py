"""The user cache folder for built ONNX graphs and downloaded models, and atomic writes into it.
Graphs are keyed by the sha256 of the weights they came from, so a changed checkpoint never reuses a stale graph."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sparsebolt._files import CACHE_ENV, atomic_write_bytes, cache_dir

__all__ = ["CACHE_ENV", "cache_dir", "sha256_file", "atomic_write_bytes"]


def sha256_file(path: Path, *, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()

