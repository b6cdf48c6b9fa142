"""Shared test helpers: where ../shared lives, and a clean skip when one of its BEIR sets is absent.

Reading the sets is sparsebolt.eval.beir's job (benchmarks use it too)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def beir_dir(name: str) -> Path:
    """The BEIR folder ../shared/data/<name>, or a clean skip when this checkout has no shared data."""
    folder = SHARED_DATA / name
    if not (folder / "corpus.jsonl").is_file():
        pytest.skip(f"shared data set {name!r} not found at {folder}")
    return folder

