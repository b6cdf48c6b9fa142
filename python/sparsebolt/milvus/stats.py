"""Small blobs kept with a collection: the BM25 statistics its sparse vectors were made with, and its encoders.
They live in a metadata collection in the same database, so they travel with Milvus Lite files and servers alike."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import time
import zlib
from typing import Any, Mapping, Optional, Sequence

from sparsebolt.milvus.expr import SERVER, ids_expression, string_literal
from sparsebolt.milvus.lookup import fetch_rows
from sparsebolt.milvus.retry import RetryPolicy, call_with_retry

__all__ = ["META_COLLECTION", "save_blob", "load_blob", "delete_blobs", "encoder_state", "restore_encoder",
           "keeps_statistics", "statistics_kind", "statistics_encoders", "save_statistics", "sync_statistics"]

META_COLLECTION = "sparsebolt_meta"
# base64 text per row; under Milvus's 65,535-byte VARCHAR limit.
_CHUNK_CHARS = 60_000
_MAX_KEY = 512


def _ensure_meta(client: Any, retry: RetryPolicy) -> None:
    from pymilvus import DataType, MilvusClient  # noqa: PLC0415

    if call_with_retry(lambda: client.has_collection(META_COLLECTION, timeout=retry.timeout), retry,
                       what="checking the metadata collection"):
        call_with_retry(lambda: client.load_collection(META_COLLECTION, timeout=retry.timeout), retry,
                        what="loading the metadata collection")
        return
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=_MAX_KEY)
    schema.add_field("payload", DataType.VARCHAR, max_length=65535)
    # Milvus requires one vector field per collection; this one is never searched.
    schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)
    index = client.prepare_index_params()
    index.add_index(field_name="unused", index_type="FLAT", metric_type="L2")
    call_with_retry(
        lambda: client.create_collection(META_COLLECTION, schema=schema, index_params=index,
                                         consistency_level="Strong", timeout=retry.timeout),
        retry, what="creating the metadata collection",
    )


# Keys are a collection name (letters, digits, '_'), a kind and hex digits joined by '/': every engine reads
# their literals alike, so the server dialect serves Milvus Lite 2.x too.
_KEY_DIALECT = SERVER


def _get(client: Any, keys: list[str], retry: RetryPolicy) -> dict[str, str]:
    rows = fetch_rows(client, META_COLLECTION, "key", keys, output_fields=["payload"], dialect=_KEY_DIALECT,
                      retry=retry, what="reading collection metadata")
    return {row["key"]: row["payload"] for row in rows}


def _delete(client: Any, keys: list[str], retry: RetryPolicy) -> None:
    call_with_retry(lambda: client.delete(META_COLLECTION, filter=ids_expression("key", keys, _KEY_DIALECT),
                                          timeout=retry.timeout),
                    retry, what="deleting collection metadata")


def save_blob(client: Any, collection: str, kind: str, data: bytes, *, retry: RetryPolicy = RetryPolicy()) -> str:
    """Store ``data`` as ``(collection, kind)``; returns its sha256. Crash-safe: a reader sees the old or the new.

    Chunks go under a fresh version key first; the header row that names the version is written last,
    then the previous version's chunks are deleted.
    """
    _ensure_meta(client, retry)
    digest = hashlib.sha256(data).hexdigest()
    text = base64.b64encode(zlib.compress(data, 6)).decode("ascii")
    chunks = [text[i : i + _CHUNK_CHARS] for i in range(0, len(text), _CHUNK_CHARS)] or [""]
    version = f"{time.time_ns():x}"
    header_key = f"{collection}/{kind}"
    old = _get(client, [header_key], retry).get(header_key)
    rows = [
        {"key": f"{header_key}/{version}/{i}", "payload": chunk, "unused": [0.0, 0.0]}
        for i, chunk in enumerate(chunks)
    ]
    for start in range(0, len(rows), 16):
        part = rows[start : start + 16]
        call_with_retry(lambda: client.upsert(META_COLLECTION, part, timeout=retry.timeout),
                        retry, what="writing collection metadata")
    header = json.dumps({"version": version, "chunks": len(chunks), "sha256": digest})
    call_with_retry(
        lambda: client.upsert(META_COLLECTION, [{"key": header_key, "payload": header, "unused": [0.0, 0.0]}],
                              timeout=retry.timeout),
        retry, what="writing collection metadata",
    )
    if old:
        previous = json.loads(old)
        _delete(client, [f"{header_key}/{previous['version']}/{i}" for i in range(int(previous["chunks"]))], retry)
    return digest


def load_blob(client: Any, collection: str, kind: str, *, retry: RetryPolicy = RetryPolicy()) -> Optional[bytes]:
    """The bytes stored as ``(collection, kind)``, or None when there are none."""
    if not call_with_retry(lambda: client.has_collection(META_COLLECTION, timeout=retry.timeout), retry,
                           what="checking the metadata collection"):
        return None
    _ensure_meta(client, retry)
    header_key = f"{collection}/{kind}"
    header = _get(client, [header_key], retry).get(header_key)
    if header is None:
        return None
    info = json.loads(header)
    keys = [f"{header_key}/{info['version']}/{i}" for i in range(int(info["chunks"]))]
    found: dict[str, str] = {}
    for start in range(0, len(keys), 16):
        found.update(_get(client, keys[start : start + 16], retry))
    missing = [k for k in keys if k not in found]
    if missing:
        raise RuntimeError(f"metadata {header_key!r} is incomplete ({len(missing)} of {len(keys)} chunks missing)")
    data = zlib.decompress(base64.b64decode("".join(found[k] for k in keys)))
    if hashlib.sha256(data).hexdigest() != info["sha256"]:
        raise RuntimeError(f"metadata {header_key!r} is corrupt (sha256 mismatch)")
    return data


def delete_blobs(client: Any, collection: str, *, retry: RetryPolicy = RetryPolicy()) -> None:
    """Forget every blob of ``collection`` (used when the collection is dropped)."""
    if not call_with_retry(lambda: client.has_collection(META_COLLECTION, timeout=retry.timeout), retry,
                           what="checking the metadata collection"):
        return
    _ensure_meta(client, retry)
    prefix = f"{collection}/"
    rows = call_with_retry(
        lambda: client.query(META_COLLECTION, filter=f"key like {string_literal(collection + '/%', _KEY_DIALECT)}",
                             output_fields=["key"],
                             timeout=retry.timeout),
        retry, what="listing collection metadata",
    )
    # LIKE may treat '_' as a wildcard: keep only exact-prefix keys.
    keys = [row["key"] for row in rows if row["key"].startswith(prefix)]
    if keys:
        _delete(client, keys, retry)


def encoder_state(encoder: Any) -> bytes:
    """The bytes of ``encoder.save(path)`` (a pymilvus.model-style BM25 writes its JSON params)."""
    fd, path = tempfile.mkstemp(suffix=".json", prefix="sparsebolt-bm25-")
    os.close(fd)
    try:
        encoder.save(path)
        with open(path, "rb") as handle:
            return handle.read()
    finally:
        os.unlink(path)


def restore_encoder(encoder: Any, data: bytes) -> Any:
    """Load ``data`` (from :func:`encoder_state`) into ``encoder`` via its ``load(path)``."""
    fd, path = tempfile.mkstemp(suffix=".json", prefix="sparsebolt-bm25-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        encoder.load(path)
        return encoder
    finally:
        os.unlink(path)


# ---- BM25 statistics per field --------------------------------------------------------------------------------

BM25_KIND = "bm25"


def keeps_statistics(encoder: Any) -> bool:
    """A corpus-fitted encoder (BM25) whose statistics the collection keeps: it has ``fit``, ``save`` and ``load``."""
    return all(callable(getattr(encoder, name, None)) for name in ("fit", "save", "load"))


def statistics_kind(field_name: str) -> str:
    """The blob kind of a field's statistics; the field named "sparse" keeps the key every earlier collection
    (and ``sparsebolt fit --collection``) uses."""
    return BM25_KIND if field_name == "sparse" else f"{BM25_KIND}.{field_name}"


def statistics_encoders(vector_fields: Sequence[Any], encoders: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(field name, encoder) for each distinct client-side encoder whose statistics are kept, first field first."""
    seen: set[int] = set()
    out = []
    for entry in vector_fields:
        encoder = encoders.get(entry.name)
        if entry.kind == "sparse" and encoder is not None and keeps_statistics(encoder) and id(encoder) not in seen:
            seen.add(id(encoder))
            out.append((entry.name, encoder))
    return out


def save_statistics(client: Any, collection: str, field_name: str, encoder: Any, *,
                    retry: RetryPolicy = RetryPolicy()) -> None:
    save_blob(client, collection, statistics_kind(field_name), encoder_state(encoder), retry=retry)


def sync_statistics(client: Any, collection: str, field_name: str, encoder: Any, *,
                    retry: RetryPolicy = RetryPolicy()) -> bool:
    """Saved statistics go into an unfitted ``encoder``; a fitted one's are saved when none are. False when both
    exist and differ (the caller says what to do)."""
    saved = load_blob(client, collection, statistics_kind(field_name), retry=retry)
    try:
        fitted = int(encoder.dim) > 0
    except Exception:  # noqa: BLE001 - an unfitted encoder may raise instead of answering 0
        fitted = False
    if saved is None:
        if fitted:
            save_statistics(client, collection, field_name, encoder, retry=retry)
        return True
    if not fitted:
        restore_encoder(encoder, saved)
        return True
    return hashlib.sha256(encoder_state(encoder)).digest() == hashlib.sha256(saved).digest()
