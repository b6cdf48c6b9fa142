"""Shared test helpers: where ../shared lives and how to read its BEIR corpora (skip when absent)."""

from __future__ import annotations

import json
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


def read_beir_corpus(folder: Path) -> tuple[list[str], list[str]]:
    """(ids, texts) with title and text joined by a space, as BEIR evaluations usually index them."""
    ids, texts = [], []
    with (folder / "corpus.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            ids.append(str(record["_id"]))
            texts.append(f"{record.get('title', '')} {record.get('text', '')}".strip())
    return ids, texts


def read_beir_queries(folder: Path) -> dict[str, str]:
    with (folder / "queries.jsonl").open(encoding="utf-8") as handle:
        return {str(r["_id"]): r["text"] for r in map(json.loads, handle)}


def read_beir_qrels(folder: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with (folder / "qrels.tsv").open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or not parts[2].lstrip("-").isdigit():
                continue  # header
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return qrels
