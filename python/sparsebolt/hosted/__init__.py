"""Hosted embedding APIs (OpenAI, Jina, Voyage, Cohere, Mistral, Nomic, Gemini, TEI) with ``pymilvus.model.dense``'s
names and call shapes.

No vendor SDK is needed: every API is reached through :mod:`sparsebolt.http` (retries, timeouts, redacted errors).
"""

from __future__ import annotations

from sparsebolt.hosted.cohere import CohereEmbeddingFunction
from sparsebolt.hosted.gemini import GeminiEmbeddingFunction
from sparsebolt.hosted.jina import JinaEmbeddingFunction
from sparsebolt.hosted.mistral import MistralAIEmbeddingFunction
from sparsebolt.hosted.nomic import NomicEmbeddingFunction
from sparsebolt.hosted.openai import OpenAIEmbeddingFunction
from sparsebolt.hosted.tei import TEIEmbeddingFunction
from sparsebolt.hosted.voyage import VoyageEmbeddingFunction

__all__ = [
    "CohereEmbeddingFunction",
    "GeminiEmbeddingFunction",
    "JinaEmbeddingFunction",
    "MistralAIEmbeddingFunction",
    "NomicEmbeddingFunction",
    "OpenAIEmbeddingFunction",
    "TEIEmbeddingFunction",
    "VoyageEmbeddingFunction",
]
