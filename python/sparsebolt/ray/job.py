"""The distributed ingestion job: files (or a document dataset) to a filled Milvus collection, safe to re-run.
The driver opens the collection and fits BM25; Ray actors encode and write through the Milvus layer's pipeline."""

from __future__ import annotations

import logging
import os
import sys
import time
from functools import partial
from typing import Any, Optional, Sequence, Union

from sparsebolt.milvus.connection import is_lite_uri
from sparsebolt.milvus.ingest import ON_EXISTING, IngestError, IngestSummary
from sparsebolt.milvus.retry import RetryPolicy
from sparsebolt.ray._ray import actor_pool, raise_original_errors, require_ray
from sparsebolt.ray.documents import POSITION, documents_from_batch, read_documents
from sparsebolt.ray.encode import WorkerEncoders
from sparsebolt.ray.fit import fit_bm25

logger = logging.getLogger(__name__)

__all__ = ["ingest", "DEFAULT_ROWS_PER_CALL"]

DEFAULT_ROWS_PER_CALL = 2048
_INSERTED, _SKIPPED = "inserted", "skipped"
_RESUME = "run the same job again"


def ingest(
    source: Any,
    *,
    uri: str,
    collection: str = "documents",
    dense: Any = None,
    sparse: Any = None,
    token: str = "",
    db_name: str = "",
    format: Optional[str] = None,  # noqa: A002 - mirrors the CLI flag
    id_field: str = "id",
    text_field: str = "text",
    id_type: str = "str",
    on_existing: str = "skip",
    batch_size: int = 256,
    rows_per_call: int = DEFAULT_ROWS_PER_CALL,
    workers: Optional[int] = None,
    num_cpus: float = 1,
    num_gpus: float = 0,
    drop_existing: bool = False,
    order_column: Optional[str] = POSITION,
    retry: RetryPolicy = RetryPolicy(),
    show_progress: bool = False,
) -> IngestSummary:
    """Encode ``source`` and store it in a Milvus collection with Ray; re-run it after any failure.

    ``source``: paths for :func:`~sparsebolt.ray.read_documents` (JSONL, Parquet, CSV, BEIR folders), or a
    document dataset from ``read_documents``/``as_documents``. ``uri`` must be a Milvus server
    (``http://host:19530``): many processes write at once, which a Milvus Lite file does not allow.
    ``dense`` is an encoder factory (``DefaultEmbeddingFunction``, or a ``functools.partial``), built once
    on the driver (for its dim) and once per worker; ``sparse`` a sparsebolt ``BM25EmbeddingFunction``, a factory of
    a learned sparse encoder (``functools.partial(SpladeEmbeddingFunction, model_path=...)``, built as ``dense``
    is), or the same factory as ``dense`` for BGE-M3 filling both fields (one model per worker, one pass per batch).

    Steps: (1) the driver creates or opens the collection (checked as ``TextCollection`` does); an unfitted
    BM25 encoder takes the statistics already saved with the collection, or else is fitted across the
    cluster (:func:`~sparsebolt.ray.fit_bm25` with ``order_column``: the exact single-machine fit) and its
    statistics saved;
    (2) ``workers`` Ray actors (None: Ray autoscales), each with ``num_cpus``/``num_gpus``, take
    ``rows_per_call`` documents at a time through the Milvus layer's pipeline: ids made the same way,
    ``batch_size`` documents per insert, ids already stored skipped before encoding
    (``on_existing="skip"``), transient errors retried per ``retry``; Ray re-runs the calls of a worker that
    died; (3) the driver flushes once. A re-run after a crash skips what is stored: no document is lost
    or stored twice, provided the input repeats no id (repeats within one call are stored once; across
    workers use ``on_existing="upsert"``). Returns the totals; ``show_progress`` draws a bar.
    """
    ray = require_ray()
    from sparsebolt.milvus.collection import TextCollection  # noqa: PLC0415 - imports pymilvus

    if not isinstance(uri, str) or is_lite_uri(uri):
        raise ValueError(
            f"uri {uri!r} is a Milvus Lite file, which one process at a time can open; a Ray job writes from "
            f"many workers: give a Milvus server address (e.g. http://host:19530; `milvus-lite server` for tests)"
        )
    if on_existing not in ON_EXISTING:
        raise ValueError(f"on_existing must be one of {list(ON_EXISTING)}, got {on_existing!r}")
    if dense is None and sparse is None:
        raise ValueError("pass dense= and/or sparse=: there would be nothing to store")
    for name, value in (("batch_size", batch_size), ("rows_per_call", rows_per_call)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    # Checked before any work; workers get BM25 unfitted, to load the statistics saved with the collection.
    shipped = WorkerEncoders.of(dense, sparse, fitted=False, num_threads=max(1, int(num_cpus)))
    documents = source if isinstance(source, ray.data.Dataset) else read_documents(
        _as_paths(source), format=format, id_field=id_field, text_field=text_field)

    started = time.perf_counter()
    probe, learned = _driver_encoders(shipped)
    bm25 = sparse if shipped.bm25 is not None else None
    # Each opening below names the same collection, dense probe, connection and retry policy.
    open_collection = partial(TextCollection, uri, collection, dense=probe, token=token, db_name=db_name,
                              id_type=id_type, retry=retry)
    with open_collection(sparse=bm25 if bm25 is not None else learned, drop_existing=drop_existing):
        if bm25 is not None and bm25.dim <= 0:  # neither fitted nor saved with the collection
            logger.info("fitting BM25 across the cluster")
            fit_bm25(documents, bm25, order_column=order_column)
    if bm25 is not None:  # reopening with the fitted encoder saves its statistics (or checks them)
        open_collection(sparse=bm25).close()

    constructor = {
        "uri": uri, "token": token, "db_name": db_name, "collection": collection, "encoders": shipped,
        "on_existing": on_existing, "batch_size": batch_size, "retry": retry,
    }
    results = documents.map_batches(
        _IngestBatches,
        fn_constructor_kwargs=constructor,
        batch_size=rows_per_call,
        batch_format="pyarrow",
        compute=actor_pool(workers),
        num_cpus=num_cpus,
        num_gpus=num_gpus,
    )
    raise_original_errors(results)
    summary = IngestSummary(collection=collection)
    progress = _progress(show_progress, collection)
    try:
        for batch in results.iter_batches(batch_size=None, batch_format="pyarrow"):
            inserted = sum(batch.column(_INSERTED).to_pylist())
            skipped = sum(batch.column(_SKIPPED).to_pylist())
            summary.inserted += inserted
            summary.skipped += skipped
            progress.update(inserted + skipped)
            logger.debug("%d stored so far (%d inserted, %d skipped)", summary.inserted + summary.skipped,
                         summary.inserted, summary.skipped)
    except Exception as exc:
        summary.seconds = time.perf_counter() - started
        raise IngestError(
            f"the Ray ingestion into {collection!r} stopped: {_cause(exc)}. At least {summary.inserted} documents "
            f"were inserted in this run. To resume, {_RESUME}: documents already stored are skipped, "
            f"none is duplicated.",
            summary,
        ) from exc
    finally:
        progress.close()
    if summary.inserted:
        with open_collection(create=False) as written:
            written.flush()
    summary.seconds = time.perf_counter() - started
    return summary


class _IngestBatches:
    """One per Ray actor: a ``TextCollection`` with its encoders, opened once; each call runs the Milvus
    layer's pipeline (ids, skip-if-stored, encode, batched writes with retry) over one block of documents."""

    def __init__(self, *, uri: str, token: str, db_name: str, collection: str, encoders: WorkerEncoders,
                 on_existing: str, batch_size: int, retry: RetryPolicy) -> None:
        from sparsebolt.milvus.collection import TextCollection  # noqa: PLC0415

        dense, sparse = encoders.build()  # BM25 unfitted: it loads the collection's statistics
        self.collection = TextCollection(uri, collection, dense=dense, sparse=sparse, token=token, db_name=db_name,
                                         retry=retry, create=False)
        if encoders.bm25 is not None and self.collection.sparse.dim <= 0:
            raise RuntimeError(f"collection {collection!r} has no saved BM25 statistics for the worker to load")
        self.on_existing, self.batch_size = on_existing, batch_size
        logger.debug("ingest worker %d ready for %r", os.getpid(), collection)

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa  # noqa: PLC0415

        summary = self.collection.ingest_documents(
            documents_from_batch(batch), on_existing=self.on_existing, batch_size=self.batch_size,
            resume_hint=_RESUME,
        )
        logger.debug("worker %d stored a block: %d inserted, %d skipped", os.getpid(), summary.inserted,
                     summary.skipped)
        return pa.table({_INSERTED: [summary.inserted], _SKIPPED: [summary.skipped]})


def _driver_encoders(shipped: WorkerEncoders) -> tuple[Any, Any]:
    """The dense probe (for its dim) and the learned sparse encoder the driver opens the collection with, built as
    each worker builds them; a factory that builds a BM25 encoder is refused (BM25 travels as itself)."""
    from sparsebolt.milvus.stats import keeps_statistics  # noqa: PLC0415

    probe, learned = WorkerEncoders(shipped.dense, sparse=shipped.sparse, shared=shipped.shared).build()
    if learned is not None and keeps_statistics(learned):
        raise TypeError(f"sparse= built a {type(learned).__name__}, whose statistics are fitted on the corpus: pass "
                        f"the BM25 encoder itself (sparse=BM25EmbeddingFunction(...)), not a factory of it")
    return probe, learned


def _as_paths(source: Any) -> Union[str, Sequence[Any]]:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    if isinstance(source, (list, tuple)) and all(isinstance(p, (str, os.PathLike)) for p in source):
        return list(source)
    raise TypeError(
        f"source must be a path, a list of paths, or a document dataset (sparsebolt.ray.read_documents), "
        f"got {type(source).__name__}"
    )


def _cause(exc: BaseException) -> str:
    """The worker's own error: Ray raises ``RayTaskError(X)`` whose ``cause`` is the original exception."""
    inner = getattr(exc, "cause", None)
    target = inner if isinstance(inner, BaseException) else exc
    text = str(target).strip()
    return f"{type(target).__name__}: {text.splitlines()[0] if text else ''}"


class _NoProgress:
    def update(self, n: int) -> None:
        return None

    def close(self) -> None:
        return None


def _progress(show: bool, collection: str) -> Any:
    if not show:
        return _NoProgress()
    try:
        from tqdm.auto import tqdm  # noqa: PLC0415 - optional
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return _NoProgress()
    return tqdm(unit="doc", unit_scale=True, desc=f"ray ingest {collection}", file=sys.stderr, dynamic_ncols=True)
