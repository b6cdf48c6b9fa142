"""The sparsebolt command line: help everywhere, errors on stderr with non-zero codes, and real runs on Milvus Lite."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sparsebolt.cli import EXIT_UNAVAILABLE, EXIT_USAGE, main


@pytest.mark.parametrize("argv", [[], ["ingest"], ["search"], ["fit"], ["demo"]])
def test_help_everywhere(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main([*argv, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: sparsebolt" in out and "--help" in out
    if argv and argv[0] != "demo":
        assert "--uri" in out and "--collection" in out and "--json" in out


def test_console_script_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "sparsebolt.cli", "--version"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("sparsebolt ")


def test_no_command_and_unknown_options_are_usage_errors(capsys):
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["search", "q", "--mode", "fuzzy"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_missing_input_file(tmp_path, capsys):
    code = main(["ingest", str(tmp_path / "nope.jsonl"), "--uri", str(tmp_path / "m.db")])
    captured = capsys.readouterr()
    assert code == EXIT_USAGE and captured.out == ""
    assert "no such file" in captured.err


def test_nothing_to_store_is_refused(tmp_path, capsys):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"id": "a", "text": "x"}\n')
    assert main(["ingest", str(corpus), "--dense", "none", "--sparse", "none", "--uri", str(tmp_path / "m.db")]) == 2
    assert "nothing to store" in capsys.readouterr().err


@pytest.mark.integration
def test_unreachable_server_exit_code(capsys):
    from tests.integration.conftest import free_port

    code = main(["search", "anything", "--uri", f"http://127.0.0.1:{free_port()}", "--retries", "2", "--timeout", "2"])
    captured = capsys.readouterr()
    assert code == EXIT_UNAVAILABLE and captured.out == ""
    assert "failed after 2 attempt(s)" in captured.err


@pytest.mark.integration
def test_fit_ingest_search_round_trip(tmp_path, capsys):
    corpus = tmp_path / "corpus.csv"
    corpus.write_text("id,text,lang\n" + "".join(
        f"d{i},{'sailing boats and wind' if i % 5 == 0 else f'notes number {i} on cooking rice'},en\n"
        for i in range(60)), encoding="utf-8")
    uri = str(tmp_path / "cli.db")
    params = tmp_path / "bm25.json"

    assert main(["fit", str(corpus), "-o", str(params), "--json"]) == 0
    fitted = json.loads(capsys.readouterr().out)
    assert fitted["documents"] == 60 and fitted["dim"] > 0 and params.is_file()
    from sparsebolt.model.sparse import BM25EmbeddingFunction

    assert BM25EmbeddingFunction().load(params).dim == fitted["dim"]

    base = ["--uri", uri, "--collection", "cli_docs"]
    assert main(["ingest", str(corpus), *base, "--dense", "none", "--bm25-params", str(params), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["inserted"], summary["skipped"], summary["stored"]) == (60, 0, 60)
    assert main(["ingest", str(corpus), *base, "--dense", "none", "--json"]) == 0  # resume: all skipped
    assert json.loads(capsys.readouterr().out)["skipped"] == 60

    assert main(["search", "sailing wind", "rice", *base, "-k", "3", "--output-fields", "lang", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["mode"] for r in results] == ["sparse", "sparse"]
    assert all(h["id"] in {f"d{i}" for i in range(0, 60, 5)} for h in results[0]["hits"])
    assert results[0]["hits"][0]["fields"] == {"lang": "en"} and len(results[1]["hits"]) == 3

    assert main(["search", "sailing", *base, "--mode", "dense"]) == EXIT_USAGE
    assert "no dense vectors" in capsys.readouterr().err
    assert main(["search", "x", "--uri", uri, "--collection", "missing"]) == EXIT_USAGE
    assert "does not exist" in capsys.readouterr().err

    assert main(["search", "sailing", *base, "-k", "2"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("sparse results for 'sailing':") and " 1. " in text


@pytest.mark.integration
def test_demo_runs_offline_on_the_packaged_corpus(tmp_path, capsys):
    uri = str(tmp_path / "demo.db")
    argv = ["demo", "--uri", uri, "--json", "--limit", "2"]
    try:
        import sparsebolt.dense  # noqa: F401
        from sparsebolt.dense import DefaultEmbeddingFunction  # noqa: F401
    except ImportError:
        argv.append("--no-dense")
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ingested"]["inserted"] == 60
    modes = {r["mode"] for r in out["results"]}
    assert "sparse" in modes and ("--no-dense" in argv or modes == {"sparse", "dense", "hybrid"})
    by_query = {(r["query"], r["mode"]): r["hits"] for r in out["results"]}
    top = by_query[("why does water boil at a lower temperature on a mountain", "sparse")][0]
    assert top["id"] == "demo-003" and top["fields"] == {"topic": "science"}


def test_installed_console_script():
    from pathlib import Path

    script = Path(sys.executable).with_name("sparsebolt")
    if not script.exists():
        pytest.skip("the sparsebolt console script is not installed in this environment")
    result = subprocess.run([str(script), "search", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "usage: sparsebolt search" in result.stdout
