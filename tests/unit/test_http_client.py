"""sparsebolt.http against a local server: retries honouring Retry-After, error classes, redaction, keep-alive."""

from __future__ import annotations

import email.utils
import gzip
import json
import logging
import socket
import time
from typing import Iterator, List

import pytest

from sparsebolt.http import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    HTTPClient,
    MalformedResponseError,
    RateLimitError,
    ServerError,
    backoff_delay,
    parse_retry_after,
    redact,
    resolve_api_key,
    resolve_base_url,
    server_message,
)
from sparsebolt.testing.vendor_servers import API_KEY, Fault, VendorServer, json_fault

RERANK_BODY = {"model": "jina-reranker-v2-base-multilingual", "query": "q", "documents": ["a", "b"]}


@pytest.fixture
def jina() -> Iterator[VendorServer]:
    with VendorServer("jina") as server:
        yield server


def make_client(server: VendorServer, sleeps: List[float], **kwargs: object) -> HTTPClient:
    options = {"max_retries": 3, "backoff_base": 0.25, "backoff_max": 2.0}
    options.update(kwargs)
    return HTTPClient(server.url, vendor="Jina", api_key=API_KEY, sleep=sleeps.append, **options)  # type: ignore[arg-type]


def test_post_json_sends_bearer_json_and_reuses_the_connection(jina: VendorServer) -> None:
    sleeps: List[float] = []
    client = make_client(jina, sleeps)
    first = client.post_json("/rerank", RERANK_BODY)
    second = client.post_json("/rerank", RERANK_BODY)
    client.close()
    assert first == second and len(first["results"]) == 2
    assert [r.path for r in jina.requests] == ["/v1/rerank", "/v1/rerank"]
    request = jina.requests[0]
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["content-type"] == "application/json"
    assert request.body == RERANK_BODY
    # keep-alive: the second request came from the same client socket
    assert jina.requests[0].client_port == jina.requests[1].client_port
    assert sleeps == []


def test_429_with_retry_after_seconds_is_honoured(jina: VendorServer) -> None:
    sleeps: List[float] = []
    jina.fail_next(json_fault(429, {"detail": "slow down"}, {"Retry-After": "2"}),
                   json_fault(429, {"detail": "slow down"}, {"Retry-After": "0.5"}))
    result = make_client(jina, sleeps).post_json("/rerank", RERANK_BODY)
    assert "results" in result
    assert sleeps == [2.0, 0.5]
    assert len(jina.requests) == 3


def test_retry_after_http_date_and_openai_milliseconds() -> None:
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after({"Retry-After": date}, now=now) == pytest.approx(30, abs=1.0)
    assert parse_retry_after({"retry-after-ms": "1500", "Retry-After": "9"}) == 1.5
    assert parse_retry_after({"Retry-After": "-4"}) == 0.0
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({}) is None


def test_retry_after_longer_than_the_cap_fails_at_once_with_advice(jina: VendorServer) -> None:
    sleeps: List[float] = []
    jina.fail_next(json_fault(429, {"detail": "quota exhausted"}, {"Retry-After": "3600"}))
    with pytest.raises(RateLimitError, match=r"retry after 3600s.*max_retry_after=60s.*quota exhausted") as info:
        make_client(jina, sleeps).post_json("/rerank", RERANK_BODY)
    assert info.value.status == 429 and sleeps == [] and len(jina.requests) == 1


def test_5xx_backs_off_exponentially_then_succeeds(jina: VendorServer) -> None:
    sleeps: List[float] = []
    jina.fail_next(Fault(500), Fault(502, b"<html>bad gateway</html>"), Fault(503))
    result = make_client(jina, sleeps).post_json("/rerank", RERANK_BODY)
    assert "results" in result
    assert len(sleeps) == 3
    for attempt, delay in enumerate(sleeps):
        full = min(2.0, 0.25 * 2**attempt)
        assert full * 0.5 <= delay <= full


def test_persistent_5xx_raises_server_error_after_all_attempts(jina: VendorServer) -> None:
    sleeps: List[float] = []
    jina.fail_next(*[json_fault(503, {"detail": "overloaded"})] * 4)
    with pytest.raises(ServerError, match=r"returned 503: overloaded.*after 4 attempt") as info:
        make_client(jina, sleeps).post_json("/rerank", RERANK_BODY)
    assert info.value.status == 503 and len(jina.requests) == 4 and len(sleeps) == 3


