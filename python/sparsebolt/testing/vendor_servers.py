"""Local stand-ins for the hosted APIs (Jina, Cohere v2, Voyage, OpenAI, TEI), for the tests of sparsebolt.http,
sparsebolt.rerank and sparsebolt.hosted.

Each route implements the request/response contract the vendor publishes (field names, limits, error bodies) and
rejects what the real API rejects, so a client that sends the wrong field fails here too. A server records every
request, and can be told to answer the next requests with a scripted fault (429 + Retry-After, 500, 401, malformed
body, dropped connection). It listens on 127.0.0.1, port 0, in threads, and is shut down by the fixture that made it.
"""

from __future__ import annotations

import base64
import gzip
import json
import random
import re
import socket
import threading
import time
import urllib.parse
import zlib
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Deque, Dict, List, Mapping, Optional, Tuple

import numpy as np

VENDORS = ("jina", "cohere", "voyage", "openai", "tei")
API_KEY = "sk-test-9f8e7d6c5b4a39281706f5e4d3c2b1a0"

# The path prefix of each vendor's base URL (what ``base_url`` points at).
BASE_PATH = {"jina": "/v1", "cohere": "", "voyage": "/v1", "openai": "/v1", "tei": ""}


def fake_embedding(text: str, dim: int) -> np.ndarray:
    """A deterministic unit vector per (text, dim): the server's 'model', and the tests' reference for it."""
    rng = np.random.default_rng(zlib.crc32(text.encode("utf-8")))
    vector = rng.standard_normal(dim).astype(np.float32)
    return vector / np.float32(np.linalg.norm(vector))


def overlap_score(query: str, document: str) -> float:
    """A deterministic relevance in (0, 1): the share of query words found in the document, smoothed."""
    words = set(re.findall(r"\w+", query.lower()))
    found = set(re.findall(r"\w+", document.lower()))
    return (len(words & found) + 0.5) / (len(words) + 1.0)


@dataclass
class Recorded:
    path: str
    headers: Dict[str, str]
    body: Any
    client_port: int


@dataclass
class Fault:
    """A scripted answer: a status, headers and raw body; ``drop`` closes the connection without answering."""

    status: int = 500
    body: bytes = b'{"message": "internal error"}'
    headers: Dict[str, str] = field(default_factory=dict)
    drop: bool = False
    delay: float = 0.0


