"""Milvus's boolean-expression language, written in one place: literals escaped as each engine's grammar reads
them, and lookups by primary key that find exactly the given ids, whatever characters they hold.

Measured on the engines sparsebolt supports (tests/integration/test_milvus_expr.py proves every rule):
- Milvus Lite 3.x and Milvus servers read C-style escapes in a double-quoted literal: ``\\\\``, ``\\"``, ``\\n``,
  ``\\r``; every other character, non-ASCII included, stands for itself. ``\\uXXXX`` is refused (Lite 3.x) or
  mis-read, so text is never written as JSON (``json.dumps`` escapes ``é`` as ``\\u00e9``).
- Milvus Lite 2.5.1 drops the backslash of any escape (``\\n`` reads as ``n``) and refuses a raw newline or
  carriage return, so a string holding one cannot be written at all; and it reads the int64 literal ``-2**63``
  as ``-2**63 + 1``. Such ids are found through a range that holds them (``id >= "a" and id < "a\\x0b"`` for
  ``"a\\nb"``), and every lookup keeps only the rows whose id is one asked for. Its delete writes the keys it
  matched into SQL without escaping them: a string id holding ``'`` or NUL fails the whole delete ("internal
  error"; the engine logs a SQL syntax error), so such an id can be found but never deleted on that engine.
Filter templating (``filter_params``) would avoid escaping, but neither Milvus Lite parses it.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence, Union

__all__ = ["LITE_25", "SERVER", "DIALECTS", "dialect_for", "string_literal", "int_literal", "ids_expression",
           "only_ids", "writable", "deletable", "upsertable"]

LITE_25 = "lite-2.5"  # Milvus Lite 2.x embedded
SERVER = "milvus"  # Milvus Lite 3.x and Milvus servers
DIALECTS = (LITE_25, SERVER)

DocId = Union[str, int]
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_SERVER_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}
_LITE_25_ESCAPES = {"\\": "\\\\", '"': '\\"'}
_LITE_25_UNWRITABLE = ("\n", "\r")
_LITE_25_UNDELETABLE = ("'", "\x00")


def dialect_for(uri: str) -> str:
    """The expression dialect of the engine behind ``uri``: Milvus Lite 2.x when it runs embedded, else SERVER."""
    from sparsebolt.milvus.connection import is_lite_uri  # noqa: PLC0415 - avoid an import cycle

    if not is_lite_uri(uri):
        return SERVER
    try:
        from importlib.metadata import version  # noqa: PLC0415

        major = int(version("milvus-lite").split(".")[0])
    except Exception:  # noqa: BLE001 - no metadata: assume the pinned embedded default
        return LITE_25
    return LITE_25 if major < 3 else SERVER


def _check_dialect(dialect: str) -> None:
    if dialect not in DIALECTS:
        raise ValueError(f"dialect must be one of {list(DIALECTS)}, got {dialect!r}")


def string_literal(value: str, dialect: str = SERVER) -> str:
    """``value`` as a double-quoted Milvus string literal; ValueError where the dialect cannot write it."""
    _check_dialect(dialect)
    if not isinstance(value, str):
        raise TypeError(f"string_literal takes a str, got {type(value).__name__}")
    if dialect == LITE_25:
        if any(ch in value for ch in _LITE_25_UNWRITABLE):
            raise ValueError(f"Milvus Lite 2.x cannot write {value!r} in an expression (newline or carriage return)")
        escapes = _LITE_25_ESCAPES
    else:
        escapes = _SERVER_ESCAPES
    if any(ch in value for ch in escapes):
        value = "".join(escapes.get(ch, ch) for ch in value)
    return f'"{value}"'


def int_literal(value: int, dialect: str = SERVER) -> str:
    """``value`` as a Milvus int64 literal; ValueError outside int64 or where the dialect misreads it."""
    _check_dialect(dialect)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"int_literal takes an int, got {type(value).__name__}")
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise ValueError(f"{value} is outside Milvus's int64 range")
    if dialect == LITE_25 and value == _INT64_MIN:
        raise ValueError("Milvus Lite 2.x reads -2**63 as -2**63 + 1")
    return str(value)


def writable(value: DocId, dialect: str) -> bool:
    """True when ``value`` can be written as a literal in ``dialect`` (so an expression can name it exactly)."""
    return _writable(value, dialect)


def deletable(value: DocId, dialect: str) -> bool:
    """True when a delete by an expression naming ``value`` removes its rows on ``dialect``."""
    return _writable(value, dialect) and upsertable(value, dialect)


def upsertable(value: DocId, dialect: str) -> bool:
    """True when an upsert of a row keyed ``value`` works on ``dialect``: Milvus Lite 2.x deletes the old row first,
    by key and through the same unescaped SQL, so a ``'`` or NUL fails it (a newline does not)."""
    return not (dialect == LITE_25 and isinstance(value, str) and any(ch in value for ch in _LITE_25_UNDELETABLE))


def _writable(value: DocId, dialect: str) -> bool:
    if isinstance(value, int):
        return not (dialect == LITE_25 and value == _INT64_MIN)
    return not (dialect == LITE_25 and any(ch in value for ch in _LITE_25_UNWRITABLE))


def _holding_range(field: str, value: DocId, dialect: str) -> str:
    """A comparison that holds ``value`` (and maybe a few other ids), for a value the dialect cannot write."""
    if isinstance(value, int):  # only -2**63 on Lite 2.x: nothing else is below -2**63 + 1
        return f"{field} < {_INT64_MIN + 1}"
    cut = min(i for i, ch in enumerate(value) if ch in _LITE_25_UNWRITABLE)
    prefix = value[:cut]
    # Every id that starts with `prefix` + a character up to value[cut] sorts in [prefix, upper); the next
    # code point after "\n" or "\r" is writable. Milvus compares UTF-8 bytes, which keeps code-point order.
    upper = prefix + chr(ord(value[cut]) + 1)
    lower = string_literal(prefix, dialect)
    return f"({field} >= {lower} and {field} < {string_literal(upper, dialect)})"


def ids_expression(field: str, ids: Sequence[DocId], dialect: str = SERVER) -> str:
    """An expression true for every row whose ``field`` is one of ``ids`` (ints or strs, one kind).

    Exact where the dialect can write every id; otherwise it may also hold a few other ids sharing a prefix
    with an unwritable one, so callers keep only the rows they asked for (:func:`only_ids`).
    """
    _check_dialect(dialect)
    if not field.isidentifier():
        raise ValueError(f"field name {field!r} is not an identifier")
    if not ids:
        raise ValueError("ids_expression needs at least one id")
    kinds = {int if isinstance(i, int) and not isinstance(i, bool) else type(i) for i in ids}
    if kinds - {int, str} or len(kinds) > 1:
        raise TypeError(f"ids must be all str or all int, got {sorted(k.__name__ for k in kinds)}")
    writable = [i for i in dict.fromkeys(ids) if _writable(i, dialect)]
    ranges = [_holding_range(field, i, dialect) for i in dict.fromkeys(ids) if not _writable(i, dialect)]
    literal = int_literal if kinds == {int} else string_literal
    parts = []
    if writable:
        parts.append(f"{field} in [{', '.join(literal(i, dialect) for i in writable)}]")  # type: ignore[arg-type]
    parts.extend(dict.fromkeys(ranges))
    return " or ".join(parts)


def only_ids(rows: Iterable[dict[str, Any]], field: str, ids: Iterable[DocId]) -> list[dict[str, Any]]:
    """The ``rows`` whose ``field`` is one of ``ids`` (drops what a holding range let through)."""
    wanted = set(ids)
    return [row for row in rows if row.get(field) in wanted]
