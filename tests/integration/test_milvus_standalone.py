"""The dense path on a real Milvus server: Milvus 2.3.5 standalone from `pip install milvus==2.3.5` (its own venv).

2.3 has no sparse vectors and no hybrid search, so this proves dense ingestion, resume and search only, on
made-up ids and on the world's data (../shared/data/torture). Skipped unless a `milvus-server` command is found:
$SPARSEBOLT_MILVUS_SERVER, or on PATH.

Its embedded etcd ignores --etcd-port: without a config file it listens on localhost:2379 and :2380, so a second
server on the machine (or one still shutting down) fails to start ("bind: address already in use" in
<data>/logs/milvus-stdout.log) and the wrapper waits forever. The fixture gives it free ports through
$ETCD_CONFIG_PATH (Milvus's etcd.config.path, read by the embedded etcd).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from sparsebolt.milvus.collection import TextCollection
from sparsebolt.milvus.expr import dialect_for
from sparsebolt.milvus.lookup import stored_ids
from sparsebolt.milvus.retry import RetryPolicy
from tests.conftest import SHARED_DATA
from tests.integration.conftest import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

_PORT_OPTIONS = ("--root-coord-port", "--proxy-internal-port", "--query-coord-port", "--query-node-port",
                 "--index-coord-port", "--index-node-port", "--data-coord-port", "--data-node-port")
START_TIMEOUT = 120.0


def _etcd_config(folder: Path) -> tuple[Path, int]:
    """An embedded-etcd config on free client and peer ports (its defaults, 2379 and 2380, are fixed)."""
    client, peer = free_port(), free_port()
    path = folder / "embed-etcd.yaml"
    path.write_text(
        f"listen-client-urls: http://127.0.0.1:{client}\nadvertise-client-urls: http://127.0.0.1:{client}\n"
        f"listen-peer-urls: http://127.0.0.1:{peer}\ninitial-advertise-peer-urls: http://127.0.0.1:{peer}\n"
        f"initial-cluster: default=http://127.0.0.1:{peer}\n",
        encoding="utf-8",
    )
    return path, client


def _server_logs(data: Path) -> str:
    """The wrapper's output and the end of Milvus's own log (where a bind or etcd error shows)."""
    parts = [(data / "server.log").read_text(errors="replace")[-1000:]]
    own = data / "data" / "logs" / "milvus-stdout.log"
    if own.is_file():
        errors = [line[:400] for line in own.read_text(errors="replace").splitlines() if "[ERROR]" in line]
        parts.append("\n".join(errors[-5:]) or own.read_text(errors="replace")[-2000:])
    return "\n".join(parts)


@pytest.fixture(scope="module")
def standalone(tmp_path_factory):
    exe = os.environ.get("SPARSEBOLT_MILVUS_SERVER") or shutil.which("milvus-server")
    if not exe:
        pytest.skip("no milvus-server (pip install milvus==2.3.5 in its own venv, set SPARSEBOLT_MILVUS_SERVER)")
    data = tmp_path_factory.mktemp("milvus-standalone")
    port = free_port()
    etcd_config, etcd_port = _etcd_config(data)
    ports = [arg for option in _PORT_OPTIONS for arg in (option, str(free_port()))]
    log = (data / "server.log").open("wb")
    process = subprocess.Popen(
        [exe, "--data", str(data / "data"), "--proxy-port", str(port), "--etcd-port", str(etcd_port), *ports],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "ETCD_CONFIG_PATH": str(etcd_config)},
    )
    uri = f"http://127.0.0.1:{port}"
    try:
        from pymilvus import MilvusClient

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"milvus-server exited: {_server_logs(data)}")
            try:
                MilvusClient(uri=uri, timeout=3).list_collections()
                break
            except Exception:  # noqa: BLE001 - not ready yet
                if time.monotonic() > deadline:
                    # The wrapper outlives a milvus that died at start: its own log says why.
                    raise RuntimeError(f"milvus-server not ready after {START_TIMEOUT:.0f} s: "
                                       f"{_server_logs(data)}") from None
                time.sleep(1)
        yield uri
    finally:
        # milvus-server starts `milvus run standalone` in a session of its own: find it by its data dir.
        children = _pids_running_from(data)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        _terminate(children)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        log.close()


def _pids_running_from(folder: Path) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(folder) in cmdline and int(entry.name) != os.getpid():
                pids.append(int(entry.name))
    return pids


def _terminate(pids: list[int]) -> None:
    # Its query node's graceful stop can hang for 20 s and more; the data is thrown away, so do not wait long.
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 10.0)):
        alive = []
        for pid in pids:
            try:
                os.kill(pid, sig)
                alive.append(pid)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while alive and time.monotonic() < deadline:
            alive = [pid for pid in alive if Path(f"/proc/{pid}").exists() and not _is_zombie(pid)]
            time.sleep(0.2)
        if not alive:
            return
        pids = alive


def _is_zombie(pid: int) -> bool:
    try:
        return " Z " in Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1][:4]
    except OSError:
        return True


class Seeded:
    """A deterministic dense encoder (unit vectors from each text's hash): enough to check exact search."""

    dim = 16

    def encode_documents(self, texts):
        out = np.stack([np.random.default_rng(abs(hash(t)) % 2**32).standard_normal(self.dim) for t in texts])
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)

    encode_queries = encode_documents


