"""``pymilvus.model.dense``: local ONNX encoders and hosted embedding APIs, loaded on first use."""

from __future__ import annotations

import importlib
from typing import Any

# name -> module that defines it; a missing optional piece fails only when it is asked for.
_EXPORTS = {
    "DefaultEmbeddingFunction": "sparsebolt.dense",
    "SentenceTransformerEmbeddingFunction": "sparsebolt.dense",
    "OnnxEmbeddingFunction": "sparsebolt.dense",
    "OpenAIEmbeddingFunction": "sparsebolt.hosted",
    "JinaEmbeddingFunction": "sparsebolt.hosted",
    "VoyageEmbeddingFunction": "sparsebolt.hosted",
    "CohereEmbeddingFunction": "sparsebolt.hosted",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sparsebolt.model.dense' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
