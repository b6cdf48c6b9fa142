"""``pymilvus.model.dense``: local ONNX encoders, static model2vec embeddings and hosted embedding APIs, loaded on
first use.

InstructorEmbeddingFunction is not provided: asking for it raises ImportError with the alternative.
"""

from __future__ import annotations

from sparsebolt._lazy import lazy_exports

# name -> module that defines it; a missing optional piece fails only when it is asked for.
_EXPORTS = {
    "DefaultEmbeddingFunction": "sparsebolt.dense",
    "SentenceTransformerEmbeddingFunction": "sparsebolt.dense",
    "OnnxEmbeddingFunction": "sparsebolt.dense",
    "Model2VecEmbeddingFunction": "sparsebolt.dense.model2vec",
    "OpenAIEmbeddingFunction": "sparsebolt.hosted",
    "JinaEmbeddingFunction": "sparsebolt.hosted",
    "VoyageEmbeddingFunction": "sparsebolt.hosted",
    "CohereEmbeddingFunction": "sparsebolt.hosted",
    "MistralAIEmbeddingFunction": "sparsebolt.hosted",
    "NomicEmbeddingFunction": "sparsebolt.hosted",
    "GeminiEmbeddingFunction": "sparsebolt.hosted",
    "TEIEmbeddingFunction": "sparsebolt.hosted",
}

_NOT_PROVIDED = {
    "InstructorEmbeddingFunction": (
        "INSTRUCTOR (hkunlp/instructor-*) is a T5 encoder (relative position buckets, RMS layer norms, pooling that "
        "leaves the instruction's tokens out), which sparsebolt's graph builder does not build; for embeddings with "
        "instructions use SentenceTransformerEmbeddingFunction with query_instruction= / doc_instruction= on a "
        "BERT-family model trained for them, e.g. SentenceTransformerEmbeddingFunction('BAAI/bge-base-en-v1.5', "
        "query_instruction='Represent this sentence for searching relevant passages: '), or pymilvus.model for "
        "INSTRUCTOR itself"
    ),
}

__getattr__, __all__ = lazy_exports("sparsebolt.model.dense", _EXPORTS, _NOT_PROVIDED)
