"""Data shipped inside the package: the small demo corpus that ``sparsebolt demo`` ingests.
Written for sparsebolt and dedicated to the public domain (CC0-1.0); see README.md beside this file."""

from __future__ import annotations

from pathlib import Path

__all__ = ["demo_corpus_path"]


def demo_corpus_path() -> Path:
    """The demo corpus: JSONL records with ``id``, ``text`` and ``topic``."""
    path = Path(__file__).resolve().parent / "demo_corpus.jsonl"
    if not path.is_file():  # pragma: no cover - a broken install
        raise FileNotFoundError(f"the demo corpus is missing from this installation: {path}")
    return path
