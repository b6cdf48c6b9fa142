"""Retry with exponential backoff for Milvus calls.
Owns the split between transient errors (retried) and permanent ones (raised at once)."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable, Optional, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Milvus's RATE_LIMIT error code (pymilvus.exceptions.ErrorCode.RATE_LIMIT); kept literal so that
# this module imports without pymilvus.
_RATE_LIMIT_CODE = 8
# How long a connection failure on an engine's socket waits for that engine to be seen exiting.
_DEATH_GRACE_SECONDS = 0.5
_TRANSIENT_GRPC_NAMES = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "ABORTED"})
# pymilvus turns an exhausted connection into MilvusException(code=2 or a grpc code, message=...);
# the message is the only stable signal across pymilvus 2.5 and 3.0.
_TRANSIENT_MESSAGES = (
    "fail connecting to server",
    "server unavailable",
    "retry timeout",
    "retry run out",
    "connection refused",
    "deadline exceeded",
    "rate limit",
    "too many requests",
    "ratelimit",
)


class MilvusUnavailableError(ConnectionError):
    """Milvus could not be reached (or kept failing transiently) after the configured retries."""


class EngineDiedError(MilvusUnavailableError):
    """The embedded Milvus Lite engine of this process has exited: no retry can reach it again."""


@dataclass(frozen=True)
class RetryPolicy:
    """How transient Milvus errors are retried.

    The n-th retry waits ``min(initial_delay * multiplier**(n-1), max_delay)`` seconds, so the
    default (4 attempts, 0.5 s, x2) gives up after about 3.5 s of waiting plus the calls themselves.
    ``timeout`` bounds each single RPC, which also bounds pymilvus's own internal reconnect loop.
    """

    attempts: int = 4
    initial_delay: float = 0.5
    max_delay: float = 8.0
    multiplier: float = 2.0
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"RetryPolicy.attempts must be >= 1, got {self.attempts}")
        if self.initial_delay < 0 or self.max_delay < 0:
            raise ValueError("RetryPolicy delays must be >= 0")
        if self.multiplier < 1:
            raise ValueError(f"RetryPolicy.multiplier must be >= 1, got {self.multiplier}")
        if self.timeout <= 0:
            raise ValueError(f"RetryPolicy.timeout must be > 0 seconds, got {self.timeout}")

    def delays(self) -> list[float]:
        """The waits between attempts (``attempts - 1`` values)."""
        return [min(self.initial_delay * self.multiplier**i, self.max_delay) for i in range(self.attempts - 1)]


def is_transient(exc: BaseException) -> bool:
    """True for errors that may pass on retry: server unreachable, timeouts, rate limiting."""
    if isinstance(exc, MilvusUnavailableError):
        return True
    code = getattr(exc, "code", None)
    if callable(code):  # grpc.RpcError.code()
        try:
            code = code()
        except Exception:  # noqa: BLE001 - a broken error object is not a reason to crash here
            code = None
    name = getattr(code, "name", None)
    if name in _TRANSIENT_GRPC_NAMES:
        return True
    if code == _RATE_LIMIT_CODE and type(exc).__name__ == "MilvusException":
        return True
    if type(exc).__name__ in {"MilvusUnavailableException", "ConnectError"}:
        return True
    message = str(getattr(exc, "message", "") or exc).lower()
    return any(marker in message for marker in _TRANSIENT_MESSAGES)


def call_with_retry(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
    before_retry: Optional[Callable[[BaseException], None]] = None,
) -> T:
    """Call ``fn()``; retry transient errors per ``policy``; raise permanent ones at once.

    After the last attempt a transient error becomes :class:`MilvusUnavailableError` that names
    ``what`` and the number of attempts (the original error is chained as ``__cause__``). A dead embedded
    engine raises :class:`EngineDiedError` at once. ``before_retry(error)`` runs after each wait, before the
    next attempt: a write uses it to find out what the failed attempt stored (its outcome is unknown).
    ``fn`` is called only before this returns, so a lambda in a loop may read the loop's variables.
    """
    delays = policy.delays()
    for attempt in range(policy.attempts):
        try:
            return fn()
        except Exception as exc:
            if not is_transient(exc):
                raise
            dead = dead_embedded_engine(exc)
            if dead is not None:
                raise EngineDiedError(
                    f"{what} failed: the embedded Milvus Lite engine for {dead} has exited, so nothing more "
                    f"can be done in this process; a new process starts a new engine on the same file"
                ) from exc
            if attempt == policy.attempts - 1:
                raise MilvusUnavailableError(
                    f"{what} failed after {policy.attempts} attempt(s): {_describe(exc)}"
                ) from exc
            wait = delays[attempt]
            logger.warning("%s failed (attempt %d/%d), retrying in %.2fs: %s",
                           what, attempt + 1, policy.attempts, wait, _describe(exc))
            sleep(wait)
            if before_retry is not None:
                before_retry(exc)
    raise AssertionError("unreachable")  # pragma: no cover


def dead_embedded_engine(exc: BaseException) -> Optional[str]:
    """The database file of an embedded Milvus Lite engine of this process that has exited, if ``exc`` could
    come from talking to it; else None.

    pymilvus reports a dead Lite engine as "Fail connecting to server on unix:...", a transient-looking error
    that would be retried in vain. milvus_lite keeps its engines (child processes) in a module-level manager;
    it is only consulted when milvus_lite is already imported, and any change of its internals means None.
    """
    message = str(getattr(exc, "message", "") or exc)
    if "unix:" not in message:
        return None
    manager_module = sys.modules.get("milvus_lite.server_manager")
    if manager_module is None:
        return None
    try:
        servers = dict(manager_module.server_manager_instance._servers)
        for db_file, server in servers.items():
            process = server._p
            if process is None or str(server.uds_path) not in message:
                continue
            try:
                # The broken connection can reach the client a moment before the killed engine is reaped.
                process.wait(timeout=_DEATH_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                continue  # alive: a transient failure, retried
            return str(db_file)
    except Exception:  # noqa: BLE001 - milvus_lite's internals changed: fall back to plain retries
        return None
    return None


def _describe(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {message}"
