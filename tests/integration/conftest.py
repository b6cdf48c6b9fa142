"""Integration fixtures: real encoders, Milvus Lite paths, and a `milvus-lite server` process on 127.0.0.1.
The server is started and always killed by the fixture; readiness is awaited with a bounded timeout."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

SERVER_START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def milvus_lite_command() -> list[str]:
    """The `milvus-lite` command if it has the `server` mode (Milvus Lite 3.x; 2.5.x has none), else skip.

    $SPARSEBOLT_MILVUS_LITE may name one from another venv (e.g. milvus-lite 3.x beside an embedded 2.5.1).
    """
    named = os.environ.get("SPARSEBOLT_MILVUS_LITE")
    if named and not Path(named).is_file():
        pytest.fail(f"$SPARSEBOLT_MILVUS_LITE names {named!r}, which does not exist")
    exe = Path(sys.executable).with_name("milvus-lite")
    found = named or (str(exe) if exe.exists() else shutil.which("milvus-lite"))
    if not found:
        pytest.skip("the milvus-lite command (Milvus Lite 3.x server mode) is not installed")
    probe = subprocess.run([found, "server", "--help"], capture_output=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip("this milvus-lite has no `server` mode (Milvus Lite 3.x has it)")
    return [found]


class LiteServer:
    """A `milvus-lite server` child process; stop() kills it whatever state it is in."""

    def __init__(self, data_dir: Path) -> None:
        command = milvus_lite_command()  # may skip: before anything is opened
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.log = data_dir.parent / f"server-{self.port}.log"
        self._log_handle = self.log.open("wb")
        self.process = subprocess.Popen(
            [*command, "server", "--data-dir", str(data_dir), "--host", "127.0.0.1",
             "--port", str(self.port)],
            stdout=self._log_handle, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        from pymilvus import MilvusClient

        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"milvus-lite server exited with {self.process.returncode}: {self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
                client = MilvusClient(uri=self.uri, timeout=5)
                client.list_collections()
                client.close()
                return
            except Exception:  # noqa: BLE001 - not ready yet
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"milvus-lite server not ready after {SERVER_START_TIMEOUT}s: {self.log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log_handle.close()


@pytest.fixture(scope="module")
def lite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiteServer]:
    server = LiteServer(tmp_path_factory.mktemp("lite-server") / "data")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def lite_uri(tmp_path: Path) -> str:
    return str(tmp_path / "milvus.db")


@pytest.fixture
def bm25():
    from sparsebolt.model.sparse import BM25EmbeddingFunction

    return BM25EmbeddingFunction()


@pytest.fixture(scope="session")
def dense_encoder():
    try:
        from sparsebolt.dense import DefaultEmbeddingFunction
    except ImportError as exc:
        pytest.skip(f"sparsebolt.dense is not available: {exc}")
    return DefaultEmbeddingFunction()
