"""Dense encoding on a GPU: sparsebolt fp32 on ONNX Runtime's CUDA execution provider against
sentence-transformers on PyTorch CUDA, side by side on one machine.

One command (on a machine with an NVIDIA GPU, onnxruntime-gpu, and optionally torch + sentence-transformers):
    python bench/bench_dense_gpu.py
Each contender runs in its own process on msmarco-5k (../shared, or $SPARSEBOLT_BENCH_DATA): docs/s is the median
of --repeats encodings of all 5,000 passages per batch size; single-query latency encodes each of the 50 queries
alone, --rounds times; fidelity is the cosine to sentence-transformers' reference vectors
(minilm_reference: 64 sentences). The model comes from sparsebolt's usual resolution (e.g. $SPARSEBOLT_MODELS_DIR).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from corpora import SHARED_DATA, beir_queries, beir_texts  # noqa: E402

BATCHES = (32, 128, 512)


def _load(name: str, device: str):
    """(encode(texts, batch_size) -> unit vectors, description of where it runs)."""
    if name == "sentence-transformers":
        import torch
        from sentence_transformers import SentenceTransformer

        from sparsebolt.engine.files import resolve_model

        model = SentenceTransformer(str(resolve_model("all-MiniLM-L6-v2").folder), device=device)

        def encode(texts: list[str], batch_size: int) -> np.ndarray:
            vectors = model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            return vectors

        where = torch.cuda.get_device_name() if device.startswith("cuda") else "CPU"
        return encode, f"torch {torch.__version__} on {where}"
    from sparsebolt.dense import OnnxEmbeddingFunction

    ef = OnnxEmbeddingFunction(device=device)
    return (lambda texts, batch_size: ef.encode(texts, batch_size=batch_size)), str(ef.session.get_providers())


def worker(name: str, device: str, repeats: int, rounds: int) -> None:
    corpus, queries = beir_texts("msmarco-5k"), beir_queries("msmarco-5k")
    started = time.perf_counter()
    encode, where = _load(name, device)
    load_s = time.perf_counter() - started
    for batch in BATCHES:  # warm-up: CUDA kernels and allocator arenas for each batch shape class
        encode(corpus[: 4 * batch], batch)
    rates = {}
    for batch in BATCHES:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            encode(corpus, batch)
            times.append(time.perf_counter() - start)
        rates[batch] = len(corpus) / statistics.median(times)
    latencies = []
    for _ in range(rounds):
        for query in queries:
            start = time.perf_counter()
            encode([query], 1)
            latencies.append(time.perf_counter() - start)
    reference = SHARED_DATA / "minilm_reference"
    sentences = json.loads((reference / "sentences.json").read_text(encoding="utf-8"))
    expected = np.load(reference / "embeddings.npy")
    cosines = (encode(sentences, 32) * expected).sum(1) / np.linalg.norm(expected, axis=1)
    print(json.dumps({
        "name": name, "where": where, "load_s": load_s, "docs_per_s": rates,
        "query_ms": [float(np.percentile(latencies, q) * 1e3) for q in (50, 99)],
        "cos_min": float(cosines.min()), "cos_mean": float(cosines.mean()),
    }))


def _versions() -> str:
    found = []
    for name in ("onnxruntime-gpu", "onnxruntime", "torch", "sentence-transformers", "tokenizers"):
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    try:
        gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True).stdout.strip()
    except FileNotFoundError:
        gpu = ""
    return f"GPU: {gpu or 'nvidia-smi not found'}\nversions: {', '.join(found)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--only", nargs="*", default=["sparsebolt", "sentence-transformers"])
    parser.add_argument("--device", default="cuda", help="cuda, cuda:N, or cpu (a smoke test of this script)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.device, args.repeats, args.rounds)
        return
    print(_versions())
    print(f"data: msmarco-5k, all 5,000 passages per figure, median of {args.repeats}; {args.rounds}x50 queries\n")
    rows = []
    for name in args.only:
        command = [sys.executable, __file__, "--worker", name, "--device", args.device,
                   "--repeats", str(args.repeats), "--rounds", str(args.rounds)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"{name} failed:\n{done.stderr[-3000:]}", file=sys.stderr)
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    header = " | ".join(f"docs/s batch {b}" for b in BATCHES)
    print(f"| contender | runs on | {header} | query p50 / p99 ms | cos to reference min / mean | load s |")
    print("|---|---|" + "---|" * len(BATCHES) + "---|---|---|")
    for r in rows:
        rates = " | ".join(f"{r['docs_per_s'][str(b)]:.0f}" for b in BATCHES)
        print(f"| {r['name']} | {r['where']} | {rates} | {r['query_ms'][0]:.2f} / {r['query_ms'][1]:.2f} | "
              f"{r['cos_min']:.6f} / {r['cos_mean']:.6f} | {r['load_s']:.1f} |")
    by_name = {r["name"]: r for r in rows}
    if {"sparsebolt", "sentence-transformers"} <= by_name.keys():
        ours, theirs = by_name["sparsebolt"], by_name["sentence-transformers"]
        ratio = ", ".join(f"batch {b} {ours['docs_per_s'][str(b)] / theirs['docs_per_s'][str(b)]:.2f}x"
                          for b in BATCHES)
        print(f"\nsparsebolt / sentence-transformers docs/s: {ratio}; "
              f"query p50 {theirs['query_ms'][0] / ours['query_ms'][0]:.2f}x faster")

if __name__ == "__main__":
    main()
