"""The ingestion pipeline: encode batch k+1 on a worker thread while earlier batches are written to Milvus.
Owns batching, id dedup and skip-if-stored (resume), writes in flight, bounded memory, retries, progress and the
summary."""

from __future__ import annotations

import logging
import queue
import sys
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterable, Iterator, Optional, Union

import numpy as np

from sparsebolt.milvus.batch import Rows, take_rows
from sparsebolt.milvus.retry import RetryPolicy, call_with_retry
from sparsebolt.milvus.sources import DataError, Document

logger = logging.getLogger(__name__)

__all__ = ["IngestSummary", "IngestError", "ON_EXISTING", "run_pipeline"]

ON_EXISTING = ("skip", "upsert", "insert")
DocId = Union[str, int]


@dataclass
class IngestSummary:
    """What an ingestion did. ``skipped`` counts documents already stored (or repeated in the input)."""

    inserted: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0
    collection: str = ""

    @property
    def docs_per_second(self) -> float:
        return (self.inserted + self.skipped) / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "docs_per_second": round(self.docs_per_second, 1)}


class IngestError(RuntimeError):
    """Ingestion stopped on a permanent error; ``summary`` says what was stored before it."""

    def __init__(self, message: str, summary: IngestSummary) -> None:
        super().__init__(message)
        self.summary = summary


@dataclass
class _Batch:
    ids: list[DocId]
    rows: Rows
    skipped: int
    first: int  # position of the batch's first document in the input


@dataclass
class _Pending:
    """What a batch still has to send: after a failed attempt, only the rows it did not store."""

    ids: list[DocId]
    rows: Rows
    uncertain: bool = False  # an attempt failed after it may have stored rows


_END = object()


