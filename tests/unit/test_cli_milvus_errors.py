"""The sparsebolt command line on a real Milvus Lite file when things go wrong: one line on stderr, the right exit
code. Subprocess tests count stderr lines (pymilvus's logging and Lite's engine output included); others run main()."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sparsebolt.cli import EXIT_USAGE, main

pytestmark = pytest.mark.integration

MISSING = "no Milvus Lite database at {}; create it with sparsebolt ingest"


def write_corpus(path: Path, n: int = 40) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            text = "sailing boats and wind" if i % 5 == 0 else f"notes number {i} on cooking rice"
            handle.write(json.dumps({"id": f"d{i}", "text": text, "year": 2000 + i}) + "\n")
    return path


def run_cli(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sparsebolt.cli", *argv], capture_output=True, text=True,
                          timeout=180, cwd=cwd)


@pytest.fixture(scope="module")
def lite_docs(tmp_path_factory) -> tuple[Path, list[str]]:
    """A sparse-only collection in a Lite file written by another process (this one must not hold its lock)."""
    folder = tmp_path_factory.mktemp("cli_errors")
    corpus = write_corpus(folder / "corpus.jsonl")
    base = ["--uri", str(folder / "docs.db"), "--collection", "docs"]
    done = run_cli("ingest", str(corpus), *base, "--dense", "none", cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder, base


@pytest.mark.parametrize("flags, fix", [
    (["-k", "100000000"], "--limit"),
    (["--filter", "year >"], "--filter"),
])
def test_search_refused_by_milvus_is_exit_2_and_one_line(lite_docs, flags, fix):
    folder, base = lite_docs
    done = run_cli("search", "sailing", *base, *flags, "--json", cwd=folder)
    lines = done.stderr.splitlines()
    assert done.returncode == EXIT_USAGE, done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("sparsebolt search: error: Milvus refused the search: ") and fix in lines[0]
    assert "Traceback" not in done.stderr and "mode=" not in done.stderr
    assert done.stdout == ""  # the Lite engine's own output does not reach stdout either


def test_verbose_shows_pymilvus_logging_and_keeps_stdout_clean(lite_docs):
    folder, base = lite_docs
    done = run_cli("search", "sailing", *base, "--filter", "year >", "--json", "--verbose", cwd=folder)
    assert done.returncode == EXIT_USAGE
    assert "_log_rpc_error" in done.stderr and "Traceback" in done.stderr
    assert done.stderr.splitlines()[-1].startswith("sparsebolt search: error: Milvus refused the search: ")
    assert done.stdout == ""


def test_pymilvus_is_quiet_even_when_imported_after_configure_logging(tmp_path):
    # pymilvus configures its loggers with dictConfig when imported; configure_logging must win anyway.
    script = textwrap.dedent("""
        import logging, sys
        from sparsebolt.cli import configure_logging
        assert "pymilvus" not in sys.modules
        configure_logging(False)
        import pymilvus, pymilvus.decorators, pymilvus.milvus_client.milvus_client
        for name in ("pymilvus", "pymilvus.decorators", "pymilvus.milvus_client", "pymilvus.bulk_writer"):
            assert not logging.getLogger(name).isEnabledFor(logging.ERROR), name
        assert logging.getLogger("sparsebolt").isEnabledFor(logging.WARNING)
        configure_logging(True)
        assert logging.getLogger("pymilvus.decorators").isEnabledFor(logging.ERROR)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_search_of_a_missing_lite_file_creates_nothing(tmp_path):
    folder = tmp_path / "not_there"
    uri = str(folder / "m.db")
    done = run_cli("search", "anything", "--uri", uri, cwd=tmp_path)
    assert done.returncode == EXIT_USAGE
    assert done.stderr == f"sparsebolt search: error: {MISSING.format(uri)}\n"
    assert not folder.exists()


