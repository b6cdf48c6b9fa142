"""The one small HTTP layer shared by the hosted rerankers and embedding APIs.

Owns JSON POSTs with keep-alive connections, timeouts, retries with backoff on 408/429/5xx that honour
``Retry-After``, error classes that say what to do, and redaction: an API key never reaches a log line or an
error message, even when a server echoes it back.
"""

from __future__ import annotations

import email.utils
import gzip
import http.client
import json
import logging
import os
import random
import socket
import threading
import time
import urllib.parse
import urllib.request
import weakref
import zlib
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, TypeVar

logger = logging.getLogger(__name__)

__all__ = [
    "APIConnectionError",
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ClientOwner",
    "HTTPClient",
    "MalformedResponseError",
    "RateLimitError",
    "ServerError",
    "resolve_api_key",
    "resolve_base_url",
]

_USER_AGENT = "sparsebolt-http/1"
# 408 and 409 are what the OpenAI SDK also retries; 429 and every 5xx are transient by definition.
_RETRYABLE_STATUS = frozenset({408, 409, 429})
_MESSAGE_LIMIT = 500
_Owner = TypeVar("_Owner", bound="ClientOwner")


class APIError(RuntimeError):
    """A hosted API call failed. ``status`` is the HTTP status (None before any response), ``vendor`` the API."""

    def __init__(self, message: str, *, vendor: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.vendor = vendor
        self.status = status


class AuthenticationError(APIError):
    """401/403: the key is missing, wrong, revoked or lacks access to the model."""


class BadRequestError(APIError, ValueError):
    """400/404/413/422: the request was rejected; the message carries the server's explanation."""


class RateLimitError(APIError):
    """429 persisted through every retry, or the server asked to wait longer than ``max_retry_after``."""


class ServerError(APIError):
    """5xx persisted through every retry."""


class APIConnectionError(APIError):
    """No response: connection refused, DNS failure or timeout, through every retry."""


class MalformedResponseError(APIError):
    """The server answered 2xx with a body that is not what the API documents."""


def resolve_api_key(api_key: Optional[str], env_vars: Sequence[str], vendor: str) -> str:
    """Return ``api_key`` or the first non-empty environment variable of ``env_vars``; raise ValueError with advice."""
    if api_key is not None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise ValueError(f"{vendor}: api_key must be a non-empty string")
        return api_key
    for name in env_vars:
        value = os.environ.get(name, "")
        if value.strip():
            return value
    names = " or ".join(f"`{name}`" for name in env_vars)
    raise ValueError(f"{vendor}: no API key found; pass `api_key=...` or set the environment variable {names}")


def resolve_base_url(base_url: Optional[str], env_vars: Sequence[str], default: str) -> str:
    """Return ``base_url``, else the first set environment variable of ``env_vars``, else ``default``; no trailing /."""
    chosen = base_url
    if chosen is None:
        chosen = next((os.environ[name] for name in env_vars if os.environ.get(name, "").strip()), default)
    parsed = urllib.parse.urlsplit(chosen)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError(f"base URL {chosen!r} must look like https://host[:port][/path]")
    return chosen.rstrip("/")


def parse_retry_after(headers: Mapping[str, str], now: Optional[float] = None) -> Optional[float]:
    """Seconds to wait from ``retry-after-ms`` (OpenAI), ``Retry-After`` seconds or an HTTP-date (RFC 9110 10.2.3)."""
    lowered = {key.lower(): value for key, value in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_delay(attempt: int, *, base: float, cap: float, rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter: ``min(cap, base * 2**attempt)`` scaled into [0.5, 1.0] of itself."""
    return min(cap, base * (2.0**attempt)) * (0.5 + 0.5 * rng())


def redact(text: str, secret: Optional[str]) -> str:
    """Replace every occurrence of ``secret`` (and of any 8+ character prefix or suffix of it) with ``***``."""
    if not secret:
        return text
    text = text.replace(secret, "***")
    # Servers often echo a mangled key ("sk-abc...xyz", "Incorrect API key provided: sk-abcd****wxyz"); a long
    # enough prefix or suffix of the real key is still a leak.
    if len(secret) >= 16:
        for fragment in (secret[:8], secret[-8:]):
            text = text.replace(fragment, "***")
    return text


def server_message(body: bytes) -> str:
    """The human message of an error body across vendors: OpenAI ``error.message``, Cohere ``message``,
    Jina/Voyage/FastAPI ``detail`` (a string or a list of validation errors), TEI ``error``; else the raw text."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:_MESSAGE_LIMIT]
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"][:_MESSAGE_LIMIT]
        for key in ("message", "detail", "error"):
            value = data.get(key)
            if isinstance(value, str):
                return value[:_MESSAGE_LIMIT]
            if isinstance(value, list):
                parts = [item.get("msg", str(item)) if isinstance(item, dict) else str(item) for item in value]
                return "; ".join(parts)[:_MESSAGE_LIMIT]
    return text[:_MESSAGE_LIMIT]


def _decode_body(body: bytes, encoding: Optional[str]) -> bytes:
    if not encoding or encoding == "identity":
        return body
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    raise ValueError(f"unsupported Content-Encoding {encoding!r}")


class _ConnectionPool:
    """Idle keep-alive connections to one origin, shared by threads; closed when the owning client is collected."""

    def __init__(self, scheme: str, host: str, port: int, timeout: float, max_idle: int = 4) -> None:
        self._scheme = scheme
        self._host = host
        self._port = port
        self._timeout = timeout
        self._max_idle = max_idle
        self._idle: List[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        proxy = None if urllib.request.proxy_bypass(host) else urllib.request.getproxies().get(scheme)
        self._proxy = urllib.parse.urlsplit(proxy) if proxy else None
        if self._proxy is not None and not self._proxy.hostname:
            raise ValueError(f"the {scheme}_proxy setting {proxy!r} has no host; set it to a URL like http://proxy:3128")

    @property
    def via_plain_proxy(self) -> bool:
        """An http:// target behind a proxy is requested with the absolute URL (RFC 9112 3.2.2)."""
        return self._proxy is not None and self._scheme == "http"

    def acquire(self) -> Tuple[http.client.HTTPConnection, bool]:
        """A connection and whether it was reused (a reused one may have been closed by the server meanwhile)."""
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        return self._new_connection(), False

    def release(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < self._max_idle:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _new_connection(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        if self._proxy is None:
            return cls(self._host, self._port, timeout=self._timeout)
        proxy_host = self._proxy.hostname or ""  # checked non-empty in __init__
        proxy_port = self._proxy.port or (443 if self._proxy.scheme == "https" else 80)
        if self._scheme == "https":
            conn = http.client.HTTPSConnection(proxy_host, proxy_port, timeout=self._timeout)
            conn.set_tunnel(self._host, self._port)
            return conn
        return http.client.HTTPConnection(proxy_host, proxy_port, timeout=self._timeout)


class HTTPClient:
    """POST JSON to one API with retries. Thread-safe; call :meth:`close` (or drop it) to free connections.

    ``api_key`` is sent as ``Authorization: Bearer <key>``, or as the bare key in ``auth_header`` when an API names
    its own header (Gemini's ``x-goog-api-key``), and redacted from every message this client produces.
    """

    def __init__(
        self,
        base_url: str,
        *,
        vendor: str,
        api_key: Optional[str] = None,
        auth_header: str = "Authorization",
        headers: Optional[Mapping[str, str]] = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        backoff_max: float = 20.0,
        max_retry_after: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"base URL {base_url!r} must look like https://host[:port][/path]")
        self.base_url = base_url.rstrip("/")
        self.vendor = vendor
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        self._secret = api_key
        self._path_prefix = parsed.path.rstrip("/")
        self._host_header = parsed.netloc.rpartition("@")[2]
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        self._pool = _ConnectionPool(parsed.scheme, parsed.hostname, port, timeout)
        self._finalizer = weakref.finalize(self, self._pool.close)
        self._headers: Dict[str, str] = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Accept-Encoding": "gzip",
            "User-Agent": _USER_AGENT,
        }
        if api_key is not None:
            bearer = auth_header.lower() == "authorization"
            self._headers[auth_header] = f"Bearer {api_key}" if bearer else api_key
        self._headers.update(headers or {})

    def __repr__(self) -> str:
        return f"HTTPClient(vendor={self.vendor!r}, base_url={self.base_url!r})"

    def close(self) -> None:
        """Close idle connections now (they are also closed when the client is garbage-collected). The client stays
        usable: a later call opens a new connection."""
        self._pool.close()

    def __enter__(self) -> "HTTPClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def post_json(self, path: str, payload: Any) -> Any:
        """POST ``payload`` as JSON to ``base_url + path`` and return the decoded JSON body of a 2xx response."""
        body = json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
        url = self.base_url + path
        attempt = 0
        while True:
            try:
                status, headers, raw = self._send(path, body)
            except (OSError, http.client.HTTPException) as exc:
                # Raised before any status line arrived: nothing was answered, so resending is safe.
                reason = "timed out" if isinstance(exc, socket.timeout) else type(exc).__name__
                if attempt >= self.max_retries:
                    raise APIConnectionError(
                        self._clean(f"{self.vendor}: POST {url} failed after {attempt + 1} attempt(s): "
                                    f"{reason}: {exc}"),
                        vendor=self.vendor,
                    ) from None
                delay = backoff_delay(attempt, base=self.backoff_base, cap=self.backoff_max)
                logger.info("%s: POST %s %s; retrying in %.2fs (attempt %d of %d)", self.vendor, url, reason, delay,
                            attempt + 2, self.max_retries + 1)
                self._sleep(delay)
                attempt += 1
                continue
            if 200 <= status < 300:
                return self._parse_json(url, status, raw)
            if (status in _RETRYABLE_STATUS or status >= 500) and attempt < self.max_retries:
                delay = self._retry_delay(url, status, headers, raw, attempt)
                logger.info("%s: POST %s returned %d; retrying in %.2fs (attempt %d of %d)", self.vendor, url, status,
                            delay, attempt + 2, self.max_retries + 1)
                self._sleep(delay)
                attempt += 1
                continue
            raise self._status_error(url, status, raw, attempt)

    def _send(self, path: str, body: bytes) -> Tuple[int, Dict[str, str], bytes]:
        target = self._path_prefix + path
        if self._pool.via_plain_proxy:
            target = self.base_url + path
        headers = dict(self._headers, Host=self._host_header)
        for _ in range(2):
            conn, reused = self._pool.acquire()
            try:
                conn.request("POST", target, body=body, headers=headers)
                response = conn.getresponse()
                raw = response.read()
            except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
                conn.close()
                if reused:
                    continue  # the server dropped an idle keep-alive connection: a fresh one is not a retry
                raise
            except BaseException:
                conn.close()
                raise
            response_headers = {key: value for key, value in response.getheaders()}
            if response.will_close:
                conn.close()
            else:
                self._pool.release(conn)
            try:
                raw = _decode_body(raw, response.getheader("Content-Encoding"))
            except (OSError, ValueError, zlib.error) as exc:
                raise MalformedResponseError(
                    f"{self.vendor}: response body could not be decoded: {exc}", vendor=self.vendor,
                    status=response.status,
                ) from None
            return response.status, response_headers, raw
        raise http.client.RemoteDisconnected("server closed the connection twice")  # pragma: no cover

    def _retry_delay(self, url: str, status: int, headers: Mapping[str, str], raw: bytes, attempt: int) -> float:
        retry_after = parse_retry_after(headers)
        if retry_after is None:
            return backoff_delay(attempt, base=self.backoff_base, cap=self.backoff_max)
        if retry_after > self.max_retry_after:
            cls = RateLimitError if status == 429 else ServerError
            raise cls(
                self._clean(
                    f"{self.vendor}: POST {url} returned {status} and asked to retry after {retry_after:.0f}s, longer "
                    f"than max_retry_after={self.max_retry_after:.0f}s; slow down or raise max_retry_after. "
                    f"Server said: {server_message(raw)}"
                ),
                vendor=self.vendor,
                status=status,
            )
        return retry_after

    def _status_error(self, url: str, status: int, raw: bytes, attempt: int) -> APIError:
        said = server_message(raw) or http.client.responses.get(status, "")
        where = f"{self.vendor}: POST {url} returned {status}"
        if status in (401, 403):
            cls: type = AuthenticationError
            advice = "check the API key (is it valid, not revoked, and allowed to use this model?)"
        elif status == 429:
            cls = RateLimitError
            advice = f"still rate limited after {attempt + 1} attempt(s); lower the request rate or batch size"
        elif status >= 500:
            cls = ServerError
            advice = f"the server kept failing after {attempt + 1} attempt(s); try again later"
        elif 400 <= status < 500:
            cls = BadRequestError
            advice = "the request was rejected; fix the arguments named in the server's message"
        else:
            cls = MalformedResponseError
            advice = "unexpected status for this API"
        return cls(self._clean(f"{where}: {said} ({advice})"), vendor=self.vendor, status=status)

    def _parse_json(self, url: str, status: int, raw: bytes) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            preview = raw[:200].decode("utf-8", errors="replace")
            raise MalformedResponseError(
                self._clean(f"{self.vendor}: POST {url} returned {status} with a body that is not JSON: {preview!r}"),
                vendor=self.vendor,
                status=status,
            ) from None

    def _clean(self, message: str) -> str:
        return redact(message, self._secret)

    def malformed(self, what: str) -> MalformedResponseError:
        """An error for a 2xx body whose shape is not what the API documents (used by the vendor parsers)."""
        return MalformedResponseError(
            self._clean(f"{self.vendor}: unexpected response from {self.base_url}: {what}"), vendor=self.vendor
        )


class ClientOwner:
    """Mixin for objects that hold an :class:`HTTPClient` in ``_client``: ``close()`` and ``with`` support."""

    _client: HTTPClient

    def close(self) -> None:
        """Close the idle keep-alive connections now rather than at garbage collection."""
        self._client.close()

    def __enter__(self: _Owner) -> _Owner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
