"""Rows by primary key: which ids are stored, how many rows hold them (duplicates included), and their fields.
Every lookup goes through :mod:`sparsebolt.milvus.expr`, so any id Milvus accepts is found exactly."""

from __future__ import annotations

import logging
from typing import Any, Sequence, Union

from sparsebolt.milvus.expr import deletable, ids_expression, only_ids
from sparsebolt.milvus.retry import RetryPolicy, call_with_retry

logger = logging.getLogger(__name__)

__all__ = ["stored_ids", "extra_rows", "fetch_rows", "store_once", "QUERY_WINDOW"]

DocId = Union[str, int]
# Milvus answers at most offset + limit <= 16384 rows per query.
QUERY_WINDOW = 16384
# Ids per expression: keeps each request small whatever the batch size.
_IDS_PER_QUERY = 1024


def _chunks(ids: Sequence[DocId]) -> list[Sequence[DocId]]:
    unique = list(dict.fromkeys(ids))
    return [unique[i : i + _IDS_PER_QUERY] for i in range(0, len(unique), _IDS_PER_QUERY)]


def fetch_rows(client: Any, collection: str, field: str, ids: Sequence[DocId], *, output_fields: Sequence[str],
               dialect: str, retry: RetryPolicy, what: str = "") -> list[dict[str, Any]]:
    """The stored rows whose ``field`` is one of ``ids`` (strongly consistent), with ``output_fields``."""
    rows: list[dict[str, Any]] = []
    fields = list(dict.fromkeys([field, *output_fields]))
    for chunk in _chunks(ids):
        expr = ids_expression(field, chunk, dialect)
        page = call_with_retry(
            lambda: client.query(collection, filter=expr, output_fields=fields, consistency_level="Strong",
                                 limit=QUERY_WINDOW, timeout=retry.timeout),
            retry, what=what or f"looking up ids in {collection!r}",
        )
        if len(page) >= QUERY_WINDOW:
            # Only a holding range can match this many rows for <= 1024 ids (see expr.ids_expression).
            raise RuntimeError(
                f"looking up ids in {collection!r} matched {len(page)} rows, Milvus's most per query: more than "
                f"{QUERY_WINDOW} stored ids share a prefix with an id this engine cannot write in an expression"
            )
        rows.extend(only_ids(page, field, chunk))
    return rows


def stored_ids(client: Any, collection: str, field: str, ids: Sequence[DocId], *, dialect: str,
               retry: RetryPolicy) -> set[DocId]:
    """The subset of ``ids`` stored in ``collection``."""
    if not ids:
        return set()
    rows = fetch_rows(client, collection, field, ids, output_fields=(), dialect=dialect, retry=retry,
                      what=f"checking stored ids in {collection!r}")
    return {row[field] for row in rows}


def extra_rows(client: Any, collection: str, field: str, ids: Sequence[DocId], *, dialect: str,
               retry: RetryPolicy) -> int:
    """How many rows beyond one per primary key the lookup of ``ids`` holds: 0 unless some id is stored twice.

    ``count(*)`` counts every row, where a query returns one row per primary key, so the difference is the
    number of duplicates. Where the dialect reaches an id through a holding range, the range's other ids count
    too: a duplicate reported there is one of ``ids`` or a neighbour sharing its prefix.
    """
    extra = 0
    for chunk in _chunks(ids):
        expr = ids_expression(field, chunk, dialect)
        rows = call_with_retry(
            lambda: client.query(collection, filter=expr, output_fields=["count(*)"],
                                 consistency_level="Strong", timeout=retry.timeout),
            retry, what=f"counting rows in {collection!r}",
        )
        distinct = call_with_retry(
            lambda: client.query(collection, filter=expr, output_fields=[field],
                                 consistency_level="Strong", limit=QUERY_WINDOW, timeout=retry.timeout),
            retry, what=f"counting rows in {collection!r}",
        )
        extra += int(rows[0]["count(*)"]) - len({row[field] for row in distinct})
    return extra


def store_once(client: Any, collection: str, field: str, ids: list[DocId], rows: list[dict[str, Any]], *,
               dialect: str, retry: RetryPolicy) -> None:
    """After a write that was retried: if an attempt landed late, beside the retry, keep one copy of each id.

    Delete removes every row of a primary key, so the duplicated ids are deleted and written once more.
    """
    if extra_rows(client, collection, field, ids, dialect=dialect, retry=retry) == 0:
        return
    exact = [i for i in ids if deletable(i, dialect)]
    logger.warning("a retried write into %r was stored twice; rewriting its %d rows once", collection, len(exact))
    by_id = {row[field]: row for row in rows}
    for start in range(0, len(exact), 1024):
        part = exact[start : start + 1024]
        call_with_retry(lambda: client.delete(collection, filter=ids_expression(field, part, dialect),
                                              timeout=retry.timeout),
                        retry, what=f"removing duplicated rows from {collection!r}")
        call_with_retry(lambda: client.insert(collection, [by_id[i] for i in part], timeout=retry.timeout),
                        retry, what=f"rewriting duplicated rows into {collection!r}")
    left = extra_rows(client, collection, field, ids, dialect=dialect, retry=retry)
    if left:
        stuck = [i for i in ids if not deletable(i, dialect)]
        raise RuntimeError(
            f"{left} rows of {collection!r} are stored twice after a retried write and could not be rewritten: "
            f"this engine cannot delete the batch's ids {stuck[:5]!r}{' ...' if len(stuck) > 5 else ''} "
            f"(Milvus Lite 2.x deletes no id holding a newline, carriage return, single quote or NUL, whatever the "
            f"filter); store such ids on Milvus Lite 3.x or a Milvus server, or give writes a longer timeout "
            f"(RetryPolicy(timeout=...), CLI --timeout) so that a slow write is not retried"
        )
