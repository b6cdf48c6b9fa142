"""Lazy re-exports for package ``__init__`` files: a name's module is imported when the name is first used,
so importing a package never pays for (or requires) an optional dependency it does not touch."""

from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping, Optional


def lazy_exports(
    package: str, exports: Mapping[str, str], not_provided: Optional[Mapping[str, str]] = None
) -> tuple[Callable[[str], Any], list[str]]:
    """Returns a module ``__getattr__`` resolving ``exports`` (name -> defining module) and the ``__all__`` list.

    ``not_provided`` maps names that pymilvus.model has and sparsebolt does not to the reason and the alternative:
    asking for one is an ImportError that says so, instead of a bare AttributeError."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is not None:
            return getattr(importlib.import_module(module), name)
        if not_provided and name in not_provided:
            raise ImportError(f"{name} is not available in {package}: {not_provided[name]}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__, sorted(exports)
