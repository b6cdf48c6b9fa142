"""``pymilvus.model.hybrid``: BGE-M3 on ONNX Runtime (:mod:`sparsebolt.hybrid`), loaded on first use.

MGTEEmbeddingFunction is not provided: asking for it raises ImportError saying why.
"""

from __future__ import annotations

from sparsebolt._lazy import lazy_exports

_EXPORTS = {"BGEM3EmbeddingFunction": "sparsebolt.hybrid"}

_NOT_PROVIDED = {
    "MGTEEmbeddingFunction": (
        "mGTE (Alibaba-NLP/gte-multilingual-base) is a different encoder (rotary positions, its own NewModel code) "
        "that sparsebolt's graph builder does not build; use pymilvus.model for it, or BGEM3EmbeddingFunction for "
        "dense and sparse vectors from one model"
    ),
}

__getattr__, __all__ = lazy_exports("sparsebolt.model.hybrid", _EXPORTS, _NOT_PROVIDED)
