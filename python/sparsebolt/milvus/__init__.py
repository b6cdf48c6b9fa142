"""Milvus layer: collections of texts with dense/sparse vectors, pipelined ingestion, dense/sparse/hybrid search.

``TextCollection("./milvus.db", "docs", dense=..., sparse=...)`` is the entry point (or ``fields=[VectorField(...)]``
with ``encoders={field: encoder}``); the other names are its options, results and errors. Loaded lazily so that
importing sparsebolt never imports pymilvus.
"""

from __future__ import annotations

from sparsebolt._lazy import lazy_exports

_EXPORTS = {
    "TextCollection": "sparsebolt.milvus.collection",
    "DEFAULT_COLLECTION": "sparsebolt.milvus.collection",
    "MilvusBM25": "sparsebolt.milvus.schema",
    "CollectionSpec": "sparsebolt.milvus.schema",
    "VectorField": "sparsebolt.milvus.fields",
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

__getattr__, __all__ = lazy_exports("sparsebolt.milvus", _EXPORTS)
