"""``pymilvus.model.reranker``: the same names, served by :mod:`sparsebolt.rerank`.

BGERerankFunction is not provided: asking for it raises ImportError with the alternative (CrossEncoderRerankFunction
on the same model folder).
"""

from __future__ import annotations

from sparsebolt._lazy import lazy_exports

_EXPORTS = {
    "CohereRerankFunction": "sparsebolt.rerank.hosted",
    "VoyageRerankFunction": "sparsebolt.rerank.hosted",
    "JinaRerankFunction": "sparsebolt.rerank.hosted",
    "TEIRerankFunction": "sparsebolt.rerank.hosted",
    "JevRerankFunction": "sparsebolt.rerank.hosted",
    "CrossEncoderRerankFunction": "sparsebolt.rerank.cross_encoder",
    "RerankResult": "sparsebolt.rerank.result",
    "BaseRerankFunction": "sparsebolt.rerank.result",
}

_NOT_PROVIDED = {
    "BGERerankFunction": (
        "sparsebolt does not wrap FlagEmbedding; a bge-reranker (an XLMRobertaForSequenceClassification folder with "
        "model.safetensors + config.json + tokenizer.json) runs in CrossEncoderRerankFunction: pass the folder, or "
        "the hub id of a snapshot already in the Hugging Face cache, e.g. "
        "CrossEncoderRerankFunction('BAAI/bge-reranker-v2-m3', max_length=512). Its default sigmoid is "
        "BGERerankFunction's normalize=True (activation_fct='identity' for normalize=False); pairs are truncated "
        "longest-first to max_length, where FlagEmbedding first cuts the query to 256 tokens"
    ),
}

__getattr__, __all__ = lazy_exports("sparsebolt.model.reranker", _EXPORTS, _NOT_PROVIDED)
