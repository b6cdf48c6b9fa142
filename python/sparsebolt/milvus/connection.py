"""Turning a ``uri`` into a connected MilvusClient: Milvus Lite files or directories, servers, clusters.
A local path (``./milvus.db``) runs Milvus Lite embedded; ``http(s)://host:port`` reaches any Milvus server."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any, Optional, Union
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
    create: bool = True,
    lite_output: Optional[Union[str, os.PathLike[str], int]] = None,
) -> Any:
    """A connected ``pymilvus.MilvusClient`` for ``uri``.

    A ``*.db`` path starts Milvus Lite embedded. With ``create=True`` (the default) a missing database file
    is created, and its parent folder too; with ``create=False`` a missing file raises FileNotFoundError and
    nothing is created (for readers: a typo in the path must not leave an empty database behind). Any other
    ``uri`` must be a server address (``http://host:19530``, ``https://...`` with ``token`` for Zilliz
    Cloud); ``create`` does not apply to servers. Connecting retries transient failures per ``retry``; an
    unreachable server raises :class:`MilvusUnavailableError` after the last attempt, never hangs beyond
    ``retry.attempts * connect_timeout`` plus the backoff waits.

    ``lite_output``: where the embedded Milvus Lite server writes its own output (its log lines and its
    expression parser's complaints, on both its stdout and its stderr). None (the default) leaves it on this
    process's stdout and stderr, as pymilvus does; a path appends it to that file (``os.devnull`` drops it);
    an int is a file descriptor (2: this process's stderr, which keeps stdout clean for JSON). It only takes
    effect on the call that starts the server for that file: later connections in this process share it.
    While the server starts (about half a second) this process's own file descriptors 1 and 2 point there
    too, so pass it from the main thread of a command line, not from a busy multi-threaded program.
    """
    if not isinstance(uri, str) or not uri:
        raise ValueError(f"uri must be a non-empty string, got {uri!r}")
    if is_lite_uri(uri):
        path = Path(uri).expanduser()
        if not create and not path.exists():
            raise FileNotFoundError(
                f"no Milvus Lite database at {path}; create it by ingesting into it (sparsebolt ingest, or a "
                f"TextCollection opened with create=True)"
            )
        path.resolve().parent.mkdir(parents=True, exist_ok=True)
        uri = str(path)
        if lite_output is not None:
            _start_lite_server(uri, lite_output)
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


def _start_lite_server(path: str, output: Union[str, os.PathLike[str], int]) -> None:
    """Start the Milvus Lite server for ``path`` with its stdout and stderr on ``output``.

    milvus_lite starts the server with ``subprocess.Popen`` and no redirection, so the child inherits this
    process's descriptors 1 and 2; pointing them at ``output`` for the start is the only way to choose where
    it writes. pymilvus then finds the server running (milvus_lite keeps one per file and process).
    """
    try:
        from milvus_lite.server_manager import server_manager_instance  # noqa: PLC0415
    except ImportError:  # no milvus-lite (or one without a server process): pymilvus will say what is missing
        return
    target = output if isinstance(output, int) else os.open(output, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()  # what Python buffered so far belongs to the old destination
        except (AttributeError, OSError, ValueError):
            pass
    saved = [os.dup(1), os.dup(2)]
    try:
        os.dup2(target, 1)
        os.dup2(target, 2)
        started = server_manager_instance.start_and_get_uri(path)
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)
        if not isinstance(output, int):
            os.close(target)
    if started is None:
        # pymilvus will try once more and report it (another process holding the file, usually).
        logger.debug("Milvus Lite did not start for %s", path)
