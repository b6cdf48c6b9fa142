"""Ray Data on a local 2-CPU cluster against a `milvus-lite server` on 127.0.0.1: the distributed BM25 fit
equals the single-machine fit, encoded vectors equal single-process ones, and the job stores every id once."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import beir_dir
from tests.integration.ray_helpers import (  # noqa: F401 - ray_local is a fixture
    IGNORE_RAY_DEPRECATIONS,
    ray,
    ray_local,
    stored_ids,
    synthetic_corpus,
)

pytestmark = [pytest.mark.integration, IGNORE_RAY_DEPRECATIONS]
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from sparsebolt.milvus import stats as milvus_stats  # noqa: E402
from sparsebolt.milvus.sources import iter_documents  # noqa: E402
from sparsebolt.ray import as_documents, encode_documents, fit_bm25, ingest, read_documents  # noqa: E402
from sparsebolt.sparse import BM25EmbeddingFunction  # noqa: E402

N_SYNTHETIC = 2000


@pytest.fixture(scope="module")
def msmarco_files(tmp_path_factory) -> list[Path]:
    """msmarco-5k's corpus as three files of uneven size: two JSONL and one Parquet (two row groups)."""
    lines = (beir_dir("msmarco-5k") / "corpus.jsonl").read_text(encoding="utf-8").split("\n")[:-1]
    folder = tmp_path_factory.mktemp("msmarco")
    first, second = folder / "a.jsonl", folder / "b.jsonl"
    first.write_text("\n".join(lines[:613]) + "\n", encoding="utf-8")
    second.write_text("\n".join(lines[613:3900]) + "\n", encoding="utf-8")
    third = folder / "c.parquet"
    rows = [json.loads(line) for line in lines[3900:]]
    table = pa.table({"_id": [r["_id"] for r in rows], "title": [r["title"] for r in rows],
                      "text": [r["text"] for r in rows]})
    pq.write_table(table, third, row_group_size=700)
    return [first, second, third]


def _single_machine_texts(paths: list[Path]) -> list[str]:
    return [doc.text for path in paths for doc in iter_documents(path)]


def _assert_same_model(fitted: BM25EmbeddingFunction, reference: BM25EmbeddingFunction, texts: list[str]) -> None:
    assert fitted.corpus_size == reference.corpus_size
    assert fitted.avgdl == reference.avgdl
    assert fitted._model.terms() == reference._model.terms()  # same vocabulary order: same term ids
    np.testing.assert_array_equal(fitted._model.idf(), reference._model.idf())
    sample = texts[::97]
    ours, theirs = fitted.encode_documents(sample), reference.encode_documents(sample)
    assert (ours != theirs).nnz == 0 and ours.shape == theirs.shape
    queries = ["what is the boiling point of water", "fahrenheit scale"]
    assert (fitted.encode_queries(queries) != reference.encode_queries(queries)).nnz == 0


@pytest.mark.parametrize(("chunk_bytes", "batch_size", "fan_in"), [(150_000, 500, 3), (64 * 2**20, 16_384, 32)])
def test_distributed_fit_equals_single_machine_fit(ray_local, msmarco_files, chunk_bytes, batch_size, fan_in):
    documents = read_documents(msmarco_files, chunk_bytes=chunk_bytes, rows_per_block=300)
    fitted = fit_bm25(documents, BM25EmbeddingFunction(), batch_size=batch_size, fan_in=fan_in)
    texts = _single_machine_texts(msmarco_files)
    _assert_same_model(fitted, BM25EmbeddingFunction().fit(texts), texts)


def test_fit_of_a_shuffled_dataset_with_an_order_column(ray_local, msmarco_files):
    """Rows in any order (here: shuffled) still fit exactly, given the column that says their place."""
    texts = _single_machine_texts(msmarco_files)
    records = ray.data.from_items([{"row": i, "text": t} for i, t in enumerate(texts)], override_num_blocks=7)
    documents = as_documents(records.random_shuffle(seed=5), order_column="row")
    _assert_same_model(fit_bm25(documents, batch_size=999), BM25EmbeddingFunction().fit(texts), texts)


