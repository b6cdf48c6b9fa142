"""Sparse encoding: BM25 on the native core, and SPLADE (learned sparse vectors) on the ONNX engine, loaded on
first use so that BM25 never imports onnx."""

from __future__ import annotations

from sparsebolt._lazy import lazy_exports

_EXPORTS = {
    "Analyzer": "sparsebolt.sparse.analyzer",
    "build_default_analyzer": "sparsebolt.sparse.analyzer",
    "BM25EmbeddingFunction": "sparsebolt.sparse.bm25",
    "BM25Statistics": "sparsebolt.sparse.statistics",
    "SpladeEmbeddingFunction": "sparsebolt.sparse.splade",
}

__getattr__, __all__ = lazy_exports("sparsebolt.sparse", _EXPORTS)
