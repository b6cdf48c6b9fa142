"""The one place that imports Ray: a clear error when the optional ``sparsebolt[ray]`` extra is missing.
Every other module of this package calls :func:`require_ray` inside its functions, never at import."""

from __future__ import annotations

import logging
import time
from typing import Any, Optional

__all__ = ["require_ray", "actor_pool", "raise_original_errors", "start_ray"]

logger = logging.getLogger(__name__)

# A local Ray start that times out (its raylet or GCS slow to come up on a loaded machine) is tried this many
# more times, after cleaning up what the failed start left.
_LOCAL_START_RETRIES = 2

_ADVICE = "sparsebolt.ray needs Ray Data: pip install 'sparsebolt[ray]' (or pip install 'ray[data]')"


def require_ray() -> Any:
    """The ``ray`` module with ``ray.data`` loaded, or ImportError saying what to install."""
    try:
        import ray  # noqa: PLC0415 - optional dependency
        import ray.data  # noqa: F401,PLC0415
    except ImportError as exc:
        raise ImportError(f"{_ADVICE} ({exc})") from exc
    return ray


def actor_pool(workers: Any) -> Any:
    """Ray Data's actor pool for ``workers`` actors (None: Ray's autoscaling pool of at least one)."""
    ray = require_ray()
    if workers is None:
        return ray.data.ActorPoolStrategy(min_size=1, max_size=None)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive int or None (autoscale), got {workers!r}")
    return ray.data.ActorPoolStrategy(size=workers)


def raise_original_errors(dataset: Any) -> Any:
    """Makes this dataset's failures raise the UDF's own exception type and message (Ray's opt-in, set on the
    dataset's own context, not Ray's global one): a bad record then raises ValueError naming the record."""
    context = getattr(dataset, "context", None)
    if context is not None and hasattr(context, "raise_original_map_exception"):
        context.raise_original_map_exception = True
    return dataset


def start_ray(address: Optional[str], **options: Any) -> None:
    """``ray.init(address, **options)``; a new local cluster (``address`` None or ``"local"``) whose start times
    out is shut down and started again, up to twice. Joining an existing cluster is never retried here: an
    unreachable address is the caller's to fix."""
    ray = require_ray()
    local = address in (None, "local")
    for attempt in range(_LOCAL_START_RETRIES + 1):
        try:
            ray.init(address=address, **options)
            return
        except Exception as error:  # bare Exceptions: "...timed out during startup", "Timed out waiting for file"
            if not local or "timed out" not in str(error).lower() or attempt == _LOCAL_START_RETRIES:
                raise
            logger.warning("Ray's local start timed out (%s); starting it again", error)
            ray.shutdown()
            time.sleep(2.0 * (attempt + 1))
