"""The ``pymilvus.model`` layout: ``from sparsebolt import model`` is a drop-in for ``from pymilvus import model``."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["DefaultEmbeddingFunction", "dense", "sparse", "hybrid", "reranker", "utils"]

_SUBMODULES = {"dense", "sparse", "hybrid", "reranker", "utils"}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"sparsebolt.model.{name}")
    if name == "DefaultEmbeddingFunction":
        return importlib.import_module("sparsebolt.model.dense").DefaultEmbeddingFunction
    raise AttributeError(f"module 'sparsebolt.model' has no attribute {name!r}")
