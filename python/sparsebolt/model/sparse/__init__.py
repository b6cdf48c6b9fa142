"""``pymilvus.model.sparse``: BM25 on sparsebolt's native engine."""

from sparsebolt.model.sparse.bm25 import BM25EmbeddingFunction, build_default_analyzer

__all__ = ["BM25EmbeddingFunction", "build_default_analyzer"]
