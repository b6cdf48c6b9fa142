"""Metadata <-> Milvus's dynamic field: what check_metadata stores, converts and refuses (property-based and
explicit edge cases), and what output_request sends and picks. Storage in real Milvus: tests/integration."""

from __future__ import annotations

import datetime
import decimal
import enum
import json
import math
import re
import uuid

import numpy as np
import orjson  # what pymilvus serializes the dynamic field with
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparsebolt.milvus.metadata import MAX_DEPTH, check_metadata, output_request
from sparsebolt.milvus.results import hits_from_milvus
from sparsebolt.milvus.sources import DataError

RESERVED = frozenset({"id", "text", "dense", "sparse"})
ORIGIN = "corpus.jsonl:17"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# No example database: it would write .hypothesis/ into the working tree.
PROPERTY = settings(database=None, deadline=None, max_examples=300)

scalars = (st.none() | st.booleans() | st.integers(INT64_MIN, INT64_MAX)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text())  # st.text() draws no lone surrogates
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(), inner, max_size=4), max_leaves=24)
top_keys = st.text(min_size=1).filter(lambda k: k not in RESERVED and k != "$meta")
metadata = st.dictionaries(top_keys, json_values, max_size=6)

bad_values = st.one_of(
    st.integers(min_value=2**63), st.integers(max_value=-(2**63) - 1),
    st.sampled_from([math.nan, math.inf, -math.inf, np.float64("nan"), np.float32("inf")]),
    st.binary(max_size=3), st.builds(bytearray, st.binary(max_size=3)),
    st.sets(st.integers(0, 3), max_size=3), st.frozensets(st.text(max_size=2), max_size=2),
    st.datetimes(), st.dates(), st.decimals(allow_nan=False), st.uuids(), st.complex_numbers(),
    st.just(object()), st.just("a\ud800b"), st.just(np.uint64(2**64 - 1)), st.just(np.datetime64("2020-01-01")),
)


def check(fields):
    return check_metadata(fields, origin=ORIGIN, doc_id="d3", reserved=RESERVED)


