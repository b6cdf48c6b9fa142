"""The command line reopens a collection with the encoders recorded with it: searches with a non-default analyzer
equal the library's with that analyzer, and a flag that contradicts the recording is a usage error."""

from __future__ import annotations

import json

import pytest

from sparsebolt.cli import EXIT_USAGE, main

pytest.importorskip("milvus_lite")

TEXTS = ["the sailing boats", "sailed in the wind", "a sail and a boat", "cooking the rice", "rice cooker notes",
         "winds that sail", "sailing sailing sailing", "the the the", "boat", "cooked rice for the sailors"]
QUERIES = ["sailing the boats", "the cooked rice"]


@pytest.fixture
def made(tmp_path, capsys):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS)))
    base = ["--uri", str(tmp_path / "m.db"), "--collection", "docs"]
    assert main(["ingest", str(corpus), *base, "--dense", "none", "--stemmer", "none", "--stopwords", "none"]) == 0
    capsys.readouterr()
    return corpus, base, str(tmp_path / "m.db")


def _direct(uri, analyzer):
    from sparsebolt.milvus.collection import TextCollection
    from sparsebolt.sparse import BM25EmbeddingFunction

    with TextCollection(uri, "docs", encoders={"sparse": BM25EmbeddingFunction(analyzer)}, create=False) as col:
        return [[(h.id, round(h.score, 5)) for h in hits] for hits in col.search(QUERIES, mode="sparse", limit=5)]


def test_search_uses_the_recorded_analyzer(made, capsys):
    from sparsebolt.sparse import Analyzer, build_default_analyzer

    _, base, uri = made
    assert main(["search", *QUERIES, *base, "-k", "5", "--json"]) == 0
    cli = [[(h["id"], round(h["score"], 5)) for h in r["hits"]] for r in json.loads(capsys.readouterr().out)]
    assert cli == _direct(uri, Analyzer(stopwords=[], stemmer="none"))
    with pytest.raises(Exception, match="other encoders"):  # the English default is refused, not used silently
        _direct(uri, build_default_analyzer("en"))


def test_ingest_again_uses_the_recorded_encoders_and_conflicting_flags_are_refused(made, capsys):
    corpus, base, _ = made
    assert main(["ingest", str(corpus), *base, "--json"]) == 0  # no flags: the recorded analyzer, all skipped
    assert json.loads(capsys.readouterr().out)["skipped"] == len(TEXTS)
    assert main(["ingest", str(corpus), *base, "--stopwords", "none", "--stemmer", "none", "--dense", "none"]) == 0
    capsys.readouterr()  # flags that agree with the recording are fine
    for flags, said in ((["--stemmer", "english"], "analyzer.stemmer: 'none' vs 'english'"),
                        (["--dense", "minilm"], "no vector field(s) ['dense']"),
                        (["--sparse", "none"], "--sparse none conflicts"),
                        (["--sparse", "milvus-bm25"], "client-side vectors")):
        assert main(["ingest", str(corpus), *base, *flags]) == EXIT_USAGE, flags
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and said in err, (flags, err)


def test_fit_into_the_collection_uses_the_recorded_analyzer(made, tmp_path, capsys):
    corpus, base, uri = made
    out = tmp_path / "p.json"
    assert main(["fit", str(corpus), *base, "-o", str(out), "--replace-statistics", "--json"]) == 0
    dim = json.loads(capsys.readouterr().out)["dim"]
    from sparsebolt.sparse import Analyzer, BM25EmbeddingFunction

    assert dim == BM25EmbeddingFunction(Analyzer(stopwords=[], stemmer="none")).fit(TEXTS).dim
    assert main(["fit", str(corpus), *base, "-o", str(out), "--replace-statistics", "--stemmer", "english"]) == 2
    assert "other encoders" in capsys.readouterr().err


def test_analyzer_flags_need_client_side_bm25(tmp_path, capsys):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"id": "a", "text": "x"}\n')
    code = main(["ingest", str(corpus), "--uri", str(tmp_path / "m.db"), "--sparse", "milvus-bm25", "--stemmer",
                 "none"])
    assert code == EXIT_USAGE and "apply to client-side BM25 only" in capsys.readouterr().err
    code = main(["ingest", str(corpus), "--uri", str(tmp_path / "m.db"), "--stopwords", str(tmp_path / "nope.txt")])
    assert code == EXIT_USAGE and "no such file" in capsys.readouterr().err


def test_the_ray_command_line_takes_the_recorded_encoders(made):
    from sparsebolt.cli_errors import CliError
    from sparsebolt.encoders import recipe_of
    from sparsebolt.milvus.retry import RetryPolicy
    from sparsebolt.ray.__main__ import _encoders, build_parser
    from sparsebolt.sparse import Analyzer, BM25EmbeddingFunction

    corpus, _, uri = made  # the driver reads the recording before starting Ray (a Lite file stands for a server)
    args = build_parser().parse_args(["ingest", str(corpus), "--uri", uri, "--collection", "docs"])
    dense, sparse = _encoders(args, RetryPolicy(attempts=1))
    assert dense is None and sparse.num_workers == 1
    assert recipe_of(sparse) == recipe_of(BM25EmbeddingFunction(Analyzer(stopwords=[], stemmer="none")))
    for flags, said in ((["--sparse", "none"], "--sparse none conflicts"), (["--drop"], None)):
        args = build_parser().parse_args(["ingest", str(corpus), "--uri", uri, "--collection", "docs", *flags])
        if said is None:  # --drop: a new collection, made as the flags (here: the defaults) say
            dense, sparse = _encoders(args, RetryPolicy(attempts=1))
            assert recipe_of(sparse) == recipe_of(BM25EmbeddingFunction()) and callable(dense)
            continue
        with pytest.raises(CliError, match=said):
            _encoders(args, RetryPolicy(attempts=1))
