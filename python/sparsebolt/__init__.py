"""sparsebolt: text to Milvus vectors, fast. Native BM25, ONNX MiniLM, Milvus ingestion.

``from sparsebolt import model`` mirrors ``pymilvus.model``. Submodules load lazily so that
importing one part (say the dense encoder) never pays for the others.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "model"]


def __getattr__(name: str) -> Any:
    if name == "model":
        return importlib.import_module("sparsebolt.model")
    raise AttributeError(f"module 'sparsebolt' has no attribute {name!r}")
