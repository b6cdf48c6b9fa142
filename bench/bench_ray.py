"""Ray Data job vs the single-process pipeline on this machine, and the per-worker rates the scaling estimate uses.
Prints tables (medians over --repeats, each run on a fresh collection) with the machine's conditions.

Usage:
    python bench/bench_ray.py                 # 20,000 synthetic documents, 2 Ray workers, 3 repeats
    python bench/bench_ray.py --quick         # 3,000 documents, 1 repeat (smoke run)
    python bench/bench_ray.py --json out.json

What is measured, all against one `milvus-lite server` process on 127.0.0.1 (the Ray job needs a server):
    BM25 fit        single process (1 and 2 C++ threads, reading the JSONL files) vs sparsebolt.ray.fit_bm25
    sparse ingest   TextCollection.ingest (encode batch k+1 while batch k is written) vs sparsebolt.ray.ingest,
                    both with the same fitted BM25, skip-if-stored on (the resumable default)
    dense ingest    the same with MiniLM (fp32) + BM25 on --dense-docs documents
    per worker      one thread: BM25 encode, MiniLM fp32/int8 encode, and one client's inserts of pre-built rows
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from bench_milvus import LiteServer  # noqa: E402
from corpora import synthetic_corpus  # noqa: E402


def write_corpus(folder: Path, texts: list[str], files: int) -> list[Path]:
    """The corpus as ``files`` JSONL files of uneven size, ids doc-0..; plus one file holding it all."""
    cuts = sorted({int(len(texts) * f) for f in (0.1, 0.35, 0.6)})[: files - 1]
    bounds = [0, *cuts, len(texts)]
    paths = []
    for part, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
        path = folder / f"part-{part}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for i in range(lo, hi):
                handle.write(json.dumps({"id": f"doc-{i}", "text": texts[i]}) + "\n")
        paths.append(path)
    whole = folder / "all.jsonl"
    with whole.open("w", encoding="utf-8") as out:
        for path in paths:
            out.write(path.read_text(encoding="utf-8"))
    return [whole, *paths]


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median seconds over ``repeats`` calls (fn gets a fresh state each time) and the last result."""
    seconds, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--docs", type=int, default=20_000, help="synthetic documents (default 20,000)")
    p.add_argument("--dense-docs", type=int, default=300, help="documents for the dense runs (default 300)")
    p.add_argument("--workers", type=int, default=2, help="Ray ingest actors (default 2: this machine's cores)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="--docs 3000 --dense-docs 200 --repeats 1")
    p.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = p.parse_args()
    if args.quick:
        args.docs, args.dense_docs, args.repeats = 3000, 200, 1

    import ray

    from sparsebolt.milvus import TextCollection
    from sparsebolt.milvus.sources import iter_documents
    from sparsebolt.ray import fit_bm25, ingest, read_documents
    from sparsebolt.sparse import BM25EmbeddingFunction

    texts = synthetic_corpus(args.docs)
    cpus = os.cpu_count() or 1
    results: dict[str, Any] = {"docs": args.docs, "dense_docs": args.dense_docs, "workers": args.workers,
                               "repeats": args.repeats, "cpus": cpus, "ray": ray.__version__}
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
        root = Path(tmp)
        whole, *parts = write_corpus(root, texts, files=4)
        (root / "dense").mkdir()
        dense_whole, *dense_parts = write_corpus(root / "dense", texts[: args.dense_docs], files=2)
        server = LiteServer(root)
        ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False, configure_logging=False)
        ray.data.DataContext.get_current().enable_progress_bars = False
        counter = iter(range(10**6))
        try:
            def single_fit(threads: int) -> Any:
                return BM25EmbeddingFunction(num_workers=threads).fit(d.text for d in iter_documents(whole))

            fit1, fitted = timed(lambda: single_fit(1), args.repeats)
            fit2, _ = timed(lambda: single_fit(2), args.repeats)
            fit_ray, ray_fitted = timed(lambda: fit_bm25(read_documents(parts)), args.repeats)
            assert ray_fitted._model.terms() == fitted._model.terms(), "the Ray fit differs from the single fit"
            results["fit"] = {"single_1_thread": args.docs / fit1, "single_2_threads": args.docs / fit2,
                              "ray": args.docs / fit_ray}

            def single_ingest(dense: Any, source: Path) -> Any:
                name = f"single_{next(counter)}"
                with TextCollection(server.uri, name, dense=dense() if dense else None, sparse=fitted) as c:
                    return c.ingest(str(source))

            def ray_ingest(dense: Any, sources: list[Path]) -> Any:
                return ingest(sources, uri=server.uri, collection=f"ray_{next(counter)}", dense=dense,
                              sparse=fitted, workers=args.workers)

            single_s, summary = timed(lambda: single_ingest(None, whole), args.repeats)
            assert summary.inserted == args.docs
            ray_s, summary = timed(lambda: ray_ingest(None, parts), args.repeats)
            assert summary.inserted == args.docs
            results["sparse_ingest"] = {"single": args.docs / single_s, "ray": args.docs / ray_s}

            dense = _dense_factory()
            if dense is not None:
                n = args.dense_docs
                single_d, summary = timed(lambda: single_ingest(dense, dense_whole), args.repeats)
                assert summary.inserted == n
                ray_d, summary = timed(lambda: ray_ingest(dense, dense_parts), args.repeats)
                assert summary.inserted == n
                results["dense_ingest"] = {"single": n / single_d, "ray": n / ray_d}
            results["per_worker"] = per_worker_rates(fitted, texts, args, server.uri, dense)
        finally:
            ray.shutdown()
            server.close()
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


