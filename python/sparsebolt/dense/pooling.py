"""Sentence pooling over token vectors and L2 normalization: pure numpy, with eps guards, as in
sentence-transformers' Pooling and Normalize modules."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

__all__ = ["POOLING_MODES", "mean_pool", "cls_pool", "max_pool", "l2_normalize", "pool", "read_pooling"]

POOLING_MODES = ("mean", "cls", "max")


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sum_t mask[t] * h[t] / max(sum_t mask[t], 1e-9)  (sentence-transformers ``pooling_mode_mean_tokens``)."""
    weights = mask.astype(hidden.dtype)[:, :, None]
    return np.einsum("bsh,bsi->bh", hidden, weights) / np.maximum(weights.sum(axis=1), 1e-9)


def cls_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The first token's vector (``pooling_mode_cls_token``)."""
    return hidden[:, 0, :]


def max_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """max_t over unmasked tokens (``pooling_mode_max_tokens``: masked positions are set to -1e9 first)."""
    return np.where(mask[:, :, None] > 0, hidden, np.float32(-1e9)).max(axis=1)


_POOLERS = {"mean": mean_pool, "cls": cls_pool, "max": max_pool}


def pool(mode: str, hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    try:
        pooler = _POOLERS[mode]
    except KeyError:
        raise ValueError(f"pooling mode {mode!r} is not supported; choose one of {POOLING_MODES}") from None
    return np.ascontiguousarray(pooler(hidden, mask), dtype=np.float32)


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """v / max(||v||, 1e-12) row by row (torch.nn.functional.normalize's eps)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def read_pooling(folder: Path) -> tuple[str, bool]:
    """``(mode, normalize)`` from a sentence-transformers folder (``modules.json`` + ``1_Pooling/config.json``).

    A folder without them (a bare ``model.onnx``) gets mean pooling + normalization, the all-MiniLM-L6-v2 recipe.
    """
    modules_path = folder / "modules.json"
    if not modules_path.is_file():
        return "mean", True
    modules = json.loads(modules_path.read_text(encoding="utf-8"))
    normalize = any(m.get("type", "").endswith("Normalize") for m in modules)
    pooling_dir = next((m.get("path", "") for m in modules if m.get("type", "").endswith("Pooling")), None)
    config_path = folder / (pooling_dir or "1_Pooling") / "config.json"
    if not config_path.is_file():
        return "mean", normalize
    config = json.loads(config_path.read_text(encoding="utf-8"))
    chosen = [mode for mode, key in _CONFIG_KEYS.items() if config.get(key)]
    if len(chosen) != 1:
        raise ValueError(
            f"{config_path} enables pooling modes {chosen or 'none'}; exactly one of {POOLING_MODES} is supported"
        )
    return chosen[0], normalize


_CONFIG_KEYS = {"mean": "pooling_mode_mean_tokens", "cls": "pooling_mode_cls_token", "max": "pooling_mode_max_tokens"}
