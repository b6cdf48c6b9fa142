"""Client-side cost of the hosted rerankers and embedding APIs: sparsebolt vs pymilvus.model, same local server.

Usage: .venv/bin/python bench/bench_hosted.py [--calls 200] [--texts 1024] [--dim 1024]

Both clients talk to one local stand-in of the vendor API (sparsebolt.testing.vendor_servers) that answers repeated
requests from memory, so the difference is the client: connection handling, JSON encoding, response decoding and
conversion to numpy. Runs alternate between the clients; the table reports medians and their ratio.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

import numpy as np

from sparsebolt.testing.vendor_servers import API_KEY, VendorServer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import skip_reason  # noqa: E402


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def alternate(runs: Dict[str, Callable[[], Any]], repeats: int) -> Dict[str, List[float]]:
    for fn in runs.values():  # warm-up: connections, caches, imports
        fn()
    times: Dict[str, List[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            times[name].append(timed(fn))
    return times


def row(label: str, times: Dict[str, List[float]], unit: str, per_run: int,
        baseline: str = "pymilvus", candidate: str = "sparsebolt") -> str:
    ours, theirs = statistics.median(times[candidate]), statistics.median(times[baseline])
    return (f"| {label} | {per_run / theirs:,.1f} {unit} | {per_run / ours:,.1f} {unit} | "
            f"{theirs / ours:.2f}x | {theirs * 1e3:.2f} / {ours * 1e3:.2f} |")


def bench_rerank(calls: int) -> str:
    import pymilvus.model.reranker.jinaai as pymilvus_jina

    from sparsebolt.rerank import JinaRerankFunction

    query = "what event in 1956 marked the birth of artificial intelligence"
    documents = [f"document {i}: " + " ".join(["the dartmouth conference of 1956 founded the field"] * 6)
                 for i in range(20)]
    with VendorServer("jina", cache_responses=True) as server:
        pymilvus_jina.API_URL = f"{server.url}/rerank"
        theirs = pymilvus_jina.JinaRerankFunction("jina-reranker-v2-base-multilingual", API_KEY)
        ours = JinaRerankFunction("jina-reranker-v2-base-multilingual", API_KEY, base_url=server.url)
        a, b = theirs(query, documents, top_k=5), ours(query, documents, top_k=5)
        assert [(r.index, r.score, r.text) for r in a] == [(r.index, r.score, r.text) for r in b]
        times = alternate({"pymilvus": lambda: theirs(query, documents, top_k=5),
                           "sparsebolt": lambda: ours(query, documents, top_k=5)}, calls)
        ours.close()
    return row("Jina rerank, 20 docs, top 5 (per call)", times, "calls/s", 1)


def bench_jina_embeddings(n_texts: int, dim: int, repeats: int) -> str:
    import pymilvus.model.dense.jinaai as pymilvus_jina

    from sparsebolt.hosted import JinaEmbeddingFunction

    texts = [f"passage {i} about retrieval and vectors" for i in range(n_texts)]
    with VendorServer("jina", cache_responses=True, native_dim=dim) as server:
        pymilvus_jina.API_URL = f"{server.url}/embeddings"
        theirs = pymilvus_jina.JinaEmbeddingFunction("jina-embeddings-v3", API_KEY)
        ours = JinaEmbeddingFunction("jina-embeddings-v3", API_KEY, base_url=server.url)
        np.testing.assert_allclose(np.stack(theirs.encode_documents(texts)), np.stack(ours.encode_documents(texts)),
                                   rtol=1e-6)
        times = alternate({"pymilvus": lambda: theirs.encode_documents(texts),
                           "sparsebolt": lambda: ours.encode_documents(texts)}, repeats)
        ours.close()
    return row(f"Jina embeddings, {n_texts} texts x {dim} (JSON floats)", times, "texts/s", n_texts)


def bench_openai_encodings(n_texts: int, dim: int, repeats: int) -> str:
    from sparsebolt.hosted import OpenAIEmbeddingFunction

    texts = [f"passage {i} about retrieval and vectors" for i in range(n_texts)]
    with VendorServer("openai", cache_responses=True, native_dim=dim) as server:
        as_float = OpenAIEmbeddingFunction("local", API_KEY, server.url, encoding_format="float")
        as_base64 = OpenAIEmbeddingFunction("local", API_KEY, server.url)
        np.testing.assert_array_equal(np.stack(as_float(texts)), np.stack(as_base64(texts)))
        times = alternate({"float": lambda: as_float(texts), "base64": lambda: as_base64(texts)}, repeats)
        as_float.close()
        as_base64.close()
    return row(f"OpenAI-style embeddings, {n_texts} texts x {dim}", times, "texts/s", n_texts, "float", "base64")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="rerank calls per client")
    parser.add_argument("--texts", type=int, default=1024, help="texts per embedding call")
    parser.add_argument("--dim", type=int, default=1024, help="embedding width")
    parser.add_argument("--repeats", type=int, default=7, help="embedding calls per client")
    args = parser.parse_args()
    print(f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"Python {platform.python_version()};"
          f" local server on 127.0.0.1 (keep-alive, cached bodies); medians over alternating runs")
    print()
    absent = skip_reason("pymilvus.model", {"pymilvus.model": ["pymilvus.model"]}, {"pymilvus.model": "pymilvus-model"})
    if absent:
        print(f"note: {absent}; the comparison rows are skipped")
    else:
        print("| workload | pymilvus.model 0.3.4 | sparsebolt | speed-up | median ms (pymilvus / sparsebolt) |")
        print("|---|---|---|---|---|")
        print(bench_rerank(args.calls))
        print(bench_jina_embeddings(args.texts, args.dim, args.repeats))
    print()
    print("| workload (sparsebolt only) | encoding_format=float | encoding_format=base64 (default) | speed-up |"
          " median ms (float / base64) |")
    print("|---|---|---|---|---|")
    print(bench_openai_encodings(args.texts, args.dim, args.repeats))


if __name__ == "__main__":
    main()
