"""Sparse (BM25) encoding on the native core."""

from sparsebolt.sparse.analyzer import Analyzer, build_default_analyzer
from sparsebolt.sparse.bm25 import BM25EmbeddingFunction
from sparsebolt.sparse.statistics import BM25Statistics

__all__ = ["Analyzer", "BM25EmbeddingFunction", "BM25Statistics", "build_default_analyzer"]
