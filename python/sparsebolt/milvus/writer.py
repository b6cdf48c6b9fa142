"""Writing batches into a collection: as columns, through the client's own pymilvus connection (its auth, TLS,
db_name, timeouts, retries and schema cache), or as rows through ``client.insert`` / ``client.upsert`` otherwise."""

from __future__ import annotations

import logging
from typing import Any, Optional

from sparsebolt.milvus.batch import DocumentBatch, Rows, as_rows
from sparsebolt.milvus.insert_request import build_request, unsupported_schema

logger = logging.getLogger(__name__)

__all__ = ["BatchWriter", "columnar_unavailable"]

# The pymilvus releases whose connection handler this module has been read against: ``_get_schema`` (the schema
# cache ``insert_rows`` uses), ``batch_insert(insert_param=)`` and ``upsert(upsert_param=)`` (a prepared request),
# and MilvusClient's ``_get_connection`` / ``_generate_call_context``. Any other release gets row dicts.
_KNOWN_PYMILVUS = ((3, 0),)
_told: set[str] = set()


def columnar_unavailable(client: Any) -> Optional[str]:
    """Why batches cannot go to ``client`` as columns (None when they can): a client other than a pymilvus
    MilvusClient of a release this module knows."""
    try:
        import pymilvus  # noqa: PLC0415
    except ImportError:
        return "pymilvus is not installed"
    version = tuple(int(part) for part in pymilvus.__version__.split(".")[:2] if part.isdigit())
    if version not in _KNOWN_PYMILVUS:
        return f"pymilvus {pymilvus.__version__} is not a release the columnar insert knows"
    if not isinstance(client, pymilvus.MilvusClient):
        return f"the client is a {type(client).__name__}, not a pymilvus MilvusClient"
    for method in ("_get_connection", "_generate_call_context"):
        if not callable(getattr(client, method, None)):
            return f"this MilvusClient has no {method}"
    return None


class BatchWriter:
    """``writer(batch)`` stores ``batch`` in ``collection`` (inserts, or upserts when ``upsert``), with each
    pymilvus call bounded by ``timeout``; safe to call from several threads at once.

    A :class:`DocumentBatch` goes as the request pymilvus would build from its rows, built from its columns
    (:mod:`sparsebolt.milvus.insert_request`) and sent by the client's own connection handler, so pymilvus keeps
    its connection, retries and schema cache. Where that does not apply (another pymilvus release, another
    kind of client, a schema with fields the columns do not fill), or for row dicts, the rows go through
    ``client.insert`` / ``client.upsert``; the reason is logged once, at debug level.
    """

    def __init__(self, client: Any, collection: str, *, upsert: bool, timeout: Optional[float]) -> None:
        self.client, self.collection, self.upsert, self.timeout = client, collection, upsert, timeout
        self._unavailable = columnar_unavailable(client)

    @property
    def columnar(self) -> bool:
        """Whether batches may go as columns (a schema the columns do not fill still sends rows)."""
        return self._unavailable is None

    def __call__(self, batch: Rows) -> None:
        if not isinstance(batch, DocumentBatch) or not len(batch):
            self._write_rows(batch)
            return
        if self._unavailable is not None:
            self._tell(self._unavailable)
            self._write_rows(batch)
            return
        from pymilvus.exceptions import SchemaMismatchRetryableException  # noqa: PLC0415

        handler = self.client._get_connection()
        context = self.client._generate_call_context()
        schema, stamp = handler._get_schema(self.collection, timeout=self.timeout, context=context)
        reason = unsupported_schema(schema, batch)
        if reason is not None:
            self._tell(f"collection {self.collection!r}: {reason}")
            self._write_rows(batch)
            return
        request = build_request(batch, collection=self.collection, schema=schema, schema_timestamp=stamp,
                                upsert=self.upsert)
        send = handler.upsert if self.upsert else handler.batch_insert
        key = "upsert_param" if self.upsert else "insert_param"
        try:
            send(self.collection, [], timeout=self.timeout, context=context, schema=schema, **{key: request})
        except SchemaMismatchRetryableException:
            # The server's schema moved on: the server refused the request, so nothing of it was stored. The
            # row path refreshes pymilvus's schema cache and builds the request again, as client.insert does.
            logger.debug("collection %r changed its schema; writing this batch as rows", self.collection)
            self._write_rows(batch)

    def _write_rows(self, batch: Rows) -> None:
        method = self.client.upsert if self.upsert else self.client.insert
        method(self.collection, as_rows(batch), timeout=self.timeout)

    def _tell(self, reason: str) -> None:
        if reason not in _told:
            _told.add(reason)
            logger.debug("writing batches as rows through client.%s: %s", "upsert" if self.upsert else "insert",
                         reason)
