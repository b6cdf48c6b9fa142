"""What every library segmenter shares: importing its optional library, and text the library can read."""

from __future__ import annotations

import importlib
import re
from types import ModuleType
from typing import Optional

__all__ = ["MissingSegmenterError", "readable_text", "require"]

# Lone surrogates cannot be encoded for a C library, and NUL ends a C string early: both become spaces, so
# they separate tokens as invalid UTF-8 does for the native segmenter.
_UNREADABLE = re.compile("[\x00\ud800-\udfff]")


class MissingSegmenterError(ImportError):
    """A language's segmenter library is not installed; the message names the extra that installs it."""


def require(module: str, *, package: str, extra: Optional[str]) -> ModuleType:
    """Imports ``module`` of the optional ``package``, or raises MissingSegmenterError naming the extra
    (``sparsebolt[extra]``) or, without one, the package to install."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        how = f"pip install 'sparsebolt[{extra}]' (or pip install {package})" if extra else f"pip install {package}"
        raise MissingSegmenterError(f"this segmenter needs {package!r}, which is not installed: {how}") from error


def readable_text(text: str) -> str:
    """``text`` with lone surrogates and NUL replaced by spaces (the text itself when it has none)."""
    return _UNREADABLE.sub(" ", text) if _UNREADABLE.search(text) else text
