"""``pymilvus.model.dense``: local ONNX encoders and hosted embedding APIs, loaded on first use."""

from __future__ import annotations

from sparsebolt._lazy import lazy_exports

# name -> module that defines it; a missing optional piece fails only when it is asked for.
_EXPORTS = {
    "DefaultEmbeddingFunction": "sparsebolt.dense",
    "SentenceTransformerEmbeddingFunction": "sparsebolt.dense",
    "OnnxEmbeddingFunction": "sparsebolt.dense",
    "OpenAIEmbeddingFunction": "sparsebolt.hosted",
    "JinaEmbeddingFunction": "sparsebolt.hosted",
    "VoyageEmbeddingFunction": "sparsebolt.hosted",
    "CohereEmbeddingFunction": "sparsebolt.hosted",
    "MistralAIEmbeddingFunction": "sparsebolt.hosted",
    "NomicEmbeddingFunction": "sparsebolt.hosted",
    "GeminiEmbeddingFunction": "sparsebolt.hosted",
    "TEIEmbeddingFunction": "sparsebolt.hosted",
}

__getattr__, __all__ = lazy_exports("sparsebolt.model.dense", _EXPORTS)
