"""Failures mid-job on Ray, for real: SIGKILL the whole job (driver and its local Ray) and re-run it, and SIGKILL
one ingest worker while the job goes on. Either way every id ends up stored exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from tests.integration.ray_helpers import (  # noqa: F401 - ray_local is a fixture
    IGNORE_RAY_DEPRECATIONS,
    command_line,
    descendants,
    ray_local,
    stored_ids,
    synthetic_corpus,
)

pytestmark = [pytest.mark.integration, IGNORE_RAY_DEPRECATIONS]

from sparsebolt.ray import ingest  # noqa: E402
from sparsebolt.sparse import BM25EmbeddingFunction  # noqa: E402

N_DOCS = 3000
KILL_AFTER = 400  # documents stored before the kill
DEADLINE = 180.0


def _count(uri: str, collection: str) -> int:
    from pymilvus import MilvusClient

    client = MilvusClient(uri=uri, timeout=5)
    try:
        if not client.has_collection(collection):
            return 0
        rows = client.query(collection, filter="", output_fields=["count(*)"], consistency_level="Strong")
        return int(rows[0]["count(*)"])
    except Exception:  # noqa: BLE001 - the collection is being created or loaded: not yet
        return 0
    finally:
        client.close()


def _job(paths, uri: str, collection: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "sparsebolt.ray", "ingest", *map(str, paths), "--uri", uri, "--collection",
            collection, "--dense", "none", "--address", "local", "--num-cpus", "2", "--workers", "2",
            "--batch-size", "50", "--rows-per-call", "200", *extra]


def _live_session_processes(sid: int, wait: float = 10.0) -> list[int]:
    """Processes of session ``sid`` still alive (zombies awaiting their reaper are dead) after up to ``wait`` s."""
    deadline = time.monotonic() + wait
    while True:
        alive = []
        for entry in os.listdir("/proc"):
            try:
                if entry.isdigit() and os.getsid(int(entry)) == sid:
                    with open(f"/proc/{entry}/stat", "rb") as handle:
                        if handle.read().rsplit(b")", 1)[1].split()[0] != b"Z":
                            alive.append(int(entry))
            except OSError:
                continue
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def test_sigkill_the_whole_job_then_rerun_stores_every_id_once(lite_server, tmp_path):
    paths = synthetic_corpus(tmp_path, N_DOCS)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "RAY_DEDUP_LOGS": "0"}
    log = (tmp_path / "killed.log").open("wb")
    # Its own session: the driver, and the local Ray it starts (GCS, raylet, workers), die together.
    child = subprocess.Popen(_job(paths, lite_server.uri, "ray_crash"), stdout=log, stderr=subprocess.STDOUT,
                             env=env, start_new_session=True)
    stored_at_kill = 0
    deadline = time.monotonic() + DEADLINE
    try:
        while time.monotonic() < deadline and child.poll() is None:
            stored_at_kill = _count(lite_server.uri, "ray_crash")
            if stored_at_kill >= KILL_AFTER:
                os.killpg(child.pid, signal.SIGKILL)
                break
            time.sleep(0.2)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        log.close()
        leftovers = _live_session_processes(child.pid)
        for pid in leftovers:
            os.kill(pid, signal.SIGKILL)
    output = (tmp_path / "killed.log").read_text(errors="replace")
    assert child.returncode == -signal.SIGKILL, output[-3000:]
    assert KILL_AFTER <= stored_at_kill < N_DOCS, "the job finished or failed before it could be killed"
    assert not leftovers, f"processes of the killed job outlived it: {leftovers}"

    rerun = subprocess.run(_job(paths, lite_server.uri, "ray_crash", "--json"), capture_output=True, text=True,
                           timeout=DEADLINE, env=env)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    summary = json.loads(rerun.stdout.strip().splitlines()[-1])
    assert summary["skipped"] >= stored_at_kill  # what was stored before the kill survived it
    assert summary["inserted"] + summary["skipped"] == N_DOCS
    ids = stored_ids(lite_server.uri, "ray_crash")
    assert len(ids) == len(set(ids)) == N_DOCS == _count(lite_server.uri, "ray_crash")  # count(*): duplicates too
    assert set(ids) == {f"doc-{i}" for i in range(N_DOCS)}


def test_sigkill_one_worker_mid_job_then_rerun_stores_every_id_once(ray_local, lite_server, tmp_path):
    paths = synthetic_corpus(tmp_path, N_DOCS)
    killed: list[tuple[int, str, int]] = []
    stop = threading.Event()

    def kill_one_worker() -> None:
        deadline = time.monotonic() + DEADLINE
        while not stop.is_set() and time.monotonic() < deadline:
            stored = _count(lite_server.uri, "ray_worker_kill")
            if stored >= KILL_AFTER:
                workers = [pid for pid in descendants(os.getpid()) if "_IngestBatches" in command_line(pid)]
                if workers:
                    os.kill(workers[0], signal.SIGKILL)
                    killed.append((workers[0], command_line(workers[0]), stored))
                    return
            time.sleep(0.1)

    killer = threading.Thread(target=kill_one_worker, daemon=True)
    killer.start()
    try:
        summary = ingest(paths, uri=lite_server.uri, collection="ray_worker_kill", sparse=BM25EmbeddingFunction(),
                         workers=2, batch_size=50, rows_per_call=200)
    finally:
        stop.set()
        killer.join(timeout=30)
    assert killed, "no ingest worker was found to kill"
    assert killed[0][2] < N_DOCS, "the job finished before a worker could be killed"
    # Ray restarted the actor and re-ran its block; the block's stored rows were skipped, none written twice.
    assert summary.inserted + summary.skipped == N_DOCS
    ids = stored_ids(lite_server.uri, "ray_worker_kill")
    assert len(ids) == len(set(ids)) == N_DOCS == _count(lite_server.uri, "ray_worker_kill")  # count(*) too

    again = ingest(paths, uri=lite_server.uri, collection="ray_worker_kill", sparse=BM25EmbeddingFunction(), workers=2)
    assert (again.inserted, again.skipped) == (0, N_DOCS)
    assert sorted(stored_ids(lite_server.uri, "ray_worker_kill")) == sorted(f"doc-{i}" for i in range(N_DOCS))
