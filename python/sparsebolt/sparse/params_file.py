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
from typing import Any, Callable, Union

import numpy as np

from sparsebolt._files import atomic_write_bytes

__all__ = ["FORMAT_VERSION", "Bm25Params", "check_parameters", "read_params", "write_params"]

FORMAT_VERSION = "v1"
# The native model counts documents in an int64.
_MAX_CORPUS_SIZE = 2**63 - 1

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


def check_parameters(k1: Any, b: Any, epsilon: Any) -> tuple[float, float, float]:
    """``(k1, b, epsilon)`` as floats, or ValueError naming the first bad one and its allowed range.

    The one check for BM25EmbeddingFunction's arguments and for the values a params file holds, so a file
    never loads what the constructor would refuse.
    """
    values = {"k1": k1, "b": b, "epsilon": epsilon}
    for name, value in values.items():
        if not _is_finite_number(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
    if k1 < 0:
        raise ValueError(f"k1 must be >= 0, got {k1!r}")
    if not 0 <= b <= 1:
        raise ValueError(f"b must be within [0, 1], got {b!r}")
    return float(k1), float(b), float(epsilon)


def _is_finite_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int past float range (JSON allows 1000-digit integers)
        return False


def _validate(document: Any, where: str) -> Bm25Params:
    def fail(problem: str) -> ValueError:
        return ValueError(f"BM25 params file {where!r}: {problem}")

    if not isinstance(document, dict):
        raise fail(f"expected a JSON object, found {type(document).__name__}")
    version = document.get("version")
    if version != FORMAT_VERSION:
        raise fail(f"unsupported format version {version!r}; this version of sparsebolt reads {FORMAT_VERSION!r}")
    missing = [key for key in ("corpus_size", "avgdl", "idf_word", "idf_value", "k1", "b", "epsilon")
               if key not in document]
    if missing:
        raise fail(f"missing keys {missing}; a v1 file written by sparsebolt or pymilvus-model has all of them")

    corpus_size = document["corpus_size"]
    if isinstance(corpus_size, bool) or not isinstance(corpus_size, int) or not 1 <= corpus_size <= _MAX_CORPUS_SIZE:
        raise fail(
            f"corpus_size must be an integer from 1 to 2**63 - 1 (the fitted document count), found {corpus_size!r}"
        )
    avgdl = document["avgdl"]
    if not _is_finite_number(avgdl) or avgdl <= 0:
        raise fail(f"avgdl must be a finite number > 0 (the mean document length in terms), found {avgdl!r}")
    try:
        k1, b, epsilon = check_parameters(document["k1"], document["b"], document["epsilon"])
    except ValueError as error:
        raise fail(str(error)) from None

    terms, values = document["idf_word"], document["idf_value"]
    if not isinstance(terms, list) or not isinstance(values, list):
        raise fail("idf_word and idf_value must be lists")
    if len(terms) != len(values):
        raise fail(f"idf_word has {len(terms)} terms but idf_value has {len(values)} values")
    for position, term in enumerate(terms):
        if not isinstance(term, str):
            raise fail(f"idf_word[{position}] is {type(term).__name__}, expected str")
        if not term.isascii() and not _encodes_to_utf8(term):
            raise fail(f"idf_word[{position}] is {term!r}: a lone surrogate cannot be stored as UTF-8; refit with an "
                       "analyzer that drops or replaces lone surrogates")
    return Bm25Params(
        corpus_size=corpus_size,
        avgdl=float(avgdl),
        terms=terms,
        idf=_idf_values(values, fail),
        k1=k1,
        b=b,
        epsilon=epsilon,
    )


def _encodes_to_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _idf_values(values: list[Any], fail: Callable[[str], ValueError]) -> np.ndarray:
    """float64 idf, refusing what numpy would otherwise convert quietly (strings like "1.5", None, lists)."""
    try:
        idf = np.asarray(values)
    except ValueError as error:  # ragged nesting
        raise fail(f"idf_value must be a flat list of numbers ({error})") from error
    if idf.ndim != 1 or idf.dtype.kind not in "iuf":
        for position, value in enumerate(values):
            if not _is_finite_number(value):
                raise fail(f"idf_value[{position}] must be a finite number, found {value!r}")
        # only numbers, some of them ints past int64 that numpy kept as objects
    idf = np.asarray(values, dtype=np.float64)
    non_finite = np.flatnonzero(~np.isfinite(idf))
    if non_finite.size:
        raise fail(f"idf_value[{non_finite[0]}] must be a finite number, found {values[non_finite[0]]!r}")
    return idf
