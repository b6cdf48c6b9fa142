"""Document metadata <-> Milvus's dynamic JSON field: which keys and values can be stored, and how to ask for
them back. Ingestion checks every record here so a bad value is named (record, document, key path) up front."""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Collection, Iterable, Mapping, NoReturn, Optional, Union

import numpy as np

from sparsebolt.milvus.sources import DataError

__all__ = ["MAX_DEPTH", "check_metadata", "output_request"]

MAX_DEPTH = 100
"""Most levels of lists and dicts nested in one value (``[1]`` is one level, ``[[1]]`` two); deeper is refused."""

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_DYNAMIC = "$meta"  # the dynamic field's own name: Milvus reads a key of that name as the whole field
_NONE = type(None)
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ALL = frozenset({"*", _DYNAMIC})  # output names that already mean "every dynamic key"

_Path = tuple[Union[str, int], ...]


def check_metadata(fields: Mapping[str, Any], *, origin: str, doc_id: Any, reserved: frozenset[str]) -> dict[str, Any]:
    """The metadata of one document as Milvus's dynamic field will store it, or DataError saying what to fix.

    Keys: top-level keys must be non-empty strings (a filter or ``output_fields`` names them) other than
    the collection's own fields (``reserved``) and ``'$meta'``; nested dict keys may be any string. No
    string, key or value, may hold a lone surrogate (``'\\ud800'``, which ``json.loads`` lets through):
    UTF-8 cannot encode it.

    Values: None, bool, str, int in int64 (-2**63 .. 2**63-1: Milvus compares larger JSON integers
    wrongly in filters), finite float (JSON has no NaN/Infinity, which pymilvus would store as null), and
    lists and dicts of these, nested at most :data:`MAX_DEPTH` levels. Stored unchanged: those read back
    equal, type included. Converted: tuples become lists, subclasses (IntEnum, np.float64, np.str_) their
    base type, numpy bool/int/float scalars ``bool``/``int``/``float`` (range-checked like ints), numpy
    arrays (not datetime64) ``.tolist()``, checked like lists. Refused: everything else (bytes, set,
    datetime, Decimal, UUID, other objects), each with advice.

    Returns ``fields`` itself when nothing needed converting (the common case: one cheap pass over flat
    values), else a converted copy; ``fields`` is never modified.
    """
    if _DYNAMIC in fields or not reserved.isdisjoint(fields):
        clash = sorted(k for k in fields if k == _DYNAMIC or k in reserved)
        _fail(origin, doc_id, None,
              f"uses the key(s) {clash}, which name the collection's own fields "
              f"({sorted(reserved | {_DYNAMIC})}); rename them")
    out: Optional[dict[str, Any]] = None  # the converted copy, made at the first value that changes
    for key, value in fields.items():
        if type(key) is not str or not key or not key.isascii() and not _encodable(key):
            _fail(origin, doc_id, None, _key_problem(key))
        kind = type(value)
        # Flat str/int/float/bool/None values are the common case: decide them without a call.
        if kind is str:
            if value.isascii() or _encodable(value):
                continue
        elif kind is int:
            if _INT64_MIN <= value <= _INT64_MAX:
                continue
        elif kind is float:
            if value - value == 0.0:  # False for NaN and +-inf
                continue
        elif kind is bool or kind is _NONE:
            continue
        stored = _convert(value, (key,), 0, origin, doc_id)
        if stored is not value:
            if out is None:
                out = dict(fields)
            out[key] = stored
    if out is None:
        return fields if isinstance(fields, dict) else dict(fields)
    return out


def _convert(value: Any, path: _Path, depth: int, origin: str, doc_id: Any) -> Any:
    """``value`` as stored (itself when unchanged) or DataError; ``path`` leads from the top-level key."""
    kind = type(value)
    if kind is str:
        if value.isascii() or _encodable(value):
            return value
        _fail(origin, doc_id, path, "is a str with a lone surrogate, which UTF-8 cannot encode; "
                                    "fix the text's encoding (a broken \\ud8xx escape in the input?)")
    if kind is bool or kind is _NONE:  # bool has no subclasses, so the int branch never sees one
        return value
    if isinstance(value, int):
        if _INT64_MIN <= value <= _INT64_MAX:
            return value if kind is int else int.__index__(value)
        _fail(origin, doc_id, path, f"is {value}, outside int64 (-2**63 .. 2**63-1), the integers Milvus JSON holds; "
                                    f"store it as a str (exact) or a float (approximate)")
    if isinstance(value, float):
        if math.isfinite(value):
            return value if kind is float else float.__float__(value)
        _fail(origin, doc_id, path, f"is {value!r}: JSON has no NaN or Infinity (pymilvus would store null); "
                                    f"store None for a missing value")
    if isinstance(value, str):
        return _convert(str.__str__(value), path, depth, origin, doc_id)
    if depth >= MAX_DEPTH and isinstance(value, (list, tuple, dict, np.ndarray)):
        _fail(origin, doc_id, path, f"nests lists/dicts deeper than {MAX_DEPTH} levels; flatten it, or store "
                                    f"json.dumps(value) as a str")
    if isinstance(value, (list, tuple)):
        items = [_convert(item, (*path, i), depth + 1, origin, doc_id) for i, item in enumerate(value)]
        if kind is list and all(a is b for a, b in zip(items, value)):
            return value
        return items
    if isinstance(value, dict):
        converted = {}
        for k, v in value.items():
            if type(k) is not str or not k.isascii() and not _encodable(k):
                _fail(origin, doc_id, path, _key_problem(k))
            converted[k] = _convert(v, (*path, k), depth + 1, origin, doc_id)
        if kind is dict and all(converted[k] is v for k, v in value.items()):
            return value
        return converted
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return _convert(value.item() if value.dtype.kind == "b" else _numpy_scalar(value), path, depth, origin, doc_id)
    if isinstance(value, np.ndarray) and value.dtype.kind not in "mM":
        return _convert(value.tolist(), path, depth, origin, doc_id)
    _fail(origin, doc_id, path, _refusal(value))


