"""Reads and writes BM25 parameters in pymilvus-model's JSON "v1" format.

A file written by either library loads in the other: keys ``version``, ``corpus_size``, ``avgdl``,
``idf_word`` (terms in id order), ``idf_value``, ``k1``, ``b``, ``epsilon``. Writes are atomic.

sparsebolt also records the analyzer the terms came from under ``analyzer`` (language, lowercase, stemmer,
stopwords, segmenter), which pymilvus-model ignores, so that loading into a function with another analyzer is
refused instead of matching no term. Files without it (pymilvus-model's, older sparsebolt's) load as before.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Union

import numpy as np

from sparsebolt._files import atomic_write_bytes

__all__ = [
    "ANALYZER_KEYS",
    "FORMAT_VERSION",
    "Bm25Params",
    "analyzer_record",
    "check_analyzer",
    "check_parameters",
    "read_params",
    "write_params",
]

FORMAT_VERSION = "v1"
# The native model counts documents in an int64.
_MAX_CORPUS_SIZE = 2**63 - 1

PathLike = Union[str, "os.PathLike[str]"]
# What an analyzer record holds; all but "language" (a label: "de" and "german" build the same analyzer) decide
# which terms a text gives.
ANALYZER_KEYS = ("language", "lowercase", "stemmer", "stopwords", "segmenter")
_BEHAVIOUR_KEYS = ANALYZER_KEYS[1:]


@dataclass(frozen=True)
class Bm25Params:
    corpus_size: int
    avgdl: float
    terms: list[str]
    idf: np.ndarray  # float64, one per term
    k1: float
    b: float
    epsilon: float
    analyzer: Optional[dict[str, Any]] = None  # analyzer_record(); None for files that do not record it


def analyzer_record(analyzer: object) -> Optional[dict[str, Any]]:
    """What a params file records about a sparsebolt Analyzer (None for other callables, whose behaviour a name
    cannot capture): its language label, lowercasing, stemmer, segmenter, and its stopwords as the shipped list's
    name when they are one (``"german"``), else ``"custom:<N> words:<sha1 prefix>"``."""
    from sparsebolt.sparse.analyzer import Analyzer

    if not isinstance(analyzer, Analyzer):
        return None
    from sparsebolt.sparse.segmenters import library_name

    segmenter = analyzer.segmenter
    if not isinstance(segmenter, str):
        # a library segmenter by its table name; any other callable by where it is defined
        segmenter = library_name(segmenter) or (
            f"python:{getattr(segmenter, '__module__', '?')}.{getattr(segmenter, '__qualname__', '?')}"
        )
    return {
        "language": analyzer.name,
        "lowercase": bool(analyzer.lowercase),
        "stemmer": analyzer.stemmer,
        "stopwords": _stopwords_source(analyzer.stopwords),
        "segmenter": segmenter,
    }


def _stopwords_source(words: list[str]) -> str:
    from sparsebolt.sparse.stopwords import stopword_lists, stopwords

    if not words:
        return "none"
    for name in stopword_lists():
        try:
            if stopwords(name) == words:
                return name
        except ValueError:  # a list the table names that is not installed
            continue
    digest = hashlib.sha1("\n".join(words).encode("utf-8")).hexdigest()[:16]
    return f"custom:{len(words)} words:{digest}"


def check_analyzer(recorded: Optional[dict[str, Any]], analyzer: object, where: str) -> None:
    """Refuses with advice to use parameters fitted with another analyzer than ``analyzer``: both must be
    sparsebolt Analyzers for the check to apply (a file without a record, or a Python callable, passes)."""
    current = analyzer_record(analyzer)
    if recorded is None or current is None:
        return
    differences = [key for key in _BEHAVIOUR_KEYS if recorded.get(key) != current[key]]
    if differences:
        fitted = ", ".join(f"{key}={recorded.get(key)!r}" for key in ANALYZER_KEYS if key in recorded)
        now = ", ".join(f"{key}={current[key]!r}" for key in ANALYZER_KEYS)
        language = recorded.get("language")
        advice = (f"build the function with analyzer=build_default_analyzer(language={language!r})"
                  if isinstance(language, str) and language != "custom" else "build the function with that analyzer")
        raise ValueError(
            f"BM25 params file {where!r} was fitted with another analyzer ({', '.join(differences)} differ): "
            f"the file's is ({fitted}), this function's is ({now}); {advice}, or fit again with this one"
        )


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
    if params.analyzer is not None:
        document["analyzer"] = dict(params.analyzer)
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
        analyzer=_analyzer_of(document.get("analyzer"), fail),
    )


def _analyzer_of(record: Any, fail: Callable[[str], ValueError]) -> Optional[dict[str, Any]]:
    if record is None:
        return None
    if not isinstance(record, dict):
        raise fail(f"analyzer must be a JSON object ({', '.join(ANALYZER_KEYS)}), found {type(record).__name__}")
    missing = [key for key in ANALYZER_KEYS if key not in record]
    if missing:
        raise fail(f"the analyzer record lacks {missing}; delete the 'analyzer' key to load without the check")
    for key in ANALYZER_KEYS:
        expected = bool if key == "lowercase" else str
        if not isinstance(record[key], expected):
            raise fail(f"analyzer.{key} must be a {expected.__name__}, found {record[key]!r}")
    return {key: record[key] for key in ANALYZER_KEYS}


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