class ValidationError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _require(condition: bool, message: str, status: int = 422) -> None:
    if not condition:
        raise ValidationError(status, message)


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class VendorServer:
    """One vendor's API on 127.0.0.1. ``url`` is the base URL a client should use."""

    def __init__(
        self,
        vendor: str,
        *,
        api_key: str = API_KEY,
        scorer: Callable[[str, str], float] = overlap_score,
        native_dim: int = 32,
        shuffle: bool = False,
        gzip_responses: bool = False,
        close_after_response: bool = False,
        cache_responses: bool = False,
    ) -> None:
        if vendor not in VENDORS:
            raise ValueError(vendor)
        self.vendor = vendor
        self.api_key = api_key
        self.scorer = scorer
        self.native_dim = native_dim
        self.shuffle = shuffle
        self.gzip_responses = gzip_responses
        self.close_after_response = close_after_response
        # For benchmarks: answer a repeated request body from memory, so the clients' cost is what gets measured.
        self.cache_responses = cache_responses
        self._cache: Dict[Tuple[str, bytes], bytes] = {}
        self.requests: List[Recorded] = []
        self.faults: Deque[Fault] = deque()
        self._lock = threading.Lock()
        self._rng = random.Random(0)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{BASE_PATH[self.vendor]}"

    def fail_next(self, *faults: Fault) -> None:
        self.faults.extend(faults)

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "VendorServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- routing ----------------------------------------------------------------------------------------------------

    def route(self, path: str) -> Optional[Callable[[Any], Any]]:
        routes: Mapping[Tuple[str, str], Callable[[Any], Any]] = {
            ("jina", "/v1/rerank"): self._jina_rerank,
            ("jina", "/v1/embeddings"): self._jina_embeddings,
            ("cohere", "/v2/rerank"): self._cohere_rerank,
            ("cohere", "/v2/embed"): self._cohere_embed,
            ("voyage", "/v1/rerank"): self._voyage_rerank,
            ("voyage", "/v1/embeddings"): self._voyage_embeddings,
            ("openai", "/v1/embeddings"): self._openai_embeddings,
            ("tei", "/rerank"): self._tei_rerank,
        }
        return routes.get((self.vendor, path))

    def error_body(self, status: int, message: str) -> bytes:
        """The vendor's published error shape."""
        if self.vendor == "openai":
            code = {401: "invalid_api_key", 429: "rate_limit_exceeded"}.get(status)
            kind = "invalid_request_error" if status < 500 else "server_error"
            return json.dumps({"error": {"message": message, "type": kind, "param": None, "code": code}}).encode()
        if self.vendor == "cohere":
            return json.dumps({"message": message}).encode()
        if self.vendor == "tei":
            return json.dumps({"error": message, "error_type": "Validation"}).encode()
        if status == 422 and self.vendor == "jina":  # FastAPI validation errors
            return json.dumps({"detail": [{"loc": ["body"], "msg": message, "type": "value_error"}]}).encode()
        return json.dumps({"detail": message}).encode()

    def check_auth(self, headers: Mapping[str, str]) -> None:
        if self.vendor == "tei" and self.api_key == "":
            return
        got = headers.get("authorization", "")
        if got != f"Bearer {self.api_key}":
            # Real servers echo (part of) the key they were sent; echo all of it to test the client's redaction.
            token = got[len("Bearer "):] if got.startswith("Bearer ") else got
            raise ValidationError(401, f"Incorrect API key provided: {token}. You can find your API key in settings.")

    # -- rerank contracts -------------------------------------------------------------------------------------------

    def _ranked(self, query: str, documents: List[str], top: Optional[int]) -> List[Tuple[int, float]]:
        scored = [(i, float(self.scorer(query, doc))) for i, doc in enumerate(documents)]
        scored.sort(key=lambda pair: -pair[1])
        return scored[:top] if top is not None else scored

    def _rerank_common(self, body: Any, top_key: str, max_docs: int) -> Tuple[str, List[str], Optional[int]]:
        _require(isinstance(body, dict), "body must be a JSON object", 400)
        _require(isinstance(body.get("query"), str) and body["query"] != "", "query must be a non-empty string")
        _require(_is_str_list(body.get("documents")), "documents must be a list of strings")
        _require(0 < len(body["documents"]) <= max_docs, f"documents must hold 1 to {max_docs} items", 400)
        top = body.get(top_key)
        _require(top is None or (_is_int(top) and top >= 1), f"{top_key} must be a positive integer")
        return body["query"], body["documents"], top

    def _jina_rerank(self, body: Any) -> Any:
        allowed = {"model", "query", "documents", "top_n", "return_documents"}
        _require(isinstance(body, dict) and set(body) <= allowed, f"unknown fields; allowed: {sorted(allowed)}")
        _require(isinstance(body.get("model"), str), "model is required")
        query, documents, top = self._rerank_common(body, "top_n", 2048)
        return_documents = body.get("return_documents", True)
        _require(isinstance(return_documents, bool), "return_documents must be a boolean")
        results = []
        for index, score in self._ranked(query, documents, top):
            item: Dict[str, Any] = {"index": index, "relevance_score": score}
            if return_documents:
                item["document"] = {"text": documents[index]}
            results.append(item)
        tokens = sum(len(d.split()) for d in documents) + len(query.split()) * len(documents)
        return {"model": body["model"], "usage": {"total_tokens": tokens, "prompt_tokens": tokens}, "results": results}

    def _cohere_rerank(self, body: Any) -> Any:
        allowed = {"model", "query", "documents", "top_n", "max_tokens_per_doc", "priority"}
        _require(isinstance(body, dict) and set(body) <= allowed, f"invalid request: allowed fields {sorted(allowed)}",
                 400)
        _require(isinstance(body.get("model"), str), "invalid request: model is required", 400)
        query, documents, top = self._rerank_common(body, "top_n", 10_000)
        results = [{"index": i, "relevance_score": s} for i, s in self._ranked(query, documents, top)]
        return {
            "id": "07734bd2-2473-4f07-94e1-0d9f0e6843cf",
            "results": results,
            "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}},
        }

    def _voyage_rerank(self, body: Any) -> Any:
        allowed = {"query", "documents", "model", "top_k", "return_documents", "truncation"}
        _require(isinstance(body, dict) and set(body) <= allowed, f"unknown fields; allowed: {sorted(allowed)}", 400)
        _require(isinstance(body.get("model"), str), "model is required", 400)
        query, documents, top = self._rerank_common(body, "top_k", 1000)
        _require(isinstance(body.get("truncation", True), bool), "truncation must be a boolean", 400)
        data = []
        for index, score in self._ranked(query, documents, top):
            item: Dict[str, Any] = {"relevance_score": score, "index": index}
            if body.get("return_documents", False):
                item["document"] = documents[index]
            data.append(item)
        tokens = sum(len(d.split()) for d in documents)
        return {"object": "list", "data": data, "model": body["model"], "usage": {"total_tokens": tokens}}

    def _tei_rerank(self, body: Any) -> Any:
        allowed = {"query", "texts", "return_text", "truncate", "raw_scores", "truncation_direction"}
        _require(isinstance(body, dict) and set(body) <= allowed, f"unknown fields {sorted(set(body) - allowed)}")
        _require(isinstance(body.get("query"), str), "query must be a string")
        texts = body.get("texts")
        _require(_is_str_list(texts) and len(texts) > 0, "`texts` cannot be empty", 422)
        _require(len(texts) <= 32, f"batch size {len(texts)} > maximum allowed batch size 32", 413)
        out = []
        for index, score in self._ranked(body["query"], texts, None):
            item: Dict[str, Any] = {"index": index, "score": score}
            if body.get("return_text"):
                item["text"] = texts[index]
            out.append(item)
        return out

    # -- embedding contracts ----------------------------------------------------------------------------------------

    def _vectors(self, texts: List[str], dim: int) -> List[np.ndarray]:
        return [fake_embedding(text, dim) for text in texts]

    def _indexed(self, vectors: List[Any]) -> List[Dict[str, Any]]:
        data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
        if self.shuffle:
            self._rng.shuffle(data)
        return data

    def _openai_embeddings(self, body: Any) -> Any:
        _require(isinstance(body, dict), "body must be a JSON object", 400)
        allowed = {"input", "model", "encoding_format", "dimensions", "user"}
        _require(set(body) <= allowed, f"Unrecognized request argument supplied: {sorted(set(body) - allowed)}", 400)
        texts = body.get("input")
        if isinstance(texts, str):
            texts = [texts]
        _require(_is_str_list(texts) and 0 < len(texts) <= 2048, "'$.input' is invalid.", 400)
        _require(all(texts), "'$.input' is invalid: empty strings are not allowed.", 400)
        model = body.get("model")
        _require(isinstance(model, str), "you must provide a model parameter", 400)
        native = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}
        dim = native.get(model, self.native_dim)
        if "dimensions" in body:
            _require(model != "text-embedding-ada-002", "This model does not support specifying dimensions.", 400)
            _require(_is_int(body["dimensions"]) and 1 <= body["dimensions"] <= dim, "invalid dimensions", 400)
            dim = body["dimensions"]
        fmt = body.get("encoding_format", "float")
        _require(fmt in ("float", "base64"), "encoding_format must be float or base64", 400)
        vectors = self._vectors(texts, dim)
        encoded = [base64.b64encode(v.astype("<f4").tobytes()).decode() if fmt == "base64" else v.tolist()
                   for v in vectors]
        tokens = sum(len(t.split()) for t in texts)
        return {"object": "list", "data": self._indexed(encoded), "model": model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}

    def _jina_embeddings(self, body: Any) -> Any:
        allowed = {"input", "model", "task", "dimensions", "late_chunking", "embedding_type", "normalized"}
        _require(isinstance(body, dict) and set(body) <= allowed, f"unknown fields; allowed: {sorted(allowed)}")
        texts = body.get("input")
        _require(_is_str_list(texts) and 0 < len(texts) <= 2048, "input must be a list of 1 to 2048 strings")
        _require(isinstance(body.get("model"), str), "model is required")
        tasks = (None, "retrieval.query", "retrieval.passage", "separation", "classification", "text-matching")
        _require(body.get("task") in tasks, f"task must be one of {tasks}")
        _require(isinstance(body.get("late_chunking", False), (bool, type(None))), "late_chunking must be a boolean")
        dim = self.native_dim
        if body.get("dimensions") is not None:
            _require(_is_int(body["dimensions"]) and 1 <= body["dimensions"] <= dim, "invalid dimensions")
            dim = body["dimensions"]
        # The task changes the vector, as it does on the real model.
        vectors = self._vectors([f"{body.get('task')}|{t}" for t in texts], dim)
        tokens = sum(len(t.split()) for t in texts)
        return {"model": body["model"], "object": "list", "usage": {"total_tokens": tokens, "prompt_tokens": tokens},
                "data": self._indexed([v.tolist() for v in vectors])}

    def _voyage_embeddings(self, body: Any) -> Any:
        allowed = {"input", "model", "input_type", "truncation", "output_dimension", "output_dtype", "encoding_format"}
        _require(isinstance(body, dict) and set(body) <= allowed, f"unknown fields; allowed: {sorted(allowed)}", 400)
        texts = body.get("input")
        _require(_is_str_list(texts) and 0 < len(texts) <= 1000, "input must be a list of 1 to 1000 strings", 400)
        _require(isinstance(body.get("model"), str), "model is required", 400)
        _require(body.get("input_type") in (None, "query", "document"), "input_type must be null, query or document",
                 400)
        dim = self.native_dim
        if body.get("output_dimension") is not None:
            _require(body["output_dimension"] in (256, 512, 1024, 2048), "output_dimension not supported", 400)
            dim = body["output_dimension"]
        dtype = body.get("output_dtype", "float")
        _require(dtype in ("float", "int8", "uint8", "binary", "ubinary"), "invalid output_dtype", 400)
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
        _require(isinstance(body, dict) and set(body) <= allowed, f"invalid request: allowed fields {sorted(allowed)}",
                 400)
        texts = body.get("texts")
        _require(_is_str_list(texts) and 0 < len(texts) <= 96, "invalid request: texts must hold 1 to 96 strings", 400)
        _require(isinstance(body.get("model"), str), "invalid request: model is required", 400)
        _require(body.get("input_type") in ("search_document", "search_query", "classification", "clustering"),
                 "invalid request: input_type is required for embed models v3 and higher", 400)
        types = body.get("embedding_types", ["float"])
        _require(_is_str_list(types) and types and set(types) <= {"float", "int8", "uint8", "binary", "ubinary"},
                 "invalid request: embedding_types", 400)
        _require(body.get("truncate") in (None, "NONE", "START", "END"), "invalid request: truncate", 400)
        dim = self.native_dim
        if body.get("output_dimension") is not None:
            _require(body["output_dimension"] in (256, 512, 1024, 1536), "invalid request: output_dimension", 400)
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

    # -- HTTP plumbing ----------------------------------------------------------------------------------------------

    def _handler_class(self) -> type:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 10
            # Headers and body go out in two writes; without TCP_NODELAY the second waits ~40 ms for a delayed ACK,
            # which no production server makes its clients pay.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the access log
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                path = urllib.parse.urlsplit(self.path).path
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                with server._lock:
                    server.requests.append(Recorded(self.path, headers, body, self.client_address[1]))
                    fault = server.faults.popleft() if server.faults else None
                if fault is not None:
                    if fault.delay:
                        time.sleep(fault.delay)
                    if fault.drop:
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    self._send(fault.status, fault.body, fault.headers)
                    return
                cached = server._cache.get((path, raw)) if server.cache_responses else None
                if cached is not None:
                    self._send(200, cached)
                    return
                handler = server.route(path)
                if handler is None:
                    self._send(404, server.error_body(404, f"no route {path}"))
                    return
                try:
                    server.check_auth(headers)
                    _require(headers.get("content-type", "").startswith("application/json"),
                             "Content-Type must be application/json", 415)
                    _require(not isinstance(body, bytes), "body is not valid JSON", 400)
                    payload = handler(body)
                except ValidationError as exc:
                    self._send(exc.status, server.error_body(exc.status, exc.message))
                    return
                encoded = json.dumps(payload).encode()
                if server.cache_responses:
                    server._cache[(path, raw)] = encoded
                self._send(200, encoded)

            def _send(self, status: int, body: bytes, extra: Optional[Mapping[str, str]] = None) -> None:
                headers = {"Content-Type": "application/json"}
                headers.update(extra or {})
                if server.gzip_responses and "gzip" in self.headers.get("Accept-Encoding", ""):
                    body = gzip.compress(body)
                    headers["Content-Encoding"] = "gzip"
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                if server.close_after_response:
                    # Announce keep-alive, then close anyway: what a server does when its idle timer fires.
                    self.send_header("Connection", "keep-alive")
                    self.end_headers()
                    self.wfile.write(body)
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.end_headers()
                self.wfile.write(body)

        return Handler


def json_fault(status: int, payload: Any, headers: Optional[Dict[str, str]] = None) -> Fault:
    return Fault(status=status, body=json.dumps(payload).encode(), headers=headers or {})
