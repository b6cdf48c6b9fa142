"""``pymilvus.model.sparse.bm25.tokenizers``: the analyzer factory, native here."""

from sparsebolt.sparse.analyzer import Analyzer, build_default_analyzer

__all__ = ["Analyzer", "build_default_analyzer"]
