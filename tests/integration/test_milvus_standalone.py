"""The dense path on a real Milvus server: Milvus 2.3.5 standalone from `pip install milvus==2.3.5` (its own venv).

2.3 has no sparse vectors and no hybrid search, so this proves dense ingestion, resume and search only. Skipped
unless a `milvus-server` command is found: $SPARSEBOLT_MILVUS_SERVER, or on PATH.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from sparsebolt.milvus.collection import TextCollection
from tests.integration.conftest import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

_PORT_OPTIONS = ("--etcd-port", "--root-coord-port", "--proxy-internal-port", "--query-coord-port",
                 "--query-node-port", "--index-coord-port", "--index-node-port", "--data-coord-port",
                 "--data-node-port")


@pytest.fixture(scope="module")
def standalone(tmp_path_factory):
    exe = os.environ.get("SPARSEBOLT_MILVUS_SERVER") or shutil.which("milvus-server")
    if not exe:
        pytest.skip("no milvus-server (pip install milvus==2.3.5 in its own venv, set SPARSEBOLT_MILVUS_SERVER)")
    data = tmp_path_factory.mktemp("milvus-standalone")
    port = free_port()
    ports = [arg for option in _PORT_OPTIONS for arg in (option, str(free_port()))]
    log = (data / "server.log").open("wb")
    process = subprocess.Popen([exe, "--data", str(data / "data"), "--proxy-port", str(port), *ports],
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    uri = f"http://127.0.0.1:{port}"
    try:
        from pymilvus import MilvusClient

        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"milvus-server exited: {(data / 'server.log').read_text()[-2000:]}")
            try:
                MilvusClient(uri=uri, timeout=3).list_collections()
                break
            except Exception:  # noqa: BLE001 - not ready yet
                if time.monotonic() > deadline:
                    raise RuntimeError("milvus-server not ready after 120 s") from None
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
    for sig, wait in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 10.0)):
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