def _numpy_scalar(value: np.generic) -> Union[int, float]:
    # int()/float() rather than .item(): np.longdouble.item() stays a numpy type.
    return int(value) if value.dtype.kind in "iu" else float(value)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _key_problem(key: Any) -> str:
    if not isinstance(key, str):
        return (f"has a key {key!r} of type {type(key).__name__}; JSON object keys are strings "
                f"(json.dumps would store {str(key)!r}): use a str key")
    if not key:
        return "has an empty key; metadata field names must be non-empty (filters and output_fields name them)"
    return f"has a key {key!r} with a lone surrogate, which UTF-8 cannot encode; fix the input's encoding"


def _refusal(value: Any) -> str:
    """What is wrong with a value of a non-JSON type, and what to store instead."""
    import datetime  # noqa: PLC0415 - only for the message
    import decimal  # noqa: PLC0415
    import uuid  # noqa: PLC0415

    name = type(value).__name__
    if isinstance(value, (bytes, bytearray, memoryview)):
        advice = "decode it to a str (or base64-encode binary data)"
    elif isinstance(value, (set, frozenset)):
        advice = "store a list (sorted(value), for a stable order)"
    elif isinstance(value, (datetime.timedelta, np.timedelta64)) or (
            isinstance(value, np.ndarray) and value.dtype.kind == "m"):
        advice = "store a number of seconds (value.total_seconds() for a timedelta)"
    elif isinstance(value, (datetime.date, datetime.time, np.datetime64)) or (
            isinstance(value, np.ndarray) and value.dtype.kind == "M"):
        advice = "store value.isoformat() (a str) or a number such as a POSIX timestamp"
    elif isinstance(value, decimal.Decimal):
        advice = "store str(value) (exact) or float(value) (approximate)"
    elif isinstance(value, uuid.UUID):
        advice = "store str(value)"
    elif isinstance(value, Mapping):
        advice = "store dict(value)"
    else:
        advice = "convert it to one of those"
    return (f"is a {name} value, which Milvus's JSON metadata cannot hold (None, bool, int, float, str, lists "
            f"and dicts of these); {advice}")


def _fail(origin: str, doc_id: Any, path: Any, problem: str) -> NoReturn:
    where = f"{origin}: " if origin else ""
    subject = f"metadata field {_format_path(path)}" if path else "metadata"
    raise DataError(f"{where}document {doc_id!r}: {subject} {problem}")


def _format_path(path: _Path) -> str:
    """``nested['k'][2]``: the top-level key bare when it is a plain name, else quoted; deep paths elided."""
    top, rest = path[0], [f"[{p!r}]" for p in path[1:]]
    head = top if isinstance(top, str) and _PLAIN_NAME.match(top) else repr(top)
    if len(rest) > 8:
        rest = [*rest[:4], f"...({len(rest) - 8} more)...", *rest[-4:]]
    return head + "".join(rest)


def output_request(
    names: Iterable[str], schema_fields: Collection[str]
) -> tuple[list[str], Callable[[Mapping[str, Any]], dict[str, Any]]]:
    """The ``output_fields`` to send Milvus for the requested ``names``, and ``pick(entity)`` keeping exactly those.

    When every name is a schema field or a plain identifier (``[A-Za-z_][A-Za-z0-9_]*``), the names are
    sent as they are. Any other name (a space, quote, dot, non-ASCII: ``'my key'``, ``'ключ'``) fails a
    search on Milvus Lite 2.5, so then the request is the schema fields plus ``'$meta'``, which returns
    every dynamic key on every engine. Dynamic keys are not named beside ``'$meta'``: Lite 2.5.1's search
    then returns no dynamic key at all. ``pick`` keeps the requested keys, and leaves out those a document
    lacks, as Milvus does for absent dynamic keys; when ``'*'`` or ``'$meta'`` is requested it keeps every
    returned key. Names are sent once each, in the order given.
    """
    if isinstance(names, (str, bytes)):
        raise ValueError(f"output fields must be a list of names, not the single string {names!r}: pass [{names!r}]")
    wanted = list(dict.fromkeys(names))
    for name in wanted:
        if not isinstance(name, str) or not name:
            raise ValueError(f"output field names must be non-empty strings, got {name!r}")
    dynamic = [n for n in wanted if n not in schema_fields and n not in _ALL]
    if not _ALL.intersection(wanted) and all(_PLAIN_NAME.match(n) for n in dynamic):
        send = wanted  # Milvus returns exactly these (absent dynamic keys left out)
    else:
        send = [n for n in wanted if n in schema_fields or n in _ALL]
        if not _ALL.intersection(send):
            send.append(_DYNAMIC)
    if _ALL.intersection(wanted):
        return send, dict  # every key Milvus returned is wanted
    keep = tuple(wanted)

    def pick(entity: Mapping[str, Any]) -> dict[str, Any]:
        return {k: entity[k] for k in keep if k in entity}

    return send, pick