def test_persistent_429_without_retry_after_raises_rate_limit_error(jina: VendorServer) -> None:
    sleeps: List[float] = []
    jina.fail_next(*[json_fault(429, {"detail": "rate limited"})] * 2)
    with pytest.raises(RateLimitError, match="rate limited"):
        make_client(jina, sleeps, max_retries=1).post_json("/rerank", RERANK_BODY)
    assert len(jina.requests) == 2


def test_401_is_not_retried_and_never_shows_the_key(jina: VendorServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sleeps: List[float] = []
    wrong = "jina_wrongkey_0123456789abcdefghijklmnop"
    client = HTTPClient(jina.url, vendor="Jina", api_key=wrong, sleep=sleeps.append)
    with pytest.raises(AuthenticationError) as info:
        client.post_json("/rerank", RERANK_BODY)
    message = str(info.value)
    assert info.value.status == 401 and "Incorrect API key provided" in message and "check the API key" in message
    assert wrong not in message and wrong[:8] not in message and wrong[-8:] not in message
    assert wrong not in repr(client) and wrong not in caplog.text
    assert len(jina.requests) == 1 and sleeps == []


def test_key_is_redacted_from_retry_logs_and_final_errors(jina: VendorServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="sparsebolt.http")
    sleeps: List[float] = []
    echo = f"upstream failed for token {API_KEY}"
    jina.fail_next(*[json_fault(500, {"detail": echo})] * 3)
    with pytest.raises(ServerError) as info:
        make_client(jina, sleeps, max_retries=2).post_json("/rerank", RERANK_BODY)
    assert "upstream failed for token ***" in str(info.value)
    assert API_KEY not in str(info.value) and API_KEY not in caplog.text
    assert "returned 500; retrying" in caplog.text  # the retries are logged, without the key


def test_400_and_422_raise_bad_request_with_the_servers_message(jina: VendorServer) -> None:
    sleeps: List[float] = []
    client = make_client(jina, sleeps)
    with pytest.raises(BadRequestError, match="top_n must be a positive integer") as info:
        client.post_json("/rerank", dict(RERANK_BODY, top_n=0))
    assert info.value.status == 422 and isinstance(info.value, ValueError)
    jina.fail_next(json_fault(400, {"detail": "Input text exceeds the maximum length"}))
    with pytest.raises(BadRequestError, match="Input text exceeds the maximum length"):
        client.post_json("/rerank", RERANK_BODY)
    assert sleeps == []


@pytest.mark.parametrize(
    "body",
    [b"<html>gateway</html>", b'{"results": [', b""],
    ids=["html", "truncated-json", "empty"],
)
def test_2xx_body_that_is_not_json_raises_malformed(jina: VendorServer, body: bytes) -> None:
    jina.fail_next(Fault(200, body, {"Content-Type": "text/html"}))
    with pytest.raises(MalformedResponseError, match="not JSON"):
        make_client(jina, []).post_json("/rerank", RERANK_BODY)


def test_gzip_responses_are_decoded() -> None:
    with VendorServer("jina", gzip_responses=True) as server:
        result = make_client(server, []).post_json("/rerank", RERANK_BODY)
    assert [r["index"] for r in result["results"]] and server.requests[0].headers["accept-encoding"] == "gzip"
    assert gzip.decompress(gzip.compress(b"x")) == b"x"


def test_corrupt_gzip_body_raises_malformed(jina: VendorServer) -> None:
    jina.fail_next(Fault(200, b"not gzip at all", {"Content-Encoding": "gzip"}))
    with pytest.raises(MalformedResponseError, match="could not be decoded"):
        make_client(jina, []).post_json("/rerank", RERANK_BODY)


def test_a_dropped_connection_is_retried(jina: VendorServer) -> None:
    sleeps: List[float] = []
    jina.fail_next(Fault(drop=True))
    result = make_client(jina, sleeps).post_json("/rerank", RERANK_BODY)
    assert "results" in result and len(jina.requests) == 2 and len(sleeps) == 1


def test_server_closing_an_idle_keepalive_connection_costs_no_retry() -> None:
    sleeps: List[float] = []
    with VendorServer("jina", close_after_response=True) as server:
        client = make_client(server, sleeps, max_retries=0)
        for _ in range(3):
            assert "results" in client.post_json("/rerank", RERANK_BODY)
    assert sleeps == [] and len(server.requests) == 3
    # each request after the first found its pooled connection closed and went out on a new one
    assert len({r.client_port for r in server.requests}) == 3


def test_timeout_raises_connection_error(jina: VendorServer) -> None:
    jina.fail_next(Fault(200, b"{}", delay=1.0))
    client = make_client(jina, [], timeout=0.2, max_retries=0)
    with pytest.raises(APIConnectionError, match="timed out"):
        client.post_json("/rerank", RERANK_BODY)


def test_connection_refused_raises_after_retries() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps: List[float] = []
    client = HTTPClient(f"http://127.0.0.1:{port}/v1", vendor="Jina", api_key=API_KEY, max_retries=2,
                        sleep=sleeps.append)
    with pytest.raises(APIConnectionError, match="after 3 attempt") as info:
        client.post_json("/rerank", RERANK_BODY)
    assert info.value.status is None and len(sleeps) == 2 and API_KEY not in str(info.value)


def test_plain_http_proxy_gets_the_absolute_url(jina: VendorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{jina.port}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    client = HTTPClient("http://api.example.invalid/v1", vendor="Jina", api_key=API_KEY, max_retries=0)
    assert "results" in client.post_json("/rerank", RERANK_BODY)
    assert jina.requests[0].path == "http://api.example.invalid/v1/rerank"
    assert jina.requests[0].headers["host"] == "api.example.invalid"


def test_a_proxy_setting_without_a_host_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", "http://:3128")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    with pytest.raises(ValueError, match="http_proxy setting 'http://:3128' has no host"):
        HTTPClient("http://api.example.invalid/v1", vendor="Jina", api_key=API_KEY, max_retries=0)


def test_backoff_delay_bounds() -> None:
    assert backoff_delay(0, base=0.5, cap=8, rng=lambda: 0.0) == 0.25
    assert backoff_delay(3, base=0.5, cap=8, rng=lambda: 1.0) == 4.0
    assert backoff_delay(10, base=0.5, cap=8, rng=lambda: 1.0) == 8.0


def test_server_message_reads_each_vendor_error_shape() -> None:
    assert server_message(json.dumps({"error": {"message": "bad model", "type": "x"}}).encode()) == "bad model"
    assert server_message(b'{"message": "invalid api token"}') == "invalid api token"
    assert server_message(b'{"detail": "Not authenticated"}') == "Not authenticated"
    assert server_message(b'{"detail": [{"msg": "a"}, {"msg": "b"}]}') == "a; b"
    assert server_message(b'{"error": "batch too big", "error_type": "Validation"}') == "batch too big"
    assert server_message(b"plain text") == "plain text"


def test_redact_removes_the_key_and_its_long_fragments() -> None:
    key = "sk-proj-abcdefghijklmnopqrstuvwxyz0123"
    assert redact(f"key {key} bad", key) == "key *** bad"
    assert key[:8] not in redact(f"Incorrect API key provided: {key[:8]}****{key[-4:]}", key)
    assert redact("nothing here", None) == "nothing here"


def test_resolve_api_key_and_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SB_TEST_KEY_A", raising=False)
    monkeypatch.setenv("SB_TEST_KEY_B", "from-env")
    assert resolve_api_key("explicit", ("SB_TEST_KEY_A", "SB_TEST_KEY_B"), "X") == "explicit"
    assert resolve_api_key(None, ("SB_TEST_KEY_A", "SB_TEST_KEY_B"), "X") == "from-env"
    monkeypatch.delenv("SB_TEST_KEY_B")
    with pytest.raises(ValueError, match=r"pass `api_key=...` or set the environment variable `SB_TEST_KEY_A` or"):
        resolve_api_key(None, ("SB_TEST_KEY_A", "SB_TEST_KEY_B"), "X")
    with pytest.raises(ValueError, match="non-empty"):
        resolve_api_key("  ", ("SB_TEST_KEY_A",), "X")
    monkeypatch.setenv("SB_TEST_URL", "http://127.0.0.1:9/v1/")
    assert resolve_base_url(None, ("SB_TEST_URL",), "https://d.example/v1") == "http://127.0.0.1:9/v1"
    assert resolve_base_url("https://x.example", ("SB_TEST_URL",), "https://d.example") == "https://x.example"
    with pytest.raises(ValueError, match="must look like"):
        resolve_base_url("api.jina.ai/v1", (), "https://d.example")


@pytest.mark.parametrize("kwargs", [{"timeout": 0}, {"max_retries": -1}])
def test_bad_client_options_raise_value_error(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        HTTPClient("http://127.0.0.1:1", vendor="X", **kwargs)


def test_a_closed_client_reconnects_on_the_next_call(jina: VendorServer) -> None:
    client = make_client(jina, [])
    with client:
        client.post_json("/rerank", RERANK_BODY)
    client.post_json("/rerank", RERANK_BODY)
    client.close()
    assert len(jina.requests) == 2 and jina.requests[0].client_port != jina.requests[1].client_port