def run_pipeline(
    documents: Iterable[Document],
    *,
    collection: str,
    make_id: Callable[[Document], DocId],
    encode_rows: Callable[[list[Document], list[DocId]], Rows],
    write: Callable[[Rows], Any],
    stored: Callable[[list[DocId]], set[DocId]],
    repair: Optional[Callable[[list[DocId], Rows], None]] = None,
    stored_before: Optional[Callable[[], int]] = None,
    on_existing: str = "skip",
    batch_size: int = 256,
    prefetch: int = 2,
    writes_in_flight: int = 1,
    retry: RetryPolicy = RetryPolicy(),
    total: Optional[int] = None,
    show_progress: bool = False,
    resume_hint: str = "run the same ingestion again",
    started_empty: bool = False,
) -> IngestSummary:
    """Encode and write ``documents`` in batches with encode/write overlap; see TextCollection.ingest.

    The worker thread reads, dedups, checks which ids are ``stored`` already (``on_existing="skip"``) and
    calls ``encode_rows`` (a batch of rows: a list of row dicts or a
    :class:`~sparsebolt.milvus.batch.DocumentBatch`); the calling thread hands each batch to a ``write``
    with retries, with up to ``writes_in_flight`` writes running at once (``write`` must then be safe to call
    from several threads). At most ``prefetch`` encoded batches wait in the queue, so memory holds about
    ``prefetch + writes_in_flight + 1`` batches whatever the input size.

    Writes in flight keep the guarantees of one write at a time: an id being written is never checked
    or written by another batch meanwhile (skip mode counts it as a repeat; an upsert of it waits for the
    earlier writes, so the last occurrence wins), and the summary counts only writes that Milvus acknowledged.

    ``started_empty``: the collection held nothing when this run began (and nobody else writes to it), so
    an id can only be stored already if this run wrote it. A fixed-size Bloom filter of the ids written
    so far then picks the ids worth asking Milvus about (its false positives only cost a query), instead
    of asking about every id of every batch.

    A write that fails transiently may still have been stored (a timeout says nothing about the outcome,
    and the engine may apply it once it recovers), so an insert is never simply sent again: before each
    retry, ``stored`` tells which of its ids landed and only the others are sent. Once it succeeds,
    ``repair(ids, rows)`` makes sure that each of those ids is stored once (an attempt that landed after the
    check would otherwise leave a second copy). An upsert is repeated as it is: it replaces, never adds.

    A :class:`DataError` (a record that can never be stored) stops the run as itself, naming the record;
    ``stored_before()`` (the collection's row count) is asked only to tell how much an error left stored.
    """
    if on_existing not in ON_EXISTING:
        raise ValueError(f"on_existing must be one of {list(ON_EXISTING)}, got {on_existing!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if prefetch < 1:
        raise ValueError(f"prefetch must be >= 1, got {prefetch}")
    if not isinstance(writes_in_flight, int) or writes_in_flight < 1:
        raise ValueError(f"writes_in_flight must be a positive int, got {writes_in_flight!r}")

    summary = IngestSummary(collection=collection)
    started = time.perf_counter()
    handoff: queue.Queue[Any] = queue.Queue(maxsize=prefetch)
    stop = threading.Event()
    inflight: set[DocId] = set()  # ids encoded but not yet acknowledged by Milvus
    inflight_lock = threading.Lock()
    written = _BloomFilter()  # only touched by the worker thread

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for first, docs in _batched(documents, batch_size):
                if stop.is_set():
                    return
                batch = _prepare(docs, first)
                if batch is not None and not put(batch):
                    return
            put(_END)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises
            put(exc)

    def _prepare(docs: list[Document], first: int) -> Optional[_Batch]:
        ids = [make_id(d) for d in docs]
        keep: dict[DocId, int] = {}
        for i, doc_id in enumerate(ids):
            if on_existing == "upsert":
                keep[doc_id] = i  # last one wins, as an upsert would
            else:
                keep.setdefault(doc_id, i)  # first one wins; repeats count as skipped
        skipped = len(docs) - len(keep)
        if on_existing == "skip":
            with inflight_lock:
                pending = [doc_id for doc_id in keep if doc_id in inflight]
            for doc_id in pending:
                del keep[doc_id]
            candidates = list(keep)
            ask = ([doc_id for doc_id, maybe in zip(candidates, written.might_contain(candidates)) if maybe]
                   if started_empty else candidates)
            already = stored(ask) if ask else set()
            for doc_id in already:
                keep.pop(doc_id, None)
            skipped += len(pending) + len(already)
        order = sorted(keep.values())
        chosen = [docs[i] for i in order]
        chosen_ids = [ids[i] for i in order]
        if started_empty:
            written.add_all(chosen_ids)
        rows = encode_rows(chosen, chosen_ids) if chosen else []
        with inflight_lock:
            inflight.update(chosen_ids)
        return _Batch(ids=chosen_ids, rows=rows, skipped=skipped, first=first)

    progress = _progress(total, show_progress, collection)
    upsert = on_existing == "upsert"

    gate = _RepairGate()

    def write_one(batch: _Batch) -> None:
        if len(batch.rows):
            _write_batch(batch, write=write, stored=stored, repair=repair, upsert=upsert, retry=retry, gate=gate)

    def settled(batch: _Batch) -> None:
        with inflight_lock:
            inflight.difference_update(batch.ids)
        summary.inserted += len(batch.rows)
        summary.skipped += batch.skipped
        logger.debug("stored batch at %d: %d written, %d skipped (%d written so far)",
                     batch.first, len(batch.rows), batch.skipped, summary.inserted)
        progress.update(len(batch.rows) + batch.skipped)

    writes = _Writes(write_one, settled, writes_in_flight)
    worker = threading.Thread(target=produce, name="sparsebolt-encode", daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is _END:
                break
            if isinstance(item, BaseException):
                raise item
            writes.submit(item, ordered=upsert)
        writes.finish()
    except BaseException as exc:
        stop.set()
        summary.failed = writes.abandon(wait_for_them=not isinstance(exc, KeyboardInterrupt))
        summary.seconds = time.perf_counter() - started
        _drain(handoff)
        worker.join(timeout=60)
        progress.close()
        if isinstance(exc, KeyboardInterrupt):
            raise
        held = _held(stored_before)
        if isinstance(exc, DataError):
            raise DataError(
                f"{str(exc).rstrip('.')}. Nothing of this record was stored; {summary.inserted} documents before it "
                f"were inserted in this run{held}. Fix the record and run again: stored documents are skipped."
            ) from exc
        raise IngestError(
            f"ingestion into {collection!r} stopped: {type(exc).__name__}: {str(exc).rstrip('.')}. "
            f"{summary.inserted} documents were inserted in this run and {summary.skipped} skipped (already "
            f"stored or repeated){held}; {summary.failed} were in the batch(es) being written. "
            f"To resume, {resume_hint}: documents already stored are skipped, none is duplicated.",
            summary,
        ) from exc
    worker.join()
    progress.close()
    summary.seconds = time.perf_counter() - started
    return summary


class _Writes:
    """Batches being written: at most ``depth`` at once (on a thread pool when ``depth > 1``), settled in input
    order; the first failure is raised by the next call, once the writes in flight beside it have ended."""

    def __init__(self, write: Callable[[_Batch], None], settled: Callable[[_Batch], None], depth: int) -> None:
        self._write, self._settled, self._depth = write, settled, depth
        self._pool = ThreadPoolExecutor(max_workers=depth, thread_name_prefix="sparsebolt-write") if depth > 1 else None
        self._flying: deque[tuple[_Batch, Future[None]]] = deque()
        self._failed_rows = 0  # rows of writes that raised (reported as failed)

    def submit(self, batch: _Batch, *, ordered: bool) -> None:
        """Start writing ``batch``; with ``ordered``, after every write in flight that shares an id with it."""
        if self._pool is None:
            try:
                self._write(batch)
            except BaseException:
                self._failed_rows += len(batch.rows)
                raise
            self._settled(batch)
            return
        if ordered and self._flying:
            ids = set(batch.ids)
            if any(not ids.isdisjoint(earlier.ids) for earlier, _ in self._flying):
                self._settle(len(self._flying))
        self._settle(len(self._flying) - self._depth + 1)
        self._flying.append((batch, self._pool.submit(self._write, batch)))
        while self._flying and self._flying[0][1].done():
            self._settle(1)

    def finish(self) -> None:
        self._settle(len(self._flying))
        if self._pool is not None:
            self._pool.shutdown()

    def _settle(self, count: int) -> None:
        """Wait for the ``count`` oldest writes and account them; the first that failed is raised."""
        for _ in range(max(count, 0)):
            batch, future = self._flying[0]
            error = future.exception()
            if error is not None:
                raise error
            self._flying.popleft()
            self._settled(batch)

    def abandon(self, *, wait_for_them: bool) -> int:
        """After a failure: let the writes in flight end (``wait_for_them``) and account those that succeeded;
        the number of rows whose write failed or was not awaited."""
        if self._pool is not None:
            if wait_for_them:
                wait([future for _, future in self._flying])
            self._pool.shutdown(wait=False, cancel_futures=True)
        while self._flying:
            batch, future = self._flying.popleft()
            if future.done() and not future.cancelled() and future.exception() is None:
                self._settled(batch)
            else:
                self._failed_rows += len(batch.rows)
        return self._failed_rows


def _held(stored_before: Optional[Callable[[], int]]) -> str:
    """", the collection holds N documents" when the collection still answers, else nothing."""
    if stored_before is None:
        return ""
    try:
        return f"; the collection holds {stored_before()} documents"
    except Exception:  # noqa: BLE001 - the engine that failed may not answer a count either
        return ""


class _RepairGate:
    """Writes in flight share it; a repair (delete, then write again) has it alone, once the writes beside it have
    ended: Milvus Lite 2.5.1 answers "internal error" to a delete that runs beside an insert."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._writing = 0
        self._repairing = False

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._repairing)
            self._writing += 1
        try:
            yield
        finally:
            with self._changed:
                self._writing -= 1
                self._changed.notify_all()

    @contextmanager
    def repair(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._repairing)
            self._repairing = True
            self._changed.wait_for(lambda: self._writing == 0)
        try:
            yield
        finally:
            with self._changed:
                self._repairing = False
                self._changed.notify_all()


def _write_batch(batch: _Batch, *, write: Callable[[Rows], Any], stored: Callable[[list[DocId]], set[DocId]],
                 repair: Optional[Callable[[list[DocId], Rows], None]], upsert: bool, retry: RetryPolicy,
                 gate: Optional[_RepairGate] = None) -> None:
    """Write one batch so that, whatever fails and is retried, each of its ids is stored once."""
    gate = gate or _RepairGate()
    what = f"writing documents {batch.first}..{batch.first + len(batch.rows) + batch.skipped - 1}"
    if upsert:  # replacing twice is replacing once
        with gate.write():
            call_with_retry(lambda: write(batch.rows), retry, what=what)
        return
    pending = _Pending(ids=list(batch.ids), rows=batch.rows)

    def resolve(_error: BaseException) -> None:
        # The failed attempt may have landed: ask which ids did, and send only the others. An engine that was
        # stalled can answer this query before it applies a write it had queued, so a short answer is asked
        # once more after a pause: a late write found here is one that no repair has to delete.
        landed = stored(pending.ids)
        if len(landed) < len(pending.ids):
            time.sleep(min(retry.initial_delay, retry.timeout))
            landed |= stored(pending.ids)
        keep = [i for i, doc_id in enumerate(pending.ids) if doc_id not in landed]
        if len(keep) < len(pending.ids):
            logger.info("%s: %d of %d rows were stored by the failed attempt; sending the other %d", what,
                        len(pending.ids) - len(keep), len(pending.ids), len(keep))
        pending.ids = [pending.ids[i] for i in keep]
        pending.rows = take_rows(pending.rows, keep)
        pending.uncertain = True

    def attempt() -> None:
        if len(pending.rows):
            write(pending.rows)

    with gate.write():
        call_with_retry(attempt, retry, what=what, before_retry=resolve)
    if pending.uncertain and repair is not None:
        with gate.repair():
            repair(list(batch.ids), batch.rows)


class _BloomFilter:
    """A fixed-size set of ids with false positives but no false negatives (2**24 bits = 2 MiB, 4 hashes).

    About 1% false positives at 1.5 million ids; more ids raise that rate, which only costs more queries.
    """

    def __init__(self, bits: int = 2**24, hashes: int = 4) -> None:
        self._bits = np.zeros(bits // 8, dtype=np.uint8)
        self._mask = bits - 1
        self._steps = np.arange(hashes, dtype=np.int64)

    def _positions(self, ids: list[DocId]) -> np.ndarray:
        """(len(ids), hashes) bit positions, for a whole batch at once: per id, only two builtin hashes run
        in Python. Python's own hash is enough: the filter lives for one run of one process (str hashes are
        salted per process, which is fine). The second hash is odd, so the probes walk distinct positions."""
        first = np.fromiter((hash(i) for i in ids), dtype=np.int64, count=len(ids))
        second = np.fromiter((hash((i, "sparsebolt")) for i in ids), dtype=np.int64, count=len(ids)) | 1
        return (first[:, None] + self._steps * second[:, None]) & self._mask  # int64 wraps; any mixing will do

    def add_all(self, ids: list[DocId]) -> None:
        if ids:
            positions = self._positions(ids).ravel()
            np.bitwise_or.at(self._bits, positions >> 3, np.left_shift(1, positions & 7).astype(np.uint8))

    def might_contain(self, ids: list[DocId]) -> list[bool]:
        """For each id: False if it was surely never added, True if it may have been."""
        if not ids:
            return []
        positions = self._positions(ids)
        return (((self._bits[positions >> 3] >> (positions & 7)) & 1) == 1).all(axis=1).tolist()


def _batched(documents: Iterable[Document], size: int) -> Iterator[tuple[int, list[Document]]]:
    batch: list[Document] = []
    first = 0
    for position, doc in enumerate(documents):
        if not batch:
            first = position
        batch.append(doc)
        if len(batch) == size:
            yield first, batch
            batch = []
    if batch:
        yield first, batch


def _drain(q: queue.Queue[Any]) -> None:
    while True:
        try:
            q.get_nowait()
        except queue.Empty:
            return


class _NoProgress:
    def update(self, n: int) -> None:
        return None

    def close(self) -> None:
        return None


def _progress(total: Optional[int], show: bool, collection: str) -> Any:
    if not show:
        return _NoProgress()
    try:
        from tqdm.auto import tqdm  # noqa: PLC0415 - optional
    except ImportError:  # pragma: no cover - tqdm is a dependency, but stay usable without it
        logger.info("tqdm is not installed; no progress bar")
        return _NoProgress()
    return tqdm(total=total, unit="doc", unit_scale=True, desc=f"ingest {collection}", file=sys.stderr,
                dynamic_ncols=True, smoothing=0.1)
