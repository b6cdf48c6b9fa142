"""start_ray's retry of a local Ray start that times out. Ray's own timeout cannot be provoked on demand, so a
stand-in module plays a Ray whose first start fails the way Ray's does (a bare Exception with its message)."""

from __future__ import annotations

from typing import Any

import pytest

from sparsebolt.ray import _ray

TIMEOUT = "The current node timed out during startup. This could happen because some of the raylet failed to startup"
# the other way a local start times out (seen in CI): the GCS never wrote its port file
PORT_FILE_TIMEOUT = "Timed out waiting for file /tmp/ray/session_2026-12-01_16-36-59_064470_8341/gcs_server_port_60fc"


class _Ray:
    def __init__(self, failures: int, message: str = TIMEOUT) -> None:
        self.failures, self.message = failures, message
        self.inits: list[Any] = []
        self.shutdowns = 0

    def init(self, address: Any = None, **options: Any) -> None:
        self.inits.append(address)
        if len(self.inits) <= self.failures:
            raise Exception(self.message)  # noqa: TRY002 - what Ray raises

    def shutdown(self) -> None:
        self.shutdowns += 1


@pytest.fixture
def fake_ray(monkeypatch: pytest.MonkeyPatch) -> Any:
    def install(ray: _Ray) -> _Ray:
        monkeypatch.setattr(_ray, "require_ray", lambda: ray)
        monkeypatch.setattr(_ray.time, "sleep", lambda seconds: None)
        return ray

    return install


@pytest.mark.parametrize("message", [TIMEOUT, PORT_FILE_TIMEOUT])
@pytest.mark.parametrize("address", [None, "local"])
def test_a_local_start_that_times_out_is_tried_again(fake_ray: Any, address: Any, message: str) -> None:
    ray = fake_ray(_Ray(failures=2, message=message))
    _ray.start_ray(address, num_cpus=1)
    assert ray.inits == [address] * 3 and ray.shutdowns == 2


def test_a_local_start_gives_up_after_the_retries(fake_ray: Any) -> None:
    ray = fake_ray(_Ray(failures=5))
    with pytest.raises(Exception, match="timed out during startup"):
        _ray.start_ray(None)
    assert len(ray.inits) == 3


@pytest.mark.parametrize(("address", "message"), [("ray://head:10001", TIMEOUT), (None, "num_cpus must be positive")])
def test_other_failures_and_remote_clusters_are_not_retried(fake_ray: Any, address: Any, message: str) -> None:
    ray = fake_ray(_Ray(failures=1, message=message))
    with pytest.raises(Exception, match=message[:20]):
        _ray.start_ray(address)
    assert len(ray.inits) == 1 and ray.shutdowns == 0
