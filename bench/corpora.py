"""Benchmark corpora: the shared BEIR sets, and a large corpus synthesised from them with a fixed seed.

The synthetic corpus recombines sentences of the shared corpora (Cranfield + MS MARCO 5k) into
documents of 5-20 sentences, so its words and their frequencies look like real text while its size is
whatever the benchmark needs (200,000 documents is about 300 MB).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
try:
    from sparsebolt.eval import read_corpus, read_queries
except ImportError:
    # Workers run in other interpreters (--st-python) that lack sparsebolt; sparsebolt.eval is pure Python
    # and needs no compiled core, so the source tree serves. Appended: an installed sparsebolt still wins.
    sys.path.append(str(REPO_ROOT / "python"))
    from sparsebolt.eval import read_corpus, read_queries
# SPARSEBOLT_BENCH_DATA points elsewhere where ../shared does not exist (the GPU machine gets a copy).
SHARED_DATA = Path(os.environ.get("SPARSEBOLT_BENCH_DATA", REPO_ROOT.parent / "shared" / "data"))


def beir_texts(name: str) -> list[str]:
    """The corpus texts of a shared set, title and text joined as sparsebolt.eval.join_title_text does."""
    return read_corpus(_shared(name))[1]


def beir_queries(name: str) -> list[str]:
    return list(read_queries(_shared(name)).values())


def _shared(name: str) -> Path:
    folder = SHARED_DATA / name
    if not (folder / "corpus.jsonl").is_file():
        raise SystemExit(f"shared data set not found: {folder} (the benchmarks need ../shared)")
    return folder


def synthetic_corpus(documents: int, seed: int = 2026) -> list[str]:
    sentences = [
        s.strip()
        for text in beir_texts("cranfield") + beir_texts("msmarco-5k")
        for s in re.split(r"(?<=[.!?])\s+", text)
        if len(s.strip()) > 20
    ]
    rng = np.random.default_rng(seed)
    lengths = rng.integers(5, 21, size=documents)
    picks = rng.integers(0, len(sentences), size=int(lengths.sum()))
    corpus, at = [], 0
    for length in lengths:
        corpus.append(" ".join(sentences[i] for i in picks[at : at + length]))
        at += length
    return corpus
