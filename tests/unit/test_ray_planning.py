"""The pure parts of the Ray integration, checked without a Ray cluster: JSONL byte-range chunks read every
line exactly once, positions split into runs correctly, encoders are shipped or refused with advice."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")

from sparsebolt.ray import documents as docs_module  # noqa: E402
from sparsebolt.ray.documents import _jsonl_range, _plan_chunks, position_of  # noqa: E402
from sparsebolt.ray.encode import dense_factory  # noqa: E402
from sparsebolt.ray.fit import _runs  # noqa: E402


def _write_jsonl(path, n: int, *, blank_every: int = 0) -> list[dict]:
    records = []
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for i in range(n):
            record = {"id": f"d{i}", "text": "x" * (i % 37) + f" word{i} \u00e9\u2028tail"}
            records.append(record)
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            if blank_every and i % blank_every == 0:
                handle.write("   \n")
    return records


@pytest.mark.parametrize("chunk_bytes", [1, 7, 64, 333, 4096, 10**9])
def test_byte_range_chunks_read_every_record_once_in_order(tmp_path, chunk_bytes):
    path = tmp_path / "c.jsonl"
    records = _write_jsonl(path, 120, blank_every=9)
    chunks = _plan_chunks([(path, "jsonl")], chunk_bytes)
    read = [record for chunk in chunks for _, record in _jsonl_range(chunk.path, chunk.start, chunk.end)]
    assert read == records
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


def test_file_without_final_newline_and_empty_file(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": 1, "text": "one"}\n{"id": 2, "text": "two"}', encoding="utf-8")
    empty = tmp_path / "b.jsonl"
    empty.write_text("", encoding="utf-8")
    chunks = _plan_chunks([(path, "jsonl"), (empty, "jsonl")], 10)
    read = [r["id"] for c in chunks for _, r in _jsonl_range(c.path, c.start, c.end)]
    assert read == [1, 2]
    assert all(c.path == str(path) for c in chunks)  # an empty file has no chunk


def test_bad_json_names_file_and_byte(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1, "text": "ok"}\n{"id": 2, "text": \n[1, 2]\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl: byte 24: not valid JSON"):
        list(_jsonl_range(str(path), 0, path.stat().st_size))
    path.write_text('[1, 2]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="expected a JSON object per line"):
        list(_jsonl_range(str(path), 0, path.stat().st_size))


def test_document_blocks_number_positions_and_parse_like_the_milvus_layer(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(
        '{"_id": "a", "title": "Title", "text": "body", "year": 2020}\n'
        '{"text": "no id"}\n'
        '{"id": 7, "text": "int id", "tags": ["x"]}\n',
        encoding="utf-8",
    )
    chunk = docs_module._Chunk(3, str(path), "jsonl", 0, path.stat().st_size)
    blocks = list(docs_module._document_blocks(chunk, _jsonl_range(chunk.path, 0, chunk.end), "id", "text", 2))
    assert [b.num_rows for b in blocks] == [2, 1]
    table = pa.concat_tables(blocks)
    assert table.column("id").to_pylist() == ["a", None, "7"]
    assert table.column("text").to_pylist() == ["Title body", "no id", "int id"]
    assert [json.loads(f) if f else {} for f in table.column("fields").to_pylist()] == [
        {"title": "Title", "year": 2020}, {}, {"tags": ["x"]}]
    assert table.column("position").to_pylist() == [position_of(3, 0), position_of(3, 1), position_of(3, 2)]
    back = docs_module.documents_from_batch(table)
    assert [(d.id, d.text, d.fields) for d in back][0] == ("a", "Title body", {"title": "Title", "year": 2020})


def test_record_without_text_is_named(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"id": 1, "body": "x"}\n', encoding="utf-8")
    chunk = docs_module._Chunk(0, str(path), "jsonl", 0, path.stat().st_size)
    with pytest.raises(ValueError, match=r"t\.jsonl: byte 0: .*has no 'text' field"):
        list(docs_module._document_blocks(chunk, _jsonl_range(chunk.path, 0, chunk.end), "id", "text", 10))


def _batch(positions, texts=None):
    texts = texts or [f"t{p}" for p in positions]
    return pa.table({"text": texts, "position": pa.array(positions, type=pa.int64())}), texts


def test_runs_split_at_gaps_and_sort_blocks_joined_out_of_order():
    batch, texts = _batch([10, 11, 12, 40, 41, 5, 6])
    runs = _runs(batch, "position", texts)
    assert runs == [(5, ["t5", "t6"]), (10, ["t10", "t11", "t12"]), (40, ["t40", "t41"])]
    empty, _ = _batch([], [])
    assert _runs(empty, "position", []) == []


@pytest.mark.parametrize(
    ("positions", "message"),
    [([1, 2, 2], "repeats a value"), ([-1, 0], "negative values")],
)
def test_runs_reject_bad_positions(positions, message):
    batch, texts = _batch(positions)
    with pytest.raises(ValueError, match=message):
        _runs(batch, "position", texts)


def test_runs_need_the_order_column_or_none():
    batch = pa.table({"text": ["a", "b"]})
    with pytest.raises(ValueError, match="order_column=None"):
        _runs(batch, "position", ["a", "b"])
    (shard, run), = _runs(batch, None, ["a", "b"])
    assert run == ["a", "b"] and 0 <= shard < 2**62
    nulls = pa.table({"text": ["a"], "position": pa.array([None], type=pa.int64())})
    with pytest.raises(ValueError, match="missing values"):
        _runs(nulls, "position", ["a"])


class _Picklable:
    dim = 2

    def encode_documents(self, texts):
        return np.ones((len(texts), 2), dtype=np.float32)


class _Unpicklable(_Picklable):
    def __init__(self):
        self.handle = open(__file__, "rb")  # noqa: SIM115 - an OS handle: never picklable

    def __del__(self):
        self.handle.close()


def test_dense_factory_ships_classes_callables_and_picklable_instances():
    assert dense_factory(None) is None
    assert dense_factory(_Picklable) is _Picklable
    built = dense_factory(_Picklable())
    assert isinstance(built(), _Picklable)
    assert pickle.loads(pickle.dumps(built))().dim == 2
    with pytest.raises(TypeError, match="pass a class or a zero-argument factory"):
        dense_factory(_Unpicklable())
    with pytest.raises(TypeError, match="encoder factory"):
        dense_factory(42)


def test_paths_expand_to_files_in_order_and_beir_folders(tmp_path):
    from sparsebolt.ray.documents import _expand

    beir = tmp_path / "beir"
    beir.mkdir()
    (beir / "corpus.jsonl").write_text('{"_id": "1", "text": "x"}\n')
    shards = tmp_path / "shards"
    shards.mkdir()
    for name in ("b.jsonl", "a.parquet", "_SUCCESS", ".hidden"):
        (shards / name).write_text("")
    found = _expand([beir, shards], None)
    assert [(p.name, fmt) for p, fmt in found] == [("beir", "beir"), ("a.parquet", "parquet"), ("b.jsonl", "jsonl")]
    assert _expand(beir, "jsonl") == [(beir, "beir")]  # a BEIR folder stays one, whatever format= says
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(ValueError, match="cannot tell the format"):
        _expand(tmp_path / "notes.txt", None)
    with pytest.raises(FileNotFoundError):
        _expand(tmp_path / "missing.jsonl", None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no files"):
        _expand(tmp_path / "empty", None)


def test_arrow_columns_equal_the_row_conversion():
    """Ray's Arrow columns come from the same checked columns as TextCollection's rows: equal values, an empty
    row empty (the rows' placeholder is for Milvus only), int32 term ids for a BM25-sized vocabulary."""
    from sparsebolt.milvus.columns import column_values, encode_columns
    from sparsebolt.milvus.fields import VectorField
    from sparsebolt.milvus.vectors import EMPTY_SPARSE_INDEX
    from sparsebolt.ray.encode import arrow_columns
    from tests.unit.test_milvus_columns import FIELDS, TEXTS, TwoOutputs

    encoder = TwoOutputs()
    columns = encode_columns(FIELDS, {"dense": encoder, "sparse": encoder}, TEXTS)
    arrays = arrow_columns(columns, {"dense": 4, "sparse": 5})
    assert set(arrays) == {"dense", "sparse_indices", "sparse_values"}
    assert arrays["sparse_indices"].type.value_type == pa.int32()
    rows = column_values(columns["sparse"])
    for i, (indices, values) in enumerate(zip(arrays["sparse_indices"].to_pylist(),
                                              arrays["sparse_values"].to_pylist())):
        assert dict(zip(indices, values)) == ({} if EMPTY_SPARSE_INDEX in rows[i] else rows[i])
    assert arrays["dense"].to_pylist() == [row.tolist() for row in column_values(columns["dense"])]
    wide = encode_columns([VectorField("s", "sparse")], {"s": _WideSparse()}, ["a"])
    far = arrow_columns(wide)  # no known dim: Milvus's own uint32
    assert far["s_indices"].type.value_type == pa.uint32() and far["s_indices"].to_pylist() == [[2**32 - 2]]


class _WideSparse:
    def encode_documents(self, texts):
        from scipy.sparse import csr_array

        return csr_array((np.ones(1, np.float32), np.array([2**32 - 2]), np.array([0, 1])), shape=(1, 2**32 - 1))
