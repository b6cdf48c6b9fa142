"""Document sources: JSONL, CSV/TSV, Parquet, BEIR folders and in-memory iterables, with bad input."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from sparsebolt.milvus.sources import Document, count_documents, derive_id, detect_format, iter_documents


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_texts_get_no_id_and_dicts_keep_metadata():
    docs = list(iter_documents(["plain text", {"id": "a", "text": "hello", "lang": "en"}]))
    assert docs == [Document(None, "plain text", {}), Document("a", "hello", {"lang": "en"})]


def test_jsonl_with_blank_lines_and_unicode(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text('{"id": 1, "text": "caf\\u00e9 \\u6771\\u4eac"}\n\n{"id": 2, "text": ""}\n', encoding="utf-8")
    docs = list(iter_documents(path))
    assert [(d.id, d.text) for d in docs] == [(1, "café 東京"), (2, "")]
    assert count_documents(path) == 2


def test_jsonl_bad_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1, "text": "ok"}\n{not json}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl:2: not valid JSON"):
        list(iter_documents(path))


def test_missing_text_field_says_how_to_fix():
    with pytest.raises(ValueError, match="text_field"):
        list(iter_documents([{"id": "x", "body": "no text key"}]))
    docs = list(iter_documents([{"id": "x", "body": "the text"}], text_field="body"))
    assert docs[0].text == "the text"


def test_non_string_text_and_bad_id_are_rejected():
    with pytest.raises(ValueError, match="must be a string"):
        list(iter_documents([{"id": "x", "text": 3}]))
    with pytest.raises(ValueError, match="must be a str or an int"):
        list(iter_documents([{"id": 1.5, "text": "t"}]))
    with pytest.raises(TypeError, match="expected a str or a dict"):
        list(iter_documents([42]))


def test_csv_and_tsv(tmp_path):
    csv_path = tmp_path / "docs.csv"
    csv_path.write_text('id,text,year\na,"multi\nline, with comma",2020\nb,second,2021\n', encoding="utf-8")
    docs = list(iter_documents(csv_path))
    assert [(d.id, d.text, d.fields) for d in docs] == [
        ("a", "multi\nline, with comma", {"year": "2020"}),
        ("b", "second", {"year": "2021"}),
    ]
    tsv_path = tmp_path / "docs.tsv"
    tsv_path.write_text("id\ttext\nx\thello world\n", encoding="utf-8")
    assert [(d.id, d.text) for d in iter_documents(tsv_path)] == [("x", "hello world")]


def test_csv_row_with_extra_cells_is_an_error(tmp_path):
    path = tmp_path / "docs.csv"
    path.write_text("id,text\na,b,c\n", encoding="utf-8")
    with pytest.raises(ValueError, match="more cells"):
        list(iter_documents(path))


def test_parquet_streams_rows(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "docs.parquet"
    n = 2500  # more than one 1024-row read batch
    pq.write_table(pa.table({"id": [f"d{i}" for i in range(n)], "text": [f"text {i}" for i in range(n)],
                             "score": list(range(n))}), path)
    docs = list(iter_documents(path))
    assert len(docs) == n and count_documents(path) == n
    assert docs[1234] == Document("d1234", "text 1234", {"score": 1234})


def test_beir_folder_joins_title_and_drops_empty_metadata(tmp_path):
    _write_jsonl(tmp_path / "corpus.jsonl", [
        {"_id": "7", "title": "Title", "text": "body", "metadata": {}},
        {"_id": "8", "title": "", "text": "only body", "metadata": {"url": "u"}},
    ])
    docs = list(iter_documents(tmp_path))
    assert docs[0] == Document("7", "Title body", {"title": "Title"})
    assert docs[1] == Document("8", "only body", {"title": "", "metadata": {"url": "u"}})
    assert detect_format(tmp_path) == "beir" and count_documents(tmp_path) == 2


def test_folder_without_corpus_and_unknown_extension(tmp_path):
    with pytest.raises(FileNotFoundError, match="corpus.jsonl"):
        list(iter_documents(tmp_path))
    odd = tmp_path / "docs.xml"
    odd.write_text("<x/>")
    with pytest.raises(ValueError, match="cannot tell the format"):
        list(iter_documents(odd))
    with pytest.raises(FileNotFoundError):
        list(iter_documents(tmp_path / "missing.jsonl"))
    with pytest.raises(ValueError, match="unknown format"):
        list(iter_documents(odd, format="xml"))


def test_derived_ids_are_stable_and_typed():
    assert derive_id("hello") == derive_id("hello") != derive_id("hello ")
    assert len(derive_id("hello")) == 32
    as_int = derive_id("hello", integer=True)
    assert isinstance(as_int, int) and 0 <= as_int < 2**63


def test_count_is_none_for_generators_and_csv(tmp_path):
    assert count_documents(iter(["a"])) is None
    assert count_documents(["a", "b"]) == 2
    path = tmp_path / "d.csv"
    path.write_text("id,text\na,b\n")
    assert count_documents(path) is None


def test_derived_ids_of_valid_text_are_plain_blake2b_of_its_utf8():
    # Ids already stored in Milvus must not change: the reference is hashlib on the strict UTF-8 bytes.
    for text in ("hello", "", "naïve café 東京 \U0001f600"):
        digest = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
        assert derive_id(text) == digest.hex()
        assert derive_id(text, integer=True) == int.from_bytes(digest[:8], "big") & (2**63 - 1)


def test_lone_surrogates_get_stable_distinct_ids():
    texts = ["abc\ud800def", "abc\udc80def", "abc\ufffddef", "abcdef", "abc\ud83d\ude00def", "abc\U0001f600def"]
    ids = [derive_id(text) for text in texts]
    assert len(set(ids)) == len(texts)
    assert ids == [derive_id(text) for text in texts]
    assert len({derive_id(text, integer=True) for text in texts}) == len(texts)
