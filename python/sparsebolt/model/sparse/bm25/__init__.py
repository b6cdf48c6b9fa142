"""``pymilvus.model.sparse.bm25``."""

from sparsebolt.sparse import Analyzer, BM25EmbeddingFunction, build_default_analyzer

__all__ = ["Analyzer", "BM25EmbeddingFunction", "build_default_analyzer"]
