"""The expression rules of sparsebolt.milvus.expr, proved on the real engines: any id Milvus accepts is found by
the escaped lookup, exactly, on Milvus Lite 2.5.1 embedded and on the Milvus Lite 3.x server process."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sparsebolt.milvus.expr import (
    LITE_25,
    SERVER,
    deletable,
    dialect_for,
    ids_expression,
    string_literal,
    upsertable,
)
from sparsebolt.milvus.lookup import extra_rows, fetch_rows, stored_ids
from sparsebolt.milvus.retry import RetryPolicy

pytestmark = pytest.mark.integration

RETRY = RetryPolicy(attempts=1, timeout=60)
# Ids a real corpus carries, plus every character class that once broke a lookup.
HAND_PICKED = [
    "plain", "José", "Long_John's_Blues", "<dbpedia:José_Leite_Lopes>", "José's café", 'say "hi"', "back\\slash",
    "lit\\u00e9", "\\", "'", '"', "\\'", "a\\nb", "%_*", "new\nline", "cr\rx", "\r\n", "tab\tx", "nul\x00x", "\x01",
    "del\x7f", "emoji😀", "שלום", "مرحبا", "東京", "e\u0301", "\u2028", "\ufeff", "\U0010ffff", "x" * 512,
]
# Any Unicode string Milvus can store: UTF-8 encodable (no lone surrogates), at most 512 bytes.
ANY_ID = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)
ANY_INT_ID = st.integers(min_value=-(2**63), max_value=2**63 - 1)


def _make(client, name: str, id_type: str) -> None:
    from pymilvus import DataType, MilvusClient

    if client.has_collection(name):
        client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=True)
    if id_type == "int":
        schema.add_field("id", DataType.INT64, is_primary=True)
    else:
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=512)
    schema.add_field("text", DataType.VARCHAR, max_length=2048)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=2)
    index = client.prepare_index_params()
    index.add_index(field_name="vec", index_type="FLAT", metric_type="IP")
    client.create_collection(name, schema=schema, index_params=index)


class _Engine:
    """One collection per id type on one engine, filled as the examples go."""

    def __init__(self, client, dialect: str) -> None:
        self.client, self.dialect = client, dialect
        self.stored: dict[str, set] = {"str": set(), "int": set()}
        for id_type in ("str", "int"):
            _make(client, f"expr_{id_type}", id_type)

    def add(self, id_type: str, ids) -> None:
        new = [i for i in dict.fromkeys(ids) if i not in self.stored[id_type]]
        if new:
            rows = [{"id": i, "text": f"text of {i!r}", "vec": [1.0, 0.0]} for i in new]
            self.client.insert(f"expr_{id_type}", rows)
            self.stored[id_type].update(new)

    def check(self, id_type: str, asked) -> None:
        name = f"expr_{id_type}"
        found = stored_ids(self.client, name, "id", list(asked), dialect=self.dialect, retry=RETRY)
        assert found == set(asked) & self.stored[id_type]
        rows = fetch_rows(self.client, name, "id", list(asked), output_fields=["text"], dialect=self.dialect,
                          retry=RETRY)
        assert {r["id"]: r["text"] for r in rows} == {i: f"text of {i!r}" for i in found}
        assert extra_rows(self.client, name, "id", list(asked), dialect=self.dialect, retry=RETRY) == 0


@pytest.fixture(scope="module", params=["lite-2.5.1", "lite-3-server"])
def engine(request, tmp_path_factory):
    from pymilvus import MilvusClient

    if request.param == "lite-2.5.1":
        uri = str(tmp_path_factory.mktemp("expr") / "expr.db")
        assert dialect_for(uri) == LITE_25
    else:
        uri = request.getfixturevalue("lite_server").uri
        assert dialect_for(uri) == SERVER
    client = MilvusClient(uri)
    try:
        yield _Engine(client, dialect_for(uri))
    finally:
        client.close()


def test_hand_picked_ids_are_found_exactly(engine):
    engine.add("str", HAND_PICKED)
    engine.check("str", HAND_PICKED + ["not stored", "new", "new\n", "cr\r", "José's"])
    for one in HAND_PICKED:
        engine.check("str", [one])


def test_a_delete_removes_exactly_the_ids_the_dialect_calls_deletable(engine):
    """Milvus Lite 2.5.1's delete fails on an id holding a single quote or NUL (its SQL is not escaped) and cannot
    name one holding a newline; every other id, and every id on a server, is deleted alone, its neighbours kept."""
    name = "expr_delete"
    _make(engine.client, name, "str")
    engine.client.insert(name, [{"id": i, "text": i, "vec": [1.0, 0.0]} for i in HAND_PICKED])
    removed = set()
    for one in HAND_PICKED:
        if deletable(one, engine.dialect):
            engine.client.delete(name, filter=ids_expression("id", [one], engine.dialect))
            removed.add(one)
        elif "'" in one or "\x00" in one:
            with pytest.raises(Exception, match="internal error"):
                engine.client.delete(name, filter=ids_expression("id", [one], engine.dialect))
        found = stored_ids(engine.client, name, "id", HAND_PICKED, dialect=engine.dialect, retry=RETRY)
        assert found == set(HAND_PICKED) - removed, one
    if engine.dialect == SERVER:
        assert removed == set(HAND_PICKED)
    else:
        kept = {i for i in HAND_PICKED if any(ch in i for ch in "'\x00\n\r")}
        assert kept == set(HAND_PICKED) - removed


def test_int64_bounds_are_found_exactly(engine):
    ids = [-(2**63), -(2**63) + 1, -1, 0, 1, 2**53, 2**53 + 1, 2**63 - 2, 2**63 - 1]
    engine.add("int", ids[::2])
    engine.check("int", ids)
    engine.check("int", [-(2**63) + 1])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=st.lists(ANY_ID, min_size=1, max_size=8), absent=st.lists(ANY_ID, max_size=4))
def test_any_unicode_id_is_found_exactly(engine, stored, absent):
    stored = [s for s in stored if len(s.encode("utf-8")) <= 512]
    engine.add("str", stored)
    engine.check("str", stored + absent)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=st.lists(ANY_INT_ID, min_size=1, max_size=6), absent=st.lists(ANY_INT_ID, max_size=3))
def test_any_int64_id_is_found_exactly(engine, stored, absent):
    engine.add("int", stored)
    engine.check("int", stored + absent)


def test_what_lite_2_cannot_delete_or_upsert():
    for value in ("O'Brien", "nul\x00x"):
        assert not deletable(value, LITE_25) and not upsertable(value, LITE_25)
        assert deletable(value, SERVER) and upsertable(value, SERVER)
    assert not deletable("a\nb", LITE_25) and upsertable("a\nb", LITE_25)  # not writable, yet upserted by key
    assert deletable('say "hi" \\ é', LITE_25) and deletable(-(2**63) + 1, LITE_25)
    assert not deletable(-(2**63), LITE_25) and upsertable(-(2**63), LITE_25)


def test_literals_refuse_what_the_dialect_cannot_write():
    assert string_literal('a"b\\c\nd', SERVER) == '"a\\"b\\\\c\\nd"'
    assert string_literal("José's", LITE_25) == '"José\'s"'
    with pytest.raises(ValueError, match="newline"):
        string_literal("a\nb", LITE_25)
