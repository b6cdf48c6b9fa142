"""Walks pymilvus-model's public names (the ``__all__`` of pymilvus.model, of its dense / sparse / hybrid / reranker
/ utils packages, and pymilvus.model.sparse.utils' helper) and fails on any that sparsebolt's same module neither
provides nor refuses with an ImportError giving the reason, and on any missing from docs/compatibility.md."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from typing import List, Tuple

import pytest

pymilvus_model = pytest.importorskip("pymilvus.model")

COMPATIBILITY_PAGE = Path(__file__).resolve().parents[2] / "docs" / "compatibility.md"
SUBPACKAGES = ("dense", "sparse", "hybrid", "reranker", "utils")


def pymilvus_names() -> List[Tuple[str, str]]:
    """``(subpackage, name)`` for each public name; ``""`` is the top level."""
    names = [("", name) for name in pymilvus_model.__all__]
    for sub in SUBPACKAGES:
        names += [(sub, name) for name in importlib.import_module(f"pymilvus.model.{sub}").__all__]
    names.append(("sparse.utils", "stack_sparse_embeddings"))
    return names


NAMES = pymilvus_names()


def test_the_walk_sees_pymilvus_models_classes() -> None:
    classes = [name for _, name in NAMES if name.endswith("Function")]
    assert len(classes) >= 24 and len(set(classes)) == len(classes)  # 23 classes + DefaultEmbeddingFunction


@pytest.mark.parametrize("sub, name", NAMES, ids=[f"{sub or 'model'}.{name}" for sub, name in NAMES])
def test_every_name_is_provided_or_refused_with_a_reason(sub: str, name: str) -> None:
    module = importlib.import_module("sparsebolt.model" + (f".{sub}" if sub else ""))
    try:
        value = getattr(module, name)
    except ImportError as refused:
        message = str(refused)
        assert message.startswith(f"{name} is not available in {module.__name__}: "), message
        assert len(message.split(": ", 1)[1]) > 60, f"the reason for {name} says too little: {message}"
        return
    assert callable(value) or inspect.ismodule(value)
    assert name in module.__all__, f"{name} is provided but missing from {module.__name__}.__all__"


@pytest.mark.parametrize("sub, name", NAMES, ids=[f"{sub or 'model'}.{name}" for sub, name in NAMES])
def test_every_name_is_in_the_compatibility_page(sub: str, name: str) -> None:
    page = COMPATIBILITY_PAGE.read_text(encoding="utf-8")
    assert re.search(rf"`{re.escape(name)}`", page), f"docs/compatibility.md does not mention `{name}`"


def test_the_page_states_a_status_for_every_class() -> None:
    page = COMPATIBILITY_PAGE.read_text(encoding="utf-8")
    for _, name in NAMES:
        if name.endswith("Function") and name != "DefaultEmbeddingFunction":
            row = re.search(rf"^\| `{name}` \| (provided|not provided) \|", page, flags=re.MULTILINE)
            assert row, f"docs/compatibility.md has no table row with a status for `{name}`"
