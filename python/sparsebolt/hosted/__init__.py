"""Hosted embedding APIs (OpenAI, Jina, Voyage, Cohere) with ``pymilvus.model.dense``'s names and call shapes.

No vendor SDK is needed: every API is reached through :mod:`sparsebolt.http` (retries, timeouts, redacted errors).
"""

from __future__ import annotations

from sparsebolt.hosted.cohere import CohereEmbeddingFunction
from sparsebolt.hosted.jina import JinaEmbeddingFunction
from sparsebolt.hosted.openai import OpenAIEmbeddingFunction
from sparsebolt.hosted.voyage import VoyageEmbeddingFunction

__all__ = ["CohereEmbeddingFunction", "JinaEmbeddingFunction", "OpenAIEmbeddingFunction", "VoyageEmbeddingFunction"]
