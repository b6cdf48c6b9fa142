"""Lazy re-exports for package ``__init__`` files: a name's module is imported when the name is first used,
so importing a package never pays for (or requires) an optional dependency it does not touch."""

from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], list[str]]:
    """Returns a module ``__getattr__`` resolving ``exports`` (name -> defining module) and the ``__all__`` list."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return __getattr__, sorted(exports)
