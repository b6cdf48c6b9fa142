"""The embedding routes of the local vendor stand-ins: OpenAI, Jina, Voyage, Cohere v2, Mistral, Nomic, Gemini and
TEI's ``/embed``, each with the request fields, limits and response shape its vendor publishes.

Mixed into :class:`sparsebolt.testing.vendor_servers.VendorServer`, which routes requests here. Every route embeds
with :func:`fake_embedding`, mixing in the input type a real model would see, so the tests can compute the expected
vectors independently.
"""

from __future__ import annotations

import base64
import random
import re
from typing import Any, Dict, List, Optional

import numpy as np

from sparsebolt.testing.vendor_contract import fake_embedding, is_int, is_str_list, require

__all__ = ["EmbeddingRoutes", "GEMINI_TASK_TYPES", "TEI_MAX_INPUT_WORDS", "gemini_model"]

GEMINI_TASK_TYPES = (
    "TASK_TYPE_UNSPECIFIED", "RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT", "SEMANTIC_SIMILARITY", "CLASSIFICATION",
    "CLUSTERING", "QUESTION_ANSWERING", "FACT_VERIFICATION", "CODE_RETRIEVAL_QUERY",
)
# The stand-in TEI model's maximum input, in words (its 'tokens').
TEI_MAX_INPUT_WORDS = 512


