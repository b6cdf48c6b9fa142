"""Which benchmark peers are installed: a benchmark skips an absent peer's row with a note naming the package to
install, instead of stopping with ModuleNotFoundError."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from typing import Optional


def missing_modules(modules: Sequence[str]) -> list[str]:
    """The names in ``modules`` that cannot be imported here (checked without importing them)."""
    missing = []
    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a parent package is absent, or a module without a spec
            found = False
        if not found:
            missing.append(name)
    return missing


def skip_reason(peer: str, needs: Mapping[str, Sequence[str]], install: Mapping[str, str]) -> Optional[str]:
    """None when ``peer``'s modules (``needs[peer]``) import here, else a one-line note: which are missing and the
    pip command (``install[module]``, else the module name) that brings them."""
    missing = missing_modules(needs.get(peer, ()))
    if not missing:
        return None
    packages = " ".join(dict.fromkeys(install.get(name, name) for name in missing))
    return f"{peer} skipped: {', '.join(missing)} not installed (pip install {packages})"
