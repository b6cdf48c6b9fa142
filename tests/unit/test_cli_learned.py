"""The command lines with learned encoders (tiny random models on embedded Milvus Lite): `sparsebolt ingest` with
--sparse splade / --model bge-m3 records them, `sparsebolt search` reopens the collection with them and returns the
library's hits, the Ray command line ships them as factories (BGE-M3 as one for both fields), and model flags that
cannot be right are one-line usage errors."""

from __future__ import annotations

import functools
import json
import shutil

import pyarrow as pa
import pytest

from sparsebolt.cli import EXIT_USAGE, main
from sparsebolt.encoders import recipe_of
from sparsebolt.milvus.collection import TextCollection
from sparsebolt.milvus.retry import RetryPolicy
from tests.unit import test_learned_sparse_collection as learned
from tests.unit.test_learned_sparse_collection import DOCS, CountingM3, make_m3, make_splade, records

pytest.importorskip("milvus_lite")

QUERIES = ["blue sky", "cat ran away"]
# the tiny models of the library tests, built once per module here too
m3_folder, splade_folder, cache = learned.m3_folder, learned.splade_folder, learned.cache


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records()))
    return path


def _cli_hits(capsys, *args):
    assert main(["search", *QUERIES, *args, "-k", "4", "--json"]) == 0
    return [[(h["id"], round(h["score"], 4)) for h in r["hits"]] for r in json.loads(capsys.readouterr().out)]


def _library_hits(uri, name, mode, **encoders):
    with TextCollection(uri, name, create=False, **encoders) as col:
        return [[(h.id, round(h.score, 4)) for h in hits] for hits in col.search(QUERIES, mode=mode, limit=4)]


