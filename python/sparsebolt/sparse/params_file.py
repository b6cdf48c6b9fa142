"""Reads and writes BM25 parameters in pymilvus-model's JSON "v1" format.

A file written by either library loads in the other: keys ``version``, ``corpus_size``, ``avgdl``,
``idf_word`` (terms in id order), ``idf_value``, ``k1``, ``b``, ``epsilon``. Writes are atomic.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import numpy as np

from sparsebolt._files import atomic_write_bytes

__all__ = ["FORMAT_VERSION", "Bm25Params", "read_params", "write_params"]

FORMAT_VERSION = "v1"

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class Bm25Params:
    corpus_size: int
    avgdl: float
    terms: list[str]
    idf: np.ndarray  # float64, one per term
    k1: float
    b: float
    epsilon: float


def write_params(path: PathLike, params: Bm25Params) -> None:
    """Writes ``params`` to ``path`` through a temporary file and a rename, so readers never see half a file."""
    document: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "corpus_size": int(params.corpus_size),
        "avgdl": float(params.avgdl),
        "idf_word": params.terms,
        "idf_value": params.idf.tolist(),
        "k1": float(params.k1),
        "b": float(params.b),
        "epsilon": float(params.epsilon),
    }
    atomic_write_bytes(Path(path), json.dumps(document).encode("utf-8"))


def read_params(path: PathLike) -> Bm25Params:
    """Reads and validates a v1 params file; raises FileNotFoundError or ValueError saying what is wrong."""
    source = Path(path)
    if not source.is_file():
        raise FileNotFoundError(f"BM25 params file not found: {str(source)!r}")
    try:
        with source.open(encoding="utf-8") as handle:
            document = json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(
            f"BM25 params file {str(source)!r} is not valid JSON ({error}); it may be truncated or corrupt: "
            "fit again and save"
        ) from error
    return _validate(document, str(source))


def _validate(document: Any, where: str) -> Bm25Params:
    def fail(problem: str) -> ValueError:
        return ValueError(f"BM25 params file {where!r}: {problem}")

    if not isinstance(document, dict):
        raise fail(f"expected a JSON object, found {type(document).__name__}")
    version = document.get("version")
    if version != FORMAT_VERSION:
        raise fail(f"unsupported format version {version!r}; this version of sparsebolt reads {FORMAT_VERSION!r}")
    missing = [key for key in ("corpus_size", "avgdl", "idf_word", "idf_value", "k1", "b", "epsilon") if key not in document]
    if missing:
        raise fail(f"missing keys {missing}")

    corpus_size = document["corpus_size"]
    if isinstance(corpus_size, bool) or not isinstance(corpus_size, int) or corpus_size <= 0:
        raise fail(f"corpus_size must be a positive integer, found {corpus_size!r}")
    numbers = {key: document[key] for key in ("avgdl", "k1", "b", "epsilon")}
    for key, value in numbers.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise fail(f"{key} must be a finite number, found {value!r}")
    if numbers["avgdl"] <= 0:
        raise fail(f"avgdl must be positive, found {numbers['avgdl']!r}")

    terms, values = document["idf_word"], document["idf_value"]
    if not isinstance(terms, list) or not isinstance(values, list):
        raise fail("idf_word and idf_value must be lists")
    if len(terms) != len(values):
        raise fail(f"idf_word has {len(terms)} terms but idf_value has {len(values)} values")
    for position, term in enumerate(terms):
        if not isinstance(term, str):
            raise fail(f"idf_word[{position}] is {type(term).__name__}, expected str")
    try:
        idf = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise fail(f"idf_value must hold numbers ({error})") from error
    if idf.ndim != 1 or not np.all(np.isfinite(idf)):
        raise fail("idf_value must be a flat list of finite numbers")

    return Bm25Params(
        corpus_size=corpus_size,
        avgdl=float(numbers["avgdl"]),
        terms=terms,
        idf=idf,
        k1=float(numbers["k1"]),
        b=float(numbers["b"]),
        epsilon=float(numbers["epsilon"]),
    )