def test_fit_without_positions_gives_the_same_idf_per_term(ray_local, msmarco_files):
    texts = _single_machine_texts(msmarco_files)
    documents = as_documents(ray.data.from_items([{"text": t} for t in texts], override_num_blocks=5))
    fitted = fit_bm25(documents, order_column=None, batch_size=800)
    reference = BM25EmbeddingFunction().fit(texts)
    ours = dict(zip(fitted._model.terms(), fitted._model.idf().tolist()))
    assert ours == dict(zip(reference._model.terms(), reference._model.idf().tolist()))
    assert fitted.avgdl == reference.avgdl and fitted.corpus_size == reference.corpus_size


def test_fit_refuses_bad_input(ray_local, tmp_path):
    with pytest.raises(TypeError, match="mergeable statistics"):
        fit_bm25(ray.data.from_items([{"text": "a"}]), object())
    with pytest.raises(TypeError, match="ray.data.Dataset"):
        fit_bm25(["a list of texts"])
    with pytest.raises(ValueError, match="fan_in"):
        fit_bm25(ray.data.from_items([{"text": "a"}]), fan_in=1)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="every file given is empty"):
        read_documents(empty)
    with pytest.raises(FileNotFoundError):
        read_documents(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "text": "fine"}\n{"id": 2, "text": oops}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl: byte 26: not valid JSON"):
        fit_bm25(read_documents(bad))
    with pytest.raises(ValueError, match="repeats a value"):
        fit_bm25(as_documents(ray.data.from_items([{"n": 1, "text": "a"}, {"n": 1, "text": "b"}]), order_column="n"))


def _encoded_table(encoded) -> "pa.Table":
    return pa.concat_tables(list(encoded.iter_batches(batch_size=None, batch_format="pyarrow"))).sort_by("position")


def test_encode_documents_equals_single_process_vectors(ray_local, msmarco_files):
    texts = _single_machine_texts(msmarco_files[:1])
    sparse = BM25EmbeddingFunction().fit(texts)
    documents = read_documents(msmarco_files[:1], chunk_bytes=100_000)
    table = _encoded_table(encode_documents(documents, sparse=sparse, batch_size=128, workers=2))
    assert table.column("text").to_pylist() == texts
    reference = sparse.encode_documents(texts)
    indices, values = table.column("sparse_indices").to_pylist(), table.column("sparse_values").to_pylist()
    for i in range(len(texts)):
        row = reference[[i]]
        assert indices[i] == row.indices.tolist() and values[i] == row.data.tolist()
    with pytest.raises(ValueError, match="not fitted"):
        encode_documents(documents, sparse=BM25EmbeddingFunction())
    with pytest.raises(ValueError, match="nothing to encode"):
        encode_documents(documents)


def test_encode_documents_dense_and_sparse(ray_local, msmarco_files, tmp_path):
    dense = _dense_factory_or_none()
    if dense is None:
        pytest.skip("the dense encoder cannot be built here")
    small = tmp_path / "small.jsonl"
    small.write_text("".join(msmarco_files[0].read_text(encoding="utf-8").splitlines(keepends=True)[:64]))
    texts = _single_machine_texts([small])
    sparse = BM25EmbeddingFunction().fit(texts)
    documents = read_documents(small, chunk_bytes=8_000)  # several read chunks, for both workers
    table = _encoded_table(encode_documents(documents, dense=dense, sparse=sparse, batch_size=32, workers=2))
    expected = np.stack(dense().encode_documents(texts))
    got = np.array(table.column("dense").to_pylist(), dtype=np.float32)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert table.column("sparse_indices").to_pylist()[5] == sparse.encode_documents([texts[5]]).indices.tolist()


