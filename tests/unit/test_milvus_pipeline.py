"""The ingestion pipeline's logic on an in-memory store: batching, dedup, skip-if-stored, overlap, failures."""

from __future__ import annotations

import threading
import time

import pytest

from sparsebolt.milvus.ingest import IngestError, run_pipeline
from sparsebolt.milvus.retry import RetryPolicy
from sparsebolt.milvus.sources import Document


class Store:
    """A primary-key store with Milvus's insert semantics (insert does not dedup) and upsert."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.lock = threading.Lock()
        self.fail_after: int | None = None

    def write(self, rows: list[dict]) -> None:
        with self.lock:
            if self.fail_after is not None and len(self.rows) + len(rows) > self.fail_after:
                raise ValueError("permanent: schema rejected the row")
            self.rows.extend(rows)

    def upsert(self, rows: list[dict]) -> None:
        with self.lock:
            new = {r["id"] for r in rows}
            self.rows = [r for r in self.rows if r["id"] not in new] + rows

    def stored(self, ids: list) -> set:
        with self.lock:
            have = {r["id"] for r in self.rows}
        return {i for i in ids if i in have}


def _encode(docs, ids):
    return [{"id": i, "text": d.text} for d, i in zip(docs, ids)]


def _run(store, docs, **kwargs):
    kwargs.setdefault("write", store.write)
    return run_pipeline(docs, collection="c", make_id=lambda d: d.id, encode_rows=_encode,
                        stored=store.stored, retry=RetryPolicy(attempts=1), **kwargs)


@pytest.mark.parametrize("n, batch_size", [(0, 4), (1, 4), (7, 4), (1024, 100), (12, 1)])
def test_every_document_is_written_once(n, batch_size):
    store = Store()
    docs = [Document(f"d{i}", f"text {i}") for i in range(n)]
    summary = _run(store, iter(docs), batch_size=batch_size)
    assert (summary.inserted, summary.skipped, summary.failed) == (n, 0, 0)
    assert sorted(r["id"] for r in store.rows) == sorted(d.id for d in docs)


def test_rerun_skips_everything_and_repeats_in_input_are_skipped():
    store = Store()
    docs = [Document(f"d{i % 50}", f"t{i}") for i in range(120)]  # each id 2-3 times, across batches
    first = _run(store, docs, batch_size=16)
    assert (first.inserted, first.skipped) == (50, 70)
    assert len(store.rows) == 50 and store.rows[0]["text"] == "t0"  # first occurrence wins
    again = _run(store, docs, batch_size=16)
    assert (again.inserted, again.skipped) == (0, 120) and len(store.rows) == 50


def test_upsert_mode_rewrites_and_last_occurrence_wins():
    store = Store()
    _run(store, [Document("a", "old"), Document("b", "b")])
    summary = _run(store, [Document("a", "new1"), Document("a", "new2")], on_existing="upsert", write=store.upsert)
    assert summary.inserted == 1 and summary.skipped == 1
    assert {r["id"]: r["text"] for r in store.rows} == {"a": "new2", "b": "b"}


def test_insert_mode_does_not_check():
    store = Store()
    _run(store, [Document("a", "x")])
    _run(store, [Document("a", "x")], on_existing="insert")
    assert len(store.rows) == 2


def test_encoding_overlaps_writing():
    """With encode and write each taking T per batch, the pipeline takes about (n+1)T, not 2nT."""
    store = Store()
    delay, batches = 0.05, 10

    def slow_encode(docs, ids):
        time.sleep(delay)
        return _encode(docs, ids)

    def slow_write(rows):
        time.sleep(delay)
        store.write(rows)

    docs = [Document(f"d{i}", "t") for i in range(batches * 8)]
    started = time.perf_counter()
    run_pipeline(docs, collection="c", make_id=lambda d: d.id, encode_rows=slow_encode, write=slow_write,
                 stored=store.stored, batch_size=8, retry=RetryPolicy(attempts=1))
    elapsed = time.perf_counter() - started
    assert len(store.rows) == batches * 8
    assert elapsed < 0.8 * (2 * batches * delay), f"no overlap: {elapsed:.3f}s"


def test_memory_stays_bounded_by_prefetch():
    """The reader never runs more than prefetch + 2 batches ahead of the writer."""
    store = Store()
    read = 0
    max_ahead = 0

    def docs():
        nonlocal read
        for i in range(400):
            read += 1
            yield Document(f"d{i}", "t")

    def slow_write(rows):
        nonlocal max_ahead
        time.sleep(0.01)
        store.write(rows)
        max_ahead = max(max_ahead, read - len(store.rows))

    _run(store, docs(), batch_size=10, prefetch=2, write=slow_write)
    assert len(store.rows) == 400
    assert max_ahead <= (2 + 2) * 10


def test_permanent_failure_reports_what_is_stored_and_resume_completes():
    store = Store()
    store.fail_after = 25
    docs = [Document(f"d{i}", "t") for i in range(60)]
    with pytest.raises(IngestError, match=r"20 documents were inserted in this run.*To resume") as info:
        _run(store, docs, batch_size=10)
    assert info.value.summary.inserted == 20 and info.value.summary.failed == 10
    store.fail_after = None
    summary = _run(store, docs, batch_size=10)
    assert (summary.inserted, summary.skipped) == (40, 20)
    assert sorted(r["id"] for r in store.rows) == sorted(d.id for d in docs)


def test_encoder_error_stops_cleanly():
    store = Store()

    def broken(docs, ids):
        raise RuntimeError("encoder exploded")

    with pytest.raises(IngestError, match="encoder exploded"):
        run_pipeline([Document("a", "t")] * 3, collection="c", make_id=lambda d: d.id, encode_rows=broken,
                     write=store.write, stored=store.stored, batch_size=1)


def test_input_error_midway_keeps_earlier_batches():
    store = Store()

    def docs():
        yield from (Document(f"d{i}", "t") for i in range(30))
        raise ValueError("corpus.jsonl:31: not valid JSON")

    with pytest.raises(IngestError, match="not valid JSON"):
        _run(store, docs(), batch_size=10)
    assert len(store.rows) == 30


class TimeoutError_(Exception):
    """What a timed-out RPC looks like to the retry logic (a transient error)."""

    def __init__(self) -> None:
        super().__init__("deadline exceeded")


class LandingStore(Store):
    """A store whose writes time out on the client although the engine applies them: now, or later (late=True)
    when the engine catches up, after the pipeline has already asked which ids are stored."""

    def __init__(self, fail_writes: set[int], late: bool = False) -> None:
        super().__init__()
        self.fail_writes, self.late = fail_writes, late
        self.calls = 0
        self.queued: list[dict] = []
        self.repaired: list[list] = []

    def write(self, rows: list[dict]) -> None:
        self.calls += 1
        with self.lock:
            self.rows.extend(self.queued)  # the stalled attempt lands once the engine answers again
            self.queued = []
        if self.calls in self.fail_writes:
            if self.late:
                self.queued = list(rows)
            else:
                super().write(rows)
            raise TimeoutError_()
        super().write(rows)

    def repair(self, ids: list, rows: list[dict]) -> None:
        self.repaired.append(list(ids))
        with self.lock:
            wanted = set(ids)
            self.rows = [r for r in self.rows if r["id"] not in wanted] + [r for r in rows if r["id"] in wanted]


RETRYING = RetryPolicy(attempts=4, initial_delay=0.0)


def test_a_timed_out_write_that_landed_is_not_sent_again():
    store = LandingStore(fail_writes={2, 3})
    docs = [Document(f"d{i}", "t") for i in range(40)]
    summary = run_pipeline(docs, collection="c", make_id=lambda d: d.id, encode_rows=_encode, write=store.write,
                           stored=store.stored, repair=store.repair, retry=RETRYING, batch_size=10)
    assert (summary.inserted, summary.failed) == (40, 0)
    assert sorted(r["id"] for r in store.rows) == sorted(d.id for d in docs)  # each once
    assert store.calls == 4  # the two failed writes were resolved by asking, not re-sent
    assert len(store.repaired) == 2  # and each was checked for a late copy


def test_a_write_that_lands_after_the_check_is_repaired():
    store = LandingStore(fail_writes={2}, late=True)
    docs = [Document(f"d{i}", "t") for i in range(30)]
    summary = run_pipeline(docs, collection="c", make_id=lambda d: d.id, encode_rows=_encode, write=store.write,
                           stored=store.stored, repair=store.repair, retry=RETRYING, batch_size=10)
    assert summary.inserted == 30
    # The late copy landed with the next write; the repair of that batch ran before it, so finish the check here
    # as the collection does: every id once.
    store.repair([f"d{i}" for i in range(10, 20)], [{"id": f"d{i}", "text": "t"} for i in range(10, 20)])
    assert sorted(r["id"] for r in store.rows) == sorted(d.id for d in docs)


class SlowToApplyStore(LandingStore):
    """A stalled engine that answers the first check after a timed-out write before applying the write."""

    def __init__(self) -> None:
        super().__init__(fail_writes={2}, late=True)
        self.checks = 0

    def stored(self, ids: list) -> set:
        answer = super().stored(ids)
        self.checks += 1
        with self.lock:
            self.rows.extend(self.queued)  # applied just after it answered
            self.queued = []
        return answer


def test_a_write_applied_just_after_the_first_check_is_found_by_the_second_and_not_sent_again():
    store = SlowToApplyStore()
    docs = [Document(f"d{i}", "t") for i in range(30)]
    summary = run_pipeline(docs, collection="c", make_id=lambda d: d.id, encode_rows=_encode, write=store.write,
                           stored=store.stored, repair=store.repair, retry=RETRYING, batch_size=10)
    assert summary.inserted == 30
    assert store.calls == 3  # the timed-out batch was not sent a second time
    assert sorted(r["id"] for r in store.rows) == sorted(d.id for d in docs)  # each once, before any repair


def test_upsert_writes_are_simply_repeated():
    store = CountingStore()
    calls = []

    def upsert_that_times_out_once(rows):
        calls.append(len(rows))
        store.upsert(rows)  # applied, yet the client sees a timeout
        if len(calls) == 1:
            raise TimeoutError_()

    summary = run_pipeline([Document("a", "t"), Document("b", "t")], collection="c", make_id=lambda d: d.id,
                           encode_rows=_encode, write=upsert_that_times_out_once, stored=store.stored,
                           retry=RETRYING, on_existing="upsert")
    assert summary.inserted == 2 and calls == [2, 2] and store.asked == []
    assert sorted(r["id"] for r in store.rows) == ["a", "b"]


def test_a_bad_record_stops_as_a_data_error_naming_it():
    from sparsebolt.milvus.sources import DataError

    store = Store()

    def make_id(doc):
        if doc.id == "d15":
            raise DataError(f"{doc.origin}: id too long")
        return doc.id

    docs = [Document(f"d{i}", "t", origin=f"c.jsonl:{i + 1}") for i in range(30)]
    with pytest.raises(DataError, match=r"c.jsonl:16: id too long.*10 documents before it.*Fix the record"):
        run_pipeline(docs, collection="c", make_id=make_id, encode_rows=_encode, write=store.write,
                     stored=store.stored, batch_size=10, stored_before=lambda: len(store.rows))


@pytest.mark.parametrize("kwargs", [{"on_existing": "merge"}, {"batch_size": 0}, {"prefetch": 0}])
def test_bad_options(kwargs):
    with pytest.raises(ValueError):
        _run(Store(), [], **kwargs)


class CountingStore(Store):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[list] = []

    def stored(self, ids: list) -> set:
        self.asked.append(list(ids))
        return super().stored(ids)


def test_started_empty_asks_only_about_possible_repeats():
    store = CountingStore()
    docs = [Document(f"d{i}", "t") for i in range(500)] + [Document("d7", "again"), Document("d499", "again")]
    summary = _run(store, docs, batch_size=50, started_empty=True)
    assert (summary.inserted, summary.skipped) == (500, 2)
    assert sorted(r["id"] for r in store.rows) == sorted(f"d{i}" for i in range(500))
    asked = [i for batch in store.asked for i in batch]
    # d7 is asked about; d499 may still be in flight (skipped without asking); nothing else but rare false positives
    assert "d7" in asked and len(asked) < 20


def test_bloom_filter_has_no_false_negatives():
    from sparsebolt.milvus.ingest import _BloomFilter

    bloom = _BloomFilter(bits=2**12, hashes=3)  # small, so it saturates: positives grow, negatives never lie
    ids = [f"id-{i}" for i in range(3000)] + list(range(3000))
    bloom.add_all(ids)
    assert all(bloom.might_contain(ids))
    fresh = _BloomFilter()
    fresh.add_all(["a", 1])
    assert fresh.might_contain(["a", 1, "1", 2, "b"])[:3] == [True, True, False]
    roomy = _BloomFilter()  # 2**24 bits: 20,000 ids give almost no false positives
    roomy.add_all([f"x{i}" for i in range(20_000)])
    assert sum(roomy.might_contain([f"y{i}" for i in range(20_000)])) < 20
    assert fresh.might_contain([]) == [] and fresh.add_all([]) is None
