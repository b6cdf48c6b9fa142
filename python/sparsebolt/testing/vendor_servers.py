"""Local stand-ins for the hosted APIs (Jina, Cohere v2, Voyage, OpenAI, TEI, Mistral, Nomic, Gemini, TypeSafe Jev),
for the tests of sparsebolt.http, sparsebolt.rerank and sparsebolt.hosted.

Each route implements the request/response contract the vendor publishes (field names, limits, error bodies) and
rejects what the real API rejects, so a client that sends the wrong field fails here too. A server records every
request, and can be told to answer the next requests with a scripted fault (429 + Retry-After, 500, 401, malformed
body, dropped connection). It listens on 127.0.0.1, port 0, in threads, and is shut down by the fixture that made it.
The rerank routes live here, the embedding routes in :mod:`sparsebolt.testing.vendor_embeddings`.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import socket
import threading
import time
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Deque, Dict, List, Mapping, Optional, Tuple

from sparsebolt.testing.vendor_contract import ValidationError, fake_embedding, is_int, is_str_list, require
from sparsebolt.testing.vendor_embeddings import EmbeddingRoutes, gemini_model

__all__ = ["API_KEY", "BASE_PATH", "VENDORS", "Fault", "Recorded", "VendorServer", "fake_embedding", "json_fault",
           "overlap_score"]

VENDORS = ("jina", "cohere", "voyage", "openai", "tei", "mistral", "nomic", "gemini", "jev")
API_KEY = "sk-test-9f8e7d6c5b4a39281706f5e4d3c2b1a0"

# The path prefix of each vendor's base URL (what ``base_url`` points at).
BASE_PATH = {"jina": "/v1", "cohere": "", "voyage": "/v1", "openai": "/v1", "tei": "", "mistral": "", "nomic": "",
             "gemini": "", "jev": "/v1"}


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


class VendorServer(EmbeddingRoutes):
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
            ("tei", "/embed"): self._tei_embed,
            ("mistral", "/v1/embeddings"): self._mistral_embeddings,
            ("nomic", "/v1/embedding/text"): self._nomic_embeddings,
            ("jev", "/v1/systemone"): self._jev_systemone,
        }
        model = gemini_model(path) if self.vendor == "gemini" else None
        if model is not None:
            return lambda body: self._gemini_batch_embed(body, model)
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
        if self.vendor == "mistral":
            return json.dumps({"object": "error", "message": message, "type": "invalid_request_error",
                               "param": None, "code": None}).encode()
        if self.vendor == "gemini":
            state = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                     429: "RESOURCE_EXHAUSTED"}.get(status, "INTERNAL")
            return json.dumps({"error": {"code": status, "message": message, "status": state}}).encode()
        if status == 422 and self.vendor == "jina":  # FastAPI validation errors
            return json.dumps({"detail": [{"loc": ["body"], "msg": message, "type": "value_error"}]}).encode()
        return json.dumps({"detail": message}).encode()

    def check_auth(self, headers: Mapping[str, str]) -> None:
        if self.vendor == "tei" and self.api_key == "":
            return
        if self.vendor == "gemini":
            # Gemini takes the bare key in x-goog-api-key and answers a wrong one with 400 API_KEY_INVALID; the
            # message echoes the key here to test the client's redaction.
            sent = headers.get("x-goog-api-key")
            require(sent is not None, "Method doesn't allow unregistered callers (callers without established "
                    "identity). Please use API Key or other form of API consumer identity to call this API.", 403)
            require(sent == self.api_key, f"API key not valid. Please pass a valid API key. Got: {sent}", 400)
            # A Bearer header is read as an OAuth token, which an API key is not.
            require("authorization" not in headers, "Request had invalid authentication credentials. Expected OAuth 2 "
                    "access token, login cookie or other valid authentication credential.", 401)
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
        require(isinstance(body, dict), "body must be a JSON object", 400)
        require(isinstance(body.get("query"), str) and body["query"] != "", "query must be a non-empty string")
        require(is_str_list(body.get("documents")), "documents must be a list of strings")
        require(0 < len(body["documents"]) <= max_docs, f"documents must hold 1 to {max_docs} items", 400)
        top = body.get(top_key)
        require(top is None or (is_int(top) and top >= 1), f"{top_key} must be a positive integer")
        return body["query"], body["documents"], top

    def _jina_rerank(self, body: Any) -> Any:
        allowed = {"model", "query", "documents", "top_n", "return_documents"}
        require(isinstance(body, dict) and set(body) <= allowed, f"unknown fields; allowed: {sorted(allowed)}")
        require(isinstance(body.get("model"), str), "model is required")
        query, documents, top = self._rerank_common(body, "top_n", 2048)
        return_documents = body.get("return_documents", True)
        require(isinstance(return_documents, bool), "return_documents must be a boolean")
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
        require(isinstance(body, dict) and set(body) <= allowed, f"invalid request: allowed fields {sorted(allowed)}",
                 400)
        require(isinstance(body.get("model"), str), "invalid request: model is required", 400)
        query, documents, top = self._rerank_common(body, "top_n", 10_000)
        results = [{"index": i, "relevance_score": s} for i, s in self._ranked(query, documents, top)]
        return {
            "id": "07734bd2-2473-4f07-94e1-0d9f0e6843cf",
            "results": results,
            "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}},
        }

    def _voyage_rerank(self, body: Any) -> Any:
        allowed = {"query", "documents", "model", "top_k", "return_documents", "truncation"}
        require(isinstance(body, dict) and set(body) <= allowed, f"unknown fields; allowed: {sorted(allowed)}", 400)
        require(isinstance(body.get("model"), str), "model is required", 400)
        query, documents, top = self._rerank_common(body, "top_k", 1000)
        require(isinstance(body.get("truncation", True), bool), "truncation must be a boolean", 400)
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
        require(isinstance(body, dict) and set(body) <= allowed, f"unknown fields {sorted(set(body) - allowed)}")
        require(isinstance(body.get("query"), str), "query must be a string")
        texts = body.get("texts")
        require(is_str_list(texts) and len(texts) > 0, "`texts` cannot be empty", 422)
        require(len(texts) <= 32, f"batch size {len(texts)} > maximum allowed batch size 32", 413)
        out = []
        for index, score in self._ranked(body["query"], texts, None):
            item: Dict[str, Any] = {"index": index, "score": score}
            if body.get("return_text"):
                item["text"] = texts[index]
            out.append(item)
        return out

    def _jev_systemone(self, body: Any) -> Any:
        allowed = {"state", "model", "questions"}
        require(isinstance(body, dict) and set(body) <= allowed, f"unknown fields; allowed: {sorted(allowed)}", 400)
        require(isinstance(body.get("state"), str), "state must be a string", 400)
        require(isinstance(body.get("model"), str), "model is required", 400)
        questions = body.get("questions")
        require(isinstance(questions, dict) and len(questions) > 0, "questions must be a non-empty object", 400)
        query = body["state"].removeprefix("Scientific claim: ")
        answers = {}
        for key, question in questions.items():
            require(isinstance(question, dict) and question.get("type") == "noul"
                    and isinstance(question.get("instructions"), str),
                    f"questions.{key} must be {{type: 'noul', instructions: str}}", 400)
            # The stand-in model reads the document out of pymilvus' question wording; any other wording is scored
            # as it stands.
            match = re.fullmatch(r"Document: (.*) \u2014 Does this document provide evidence relevant to the claim\?",
                                 question["instructions"], flags=re.DOTALL)
            document = match.group(1) if match else question["instructions"]
            answers[key] = {"noul": self.scorer(query, document)}
        return {"answers": answers, "model": body["model"]}

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
                    require(headers.get("content-type", "").startswith("application/json"),
                             "Content-Type must be application/json", 415)
                    require(not isinstance(body, bytes), "body is not valid JSON", 400)
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
