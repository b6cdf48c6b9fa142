"""``pymilvus.model.sparse``: BM25 on sparsebolt's native engine, SPLADE on its ONNX engine (loaded on first use)."""

from __future__ import annotations

from sparsebolt._lazy import lazy_exports

# name -> module that defines it: BM25 users never import onnx.
_EXPORTS = {
    "BM25EmbeddingFunction": "sparsebolt.model.sparse.bm25",
    "build_default_analyzer": "sparsebolt.model.sparse.bm25",
    "SpladeEmbeddingFunction": "sparsebolt.sparse.splade",
}

__getattr__, __all__ = lazy_exports("sparsebolt.model.sparse", _EXPORTS)
