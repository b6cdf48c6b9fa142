"""Rerankers (hosted APIs and a local ONNX cross-encoder) and client-side fusion of ranked lists.

``CrossEncoderRerankFunction`` loads ONNX Runtime on first use, so the HTTP rerankers and fusion import light.
"""

from __future__ import annotations

import importlib
from typing import Any

from sparsebolt.rerank.fusion import (
    FusedResult,
    milvus_rrf_ranker,
    milvus_weighted_ranker,
    normalize_bm25,
    normalize_cosine,
    normalize_ip,
    normalize_l2,
    rrf_fuse,
    weighted_fuse,
)
from sparsebolt.rerank.hosted import CohereRerankFunction, JinaRerankFunction, TEIRerankFunction, VoyageRerankFunction
from sparsebolt.rerank.result import BaseRerankFunction, RerankResult

__all__ = [
    "BaseRerankFunction",
    "CohereRerankFunction",
    "CrossEncoderRerankFunction",
    "FusedResult",
    "JinaRerankFunction",
    "RerankResult",
    "TEIRerankFunction",
    "VoyageRerankFunction",
    "milvus_rrf_ranker",
    "milvus_weighted_ranker",
    "normalize_bm25",
    "normalize_cosine",
    "normalize_ip",
    "normalize_l2",
    "rrf_fuse",
    "weighted_fuse",
]


def __getattr__(name: str) -> Any:
    if name == "CrossEncoderRerankFunction":
        return importlib.import_module("sparsebolt.rerank.cross_encoder").CrossEncoderRerankFunction
    raise AttributeError(f"module 'sparsebolt.rerank' has no attribute {name!r}")
