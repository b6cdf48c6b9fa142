"""The one place that imports Ray: a clear error when the optional ``sparsebolt[ray]`` extra is missing.
Every other module of this package calls :func:`require_ray` inside its functions, never at import."""

from __future__ import annotations

from typing import Any

__all__ = ["require_ray", "actor_pool", "raise_original_errors"]

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
