"""The pieces every local vendor stand-in shares: the validation error a route raises, its checks, and the
deterministic 'model' that the servers embed with and the tests compare against."""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

__all__ = ["ValidationError", "fake_embedding", "is_int", "is_str_list", "require"]


def fake_embedding(text: str, dim: int) -> np.ndarray:
    """A deterministic unit vector per (text, dim): the server's 'model', and the tests' reference for it."""
    rng = np.random.default_rng(zlib.crc32(text.encode("utf-8")))
    vector = rng.standard_normal(dim).astype(np.float32)
    return vector / np.float32(np.linalg.norm(vector))


class ValidationError(Exception):
    """A request the real API refuses: answered with ``status`` and the vendor's error body around ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def require(condition: bool, message: str, status: int = 422) -> None:
    if not condition:
        raise ValidationError(status, message)


def is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