class EmbeddingRoutes:
    """Route handlers ``body -> response`` for the embedding APIs; the server supplies the attributes below."""

    native_dim: int
    shuffle: bool
    _rng: random.Random

    def _vectors(self, texts: List[str], dim: int) -> List[np.ndarray]:
        return [fake_embedding(text, dim) for text in texts]

    def _indexed(self, vectors: List[Any]) -> List[Dict[str, Any]]:
        data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
        if self.shuffle:
            self._rng.shuffle(data)
        return data

    def _openai_embeddings(self, body: Any) -> Any:
        require(isinstance(body, dict), "body must be a JSON object", 400)
        allowed = {"input", "model", "encoding_format", "dimensions", "user"}
        require(set(body) <= allowed, f"Unrecognized request argument supplied: {sorted(set(body) - allowed)}", 400)
        texts = body.get("input")
        if isinstance(texts, str):
            texts = [texts]
        require(is_str_list(texts) and 0 < len(texts) <= 2048, "'$.input' is invalid.", 400)
        require(all(texts), "'$.input' is invalid: empty strings are not allowed.", 400)
        model = body.get("model")
        require(isinstance(model, str), "you must provide a model parameter", 400)
        native = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}
        dim = native.get(model, self.native_dim)
        if "dimensions" in body:
            require(model != "text-embedding-ada-002", "This model does not support specifying dimensions.", 400)
            require(is_int(body["dimensions"]) and 1 <= body["dimensions"] <= dim, "invalid dimensions", 400)
            dim = body["dimensions"]
        fmt = body.get("encoding_format", "float")
        require(fmt in ("float", "base64"), "encoding_format must be float or base64", 400)
        vectors = self._vectors(texts, dim)
        encoded = [base64.b64encode(v.astype("<f4").tobytes()).decode() if fmt == "base64" else v.tolist()
                   for v in vectors]
        tokens = sum(len(t.split()) for t in texts)
        return {"object": "list", "data": self._indexed(encoded), "model": model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}

    def _jina_embeddings(self, body: Any) -> Any:
        allowed = {"input", "model", "task", "dimensions", "late_chunking", "embedding_type", "normalized"}
        require(isinstance(body, dict) and set(body) <= allowed, f"unknown fields; allowed: {sorted(allowed)}")
        texts = body.get("input")
        require(is_str_list(texts) and 0 < len(texts) <= 2048, "input must be a list of 1 to 2048 strings")
        require(isinstance(body.get("model"), str), "model is required")
        tasks = (None, "retrieval.query", "retrieval.passage", "separation", "classification", "text-matching")
        require(body.get("task") in tasks, f"task must be one of {tasks}")
        require(isinstance(body.get("late_chunking", False), (bool, type(None))), "late_chunking must be a boolean")
        dim = self.native_dim
        if body.get("dimensions") is not None:
            require(is_int(body["dimensions"]) and 1 <= body["dimensions"] <= dim, "invalid dimensions")
            dim = body["dimensions"]
        # The task changes the vector, as it does on the real model.
        vectors = self._vectors([f"{body.get('task')}|{t}" for t in texts], dim)
        tokens = sum(len(t.split()) for t in texts)
        return {"model": body["model"], "object": "list", "usage": {"total_tokens": tokens, "prompt_tokens": tokens},
                "data": self._indexed([v.tolist() for v in vectors])}

    def _voyage_embeddings(self, body: Any) -> Any:
        allowed = {"input", "model", "input_type", "truncation", "output_dimension", "output_dtype", "encoding_format"}
        require(isinstance(body, dict) and set(body) <= allowed, f"unknown fields; allowed: {sorted(allowed)}", 400)
        texts = body.get("input")
        require(is_str_list(texts) and 0 < len(texts) <= 1000, "input must be a list of 1 to 1000 strings", 400)
        require(isinstance(body.get("model"), str), "model is required", 400)
        require(body.get("input_type") in (None, "query", "document"), "input_type must be null, query or document",
                 400)
        dim = self.native_dim
        if body.get("output_dimension") is not None:
            require(body["output_dimension"] in (256, 512, 1024, 2048), "output_dimension not supported", 400)
            dim = body["output_dimension"]
        dtype = body.get("output_dtype", "float")
        require(dtype in ("float", "int8", "uint8", "binary", "ubinary"), "invalid output_dtype", 400)
        vectors = self._vectors([f"{body.get('input_type')}|{t}" for t in texts], dim)
        if dtype == "float":
            encoded: List[Any] = [v.tolist() for v in vectors]
        else:
            bits = [np.packbits(v > 0) for v in vectors]
            # binary: offset binary int8 (packed byte - 128); ubinary: the packed bytes.
            encoded = [(b.astype(np.int16) - 128).tolist() if dtype == "binary" else b.tolist() for b in bits]
        tokens = sum(len(t.split()) for t in texts)
        return {"object": "list", "data": self._indexed(encoded), "model": body["model"],
                "usage": {"total_tokens": tokens}}

    def _cohere_embed(self, body: Any) -> Any:
        allowed = {"model", "texts", "input_type", "embedding_types", "truncate", "output_dimension", "images",
                   "inputs", "max_tokens", "priority"}
        require(isinstance(body, dict) and set(body) <= allowed, f"invalid request: allowed fields {sorted(allowed)}",
                 400)
        texts = body.get("texts")
        require(is_str_list(texts) and 0 < len(texts) <= 96, "invalid request: texts must hold 1 to 96 strings", 400)
        require(isinstance(body.get("model"), str), "invalid request: model is required", 400)
        require(body.get("input_type") in ("search_document", "search_query", "classification", "clustering"),
                 "invalid request: input_type is required for embed models v3 and higher", 400)
        types = body.get("embedding_types", ["float"])
        require(is_str_list(types) and types and set(types) <= {"float", "int8", "uint8", "binary", "ubinary"},
                 "invalid request: embedding_types", 400)
        require(body.get("truncate") in (None, "NONE", "START", "END"), "invalid request: truncate", 400)
        dim = self.native_dim
        if body.get("output_dimension") is not None:
            require(body["output_dimension"] in (256, 512, 1024, 1536), "invalid request: output_dimension", 400)
            dim = body["output_dimension"]
        vectors = self._vectors([f"{body['input_type']}|{t}" for t in texts], dim)
        embeddings: Dict[str, Any] = {}
        for kind in types:
            if kind == "float":
                embeddings[kind] = [v.tolist() for v in vectors]
            elif kind in ("binary", "ubinary"):
                bits = [np.packbits(v > 0) for v in vectors]
                embeddings[kind] = [(b.astype(np.int16) - 128).tolist() if kind == "binary" else b.tolist()
                                    for b in bits]
            else:
                embeddings[kind] = [np.clip(np.round(v * 127), -128, 127).astype(int).tolist() for v in vectors]
        return {"id": "da6e531f-4b1a-4b5c-8a6b-7c6f0a1d3b55", "embeddings": embeddings, "texts": texts,
                "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": len(texts)}},
                "response_type": "embeddings_by_type"}

    def _mistral_embeddings(self, body: Any) -> Any:
        allowed = {"model", "input", "output_dimension", "output_dtype", "encoding_format"}
        require(isinstance(body, dict) and set(body) <= allowed, f"Extra inputs are not permitted: "
                f"{sorted(set(body) - allowed) if isinstance(body, dict) else body!r}", 422)
        texts = body.get("input")
        if isinstance(texts, str):
            texts = [texts]
        require(is_str_list(texts) and len(texts) > 0, "input must be a string or a non-empty list of strings", 422)
        model = body.get("model")
        require(isinstance(model, str), "model is required", 422)
        # Word counts stand in for tokens; a client that bounds its requests by UTF-8 bytes stays well inside.
        tokens = sum(len(t.split()) for t in texts)
        require(tokens <= 16_384, "Too many tokens overall, split into more batches.", 400)
        native = {"mistral-embed": 1024, "codestral-embed": 1536}
        dim = native.get(model, self.native_dim)
        if body.get("output_dimension") is not None:
            require(model != "mistral-embed", "output_dimension is not supported for mistral-embed", 400)
            require(is_int(body["output_dimension"]) and 1 <= body["output_dimension"] <= 3072,
                    "output_dimension must be an integer in [1, 3072]", 422)
            dim = body["output_dimension"]
        require(body.get("output_dtype", "float") in ("float", "int8", "uint8", "binary", "ubinary"),
                "invalid output_dtype", 422)
        fmt = body.get("encoding_format", "float")
        require(fmt in ("float", "base64"), "encoding_format must be float or base64", 422)
        vectors = self._vectors(texts, dim)
        encoded = [base64.b64encode(v.astype("<f4").tobytes()).decode() if fmt == "base64" else v.tolist()
                   for v in vectors]
        return {"id": "embd-aad6fc62b17349b192ef09225058bc45", "object": "list", "data": self._indexed(encoded),
                "model": model, "usage": {"prompt_tokens": tokens, "total_tokens": tokens, "completion_tokens": 0}}

    def _nomic_embeddings(self, body: Any) -> Any:
        allowed = {"texts", "model", "task_type", "dimensionality", "long_text_mode", "max_tokens_per_text"}
        require(isinstance(body, dict) and set(body) <= allowed, f"unknown fields; allowed: {sorted(allowed)}")
        texts = body.get("texts")
        require(is_str_list(texts) and len(texts) > 0, "texts must be a non-empty list of strings")
        model = body.get("model")
        require(model in ("nomic-embed-text-v1", "nomic-embed-text-v1.5"), f"Invalid model {model!r}", 400)
        task = body.get("task_type", "search_document")
        require(task in ("search_query", "search_document", "classification", "clustering"),
                f"Invalid task type: {task}")
        require(body.get("long_text_mode", "truncate") in ("truncate", "mean"),
                "long_text_mode must be truncate or mean")
        dim = 768
        if body.get("dimensionality") is not None:
            matryoshka = model == "nomic-embed-text-v1.5"
            require(is_int(body["dimensionality"]) and (64 <= body["dimensionality"] <= 768 if matryoshka
                                                        else body["dimensionality"] == 768),
                    "dimensionality must be in [64, 768] for nomic-embed-text-v1.5 and 768 for v1", 400)
            dim = body["dimensionality"]
        # Nomic Embed reads the task as a prefix of the text, so the task changes the vector.
        vectors = self._vectors([f"{task}|{t}" for t in texts], dim)
        tokens = sum(len(t.split()) for t in texts)
        return {"embeddings": [v.tolist() for v in vectors], "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                "model": model, "inference_mode": "remote"}

    def _gemini_batch_embed(self, body: Any, model: str) -> Any:
        require(isinstance(body, dict) and set(body) == {"requests"}, "Invalid JSON payload: expected {requests}", 400)
        requests = body["requests"]
        require(isinstance(requests, list) and len(requests) > 0, "* BatchEmbedContentsRequest.requests: required", 400)
        require(len(requests) <= 100, "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch",
                400)
        native = {"gemini-embedding-exp-03-07": 3072, "gemini-embedding-001": 3072, "text-embedding-004": 768,
                  "embedding-001": 768}
        allowed = {"model", "content", "taskType", "title", "outputDimensionality"}
        out = []
        for i, request in enumerate(requests):
            where = f"* BatchEmbedContentsRequest.requests[{i}]"
            require(isinstance(request, dict) and set(request) <= allowed, f"{where}: unknown field", 400)
            require(request.get("model") == f"models/{model}",
                    f"{where}.model: model must match the one in the URL, models/{model}", 400)
            content = request.get("content")
            parts: Any = content.get("parts") if isinstance(content, dict) else None
            require(isinstance(parts, list) and len(parts) == 1 and isinstance(parts[0], dict)
                    and isinstance(parts[0].get("text"), str), f"{where}.content: one text part is required", 400)
            text = parts[0]["text"]
            task = request.get("taskType")
            require(task is None or task in GEMINI_TASK_TYPES, f"{where}.task_type: invalid value {task!r}", 400)
            dim = native.get(model, self.native_dim)
            if request.get("outputDimensionality") is not None:
                require(model != "embedding-001", "Output dimensionality is not supported for embedding-001", 400)
                require(is_int(request["outputDimensionality"]) and 1 <= request["outputDimensionality"] <= dim,
                        f"{where}.output_dimensionality: must be in [1, {dim}]", 400)
                dim = request["outputDimensionality"]
            vector = self._vectors([f"{task}|{request.get('title')}|{text}"], dim)[0]
            out.append({"values": vector.tolist()})
        return {"embeddings": out}

    def _tei_embed(self, body: Any) -> Any:
        allowed = {"inputs", "truncate", "normalize", "truncation_direction", "prompt_name", "dimensions"}
        require(isinstance(body, dict) and set(body) <= allowed,
                f"unknown fields {sorted(set(body) - allowed) if isinstance(body, dict) else body!r}")
        texts = body.get("inputs")
        if isinstance(texts, str):
            texts = [texts]
        require(is_str_list(texts) and len(texts) > 0, "`inputs` cannot be empty", 422)
        require(len(texts) <= 32, f"batch size {len(texts)} > maximum allowed batch size 32", 413)
        truncate = body.get("truncate", False)
        require(isinstance(truncate, bool) and isinstance(body.get("normalize", True), bool),
                "truncate and normalize must be booleans")
        words = [t.split() for t in texts]
        longest = max(len(w) for w in words)
        if not truncate:
            require(longest <= TEI_MAX_INPUT_WORDS, f"Input validation error: `inputs` must have less than "
                    f"{TEI_MAX_INPUT_WORDS} tokens. Given: {longest}", 413)
        else:
            texts = [" ".join(w[:TEI_MAX_INPUT_WORDS]) if len(w) > TEI_MAX_INPUT_WORDS else t
                     for t, w in zip(texts, words)]
        vectors = self._vectors(texts, self.native_dim)
        if not body.get("normalize", True):
            # An unnormalised model output: the same direction, not unit length.
            vectors = [v * np.float32(3.0) for v in vectors]
        return [v.tolist() for v in vectors]


def gemini_model(path: str) -> Optional[str]:
    """The model id in a Gemini ``/v1beta/models/{model}:batchEmbedContents`` path, else None."""
    match = re.fullmatch(r"/v1beta/models/([A-Za-z0-9._-]+):batchEmbedContents", path)
    return match.group(1) if match else None
