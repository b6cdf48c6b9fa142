"""Turning a ``uri`` into a connected MilvusClient: Milvus Lite files or directories, servers, clusters.
A local path (``./milvus.db``) runs Milvus Lite embedded; ``http(s)://host:port`` reaches any Milvus server."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from sparsebolt.milvus.retry import MilvusUnavailableError, RetryPolicy, call_with_retry

logger = logging.getLogger(__name__)

__all__ = ["connect", "is_lite_uri", "redact_uri", "DEFAULT_URI"]

DEFAULT_URI = "./milvus.db"
_SERVER_SCHEMES = ("http", "https", "tcp", "grpc", "unix")


def is_lite_uri(uri: str) -> bool:
    """True for a Milvus Lite local database path (pymilvus's rule: it ends with ``.db``)."""
    return uri.endswith(".db") and "://" not in uri


def redact_uri(uri: str) -> str:
    """``uri`` with any password in it hidden, for messages."""
    parsed = urlparse(uri)
    if parsed.password:
        return uri.replace(f":{parsed.password}@", ":***@")
    return uri


def connect(
    uri: str = DEFAULT_URI,
    *,
    token: str = "",
    db_name: str = "",
    retry: RetryPolicy = RetryPolicy(),
    connect_timeout: float = 10.0,
) -> Any:
    """A connected ``pymilvus.MilvusClient`` for ``uri``.

    A ``*.db`` path starts Milvus Lite embedded (its parent folder is created if missing). Any other
    ``uri`` must be a server address (``http://host:19530``, ``https://...`` with ``token`` for Zilliz
    Cloud). Connecting retries transient failures per ``retry``; an unreachable server raises
    :class:`MilvusUnavailableError` after the last attempt, never hangs beyond
    ``retry.attempts * connect_timeout`` plus the backoff waits.
    """
    if not isinstance(uri, str) or not uri:
        raise ValueError(f"uri must be a non-empty string, got {uri!r}")
    if is_lite_uri(uri):
        Path(uri).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        uri = str(Path(uri).expanduser())
    else:
        scheme = urlparse(uri).scheme.lower()
        if scheme not in _SERVER_SCHEMES:
            raise ValueError(
                f"uri {uri!r} is neither a Milvus Lite file (ending in .db, e.g. './milvus.db') nor a server "
                f"address (http://host:19530, https://..., unix:...)"
            )
    from pymilvus import MilvusClient  # noqa: PLC0415 - heavy import, only when connecting

    def make() -> Any:
        return MilvusClient(uri=uri, token=token, db_name=db_name, timeout=connect_timeout)

    try:
        return call_with_retry(make, retry, what=f"connecting to Milvus at {redact_uri(uri)}")
    except MilvusUnavailableError as exc:
        hint = (
            "Check that the Milvus Lite database is not open in another process."
            if is_lite_uri(uri)
            else "Check that the server is running and the address and port are right."
        )
        raise MilvusUnavailableError(f"{exc}. {hint}") from exc.__cause__
