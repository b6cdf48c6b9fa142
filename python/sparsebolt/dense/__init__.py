"""Dense sentence embeddings on ONNX Runtime without PyTorch: all-MiniLM-L6-v2 and other BERT-family
sentence-transformers models, graphs built from safetensors, fp32 or int8. The same vectors as sentence-transformers."""

from __future__ import annotations

from .encoder import DefaultEmbeddingFunction, OnnxEmbeddingFunction, SentenceTransformerEmbeddingFunction

__all__ = ["DefaultEmbeddingFunction", "OnnxEmbeddingFunction", "SentenceTransformerEmbeddingFunction"]
