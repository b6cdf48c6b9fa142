"""sparsebolt.eval.beir: the shared sets read the same as by a plain csv/json reader written here, both qrels
layouts, the title + text rule, streaming, and file:line errors for malformed input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from sparsebolt.eval.beir import iter_corpus, join_title_text, read_corpus, read_qrels, read_queries
from tests.conftest import beir_dir

SHARED_SETS = ["cranfield", "msmarco-5k", "msmarco-ko-dev/en", "msmarco-ko-dev/ko"]


def jsonl(path: Path) -> list[dict]:
    # split("\n"), not splitlines(): a JSON line may hold U+2028, which splitlines() also breaks at.
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", SHARED_SETS + ["torture"])
def test_shared_corpus_and_queries_match_a_plain_reader(name):
    folder = beir_dir(name)
    records = jsonl(folder / "corpus.jsonl")
    ids, texts = read_corpus(folder)
    assert ids == [str(r["_id"]) for r in records]
    assert texts == [(r.get("title", "") + " " + r.get("text", "")).strip() for r in records]
    assert read_queries(folder) == {str(r["_id"]): r["text"] for r in jsonl(folder / "queries.jsonl")}


@pytest.mark.parametrize("name", SHARED_SETS)
def test_shared_qrels_match_csv(name):
    folder = beir_dir(name)
    with (folder / "qrels.tsv").open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.reader(handle, delimiter="\t") if row[2].lstrip("-").isdigit()]
    expected: dict[str, dict[str, int]] = {}
    for query, doc, grade in rows:
        expected.setdefault(query, {})[doc] = int(grade)
    assert read_qrels(folder) == expected
    assert sum(map(len, expected.values())) > 100  # the file was really read


@pytest.mark.parametrize(
    ("title", "text", "joined"),
    [("T", "body", "T body"), ("", "body", "body"), (None, " body ", "body"), ("T", None, "T"), (None, None, "")],
)
def test_title_text_rule(title, text, joined):
    assert join_title_text(title, text) == joined


def test_corpus_streams_and_skips_blank_lines(tmp_path):
    write(tmp_path, "corpus.jsonl", '{"_id": 1, "title": "A", "text": "b"}\n\n{"_id": "2", "text": "c"}\n{broken\n')
    records = iter_corpus(tmp_path)
    # Lazy: the first records come out before the broken last line is reached.
    assert next(records) == ("1", "A b")
    assert next(records) == ("2", "c")
    with pytest.raises(ValueError, match=r"corpus\.jsonl:4: not valid JSON"):
        next(records)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"text": "no id"}', r"corpus\.jsonl:2: every record needs an '_id'"),
        ('["a list"]', r"corpus\.jsonl:2: expected a JSON object, found list"),
        ('{"_id": "x", "text": 3}', r"corpus\.jsonl:2: 'text' must be a string or null"),
    ],
)
def test_malformed_corpus_lines_name_file_and_line(tmp_path, line, message):
    write(tmp_path, "corpus.jsonl", '{"_id": "ok", "text": "fine"}\n' + line + "\n")
    with pytest.raises(ValueError, match=message):
        read_corpus(tmp_path)


def test_queries_need_text(tmp_path):
    write(tmp_path, "queries.jsonl", '{"_id": "q1", "text": "x"}\n{"_id": "q2"}\n')
    with pytest.raises(ValueError, match=r"queries\.jsonl:2: a query needs a string 'text'"):
        read_queries(tmp_path)


def test_missing_files_say_what_a_beir_folder_holds(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"corpus\.jsonl not found: a BEIR folder holds"):
        read_corpus(tmp_path)
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        read_queries(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match=r"expected qrels\.tsv or qrels/<split>\.tsv"):
        read_qrels(tmp_path)


def test_qrels_layouts(tmp_path):
    flat = tmp_path / "flat"
    write(flat, "qrels.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td2\t0\n\nq2\td1\t1\nq1\td1\t3\n")
    assert read_qrels(flat) == {"q1": {"d1": 3, "d2": 0}, "q2": {"d1": 1}}  # a repeated pair keeps its last grade

    nested = tmp_path / "nested"
    write(nested, "qrels/test.tsv", "q1\td1\t1\n")  # no header: msmarco-5k's layout
    assert read_qrels(nested) == {"q1": {"d1": 1}}
    write(nested, "qrels/dev.tsv", "query-id\tcorpus-id\tscore\nq9\td9\t1\n")
    with pytest.raises(ValueError, match=r"several splits \['dev', 'test'\]: pass split="):
        read_qrels(nested)
    assert read_qrels(nested, split="dev") == {"q9": {"d9": 1}}
    with pytest.raises(FileNotFoundError, match=r"splits in .*\['dev', 'test'\]"):
        read_qrels(nested, split="train")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("q1\td1\t1\nq1 d2 1\n", r"qrels\.tsv:2: expected 3 tab-separated columns"),
        ("q1\t0\td1\t1\n", r"qrels\.tsv:1: expected 3 .*TREC qrels"),
        ("q1\td1\t1\nq1\td2\thigh\n", r"qrels\.tsv:2: score 'high' is not an integer"),
    ],
)
def test_malformed_qrels_name_file_and_line(tmp_path, body, message):
    write(tmp_path, "qrels.tsv", body)
    with pytest.raises(ValueError, match=message):
        read_qrels(tmp_path)
