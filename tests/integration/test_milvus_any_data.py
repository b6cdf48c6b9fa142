"""Property-based: any Unicode id Milvus accepts, any text, any JSON metadata goes in through TextCollection.ingest
and comes back exactly, once, on Milvus Lite 2.5.1 embedded and the Milvus Lite 3.x server; bad records are
DataErrors that name them and leave nothing behind."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sparsebolt.milvus.collection import TextCollection
from sparsebolt.milvus.lookup import fetch_rows
from sparsebolt.milvus.sources import DataError
from tests.integration.test_milvus_metadata import same
from tests.unit.test_milvus_metadata import json_values

pytestmark = pytest.mark.integration

VALID_TEXT = st.characters(blacklist_categories=("Cs",))  # any code point UTF-8 can encode
ANY_ID = st.text(VALID_TEXT, min_size=1, max_size=24)
ANY_TEXT = st.text(VALID_TEXT, max_size=120)
# Record keys with a meaning of their own in the input format are left out: id/_id (the id), text, title
# (prepended to the text), metadata (BEIR's, dropped when empty).
META_KEY = st.text(VALID_TEXT, min_size=1, max_size=12).filter(
    lambda k: k not in {"id", "_id", "text", "title", "metadata", "dense", "sparse", "$meta"})
RECORD = st.fixed_dictionaries({"id": ANY_ID, "text": ANY_TEXT}, optional={}).flatmap(
    lambda base: st.dictionaries(META_KEY, json_values, max_size=4).map(lambda meta: {**meta, **base}))
RECORDS = st.lists(RECORD, min_size=1, max_size=12, unique_by=lambda r: r["id"])
PROPERTY = settings(max_examples=30, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


class _Stored:
    """One collection on one engine, and what each id must read back as (the first record stored wins)."""

    def __init__(self, collection: TextCollection) -> None:
        self.collection = collection
        self.expected: dict[str, dict] = {}

    def ingest(self, records: list[dict]) -> None:
        new = [r for r in records if r["id"] not in self.expected]
        summary = self.collection.ingest(records, batch_size=5)
        assert (summary.inserted, summary.skipped, summary.failed) == (len(new), len(records) - len(new), 0)
        for r in new:
            self.expected[r["id"]] = r

    def check(self, ids: list[str]) -> None:
        col = self.collection
        rows = fetch_rows(col.client, col.name, "id", ids, output_fields=["text", "$meta"], dialect=col.dialect,
                          retry=col.retry)
        assert sorted(r["id"] for r in rows) == sorted(ids)
        for row in rows:
            want = self.expected[row["id"]]
            assert row["text"] == want["text"]
            got_meta = {k: v for k, v in row.items() if k not in ("id", "text")}
            assert same(got_meta, {k: v for k, v in want.items() if k not in ("id", "text")})  # types too
        assert col.count() == len(self.expected)  # count(*): no id stored twice, none lost


@pytest.fixture(scope="module", params=["lite-2.5.1", "lite-3-server"])
def stored(request, tmp_path_factory):
    from sparsebolt.model.sparse import BM25EmbeddingFunction

    if request.param == "lite-2.5.1":
        uri = str(tmp_path_factory.mktemp("any") / "any.db")
    else:
        uri = request.getfixturevalue("lite_server").uri
    sparse = BM25EmbeddingFunction().fit(["a small fixed corpus", "so that every text encodes", "métro 東京"])
    with TextCollection(uri, "any_data", sparse=sparse, drop_existing=True) as col:
        yield _Stored(col)


@PROPERTY
@given(records=RECORDS)
def test_any_record_is_stored_once_and_reads_back_exactly(stored, records):
    stored.ingest(records)
    stored.ingest(records)  # a re-run stores nothing more
    stored.check([r["id"] for r in records])


@PROPERTY
@given(good=RECORDS, bad=st.sampled_from([
    {"id": "lone\ud800surrogate", "text": "t"},
    {"text": "lone \udc00 surrogate in the text"},
    {"id": "x" * 513, "text": "id over 512 bytes"},
    {"id": "big-int", "text": "t", "n": 2**70},
    {"id": "nan", "text": "t", "score": float("nan")},
    {"id": "bytes", "text": "t", "raw": b"\x00"},
    {"id": "no-text"},
]))
def test_a_bad_record_is_a_data_error_naming_it_and_its_batch_is_not_stored(stored, good, bad):
    records = [*good, bad]
    with pytest.raises(DataError, match=rf"input record {len(good)}\b"):
        stored.collection.ingest(records, batch_size=len(records))  # one batch: nothing of it may land
    fresh = [r["id"] for r in good if r["id"] not in stored.expected]
    if fresh:
        col = stored.collection
        assert fetch_rows(col.client, col.name, "id", fresh, output_fields=(), dialect=col.dialect,
                          retry=col.retry) == []
    assert stored.collection.count() == len(stored.expected)


@pytest.mark.parametrize("engine", ["lite-2.5.1", "lite-3-server"])
def test_texts_at_the_varchar_limit_are_stored_and_one_byte_more_is_refused(engine, tmp_path, request):
    """The limit counts UTF-8 bytes: 32,767 two-byte characters and one ASCII letter fill 65,535 exactly."""
    from sparsebolt.milvus.schema import MAX_VARCHAR_LENGTH
    from sparsebolt.model.sparse import BM25EmbeddingFunction

    uri = request.getfixturevalue("lite_server").uri if engine == "lite-3-server" else str(tmp_path / "v.db")
    at_limit = "é" * 32_767 + "a"
    assert len(at_limit.encode("utf-8")) == MAX_VARCHAR_LENGTH
    sparse = BM25EmbeddingFunction().fit(["a small corpus", "of words"])
    with TextCollection(uri, "varchar_limit", sparse=sparse, drop_existing=True) as col:
        assert col.ingest([{"id": "full", "text": at_limit}, {"id": "empty", "text": ""},
                           {"id": "blank", "text": " \t\n"}]).inserted == 3
        rows = fetch_rows(col.client, col.name, "id", ["full", "empty", "blank"], output_fields=["text"],
                          dialect=col.dialect, retry=col.retry)
        assert {r["id"]: r["text"] for r in rows} == {"full": at_limit, "empty": "", "blank": " \t\n"}
        with pytest.raises(DataError, match=r"input record 0: document 'over' has 65536 bytes of text"):
            col.ingest([{"id": "over", "text": at_limit + "b"}])
        assert col.count() == 3