def test_dense_ingest_resume_and_search_on_milvus_2_3(standalone):
    encoder = Seeded()
    docs = [{"id": f"d{i}", "text": f"document number {i}", "group": i % 4} for i in range(400)]
    with TextCollection(standalone, "dense_23", dense=encoder, dense_index_type="FLAT", drop_existing=True) as col:
        first = col.ingest(docs[:150], batch_size=64)
        rest = col.ingest(docs, batch_size=64)
        assert (first.inserted, rest.inserted, rest.skipped, col.count()) == (150, 250, 150, 400)
        matrix = encoder.encode_documents([d["text"] for d in docs])
        query = "document number 7"
        expected = matrix @ encoder.encode_queries([query])[0]
        allowed = [k for k, d in enumerate(docs) if d["group"] == 3]
        order = sorted(allowed, key=lambda k: -expected[k])[:5]
        hits = col.search(query, mode="dense", limit=5, filter="group == 3", output_fields=["group"])
        assert [h.id for h in hits] == [docs[k]["id"] for k in order]
        assert [h.score for h in hits] == pytest.approx([float(expected[k]) for k in order], abs=1e-5)
        assert all(h.fields == {"group": 3} for h in hits)


TORTURE = SHARED_DATA / "torture"


def _records(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def test_torture_ids_and_texts_round_trip_on_milvus_2_3(standalone, dense_encoder):
    """Ids with quotes, backslashes, literal \\u, emoji and newlines; CJK/RTL and empty texts; nested metadata:
    ingest, re-run (nothing inserted), an exact count(*), every id found by the escaped lookup, and every dense
    hit carries its own stored text and fields, with the exact (FLAT) inner product as its score."""
    from pymilvus import MilvusClient

    corpus = TORTURE / "corpus.jsonl"
    if not corpus.is_file():
        pytest.skip(f"shared torture data not found at {corpus}")
    records = _records(corpus)
    expected = {}  # id -> (stored text, metadata), as sparsebolt's input rules say
    for r in records:
        title = r.get("title")
        text = f"{title} {r['text']}" if isinstance(title, str) and title.strip() else r["text"]
        expected[r["_id"]] = (text, {k: v for k, v in r.items() if k not in ("_id", "text")})
    assert len(expected) == len(records)
    ids = list(expected)
    name = "torture_23"
    with TextCollection(standalone, name, dense=dense_encoder, sparse=None, dense_index_type="FLAT",
                        drop_existing=True) as col:
        first = col.ingest(corpus, batch_size=100)
        assert (first.inserted, first.skipped, first.failed) == (len(ids), 0, 0)
        again = col.ingest(corpus, batch_size=100)
        assert (again.inserted, again.skipped, again.failed) == (0, len(ids), 0)
        assert col.count() == len(ids)

        client = MilvusClient(uri=standalone)
        try:
            rows = client.query(name, filter="", output_fields=["count(*)"], consistency_level="Strong")
            assert int(rows[0]["count(*)"]) == len(ids)  # counts duplicates too, unlike a query by id
            found = stored_ids(client, name, "id", ids, dialect=dialect_for(standalone), retry=RetryPolicy())
            assert found == set(ids), sorted(set(ids) - found)[:10]
        finally:
            client.close()

        matrix = dense_encoder.encode_documents([expected[i][0] for i in ids])
        row_of = {doc_id: k for k, doc_id in enumerate(ids)}
        queries = _records(TORTURE / "queries.jsonl")
        vectors = dense_encoder.encode_queries([q["text"] for q in queries])
        fields = ["lang", "n", "note", "tags", "nested", "title"]
        results = col.search([q["text"] for q in queries], mode="dense", limit=10, output_fields=fields)
        assert len(results) == len(queries)
        for query, vector, hits in zip(queries, vectors, results):
            assert len(hits) == 10
            scores = np.asarray(matrix) @ np.asarray(vector)
            best = np.sort(scores)[::-1][:10]
            assert [h.score for h in hits] == pytest.approx(best.tolist(), abs=1e-4), query["_id"]
            # The corpus repeats texts, so ties may come in any order; every clear winner must be there.
            clear = {ids[k] for k in np.flatnonzero(scores > best[-1] + 1e-4)}
            assert clear <= {h.id for h in hits}, query["_id"]
            for hit in hits:
                text, meta = expected[hit.id]
                assert hit.text == text, (query["_id"], hit.id)
                assert hit.fields == {k: v for k, v in meta.items() if k in fields}, (query["_id"], hit.id)
                assert hit.score == pytest.approx(float(scores[row_of[hit.id]]), abs=1e-4), (query["_id"], hit.id)


def test_torture_sigkill_mid_ingest_then_resume_on_milvus_2_3(standalone):
    """The CLI ingesting the torture corpus (MiniLM dense only: 2.3 has no sparse vectors) is SIGKILLed after a
    few batches; the same command again stores the rest, each id once (count(*) and the escaped lookup)."""
    import sys

    from pymilvus import MilvusClient

    corpus = TORTURE / "corpus.jsonl"
    if not corpus.is_file():
        pytest.skip(f"shared torture data not found at {corpus}")
    ids = [r["_id"] for r in _records(corpus)]
    name = "killed_23"
    command = [sys.executable, "-m", "sparsebolt.cli", "ingest", str(corpus), "--uri", standalone, "--collection",
               name, "--sparse", "none", "--batch-size", "50", "--drop", "--no-progress", "--verbose"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, text=True)
    stored = 0
    try:
        assert child.stderr is not None
        for line in child.stderr:
            if "stored batch" in line:
                stored += 1
                if stored == 4:
                    child.kill()
                    break
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=60)
        if child.stderr is not None:
            child.stderr.close()
    assert stored == 4, "the ingestion ended before it could be killed"
    resume = [arg for arg in command if arg not in ("--drop", "--verbose")] + ["--json"]
    rerun = subprocess.run(resume, capture_output=True, text=True, timeout=600, env=env)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    summary = json.loads(rerun.stdout)
    assert summary["skipped"] >= 4 * 50 and summary["inserted"] + summary["skipped"] == len(ids) == summary["stored"]
    client = MilvusClient(uri=standalone)
    try:
        rows = client.query(name, filter="", output_fields=["count(*)"], consistency_level="Strong")
        assert int(rows[0]["count(*)"]) == len(ids)
        assert stored_ids(client, name, "id", ids, dialect=dialect_for(standalone), retry=RetryPolicy()) == set(ids)
    finally:
        client.close()
