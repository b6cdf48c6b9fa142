"""Crash and resume: SIGKILL an ingesting process mid-way, run it again, and find every id exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

N_DOCS = 3000
BATCH = 50


def _ingest_command(corpus: Path, uri: str) -> list[str]:
    return [sys.executable, "-m", "sparsebolt.cli", "ingest", str(corpus), "--uri", uri, "--collection", "crash",
            "--dense", "none", "--batch-size", str(BATCH), "--no-progress", "--verbose"]


def test_sigkill_mid_ingestion_then_rerun_stores_every_id_once(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    with corpus.open("w") as handle:
        for i in range(N_DOCS):
            handle.write(json.dumps({"id": f"doc-{i}", "text": f"passage {i} about topic{i % 97} and word{i}"}) + "\n")
    uri = str(tmp_path / "crash.db")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(_ingest_command(corpus, uri), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             env=env, text=True)
    stored_batches = 0
    deadline = time.monotonic() + 120
    try:
        assert child.stderr is not None
        for line in child.stderr:
            if "stored batch" in line:
                stored_batches += 1
                if stored_batches == 8:
                    child.send_signal(signal.SIGKILL)
                    break
            if time.monotonic() > deadline:
                break
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)
        if child.stderr is not None:
            child.stderr.close()
    assert stored_batches == 8, "the ingestion finished or failed before it could be killed"
    assert child.returncode == -signal.SIGKILL

    rerun = subprocess.run([*_ingest_command(corpus, uri)[:-1], "--json"], capture_output=True, text=True,
                           timeout=300, env=env)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert summary["skipped"] >= 8 * BATCH  # what was acknowledged before the kill survived it
    assert summary["inserted"] > 0  # and the kill really came mid-way
    assert summary["inserted"] + summary["skipped"] == N_DOCS and summary["stored"] == N_DOCS

    from pymilvus import MilvusClient

    client = MilvusClient(uri)
    try:
        client.load_collection("crash")
        rows = client.query("crash", filter="", output_fields=["id"], limit=16384, consistency_level="Strong")
        # count(*) counts every stored row; a query returns one row per primary key and so hides duplicates.
        counted = int(client.query("crash", filter="", output_fields=["count(*)"],
                                   consistency_level="Strong")[0]["count(*)"])
    finally:
        client.close()
    ids = [r["id"] for r in rows]
    assert counted == len(ids) == len(set(ids)) == N_DOCS
    assert set(ids) == {f"doc-{i}" for i in range(N_DOCS)}
