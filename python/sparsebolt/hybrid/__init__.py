"""Models with several outputs from one pass: BGE-M3's dense, lexical and ColBERT vectors on ONNX Runtime, built
from FlagEmbedding's checkpoint (XLM-RoBERTa + two heads saved with torch.save) without PyTorch."""

from __future__ import annotations

from .bge_m3 import BGEM3EmbeddingFunction

__all__ = ["BGEM3EmbeddingFunction"]
