"""Milvus layer benchmark: pipelined ingestion vs the hand-written loop and each stage alone, and search latency.
Prints tables. Backends run in fresh worker processes; a second Python (e.g. a pymilvus 2.5 + milvus-lite 2.5.1
venv) can be compared side by side on the same pre-encoded data with --other-python.

Usage:
    python bench/bench_milvus.py                       # Milvus Lite embedded + `milvus-lite server` process
    SPARSEBOLT_MILVUS_LITE=.venv-lite3/bin/milvus-lite python bench/bench_milvus.py   # server from Lite 3.x's venv
    python bench/bench_milvus.py --other-python /tmp/lite25/bin/python   # + Milvus Lite 2.5.1 side by side
    python bench/bench_milvus.py --quick               # small sizes, for a smoke run
    OMP_NUM_THREADS=1 python bench/bench_milvus.py --stages   # only the stage table: row dicts vs columns

What is measured (medians over --repeats fresh collections):
    encode-only     dense (MiniLM, ONNX Runtime) + sparse (sparsebolt BM25) encoding of the ingest corpus, in batches
    insert-only     client.insert of pre-built rows (the same batches), per backend
    hand loop       for each batch: encode, build rows, insert -- one after the other
    pipeline        TextCollection.ingest (encode batch k+1 while batch k is inserted), skip-if-stored on
    --stages        per stage, old path (row dicts, client.insert) and columnar path side by side on the same
                    pre-encoded batches into Lite embedded: building requests, the Insert RPC alone, both
                    (bench/milvus_stages.py); BM25 short / SciFact-length texts, SPLADE-sized rows, 384-d dense
    search          p50/p99 latency of sequential single-query searches at --rows rows (query vectors pre-encoded,
                    so the figures are Milvus's; query encoding is reported on its own), plus the first (cold) search
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
BATCH = 256  # default; --batch overrides


# ---- data ---------------------------------------------------------------------------------------------


def read_corpus(name: str) -> tuple[list[str], list[str]]:
    from sparsebolt.eval import beir  # here, not at the top: --other-python workers may lack sparsebolt

    return beir.read_corpus(SHARED / name)


def read_queries(name: str) -> list[str]:
    from sparsebolt.eval import beir

    return list(beir.read_queries(SHARED / name).values())


def synthetic_texts(base: list[str], n: int, seed: int = 0) -> list[str]:
    """n passages made by mixing the words of two random real passages (keeps a realistic Zipf vocabulary)."""
    rng = random.Random(seed)
    words = [t.split() for t in base]
    out = []
    for _ in range(n):
        a, b = rng.choice(words), rng.choice(words)
        mixed = a[: len(a) // 2] + b[len(b) // 2 :]
        rng.shuffle(mixed)
        out.append(" ".join(mixed))
    return out


def dense_encoder() -> Any:
    from sparsebolt.dense import DefaultEmbeddingFunction

    return DefaultEmbeddingFunction()


def encode_dense(encoder: Any, texts: list[str], queries: bool = False) -> np.ndarray:
    from sparsebolt.milvus.vectors import dense_matrix, encode_dense

    return dense_matrix(encode_dense(encoder, texts, queries=queries), len(texts), encoder.dim)


# ---- worker side (runs in a fresh process, possibly another Python) ------------------------------------


class Lookup:
    """A query/document "encoder" that returns vectors computed beforehand (so a worker measures Milvus only)."""

    def __init__(self, texts: list[str], dense: Optional[np.ndarray] = None, sparse: Any = None) -> None:
        self.row = {t: i for i, t in enumerate(texts)}
        self.dense, self.sparse = dense, sparse
        self.dim = dense.shape[1] if dense is not None else sparse.shape[1]

    def encode_queries(self, texts: list[str]) -> Any:
        rows = [self.row[t] for t in texts]
        return self.dense[rows] if self.dense is not None else self.sparse[rows]

    encode_documents = encode_queries

    def save(self, path: str) -> None:
        Path(path).write_text(json.dumps({"lookup": True, "dim": int(self.dim)}))

    def load(self, path: str) -> None:  # the collection's saved "statistics" are this table's shape only
        return None


def lite_server_command() -> str:
    """The `milvus-lite` that has a `server` mode (Lite 3.x; the embedded default 2.5.1 has none):
    $SPARSEBOLT_MILVUS_LITE, as in CI and the tests, else the one beside this Python."""
    return os.environ.get("SPARSEBOLT_MILVUS_LITE") or str(Path(sys.executable).with_name("milvus-lite"))


def lite_version_of(command: str) -> str:
    """The milvus-lite version installed beside a `milvus-lite` console script (its first line names its Python)."""
    try:
        with open(command, "rb") as handle:
            python = handle.readline().decode().removeprefix("#!").strip()
        done = subprocess.run([python, "-c", "from importlib.metadata import version; print(version('milvus-lite'))"],
                              capture_output=True, text=True, timeout=60)
        return done.stdout.strip() or "?"
    except (OSError, ValueError, subprocess.SubprocessError):
        return "?"


class LiteServer:
    """A `milvus-lite server` child process (lite_server_command()) in its own session; close() always stops it."""

    def __init__(self, root: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        self.log = (root / "server.log").open("wb")
        self.process = subprocess.Popen(
            [lite_server_command(), "server", "--data-dir", str(root / "server-data"), "--host", "127.0.0.1",
             "--port", str(port)], stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.uri = f"http://127.0.0.1:{port}"
        from pymilvus import MilvusClient

        deadline = time.monotonic() + 60
        while True:
            try:
                MilvusClient(uri=self.uri, timeout=2).list_collections()
                return
            except Exception:  # noqa: BLE001 - not up yet
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.close()
                    raise RuntimeError("milvus-lite server did not start") from None
                time.sleep(0.3)

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


class Backend:
    """A Milvus to talk to: a Lite file in a temp dir, or a `milvus-lite server` child process."""

    def __init__(self, kind: str, root: Path) -> None:
        self.kind, self.root = kind, root
        self.server = LiteServer(root) if kind != "embedded" else None
        self.uri = self.server.uri if self.server is not None else str(root / "bench.db")

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


def _rows(ids: list[str], texts: list[str], dense: Optional[np.ndarray], sparse: Any) -> list[dict[str, Any]]:
    from sparsebolt.milvus.vectors import sparse_rows

    srows = sparse_rows(sparse, len(ids)) if sparse is not None else None
    out = []
    for i, doc_id in enumerate(ids):
        row: dict[str, Any] = {"id": doc_id, "text": texts[i]}
        if dense is not None:
            row["dense"] = dense[i]
        if srows is not None:
            row["sparse"] = srows[i]
        out.append(row)
    return out


def _collection(uri: str, name: str, dense: Any, sparse: Any, index: str) -> Any:
    from sparsebolt.milvus.collection import TextCollection

    return TextCollection(uri, name, dense=dense, sparse=sparse, dense_index_type=index, drop_existing=True)


def engine_cpu_seconds() -> Optional[float]:
    """CPU seconds used so far by this process's embedded Milvus Lite engines (user + system), None without one."""
    manager = sys.modules.get("milvus_lite.server_manager")
    if manager is None:
        return None
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for server in list(manager.server_manager_instance._servers.values()):
        try:
            fields = Path(f"/proc/{server._p.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, AttributeError):
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def _measure_ingest(uri: str, tag: str, ids: list[str], texts: list[str], dense: Any, sparse: Any,
                    pre_dense: Optional[np.ndarray], pre_sparse: Any, args: argparse.Namespace) -> dict[str, float]:
    """docs/s medians; each repeat runs every variant back to back, so load changes hit them alike."""
    n = len(ids)
    timings: dict[str, list[float]] = {}

    def timed(key: str, fn: Any) -> None:
        t = time.perf_counter()
        fn()
        timings.setdefault(key, []).append(time.perf_counter() - t)

    for rep in range(args.repeats):
        col = _collection(uri, f"{tag}_ins{rep}", Lookup(texts, dense=pre_dense) if pre_dense is not None else None,
                          Lookup(texts, sparse=pre_sparse), "AUTOINDEX")
        rows = _rows(ids, texts, pre_dense, pre_sparse)
        timed("insert_only", lambda: [col.client.insert(col.name, rows[s : s + BATCH]) for s in range(0, n, BATCH)])
        col.drop()
        if sparse is None:
            continue

        def encode(batch: list[str]) -> tuple[Any, Any]:
            return (encode_dense(dense, batch) if dense is not None else None), sparse.encode_documents(batch)

        timed("encode_only", lambda: [encode(texts[s : s + BATCH]) for s in range(0, n, BATCH)])
        col = _collection(uri, f"{tag}_loop{rep}", dense, sparse, "AUTOINDEX")

        def hand_loop() -> None:
            for s in range(0, n, BATCH):
                d, sp = encode(texts[s : s + BATCH])
                col.client.insert(col.name, _rows(ids[s : s + BATCH], texts[s : s + BATCH], d, sp))

        timed("hand_loop", hand_loop)
        col.drop()
        docs = [{"id": i, "text": tx} for i, tx in zip(ids, texts)]
        # The final flush is left out here (as in the other rows); the search part times it.
        variants = [("pipeline", "skip")] + ([("pipeline_nocheck", "insert")] if args.with_nocheck else [])
        for key, on_existing in variants:
            col = _collection(uri, f"{tag}_pipe{rep}", dense, sparse, "AUTOINDEX")
            engine_before = engine_cpu_seconds()
            timed(key, lambda: col.ingest(docs, batch_size=BATCH, on_existing=on_existing, flush=False))
            engine_after = engine_cpu_seconds()
            if key == "pipeline" and engine_before is not None and engine_after is not None:
                # the share of the machine's cores the engine itself used while the pipeline ran
                timings.setdefault("engine_share", []).append(
                    (engine_after - engine_before) / (timings[key][-1] * (os.cpu_count() or 1)))
            assert col.count() == n
            col.drop()
    engine_share = timings.pop("engine_share", None)
    out = {"docs": n, **{k: n / statistics.median(v) for k, v in timings.items()}}
    if engine_share:
        out["engine_share"] = statistics.median(engine_share)
    if "encode_only" in timings:  # per repeat, against the slowest stage of that same repeat
        out["pipeline_over_slowest"] = statistics.median(
            max(enc, ins) / pipe  # seconds: the slowest stage takes the longest
            for enc, ins, pipe in zip(timings["encode_only"], timings["insert_only"], timings["pipeline"]))
    return out


def worker(args: argparse.Namespace) -> None:
    from scipy.sparse import csr_array

    data = np.load(args.data, allow_pickle=False)
    meta = json.loads(Path(args.data).with_suffix(".json").read_text())
    root = Path(tempfile.mkdtemp(prefix="sb-bench-"))
    backend = Backend(args.worker, root)
    if backend.server is not None and args.pidfile:
        Path(args.pidfile).write_text(str(backend.server.process.pid))
    result: dict[str, Any] = {"backend": args.worker, "python": sys.executable}
    try:
        import pymilvus

        result["pymilvus"] = pymilvus.__version__
        try:
            from importlib.metadata import version

            result["milvus_lite"] = version("milvus-lite") if backend.server is None else lite_version_of(
                lite_server_command())
        except Exception:  # noqa: BLE001
            result["milvus_lite"] = "?"
        ing_ids, ing_texts = meta["ingest_ids"], meta["ingest_texts"]
        ing_dense = data["ingest_dense"]
        ing_sparse = csr_array((data["ingest_sp_data"], data["ingest_sp_indices"], data["ingest_sp_indptr"]),
                               shape=tuple(data["ingest_sp_shape"]))
        if args.real_encoders:
            from sparsebolt.model.sparse import BM25EmbeddingFunction

            bm25 = BM25EmbeddingFunction()
            bm25.load(meta["bm25_params"])
            result["ingest"] = {}
            if not args.sparse_only:
                result["ingest"]["dense+sparse"] = _measure_ingest(backend.uri, "ds", ing_ids, ing_texts,
                                                                   dense_encoder(), bm25, ing_dense, ing_sparse, args)
            sp_ids, sp_texts = meta["sparse_ids"], meta["sparse_texts"]
            sp_matrix = csr_array((data["sparse_sp_data"], data["sparse_sp_indices"], data["sparse_sp_indptr"]),
                                  shape=tuple(data["sparse_sp_shape"]))
            result["ingest"]["sparse only"] = _measure_ingest(backend.uri, "so", sp_ids, sp_texts, None, bm25, None,
                                                              sp_matrix, args)
        else:
            result["ingest"] = {"dense+sparse": _measure_ingest(backend.uri, "ds", ing_ids, ing_texts, None, None,
                                                                ing_dense, ing_sparse, args)}
        # -- search at scale -------------------------------------------------------------------------
        if args.rows:
            q_texts = meta["query_texts"]
            q_dense, q_sparse = data["query_dense"], csr_array(
                (data["query_sp_data"], data["query_sp_indices"], data["query_sp_indptr"]),
                shape=tuple(data["query_sp_shape"]))
            s_dense = data["search_dense"][: args.rows]
            s_sparse = csr_array((data["search_sp_data"], data["search_sp_indices"], data["search_sp_indptr"]),
                                 shape=tuple(data["search_sp_shape"]))[: args.rows]
            s_texts = meta["search_texts"][: args.rows]
            s_ids = [f"s{i}" for i in range(len(s_texts))]
            dense_q, sparse_q = Lookup(q_texts, dense=q_dense), Lookup(q_texts, sparse=q_sparse)
            col = _collection(backend.uri, "search", dense_q, sparse_q, args.index)
            t = time.perf_counter()
            for s in range(0, len(s_ids), 1000):
                col.client.insert(col.name, _rows(s_ids[s : s + 1000], s_texts[s : s + 1000],
                                                  s_dense[s : s + 1000], s_sparse[s : s + 1000]))
            result["search_rows"] = col.count()
            result["bulk_insert_docs_per_s"] = len(s_ids) / (time.perf_counter() - t)
            t = time.perf_counter()
            col.flush()  # what ingest() does at its end
            result["flush_s"] = time.perf_counter() - t
            # Reopen as a new client would (index build / load happen here or on first search).
            t = time.perf_counter()
            col.client.release_collection(col.name)
            col.client.load_collection(col.name)
            result["load_s"] = time.perf_counter() - t
            search: dict[str, Any] = {}
            for mode in ("sparse", "dense", "hybrid"):
                t = time.perf_counter()
                col.search(q_texts[0], mode=mode, limit=10)
                cold = time.perf_counter() - t
                lat = []
                for _ in range(args.search_rounds):
                    for q in q_texts:
                        t = time.perf_counter()
                        hits = col.search(q, mode=mode, limit=10)
                        lat.append(time.perf_counter() - t)
                        assert hits, (mode, q)
                lat_ms = np.array(lat) * 1000
                search[mode] = {"first_ms": cold * 1000, "p50_ms": float(np.percentile(lat_ms, 50)),
                                "p99_ms": float(np.percentile(lat_ms, 99)), "n": len(lat)}
            result["search"] = search
            col.close()
    finally:
        backend.close()
        if args.pidfile:
            Path(args.pidfile).unlink(missing_ok=True)
        shutil.rmtree(root, ignore_errors=True)
    print("RESULT " + json.dumps(result), flush=True)
    sys.stderr.flush()
    # pymilvus/grpc threads can crash in interpreter teardown after a server went away; the figures are out.
    os._exit(0)


# ---- driver ---------------------------------------------------------------------------------------------


def prepare(args: argparse.Namespace, workdir: Path) -> tuple[Path, dict[str, Any]]:
    from sparsebolt.model.sparse import BM25EmbeddingFunction

    ids, texts = read_corpus("msmarco-5k")
    queries = read_queries("msmarco-5k")[: args.queries]
    ing_ids, ing_texts = ids[: args.docs], texts[: args.docs]
    facts: dict[str, Any] = {}
    dense = dense_encoder()
    bm25 = BM25EmbeddingFunction()
    search_texts = texts + synthetic_texts(texts, max(0, args.rows - len(texts))) if args.rows else []
    search_texts = search_texts[: args.rows]
    bm25.fit(search_texts or texts)
    params = workdir / "bm25.json"
    bm25.save(params)

    t = time.perf_counter()
    for s in range(0, len(ing_texts), BATCH):
        bm25.encode_documents(ing_texts[s : s + BATCH])
    facts["encode_sparse_only_docs_per_s"] = len(ing_texts) / (time.perf_counter() - t)

    sparse_all = bm25.encode_documents(texts)
    ingest_dense = encode_dense(dense, ing_texts)
    ingest_sparse = bm25.encode_documents(ing_texts)
    query_dense = encode_dense(dense, queries, queries=True)
    query_sparse = bm25.encode_queries(queries)
    qt = []
    for q in queries:
        t = time.perf_counter()
        encode_dense(dense, [q], queries=True)
        qt.append(time.perf_counter() - t)
    facts["query_encode_dense_p50_ms"] = statistics.median(qt) * 1000
    qt = []
    for q in queries:
        t = time.perf_counter()
        bm25.encode_query_as_dict(q)
        qt.append(time.perf_counter() - t)
    facts["query_encode_sparse_p50_ms"] = statistics.median(qt) * 1000

    arrays: dict[str, Any] = {"ingest_dense": ingest_dense, "query_dense": query_dense}
    for prefix, m in (("ingest_sp", ingest_sparse), ("query_sp", query_sparse), ("sparse_sp", sparse_all)):
        arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"] = m.data, m.indices
        arrays[f"{prefix}_indptr"], arrays[f"{prefix}_shape"] = m.indptr, np.array(m.shape)
    if args.rows:
        # Dense vectors at scale: MiniLM vectors of 2,000 real passages, repeated with noise and renormalised
        # (encoding 100k passages with MiniLM on 2 cores would take longer than the whole benchmark).
        base = encode_dense(dense, texts[: min(len(texts), 2000)])
        rng = np.random.default_rng(0)
        reps = (base[np.arange(args.rows) % len(base)]
                + rng.normal(0, 0.03, (args.rows, base.shape[1])).astype(np.float32))
        reps /= np.linalg.norm(reps, axis=1, keepdims=True)
        arrays["search_dense"] = reps.astype(np.float32)
        sm = bm25.encode_documents(search_texts)
        arrays["search_sp_data"], arrays["search_sp_indices"] = sm.data, sm.indices
        arrays["search_sp_indptr"], arrays["search_sp_shape"] = sm.indptr, np.array(sm.shape)
    path = workdir / "data.npz"
    np.savez(path, **arrays)
    path.with_suffix(".json").write_text(json.dumps({
        "ingest_ids": ing_ids, "ingest_texts": ing_texts, "sparse_ids": ids, "sparse_texts": texts,
        "query_texts": queries, "search_texts": search_texts,
        "bm25_params": str(params)}))
    return path, facts


def run_worker(python: str, backend: str, data: Path, args: argparse.Namespace, real: bool,
               extra_path: Optional[str] = None) -> dict[str, Any]:
    cmd = [python, str(Path(__file__).resolve()), "--worker", backend, "--data", str(data), "--repeats",
           str(args.repeats), "--rows", str(args.rows), "--search-rounds", str(args.search_rounds),
           "--index", args.index, "--batch", str(args.batch), "--pidfile", str(data.with_name(f"{backend}.pid"))]
    if args.with_nocheck:
        cmd.append("--with-nocheck")
    if args.sparse_only:
        cmd.append("--sparse-only")
    if real:
        cmd.append("--real-encoders")
    env = dict(os.environ)
    if extra_path:
        env["PYTHONPATH"] = extra_path + os.pathsep + env.get("PYTHONPATH", "")
    print(f"[bench] {backend} with {python} ...", file=sys.stderr, flush=True)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    finally:
        _kill_leftover_server(data.with_name(f"{backend}.pid"))
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"worker {backend} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


def _kill_leftover_server(pidfile: Path) -> None:
    """A worker that died cannot stop its `milvus-lite server` child (own session): stop it from here."""
    if not pidfile.is_file():
        return
    pid = int(pidfile.read_text())
    pidfile.unlink()
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def stages(args: argparse.Namespace) -> None:
    import pymilvus

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import milvus_stages

    corpus = read_corpus("msmarco-5k")[1]
    results = milvus_stages.measure(corpus, rows=args.stage_rows, batch=args.batch, repeats=args.repeats)
    print(f"\n## Ingestion stages, rows/s ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; pymilvus {pymilvus.__version__}, "
          f"Milvus Lite {lite_version()} embedded; {args.stage_rows} rows, batch {args.batch}, id + text + vector; "
          f"medians of {args.repeats})\n")
    milvus_stages.print_table(results, table)
    if args.json:
        args.json.write_text(json.dumps({"stages": results, "args": vars(args)}, indent=2, default=str))


def lite_version() -> str:
    try:
        import milvus_lite

        return str(milvus_lite.__version__)
    except (ImportError, AttributeError):
        return "?"


def main() -> None:
    global BATCH
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--docs", type=int, default=2000, help="msmarco-5k passages to ingest (default 2000)")
    p.add_argument("--rows", type=int, default=100_000, help="rows for the search-latency part (0 = skip)")
    p.add_argument("--queries", type=int, default=50)
    p.add_argument("--batch", type=int, default=BATCH, help=f"ingestion batch size (default {BATCH})")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--search-rounds", type=int, default=2, help="passes over the queries per mode")
    p.add_argument("--index", default="AUTOINDEX", help="dense index type at scale (default AUTOINDEX)")
    p.add_argument("--backends", default="embedded,server")
    p.add_argument("--other-python", action="append", default=[],
                   help="another Python (pymilvus/milvus-lite versions) to compare, repeatable; PYTHON=PATH adds PATH "
                        "to its PYTHONPATH and uses the real encoders there (PATH must hold an importable sparsebolt)")
    p.add_argument("--quick", action="store_true", help="--docs 300 --rows 6000 --repeats 1 --queries 10")
    p.add_argument("--json", type=Path, help="also write all figures to this JSON file")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--pidfile", help=argparse.SUPPRESS)
    p.add_argument("--real-encoders", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--with-nocheck", action="store_true", help="also time the pipeline with on_existing='insert'")
    p.add_argument("--sparse-only", action="store_true", help="ingest part: only the sparse-only (insert-bound) rows")
    p.add_argument("--stages", action="store_true", help="only the stage table (row dicts vs columns)")
    p.add_argument("--stage-rows", type=int, default=4096, help="rows per workload of --stages (default 4096)")
    args = p.parse_args()
    BATCH = args.batch
    if args.worker:
        worker(args)
        return
    if args.stages:
        stages(args)
        return
    if args.quick:
        args.docs, args.rows, args.repeats, args.queries, args.search_rounds = 300, 6000, 1, 10, 1
    if not (SHARED / "msmarco-5k" / "corpus.jsonl").is_file():
        sys.exit(f"needs ../shared/data/msmarco-5k next to the repository ({SHARED})")
    workdir = Path(tempfile.mkdtemp(prefix="sb-bench-data-"))
    try:
        t0 = time.perf_counter()
        data, facts = prepare(args, workdir)
        results = [run_worker(sys.executable, b, data, args, real=True) for b in args.backends.split(",") if b]
        for other in args.other_python:
            python, _, path = other.partition("=")
            results.append(run_worker(python, "embedded", data, args, real=bool(path),
                                      extra_path=path or str(REPO / "python")))
        total = time.perf_counter() - t0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    import onnxruntime

    print(f"\n## Milvus layer benchmark ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"onnxruntime {onnxruntime.__version__}; medians of {args.repeats}; batch {args.batch}; "
          f"total {total:.0f}s)\n")
    print("Ingest into each backend, docs/s (higher is better); every repeat runs each variant back to back. "
          "dense+sparse: MiniLM-L6 (384-d, fp32) + sparsebolt BM25 on msmarco-5k passages; sparse only: BM25 alone. "
          "pipeline / slowest stage: the median of each repeat's ratio; engine CPU: the share of all cores the "
          "embedded engine process used while the pipeline ran.\n")
    rows = []
    for r in results:
        for config, d in r["ingest"].items():
            fmt = lambda key: f"{d[key]:.0f}" if key in d else "-"  # noqa: E731
            slowest = min(d["encode_only"], d["insert_only"]) if "encode_only" in d else None
            rows.append([f"Lite {r['milvus_lite']} {r['backend']} (pymilvus {r['pymilvus']})", f"{config} x{d['docs']}",
                         fmt("encode_only"), fmt("insert_only"), fmt("hand_loop"), fmt("pipeline"),
                         fmt("pipeline_nocheck"),
                         f"{d.get('pipeline_over_slowest', d['pipeline'] / slowest):.0%}" if slowest else "-",
                         f"{d['pipeline'] / d['hand_loop']:.2f}x" if "hand_loop" in d else "-",
                         f"{d['engine_share']:.1%}" if "engine_share" in d else "-"])
    print(table(["backend", "vectors x docs", "encode only", "insert only", "hand loop", "pipeline (skip stored)",
                 "pipeline (no check)", "pipeline / slowest stage", "pipeline / hand loop",
                 "engine CPU during the pipeline"], rows))
    print(f"\nsparse encoding alone: {facts['encode_sparse_only_docs_per_s']:.0f} docs/s; "
          f"query encoding p50: dense {facts['query_encode_dense_p50_ms']:.2f} ms, "
          f"sparse {facts['query_encode_sparse_p50_ms']:.3f} ms")
    if args.rows:
        print(f"\nSearch at {args.rows} rows (msmarco-5k passages + synthetic mixes; {args.queries} msmarco queries x "
              f"{args.search_rounds}; limit 10; dense index {args.index}; pre-encoded queries), ms\n")
        rows = []
        for r in results:
            s = r["search"]
            rows.append([f"Lite {r['milvus_lite']} {r['backend']}", f"{r['bulk_insert_docs_per_s']:.0f}",
                         f"{r['flush_s']:.1f} + {r['load_s']:.1f}"]
                        + [f"{s[m]['p50_ms']:.1f} / {s[m]['p99_ms']:.1f}" for m in ("sparse", "dense", "hybrid")]
                        + [" / ".join(f"{s[m]['first_ms']:.0f}" for m in ("sparse", "dense", "hybrid"))])
        print(table(["backend", "insert docs/s", "flush + reload s", "sparse p50/p99", "dense p50/p99",
                     "hybrid p50/p99", "first search s/d/h"], rows))
    if args.json:
        args.json.write_text(json.dumps({"facts": facts, "results": results, "args": vars(args)}, indent=2,
                                        default=str))


if __name__ == "__main__":
    main()