def same(a, b) -> bool:
    """Equal with types (True is not 1, 1 is not 1.0, -0.0 is not 0.0) and dict key order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return a == b


def path_text(top: str, steps: list) -> str:
    head = top if PLAIN.match(top) else repr(top)
    return head + "".join(f"[{s!r}]" for s in steps)


# ---- accepted values ------------------------------------------------------------------------------------


@PROPERTY
@given(metadata)
def test_json_values_are_stored_unchanged_and_round_trip(fields):
    snapshot = json.loads(json.dumps(fields))
    stored = check(fields)
    assert stored is fields  # nothing to convert: no copy
    for encoded in (json.dumps(stored, allow_nan=False, ensure_ascii=False).encode("utf-8"), orjson.dumps(stored)):
        assert same(json.loads(encoded), fields)
    assert same(fields, snapshot)  # the input is not modified


@PROPERTY
@given(st.dictionaries(top_keys, st.recursive(
    scalars | st.integers(INT64_MIN, INT64_MAX).map(np.int64) | st.floats(width=32, allow_nan=False,
                                                                           allow_infinity=False).map(np.float32)
    | st.booleans().map(np.bool_),
    lambda inner: st.lists(inner, max_size=3) | st.lists(inner, max_size=3).map(tuple),
    max_leaves=12), max_size=4))
def test_numpy_scalars_and_tuples_are_stored_as_plain_json(fields):
    stored = check(fields)
    assert same(json.loads(json.dumps(stored, allow_nan=False)), stored)


@pytest.mark.parametrize("value", [INT64_MAX, INT64_MIN, 0, -1, 1.7976931348623157e308, 5e-324, -0.0, "", "a\x00b",
                                   "ключ 😀", None, True, [], {}, {"": 1}, {"$meta": [1]}])
def test_edge_values_in_range_are_accepted_as_they_are(value):
    fields = {"v": value}
    assert check(fields) is fields


@pytest.mark.parametrize("key", ["my key", "q'k", 'd"q', "a.b", "ключ", "emoji😀", "new\nline", "$x", "back\\slash"])
def test_any_non_empty_key_is_accepted(key):
    assert check({key: 1}) == {key: 1}


def test_conversions_are_copies_with_plain_types():
    class Level(enum.IntEnum):
        HIGH = 3

    class Tag(str, enum.Enum):
        RED = "red"

    fields = {"keep": "x", "t": (1, (2, 3)), "n": {"i": np.int64(-5), "u": np.uint8(7), "f": np.float32(0.5),
                                                "b": np.bool_(False), "d": np.float64(2.5)},
              "e": [Level.HIGH, Tag.RED, np.str_("s")], "a": np.array([[1, 2], [3, 4]], dtype=np.int32)}
    stored = check(fields)
    expected = {"keep": "x", "t": [1, [2, 3]], "n": {"i": -5, "u": 7, "f": 0.5, "b": False, "d": 2.5},
                "e": [3, "red", "s"], "a": [[1, 2], [3, 4]]}
    assert same(stored, expected)
    assert stored is not fields and fields["t"] == (1, (2, 3)) and isinstance(fields["n"]["i"], np.int64)
    assert stored["keep"] is fields["keep"]


# ---- refused values -------------------------------------------------------------------------------------


@st.composite
def planted(draw):
    """(fields, top key, path steps): a valid structure with one bad value planted somewhere inside."""
    value = draw(bad_values)
    steps = []
    for _ in range(draw(st.integers(0, 5))):
        if draw(st.booleans()):
            before = draw(st.lists(json_values, max_size=2))
            value, steps = [*before, value, *draw(st.lists(json_values, max_size=2))], [len(before), *steps]
        else:
            key = draw(st.text(max_size=4))
            siblings = draw(st.dictionaries(st.text(max_size=4).filter(lambda k, key=key: k != key), json_values,
                                            max_size=2))
            value, steps = {**siblings, key: value}, [key, *steps]
    top = draw(top_keys)
    others = draw(st.dictionaries(top_keys.filter(lambda k: k != top), json_values, max_size=3))
    return {**others, top: value}, top, steps


@PROPERTY
@given(planted())
def test_a_bad_value_anywhere_raises_data_error_naming_its_path(case):
    fields, top, steps = case
    with pytest.raises(DataError) as caught:
        check(fields)
    message = str(caught.value)
    assert message.startswith(f"{ORIGIN}: document 'd3': metadata field {path_text(top, steps)} ")
    assert ";" in message  # what is wrong; what to do


@pytest.mark.parametrize(("fields", "path", "advice"), [
    ({"big": 2**63}, "big", "store it as a str"),
    ({"big": 2**70}, "big", "outside int64"),
    ({"big": -(2**63) - 1}, "big", "outside int64"),
    ({"x": math.nan}, "x", "store None for a missing value"),
    ({"x": math.inf}, "x", "JSON has no NaN or Infinity"),
    ({"x": b"x"}, "x", "decode it to a str"),
    ({"x": {1, 2}}, "x", "store a list"),
    ({"x": datetime.datetime(2020, 1, 2)}, "x", "isoformat()"),
    ({"x": decimal.Decimal("1.5")}, "x", "str(value)"),
    ({"x": uuid.UUID(int=1)}, "x", "str(value)"),
    ({"x": datetime.timedelta(seconds=3)}, "x", "total_seconds()"),
    ({"nested": {"k": [0, 1, math.nan]}}, "nested['k'][2]", "None"),
    ({"my key": [{"a": b"x"}]}, "'my key'[0]['a']", "decode"),
    ({"n": np.array([1.0, np.inf])}, "n[1]", "NaN or Infinity"),
    ({"n": np.uint64(2**64 - 1)}, "n", "outside int64"),
    ({"n": np.array(["2020-01-01"], dtype="datetime64[D]")}, "n", "isoformat()"),
    ({"s": "bad \ud800 surrogate"}, "s", "lone surrogate"),
    ({"d": {3: "x"}}, "d", "JSON object keys are strings"),
])
def test_refused_values_name_record_document_path_and_advice(fields, path, advice):
    with pytest.raises(DataError, match=re.escape(f"{ORIGIN}: document 'd3': metadata field {path} ")) as caught:
        check(fields)
    assert advice in str(caught.value)


@pytest.mark.parametrize(("fields", "needle"), [
    ({"text": "t"}, "['text']"), ({"sparse": 1, "ok": 2}, "['sparse']"), ({"$meta": {}}, "['$meta']"),
    ({"": 1}, "empty key"), ({7: 1}, "key 7 of type int"), ({"\udc00": 1}, "lone surrogate"),
])
def test_refused_keys(fields, needle):
    with pytest.raises(DataError, match=re.escape(f"{ORIGIN}: document 'd3': metadata ")) as caught:
        check(fields)
    assert needle in str(caught.value)


def test_nesting_is_limited_and_cycles_do_not_recurse_forever():
    deep = value = []
    for _ in range(MAX_DEPTH - 1):
        value.append([])
        value = value[0]
    assert check({"d": deep})["d"] is deep
    value.append([])
    with pytest.raises(DataError, match=r"metadata field d\[0\]\[0\]\[0\]\[0\]\.\.\.\(\d+ more\)\.\.\..*deeper than"):
        check({"d": deep})
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(DataError, match="deeper than"):
        check({"c": cycle})


def test_the_origin_is_left_out_when_unknown():
    with pytest.raises(DataError, match=r"^document 7: metadata field x is nan"):
        check_metadata({"x": math.nan}, origin="", doc_id=7, reserved=RESERVED)


# ---- output_request and pick ----------------------------------------------------------------------------


@pytest.mark.parametrize(("names", "sent"), [
    (["text", "year", "lang"], ["text", "year", "lang"]),
    (["text", "my key", "year", "ключ", "year"], ["text", "$meta"]),  # Lite 2.5 drops $meta beside "year"
    (["a.b"], ["$meta"]),
    (["$meta", "x y"], ["$meta"]),
    (["year", "$meta", "text"], ["$meta", "text"]),
    (["*", "x y", "year"], ["*"]),
    ([], []),
])
def test_output_request_sends_plain_names_and_meta_for_the_rest(names, sent):
    assert output_request(names, RESERVED)[0] == sent


def test_pick_keeps_exactly_the_requested_keys():
    _, pick = output_request(["text", "my key", "year", "absent"], RESERVED)
    entity = {"id": "d", "text": "t", "year": 1, "my key": {"k": [1]}, "other": 2}
    assert pick(entity) == {"text": "t", "my key": {"k": [1]}, "year": 1}
    _, keep_all = output_request(["$meta"], RESERVED)
    assert keep_all(entity) == entity


@pytest.mark.parametrize("names", ["year", [""], [None], [3], ["ok", b"bytes"]])
def test_output_request_refuses_bad_names(names):
    with pytest.raises(ValueError, match="output field"):
        output_request(names, RESERVED)


@PROPERTY
@given(st.lists(st.text(min_size=1), max_size=6), st.dictionaries(st.text(min_size=1), st.integers(), max_size=8))
def test_output_request_property(names, entity):
    sent, pick = output_request(names, RESERVED)
    assert len(sent) == len(set(sent))
    wanted = list(dict.fromkeys(names))
    everything = {"*", "$meta"} & set(wanted)
    if not everything and all(PLAIN.match(n) or n in RESERVED for n in wanted):
        assert sent == wanted
    else:
        schema = [n for n in wanted if n in RESERVED or n in everything]
        assert sent == (schema if everything else [*schema, "$meta"])
    if not {"*", "$meta"} & set(names):
        assert pick(entity) == {n: entity[n] for n in dict.fromkeys(names) if n in entity}


def test_hits_take_their_fields_from_pick():
    _, pick = output_request(["text", "my key"], RESERVED)
    rows = [{"id": "a", "distance": 2.0, "entity": {"text": "ta", "my key": 1, "lang": "en"}}]
    hit, = hits_from_milvus(rows, metric="IP", id_field="id", text_field="text", pick=pick)
    assert (hit.id, hit.text, hit.fields) == ("a", "ta", {"my key": 1})
    hit, = hits_from_milvus(rows, metric="IP", id_field="id", text_field="text")
    assert hit.fields == {"my key": 1, "lang": "en"}
