"""``pymilvus.model.reranker``: the same names, served by :mod:`sparsebolt.rerank`."""

from __future__ import annotations

from sparsebolt._lazy import lazy_exports

_EXPORTS = {
    "CohereRerankFunction": "sparsebolt.rerank.hosted",
    "VoyageRerankFunction": "sparsebolt.rerank.hosted",
    "JinaRerankFunction": "sparsebolt.rerank.hosted",
    "TEIRerankFunction": "sparsebolt.rerank.hosted",
    "JevRerankFunction": "sparsebolt.rerank.hosted",
    "CrossEncoderRerankFunction": "sparsebolt.rerank.cross_encoder",
    "BGERerankFunction": "sparsebolt.rerank.bge",
    "RerankResult": "sparsebolt.rerank.result",
    "BaseRerankFunction": "sparsebolt.rerank.result",
}

__getattr__, __all__ = lazy_exports("sparsebolt.model.reranker", _EXPORTS)