def _dense_factory() -> Any:
    try:
        from sparsebolt.dense import DefaultEmbeddingFunction

        DefaultEmbeddingFunction()
    except Exception as exc:  # noqa: BLE001 - no dense encoder here: the dense rows are left out
        print(f"(dense encoder unavailable: {exc}; dense rows skipped)", file=sys.stderr)
        return None
    import functools

    return functools.partial(DefaultEmbeddingFunction, threads=1)


def per_worker_rates(fitted: Any, texts: list[str], args: argparse.Namespace, uri: str, dense: Any) -> dict[str, float]:
    """One-thread rates of each stage a worker runs, and one client's insert rate into the server."""
    from pymilvus import MilvusClient

    from sparsebolt.milvus import TextCollection
    from sparsebolt.milvus.vectors import sparse_rows
    from sparsebolt.sparse import BM25EmbeddingFunction

    one = BM25EmbeddingFunction(num_workers=1).fit_statistics(fitted.statistics)
    rates: dict[str, float] = {}
    s, _ = timed(lambda: one.encode_documents(texts), args.repeats)
    rates["bm25_encode"] = len(texts) / s
    if dense is not None:
        from sparsebolt.dense import DefaultEmbeddingFunction

        sample = texts[: args.dense_docs]
        for precision in ("fp32", "int8"):
            try:
                encoder = DefaultEmbeddingFunction(precision=precision, threads=1)
            except Exception as exc:  # noqa: BLE001 - a precision this build cannot make: leave its row out
                print(f"(MiniLM {precision} unavailable: {type(exc).__name__}: {exc})", file=sys.stderr)
                continue
            s, _ = timed(lambda: encoder.encode(sample), args.repeats)
            rates[f"minilm_{precision}_encode"] = len(sample) / s
    vectors = sparse_rows(one.encode_documents(texts), len(texts))
    rows = [{"id": f"doc-{i}", "text": t, "sparse": v} for i, (t, v) in enumerate(zip(texts, vectors))]
    payload = sum(len(r["text"].encode()) + 8 * len(r["sparse"]) + 16 for r in rows)
    rates["row_bytes"] = payload / len(rows)

    def insert_all() -> None:
        name = f"insert_{time.monotonic_ns()}"
        TextCollection(uri, name, sparse=one).close()  # same schema and index as the pipeline's
        client = MilvusClient(uri=uri)
        for start in range(0, len(rows), 256):
            client.insert(name, rows[start : start + 256])
        client.close()

    s, _ = timed(insert_all, args.repeats)
    rates["insert_one_client"] = len(rows) / s
    return rates


def report(r: dict[str, Any]) -> None:
    print(f"\nsparsebolt.ray benchmark: {r['docs']} synthetic documents; Ray {r['ray']} with {r['workers']} workers "
          f"on {r['cpus']} CPUs ({platform.processor() or platform.machine()}, Python {platform.python_version()}); "
          f"milvus-lite server on 127.0.0.1; medians of {r['repeats']} runs\n")
    f = r["fit"]
    print(table(["BM25 fit (read JSONL + count)", "docs/s", "vs single 1 thread"], [
        ["single process, 1 thread", f"{f['single_1_thread']:,.0f}", "1.00x"],
        ["single process, 2 threads", f"{f['single_2_threads']:,.0f}",
         f"{f['single_2_threads'] / f['single_1_thread']:.2f}x"],
        [f"Ray fit_bm25, {r['workers']} CPUs", f"{f['ray']:,.0f}", f"{f['ray'] / f['single_1_thread']:.2f}x"],
    ]))
    rows = []
    for key, label, n in (("sparse_ingest", "BM25 only", r["docs"]),
                          ("dense_ingest", "MiniLM fp32 + BM25", r["dense_docs"])):
        if key in r:
            x = r[key]
            rows.append([f"{label} ({n} docs)", f"{x['single']:,.0f}", f"{x['ray']:,.0f}",
                         f"{x['ray'] / x['single']:.2f}x"])
    print()
    print(table(["ingest into the server", "single-process docs/s", f"Ray job docs/s ({r['workers']} workers)",
                 "Ray / single"], rows))
    w = r["per_worker"]
    print()
    print(table(["one worker thread", "rate"], [
        ["BM25 encode", f"{w['bm25_encode']:,.0f} docs/s"],
        *[[f"MiniLM {p} encode", f"{w[f'minilm_{p}_encode']:,.0f} docs/s"]
          for p in ("fp32", "int8") if f"minilm_{p}_encode" in w],
        ["insert pre-built BM25 rows, one client", f"{w['insert_one_client']:,.0f} rows/s "
                                                    f"({w['insert_one_client'] * w['row_bytes'] / 2**20:.1f} MiB/s)"],
        ["mean row payload (text + sparse)", f"{w['row_bytes']:,.0f} bytes"],
    ]))


if __name__ == "__main__":
    main()