def test_search_of_a_missing_lite_file_in_an_existing_folder(tmp_path, capsys):
    uri = tmp_path / "m.db"
    assert main(["search", "anything", "--uri", str(uri)]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.err == f"sparsebolt search: error: {MISSING.format(uri)}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_search_mode_the_collection_cannot_serve_is_said_with_flags(tmp_path, capsys):
    corpus = write_corpus(tmp_path / "c.jsonl", 20)
    base = ["--uri", str(tmp_path / "m.db"), "--collection", "docs"]
    assert main(["ingest", str(corpus), *base, "--dense", "none"]) == 0
    capsys.readouterr()
    for mode in ("dense", "hybrid"):
        assert main(["search", "sailing", *base, "--mode", mode]) == EXIT_USAGE
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "no dense vectors" in err and "use --mode sparse" in err
        assert "mode=" not in err
    assert main(["search", "sailing", *base, "--mode", "sparse", "-k", "1"]) == 0
    assert "sailing" in capsys.readouterr().out


# ---- fit --collection: statistics kept with a collection that holds documents -------------------------------


def _saved_statistics(uri: str, collection: str) -> bytes | None:
    from sparsebolt.milvus import stats
    from sparsebolt.milvus.connection import connect

    client = connect(uri)
    try:
        return stats.load_blob(client, collection, "bm25")
    finally:
        client.close()


@pytest.fixture
def filled(tmp_path, capsys):
    corpus = write_corpus(tmp_path / "corpus.jsonl")
    subset = tmp_path / "subset.jsonl"
    subset.write_text("".join(corpus.read_text(encoding="utf-8").splitlines(keepends=True)[1:6]), encoding="utf-8")
    uri = str(tmp_path / "m.db")
    assert main(["ingest", str(corpus), "--uri", uri, "--collection", "docs", "--dense", "none"]) == 0
    capsys.readouterr()
    return corpus, subset, uri


def test_fit_refuses_to_replace_the_statistics_of_a_collection_with_documents(filled, tmp_path, capsys):
    corpus, subset, uri = filled
    before = _saved_statistics(uri, "docs")
    params = tmp_path / "subset_bm25.json"
    assert main(["fit", str(subset), "-o", str(params), "--uri", uri, "--collection", "docs"]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "holds 40 documents" in captured.err and "--replace-statistics" in captured.err
    assert f"sparsebolt ingest PATH --uri {uri} --collection docs --on-existing upsert" in captured.err
    assert "new collection" in captured.err
    assert _saved_statistics(uri, "docs") == before and not params.exists()


def test_fit_replace_statistics_replaces_them_and_says_to_reingest(filled, tmp_path, capsys):
    corpus, subset, uri = filled
    before = _saved_statistics(uri, "docs")
    params = tmp_path / "subset_bm25.json"
    argv = ["fit", str(subset), "-o", str(params), "--uri", uri, "--collection", "docs", "--replace-statistics"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "kept with collection 'docs'" in out and "--on-existing upsert" in out
    after = _saved_statistics(uri, "docs")
    assert after is not None and after != before

    from sparsebolt.milvus import stats
    from sparsebolt.model.sparse import BM25EmbeddingFunction

    restored = BM25EmbeddingFunction()
    stats.restore_encoder(restored, after)
    assert restored.dim == BM25EmbeddingFunction().load(params).dim
    # The advice works: re-encoding with the new statistics keeps every document findable.
    assert main(["ingest", str(corpus), "--uri", uri, "--collection", "docs", "--dense", "none",
                 "--on-existing", "upsert", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["stored"] == 40


def test_fit_into_an_empty_or_missing_collection_is_as_before(tmp_path, capsys):
    from sparsebolt.milvus.collection import TextCollection
    from sparsebolt.model.sparse import BM25EmbeddingFunction

    corpus = write_corpus(tmp_path / "corpus.jsonl", 10)
    uri = str(tmp_path / "m.db")
    TextCollection(uri, "empty", sparse=BM25EmbeddingFunction()).close()
    for collection in ("empty", "missing"):
        params = tmp_path / f"{collection}.json"
        assert main(["fit", str(corpus), "-o", str(params), "--uri", uri, "--collection", collection,
                     "--json"]) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["collection"] == collection and result["documents"] == 10 and result["reingest"] is None
        assert _saved_statistics(uri, collection) is not None


def test_replace_statistics_needs_a_collection(tmp_path, capsys):
    corpus = write_corpus(tmp_path / "corpus.jsonl", 5)
    assert main(["fit", str(corpus), "-o", str(tmp_path / "p.json"), "--replace-statistics"]) == EXIT_USAGE
    assert "--replace-statistics applies with --collection" in capsys.readouterr().err


# ---- bad input records (sparsebolt.milvus.sources.DataError) --------------------------------------------------


@pytest.fixture
def bad_jsonl(tmp_path) -> Path:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "text": "sailing boats"}\n{"id": "b", "text": "cooking rice"}\n{"id": "c", oops\n'
                    '{"id": "d", "text": "wind"}\n', encoding="utf-8")
    return path


def _collections(uri: str) -> list[str]:
    from sparsebolt.milvus.connection import connect

    client = connect(uri)
    try:
        return [name for name in client.list_collections() if name != "sparsebolt_meta"]
    finally:
        client.close()


def _count(uri: str, collection: str) -> int:
    from sparsebolt.milvus.connection import connect

    client = connect(uri)
    try:
        if not client.has_collection(collection):
            return 0
        client.load_collection(collection)
        rows = client.query(collection, filter="", output_fields=["count(*)"], consistency_level="Strong")
        return int(rows[0]["count(*)"])
    finally:
        client.close()


@pytest.mark.parametrize("fitted", [False, True], ids=["fit-on-input", "bm25-params"])
def test_invalid_json_record_is_exit_2_naming_file_and_line(bad_jsonl, tmp_path, capsys, fitted):
    uri = str(tmp_path / "m.db")
    argv = ["ingest", str(bad_jsonl), "--uri", uri, "--collection", "bad", "--dense", "none"]
    if fitted:
        good = write_corpus(tmp_path / "good.jsonl", 10)
        assert main(["fit", str(good), "-o", str(tmp_path / "p.json")]) == 0
        argv += ["--bm25-params", str(tmp_path / "p.json")]
    capsys.readouterr()
    assert main(argv) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert f"{bad_jsonl}:3" in captured.err and "not valid JSON" in captured.err
    assert _count(uri, "bad") == 0


def test_invalid_json_record_leaves_no_new_collection_behind(bad_jsonl, tmp_path, capsys):
    uri = str(tmp_path / "m.db")
    assert main(["ingest", str(bad_jsonl), "--uri", uri, "--collection", "bad", "--dense", "none"]) == EXIT_USAGE
    capsys.readouterr()
    assert _collections(uri) == []


@pytest.mark.parametrize("record, said, stored", [
    ('{"id": "%s", "text": "an id over 512 bytes"}' % ("x" * 600), "over the 512 bytes", 2),
    ('{"id": "half \\ud83d emoji", "text": "t"}', "lone surrogate", 2),
    ('{"id": "c", "text": "half \\ud83d emoji"}', "lone surrogate", 2),
    ('{"id": "c", "text": "t", "score": NaN}', "nan", 2),
    # Fitting BM25 on the input reads every record before anything is stored: the new collection is removed.
    ('{"id": "c", "body": "no text field"}', "has no 'text' field", 0),
], ids=["long-id", "surrogate-id", "surrogate-text", "nan-metadata", "no-text"])
def test_a_record_that_can_never_be_stored_is_exit_2_naming_its_line(tmp_path, capsys, record, said, stored):
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "a", "text": "sailing boats"}\n{"id": "b", "text": "cooking rice"}\n' + record + "\n",
                    encoding="utf-8")
    uri = str(tmp_path / "m.db")
    argv = ["ingest", str(path), "--uri", uri, "--collection", "c", "--dense", "none", "--batch-size", "2"]
    assert main(argv) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and f"{path}:3" in captured.err and said in captured.err
    assert "run the same command again" not in captured.err  # re-running unchanged would fail the same way
    assert _count(uri, "c") == stored  # records before it are stored; a fixed re-run skips them
