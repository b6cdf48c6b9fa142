"""``pymilvus.model.hybrid``: BGE-M3 on ONNX Runtime (:mod:`sparsebolt.hybrid`), loaded on first use.

MGTEEmbeddingFunction is not provided: asking for it raises ImportError saying why.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {"BGEM3EmbeddingFunction": "sparsebolt.hybrid"}

_NOT_PROVIDED = {
    "MGTEEmbeddingFunction": (
        "mGTE (Alibaba-NLP/gte-multilingual-base) is a different encoder (rotary positions, its own NewModel code) "
        "that sparsebolt's graph builder does not build; use pymilvus.model for it, or BGEM3EmbeddingFunction for "
        "dense and sparse vectors from one model"
    ),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is not None:
        return getattr(importlib.import_module(module), name)
    if name in _NOT_PROVIDED:
        raise ImportError(f"{name} is not available in sparsebolt.model.hybrid: {_NOT_PROVIDED[name]}")
    raise AttributeError(f"module 'sparsebolt.model.hybrid' has no attribute {name!r}")
