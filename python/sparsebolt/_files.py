"""The user cache folder and atomic file writes, shared by the dense encoder (built graphs, models) and
BM25 (params files, the default params download)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["CACHE_ENV", "cache_dir", "atomic_write_bytes"]

CACHE_ENV = "SPARSEBOLT_CACHE_DIR"


def cache_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """``override``, else ``$SPARSEBOLT_CACHE_DIR``, else ``$XDG_CACHE_HOME/sparsebolt``, else
    ``~/.cache/sparsebolt``."""
    if override is not None:
        return Path(override).expanduser()
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "sparsebolt"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temp file beside ``path`` and rename it into place.

    ``os.replace`` is atomic on one filesystem, so a concurrent reader sees either no file or the whole file;
    two writers racing on the same key both write identical bytes and the last rename wins.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