def _dense_factory_or_none():
    """MiniLM with one ONNX thread per Ray worker (two workers share this machine's two cores), or None."""
    import functools

    try:
        from sparsebolt.dense import DefaultEmbeddingFunction
    except ImportError:
        return None
    factory = functools.partial(DefaultEmbeddingFunction, threads=1)
    try:
        factory()
    except Exception:  # noqa: BLE001 - no model files offline: test the sparse side only
        return None
    return factory


# ---- the ingestion job ---------------------------------------------------------------------------------


def test_ingest_job_stores_every_id_once_with_the_single_machine_bm25(ray_local, lite_server, tmp_path):
    paths = synthetic_corpus(tmp_path, N_SYNTHETIC)
    sparse = BM25EmbeddingFunction()
    summary = ingest(paths, uri=lite_server.uri, collection="ray_job", sparse=sparse, workers=2, batch_size=100,
                     rows_per_call=400)
    assert (summary.inserted, summary.skipped) == (N_SYNTHETIC, 0)
    ids = stored_ids(lite_server.uri, "ray_job")
    assert len(ids) == len(set(ids)) == N_SYNTHETIC
    assert set(ids) == {f"doc-{i}" for i in range(N_SYNTHETIC)}

    # The statistics saved with the collection are those of a single-machine fit over the same files.
    reference = BM25EmbeddingFunction().fit(_single_machine_texts(paths))
    from pymilvus import MilvusClient

    client = MilvusClient(uri=lite_server.uri)
    try:
        saved = milvus_stats.load_blob(client, "ray_job", "bm25")
        rows = client.query("ray_job", filter='id in ["doc-7", "doc-1500"]', output_fields=["id", "group", "sparse"])
    finally:
        client.close()
    assert saved == milvus_stats.encoder_state(reference)
    by_id = {row["id"]: row for row in rows}
    assert by_id["doc-7"]["group"] == 2
    expected = reference.encode_documents([f"passage 1500 about topic{1500 % 97} and word1500"])
    stored = by_id["doc-1500"]["sparse"]
    assert {int(k): pytest.approx(float(v), rel=1e-6) for k, v in stored.items()} == dict(
        zip(expected.indices.tolist(), expected.data.tolist()))

    # A re-run finds everything stored, takes the saved statistics instead of refitting, and adds nothing.
    again = ingest(paths, uri=lite_server.uri, collection="ray_job", sparse=BM25EmbeddingFunction(), workers=2,
                   rows_per_call=400)
    assert (again.inserted, again.skipped) == (0, N_SYNTHETIC)
    assert len(stored_ids(lite_server.uri, "ray_job")) == N_SYNTHETIC


def test_ingest_dense_only(ray_local, lite_server, tmp_path):
    dense = _dense_factory_or_none()
    if dense is None:
        pytest.skip("the dense encoder cannot be built here")
    paths = synthetic_corpus(tmp_path, 300)
    summary = ingest(paths, uri=lite_server.uri, collection="ray_dense", dense=dense, workers=1, rows_per_call=150)
    assert summary.inserted == 300
    ids = stored_ids(lite_server.uri, "ray_dense")
    assert sorted(ids) == sorted(f"doc-{i}" for i in range(300))


def test_ingest_refuses_bad_input(ray_local, tmp_path):
    paths = synthetic_corpus(tmp_path, 10)
    with pytest.raises(ValueError, match="Milvus Lite file"):
        ingest(paths, uri=str(tmp_path / "x.db"), sparse=BM25EmbeddingFunction())
    with pytest.raises(ValueError, match="nothing to store"):
        ingest(paths, uri="http://127.0.0.1:1")
    with pytest.raises(ValueError, match="on_existing"):
        ingest(paths, uri="http://127.0.0.1:1", sparse=BM25EmbeddingFunction(), on_existing="merge")
    with pytest.raises(TypeError, match="BM25EmbeddingFunction"):
        ingest(paths, uri="http://127.0.0.1:1", sparse=object())
    with pytest.raises(TypeError, match="source must be"):
        ingest(42, uri="http://127.0.0.1:1", sparse=BM25EmbeddingFunction())


