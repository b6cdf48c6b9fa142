"""Milvus layer: collections of texts with dense/sparse vectors, pipelined ingestion, dense/sparse/hybrid search.

``TextCollection("./milvus.db", "docs", dense=..., sparse=...)`` is the entry point; the other names are
its options, results and errors. Loaded lazily so that importing sparsebolt never imports pymilvus.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "TextCollection": "sparsebolt.milvus.collection",
    "DEFAULT_COLLECTION": "sparsebolt.milvus.collection",
    "MilvusBM25": "sparsebolt.milvus.schema",
    "CollectionSpec": "sparsebolt.milvus.schema",
    "SchemaMismatchError": "sparsebolt.milvus.schema",
    "IngestSummary": "sparsebolt.milvus.ingest",
    "IngestError": "sparsebolt.milvus.ingest",
    "Hit": "sparsebolt.milvus.results",
    "RetryPolicy": "sparsebolt.milvus.retry",
    "MilvusUnavailableError": "sparsebolt.milvus.retry",
    "connect": "sparsebolt.milvus.connection",
    "DEFAULT_URI": "sparsebolt.milvus.connection",
    "Document": "sparsebolt.milvus.sources",
    "iter_documents": "sparsebolt.milvus.sources",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sparsebolt.milvus' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
