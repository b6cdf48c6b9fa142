"""Several writes in flight: bounded, overlapping, and with the guarantees of one write at a time (each id once,
the last upsert wins, the summary counts only acknowledged writes, a resume completes the collection)."""

from __future__ import annotations

import random
import threading
import time

import pytest

from sparsebolt.milvus.ingest import IngestError, _RepairGate, run_pipeline
from sparsebolt.milvus.retry import RetryPolicy
from sparsebolt.milvus.sources import Document
from tests.unit.test_milvus_pipeline import Store, _encode


class SlowStore(Store):
    """A store whose writes take a random while, counting how many run at once."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        self.running = 0
        self.most = 0
        self.random = random.Random(seed)
        self.count_lock = threading.Lock()

    def _enter(self) -> None:
        with self.count_lock:
            self.running += 1
            self.most = max(self.most, self.running)
            delay = self.random.uniform(0.0, 0.01)
        time.sleep(delay)

    def _leave(self) -> None:
        with self.count_lock:
            self.running -= 1

    def write(self, rows):
        self._enter()
        try:
            super().write(rows)
        finally:
            self._leave()

    def upsert(self, rows):
        self._enter()
        try:
            super().upsert(rows)
        finally:
            self._leave()


def _run(store, docs, depth, **kwargs):
    kwargs.setdefault("write", store.write)
    return run_pipeline(docs, collection="c", make_id=lambda d: d.id, encode_rows=_encode, stored=store.stored,
                        retry=RetryPolicy(attempts=1), writes_in_flight=depth, **kwargs)


@pytest.mark.parametrize("depth", [2, 3])
def test_writes_overlap_up_to_the_bound_and_store_each_id_once(depth):
    store = SlowStore()
    docs = [Document(f"d{i % 150}", f"t{i}") for i in range(200)]  # repeats across batches
    summary = _run(store, docs, depth, batch_size=8)
    assert (summary.inserted, summary.skipped, summary.failed) == (150, 50, 0)
    assert sorted(r["id"] for r in store.rows) == sorted(f"d{i}" for i in range(150))
    assert {r["id"]: r["text"] for r in store.rows}["d0"] == "t0"  # the first occurrence, as with one write
    assert store.most == depth


def test_the_last_upsert_of_an_id_wins_whatever_the_timing():
    for seed in range(5):
        store = SlowStore(seed)
        docs = [Document(f"d{i % 10}", f"v{i}") for i in range(120)]  # each id in many batches
        summary = _run(store, docs, 3, batch_size=4, on_existing="upsert", write=store.upsert)
        assert summary.inserted + summary.skipped == 120
        assert {r["id"]: r["text"] for r in store.rows} == {f"d{i}": f"v{110 + i}" for i in range(10)}
        assert len(store.rows) == 10


def test_a_failure_counts_only_acknowledged_writes_and_a_resume_completes():
    store = SlowStore()
    store.fail_after = 45
    docs = [Document(f"d{i}", "t") for i in range(100)]
    with pytest.raises(IngestError, match="To resume") as info:
        _run(store, docs, 3, batch_size=10)
    summary = info.value.summary
    assert summary.inserted == len(store.rows) < 100  # nothing counted that was not stored, nothing stored uncounted
    assert summary.inserted + summary.failed <= 100 and summary.failed >= 10
    store.fail_after = None
    again = _run(store, docs, 3, batch_size=10)
    assert again.inserted == 100 - summary.inserted and again.skipped == summary.inserted
    assert sorted(r["id"] for r in store.rows) == sorted(d.id for d in docs)


def test_memory_stays_bounded_by_prefetch_and_writes_in_flight():
    store = SlowStore()
    read = 0
    most_ahead = 0

    def docs():
        nonlocal read
        for i in range(400):
            read += 1
            yield Document(f"d{i}", "t")

    def write(rows):
        nonlocal most_ahead
        store.write(rows)
        with store.lock:
            most_ahead = max(most_ahead, read - len(store.rows))

    _run(store, docs(), 3, batch_size=10, prefetch=2, write=write)
    assert len(store.rows) == 400
    assert most_ahead <= (2 + 3 + 1) * 10


@pytest.mark.parametrize("depth", [0, -1, 1.5, None])
def test_bad_writes_in_flight(depth):
    with pytest.raises(ValueError, match="writes_in_flight"):
        _run(Store(), [], depth)


def test_a_repair_runs_alone_once_the_writes_beside_it_have_ended() -> None:
    gate, events, lock = _RepairGate(), [], threading.Lock()

    def log(what: str) -> None:
        with lock:
            events.append(what)

    def writer(name: str) -> None:
        with gate.write():
            log(f"{name} start")
            time.sleep(0.05)
            log(f"{name} end")

    def repairer() -> None:
        time.sleep(0.01)  # after both writes started
        with gate.repair():
            log("repair start")
            time.sleep(0.05)
            log("repair end")
        writer("late")

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")] + [threading.Thread(target=repairer)]
    for thread in threads:
        thread.start()
    time.sleep(0.02)
    late = threading.Thread(target=writer, args=("queued",))  # arrives while the repair waits: runs after it
    late.start()
    for thread in [*threads, late]:
        thread.join()
    start, end = events.index("repair start"), events.index("repair end")
    assert end == start + 1  # nothing ran during the repair
    assert {"a end", "b end"} <= set(events[:start])  # the writes in flight ended first
    assert {"queued start", "late start"} <= set(events[end:])  # and none started until it was done