def test_a_bad_record_stops_the_job_with_resume_advice_and_the_fixed_rerun_completes(ray_local, lite_server, tmp_path):
    from sparsebolt.milvus import IngestError

    paths = synthetic_corpus(tmp_path, 600)
    lines = paths[1].read_text().splitlines(keepends=True)
    good = lines[300]
    lines[300] = json.dumps({"id": "broken", "body": "no text field"}) + "\n"
    paths[1].write_text("".join(lines))
    with pytest.raises(IngestError, match=r"has no 'text' field.*run the same job again"):
        ingest(paths, uri=lite_server.uri, collection="ray_bad", sparse=BM25EmbeddingFunction().fit(["a b"]),
               workers=1, rows_per_call=100)
    lines[300] = good
    paths[1].write_text("".join(lines))
    # The collection keeps the statistics saved by the failed run; an unfitted encoder takes them.
    summary = ingest(paths, uri=lite_server.uri, collection="ray_bad", sparse=BM25EmbeddingFunction(), workers=1)
    assert summary.inserted + summary.skipped == 600
    assert sorted(stored_ids(lite_server.uri, "ray_bad")) == sorted(f"doc-{i}" for i in range(600))


@pytest.mark.parametrize(
    ("more_paths", "options", "message"),
    [([], ["--dense", "none", "--sparse", "none"], "nothing to store"),
     ([], ["--uri", "./x.db"], "Milvus Lite file"),
     (["missing.jsonl"], ["--dense", "none"], "no such file")],
)
def test_cli_usage_errors_exit_2_before_starting_ray(tmp_path, more_paths, options, message):
    import subprocess
    import sys

    corpus = synthetic_corpus(tmp_path, 5)[0]
    command = [sys.executable, "-m", "sparsebolt.ray", "ingest", str(corpus), *more_paths,
               "--uri", "http://127.0.0.1:1", *options]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Ray cluster" not in done.stderr  # refused before any Ray process started


def test_ingest_job_on_the_torture_corpus_stores_every_id_once(ray_local, lite_server, tmp_path):
    """Ids with quotes, backslashes, literal \\u, emoji and newlines, across Ray workers: every id once, then a
    re-run adds nothing (count(*) counts duplicates; the escaped lookup finds each id)."""
    from pymilvus import MilvusClient

    from sparsebolt.milvus.expr import dialect_for
    from sparsebolt.milvus.lookup import stored_ids as lookup_ids
    from sparsebolt.milvus.retry import RetryPolicy
    from tests.conftest import SHARED_DATA

    corpus = SHARED_DATA / "torture" / "corpus.jsonl"
    if not corpus.is_file():
        pytest.skip(f"shared torture data not found at {corpus}")
    lines = [line for line in corpus.read_text(encoding="utf-8").splitlines(keepends=True) if line.strip()]
    ids = [json.loads(line)["_id"] for line in lines]
    halves = [tmp_path / "torture-a.jsonl", tmp_path / "torture-b.jsonl"]  # one file per worker
    halves[0].write_text("".join(lines[::2]), encoding="utf-8")
    halves[1].write_text("".join(lines[1::2]), encoding="utf-8")
    paths = [str(p) for p in halves]
    summary = ingest(paths, uri=lite_server.uri, collection="ray_torture", sparse=BM25EmbeddingFunction(),
                     workers=2, batch_size=100, rows_per_call=300)
    assert (summary.inserted, summary.skipped) == (len(ids), 0)
    again = ingest(paths, uri=lite_server.uri, collection="ray_torture", sparse=BM25EmbeddingFunction(),
                   workers=2, rows_per_call=300)
    assert (again.inserted, again.skipped) == (0, len(ids))
    client = MilvusClient(uri=lite_server.uri)
    try:
        rows = client.query("ray_torture", filter="", output_fields=["count(*)"], consistency_level="Strong")
        assert int(rows[0]["count(*)"]) == len(ids)
        found = lookup_ids(client, "ray_torture", "id", ids, dialect=dialect_for(lite_server.uri), retry=RetryPolicy())
        assert found == set(ids)
    finally:
        client.close()
