"""Retry policy: transient errors are retried with exponential backoff, permanent ones raised at once."""

from __future__ import annotations

import grpc
import pytest
from pymilvus.exceptions import MilvusException

from sparsebolt.milvus.retry import MilvusUnavailableError, RetryPolicy, call_with_retry, is_transient


class _RpcError(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode) -> None:
        super().__init__()
        self._code = code

    def code(self) -> grpc.StatusCode:
        return self._code


def test_backoff_delays_grow_and_cap():
    assert RetryPolicy(attempts=5, initial_delay=0.5, multiplier=2, max_delay=3).delays() == [0.5, 1.0, 2.0, 3.0]
    assert RetryPolicy(attempts=1).delays() == []


@pytest.mark.parametrize("kwargs", [{"attempts": 0}, {"initial_delay": -1}, {"multiplier": 0.5}, {"timeout": 0}])
def test_bad_policy_is_rejected(kwargs):
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


def test_classification():
    assert is_transient(_RpcError(grpc.StatusCode.UNAVAILABLE))
    assert is_transient(_RpcError(grpc.StatusCode.DEADLINE_EXCEEDED))
    assert not is_transient(_RpcError(grpc.StatusCode.INVALID_ARGUMENT))
    assert is_transient(MilvusException(code=8, message="rate limit exceeded"))
    assert is_transient(MilvusException(code=2, message="Fail connecting to server on 127.0.0.1:1"))
    assert not is_transient(MilvusException(code=1100, message="invalid parameter: dim mismatch"))
    assert not is_transient(ValueError("bad input"))


def test_transient_errors_are_retried_then_succeed():
    calls, waits = [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise _RpcError(grpc.StatusCode.UNAVAILABLE)
        return "ok"

    policy = RetryPolicy(attempts=4, initial_delay=0.1, multiplier=3)
    assert call_with_retry(flaky, policy, what="x", sleep=waits.append) == "ok"
    assert len(calls) == 3 and waits == pytest.approx([0.1, 0.3])


def test_exhausted_retries_raise_unavailable_with_cause():
    waits = []
    err = _RpcError(grpc.StatusCode.UNAVAILABLE)

    def down():
        raise err

    with pytest.raises(MilvusUnavailableError, match="inserting failed after 3 attempt") as info:
        call_with_retry(down, RetryPolicy(attempts=3, initial_delay=0.01), what="inserting", sleep=waits.append)
    assert info.value.__cause__ is err and len(waits) == 2


def test_permanent_error_is_not_retried():
    calls = []

    def bad():
        calls.append(1)
        raise MilvusException(code=1100, message="field dim mismatch")

    with pytest.raises(MilvusException, match="dim mismatch"):
        call_with_retry(bad, RetryPolicy(attempts=5), what="x", sleep=lambda _: None)
    assert len(calls) == 1