def test_bge_m3_for_both_fields_is_recorded_and_searched_again(corpus, tmp_path, capsys, m3_folder, cache):
    base = ["--uri", str(tmp_path / "m.db"), "--collection", "m3"]
    assert main(["ingest", str(corpus), *base, "--model", "bge-m3", str(m3_folder), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["stored"] == len(DOCS)
    m3 = make_m3(m3_folder, cache)
    for mode in ("dense", "sparse", "hybrid"):
        assert _cli_hits(capsys, *base, "--mode", mode) == _library_hits(str(tmp_path / "m.db"), "m3", mode,
                                                                         dense=m3, sparse=m3), mode
    # the spelled-out flags name the same model: the recorded one, so a re-run resumes
    flags = ["--dense", "bge-m3", "--sparse", "bge-m3", "--dense-model", str(m3_folder)]
    assert main(["ingest", str(corpus), *base, *flags, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["skipped"] == len(DOCS)


def test_splade_from_the_command_line(corpus, tmp_path, capsys, splade_folder, cache):
    uri = str(tmp_path / "m.db")
    base = ["--uri", uri, "--collection", "sp"]
    assert main(["ingest", str(corpus), *base, "--dense", "none", "--sparse", "splade", "--sparse-model",
                 str(splade_folder)]) == 0
    capsys.readouterr()
    assert _cli_hits(capsys, *base) == _library_hits(uri, "sp", "sparse", sparse=make_splade(splade_folder, cache))
    # a recorded model folder that moved away: one line, exit 2, before the resolver takes it for a hub id
    moved = splade_folder.with_name("moved")
    shutil.move(splade_folder, moved)
    try:
        assert main(["search", "x", *base]) == EXIT_USAGE
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"model folder {splade_folder.resolve()}, which does not exist here" in err
    finally:
        shutil.move(moved, splade_folder)


@pytest.mark.parametrize(("flags", "said"), [
    (["--sparse", "splade", "--sparse-model", "/no/such/splade"], "--sparse-model /no/such/splade: no such model"),
    (["--dense", "bge-m3", "--dense-model", "./nowhere/m3"], "--dense-model ./nowhere/m3: no such model folder"),
    (["--dense-model", "BAAI/bge-m3"], "--dense-model names the model of --dense bge-m3"),
    (["--sparse", "bm25", "--sparse-model", "x"], "--sparse-model names the model of --sparse splade or bge-m3"),
    (["--model", "splade", "x"], "--model takes bge-m3"),
    (["--model", "bge-m3", "x", "--sparse", "bm25"], "leave out --sparse bm25"),
    (["--sparse", "splade", "--stemmer", "none"], "apply to client-side BM25 only"),
])
def test_model_flags_that_cannot_be_right_are_one_line_usage_errors(corpus, tmp_path, capsys, flags, said):
    assert main(["ingest", str(corpus), "--uri", str(tmp_path / "m.db"), *flags]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err, err


def test_a_model_flag_that_is_a_file_is_refused(corpus, tmp_path, capsys):
    assert main(["ingest", str(corpus), "--uri", str(tmp_path / "m.db"), "--sparse", "splade", "--sparse-model",
                 str(corpus)]) == EXIT_USAGE
    assert "not a folder" in capsys.readouterr().err


def test_the_ray_command_line_ships_learned_encoders_as_factories(corpus, tmp_path, m3_folder, splade_folder):
    from sparsebolt.ray.__main__ import _encoders, build_parser

    uri = str(tmp_path / "m.db")
    assert main(["ingest", str(corpus), "--uri", uri, "--collection", "m3", "--model", "bge-m3", str(m3_folder)]) == 0
    args = build_parser().parse_args(["ingest", str(corpus), "--uri", uri, "--collection", "m3"])
    dense, sparse = _encoders(args, RetryPolicy(attempts=1))
    assert sparse is dense and isinstance(dense, functools.partial)  # one factory: one model and pass per worker
    assert recipe_of(dense()).config["model_name"] == str(m3_folder.resolve())
    args = build_parser().parse_args(["ingest", str(corpus), "--uri", uri, "--collection", "new", "--dense", "none",
                                      "--sparse", "splade", "--sparse-model", str(splade_folder),
                                      "--cpus-per-worker", "2"])
    dense, sparse = _encoders(args, RetryPolicy(attempts=1))
    assert dense is None and sparse.keywords == {"threads": 2, "device": "cpu"}
    assert recipe_of(sparse()).name == "splade"


def test_ray_workers_build_one_bge_m3_for_both_fields(tmp_path, m3_folder, cache):
    """The worker classes, run here without a cluster: the encode stage and the ingest actor each build the shared
    factory once, and each batch is one forward pass."""
    from sparsebolt.ray.encode import WorkerEncoders, _EncodeBatches
    from sparsebolt.ray.job import _IngestBatches

    factory = functools.partial(make_m3, m3_folder, cache)
    shipped = WorkerEncoders.of(factory, factory)
    assert shipped.shared and shipped.bm25 is None
    stage = _EncodeBatches(shipped, "text", threads=1)
    encoder = stage.encoders["dense"]
    assert stage.encoders["sparse"] is encoder and isinstance(encoder, CountingM3)
    batch = stage(pa.table({"text": DOCS}))
    assert encoder.documents_calls == 1
    want = encoder.encode_documents(DOCS)
    for i in range(len(DOCS)):
        assert batch.column("dense")[i].as_py() == pytest.approx(want["dense"][i].tolist(), abs=1e-6)
        row = want["sparse"][[i]]
        assert batch.column("sparse_indices")[i].as_py() == row.indices.tolist()
        assert batch.column("sparse_values")[i].as_py() == pytest.approx(row.data.tolist())

    uri = str(tmp_path / "m.db")
    driver = factory()
    TextCollection(uri, "m3", dense=driver, sparse=driver).close()  # the driver creates the collection
    actor = _IngestBatches(uri=uri, token="", db_name="", collection="m3", encoders=shipped, on_existing="skip",
                           batch_size=3, retry=RetryPolicy(attempts=1))
    out = actor(pa.table({"id": [r["id"] for r in records()], "text": DOCS}))
    assert out.column("inserted").to_pylist() == [len(DOCS)]
    assert actor.collection.dense.documents_calls == 3 and actor.collection.sparse is actor.collection.dense
    assert actor.collection.count() == len(DOCS)
    actor.collection.close()
