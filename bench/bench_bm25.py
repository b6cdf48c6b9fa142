"""BM25 fit + encode throughput, peak memory and single-query latency: sparsebolt against its peers.

One command:  .venv/bin/python bench/bench_bm25.py            (add --quick for a 20k-document run)

Each contender runs in its own fresh process (so peak RSS is its own), one after another, on the same
data: msmarco-5k (../shared) and a corpus synthesised from the shared corpora with a fixed seed
(bench/corpora.py; 200,000 documents, ~300 MB). Every contender runs on one thread unless its name
says otherwise. pymilvus-model and rank_bm25 are too slow for the full synthetic corpus, so they run on
its first --slow-docs documents and their times are scaled to the full size (marked "scaled").
pymilvus-model runs twice: with its default NLTK analyzer, and with a PyStemmer analyzer that gives
sparsebolt's exact tokens; rank_bm25 uses the PyStemmer analyzer. sparsebolt runs as two calls (fit, then
encode_documents) and fused (fit_encode_documents, each text analyzed once, as bm25s' tokenize + index).
Prints a markdown table with medians over --repeats runs, and writes bench/results/bm25.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Optional

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from corpora import beir_queries, beir_texts, synthetic_corpus  # noqa: E402
from peers import skip_reason  # noqa: E402

CONTENDERS = [
    "sparsebolt-1t", "sparsebolt-2t", "sparsebolt-fused-1t", "sparsebolt-fused-2t",
    "bm25s", "tantivy", "pymilvus-model", "pymilvus-model-pystemmer", "rank_bm25",
]
SLOW = {"pymilvus-model", "pymilvus-model-pystemmer", "rank_bm25"}
# The modules each peer imports in its worker, and the pip package of each (the test extra has all but tantivy).
PEER_MODULES = {
    "bm25s": ["bm25s", "Stemmer"],
    "tantivy": ["tantivy"],
    "pymilvus-model": ["pymilvus.model", "nltk"],
    "pymilvus-model-pystemmer": ["pymilvus.model", "Stemmer"],
    "rank_bm25": ["rank_bm25", "Stemmer"],
}
PEER_PACKAGES = {"Stemmer": "PyStemmer", "pymilvus.model": "pymilvus-model", "rank_bm25": "rank-bm25"}
TOKEN = re.compile(r"[^\W_]+")


def load_dataset(name: str, documents: int) -> tuple[list[str], list[str]]:
    if name == "msmarco-5k":
        return beir_texts("msmarco-5k"), beir_queries("msmarco-5k")
    return synthetic_corpus(documents), beir_queries("msmarco-5k") + beir_queries("cranfield")


def python_analyzer():
    """A pure-Python analyzer producing the same terms as sparsebolt's default (regex, lowercase,
    NLTK stopwords, PyStemmer): the "equivalent analyzer" for peers that take Python callables."""
    import Stemmer

    from sparsebolt.sparse.stopwords import stopwords

    stop = set(stopwords("english"))
    stem = Stemmer.Stemmer("english").stemWords

    def analyze(text: str) -> list[str]:
        return stem([t for t in TOKEN.findall(text.lower()) if t not in stop])

    return analyze


def nltk_data_missing() -> Optional[str]:
    """A note when pymilvus-model's default analyzer lacks its NLTK data (checked in the parent, before its row)."""
    import nltk

    try:
        nltk.data.find("corpora/stopwords/english")
        nltk.data.find("tokenizers/punkt_tab/english")
    except LookupError:
        return "pymilvus-model skipped: its default analyzer needs NLTK data (run bench/fetch_nltk_data.sh)"
    return None


def unavailable(name: str) -> Optional[str]:
    """Why contender ``name`` cannot run here, or None."""
    reason = skip_reason(name, PEER_MODULES, PEER_PACKAGES)
    if reason is None and name == "pymilvus-model":
        reason = nltk_data_missing()
    return reason


def nltk_default_analyzer(build_default_analyzer):
    import nltk

    try:
        nltk.data.find("corpora/stopwords/english")
        nltk.data.find("tokenizers/punkt_tab/english")
    except LookupError:
        raise SystemExit("pymilvus-model's default analyzer needs NLTK data: run bench/fetch_nltk_data.sh") from None
    return build_default_analyzer(language="en")


def latencies(call, queries: list[str], calls: int = 3000) -> tuple[float, float]:
    samples = []
    for i in range(calls):
        query = queries[i % len(queries)]
        start = time.perf_counter_ns()
        call(query)
        samples.append(time.perf_counter_ns() - start)
    samples.sort()
    return samples[len(samples) // 2] / 1e3, samples[int(len(samples) * 0.99)] / 1e3


def run_contender(name: str, corpus: list[str], queries: list[str]) -> dict:
    result: dict = {}
    if name.startswith("sparsebolt"):
        from sparsebolt.model.sparse import BM25EmbeddingFunction

        ef = BM25EmbeddingFunction(num_workers=int(name[-2]))
        start = time.perf_counter()
        if "fused" in name:  # one call, each text analyzed once: the same work bm25s' tokenize + index does
            matrix = ef.fit_encode_documents(corpus)
            result["fit_s"], result["encode_s"] = time.perf_counter() - start, 0.0
        else:
            ef.fit(corpus)
            result["fit_s"] = time.perf_counter() - start
            start = time.perf_counter()
            matrix = ef.encode_documents(corpus)
            result["encode_s"] = time.perf_counter() - start
        result["nnz"] = int(matrix.nnz)
        result["query_csr_us"] = latencies(lambda q: ef.encode_queries([q]), queries)
        result["query_fast_us"] = latencies(ef.encode_query_as_dict, queries)
    elif name.startswith("pymilvus-model"):
        from pymilvus.model.sparse.bm25.bm25 import BM25EmbeddingFunction
        from pymilvus.model.sparse.bm25.tokenizers import build_default_analyzer

        # Its default analyzer (NLTK word_tokenize, stopwords, Snowball) is what its users get; the
        # PyStemmer variant gives it sparsebolt's exact tokens at Python's best speed.
        analyzer = python_analyzer() if name.endswith("pystemmer") else nltk_default_analyzer(build_default_analyzer)
        ef = BM25EmbeddingFunction(analyzer=analyzer, num_workers=1)
        start = time.perf_counter()
        ef.fit(corpus)
        result["fit_s"] = time.perf_counter() - start
        start = time.perf_counter()
        ef.encode_documents(corpus)
        result["encode_s"] = time.perf_counter() - start
        result["query_csr_us"] = latencies(lambda q: ef.encode_queries([q]), queries, calls=1000)
    elif name == "bm25s":
        import bm25s
        import Stemmer

        stemmer = Stemmer.Stemmer("english")
        start = time.perf_counter()
        tokens = bm25s.tokenize(corpus, stopwords="en", stemmer=stemmer, show_progress=False)
        retriever = bm25s.BM25()
        retriever.index(tokens, show_progress=False)
        result["fit_s"] = time.perf_counter() - start  # tokenize + index: its fit and encode in one
        result["encode_s"] = 0.0
    elif name == "tantivy":
        import tempfile

        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("body", stored=False, tokenizer_name="en_stem")
        schema = builder.build()
        with tempfile.TemporaryDirectory() as folder:
            index = tantivy.Index(schema, path=folder)
            start = time.perf_counter()
            writer = index.writer(heap_size=512_000_000, num_threads=1)
            for text in corpus:
                writer.add_document(tantivy.Document(body=text))
            writer.commit()
            writer.wait_merging_threads()
            result["fit_s"] = time.perf_counter() - start  # indexing computes its postings and norms
            result["encode_s"] = 0.0
    elif name == "rank_bm25":
        from rank_bm25 import BM25Okapi

        analyze = python_analyzer()
        start = time.perf_counter()
        BM25Okapi([analyze(text) for text in corpus])
        result["fit_s"] = time.perf_counter() - start
        result["encode_s"] = 0.0
    else:
        raise SystemExit(f"unknown contender {name!r}; choose from {CONTENDERS}")
    return result


def worker(args: argparse.Namespace) -> None:
    corpus, queries = load_dataset(args.dataset, args.docs)
    if args.limit:
        corpus = corpus[: args.limit]
    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    runs = [run_contender(args.worker, corpus, queries) for _ in range(args.repeats)]
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    merged = {key: runs[0][key] for key in runs[0]}
    for key in ("fit_s", "encode_s"):
        merged[key] = statistics.median(run[key] for run in runs)
    merged.update(
        documents=len(corpus),
        megabytes=sum(len(t.encode("utf-8")) for t in corpus) / 1e6,
        peak_rss_mb=peak_kb / 1024,
        rss_over_corpus_mb=(peak_kb - baseline_kb) / 1024,
    )
    print(json.dumps(merged))


def machine() -> str:
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}, load {load:.2f}")


def package_versions(names: Sequence[str]) -> list[str]:
    """``"name version"`` for each installed distribution, ``"name (absent)"`` for the others (shared by the
    benchmarks, like machine())."""
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (absent)")
    return found


def versions() -> str:
    return ", ".join(package_versions(
        ["sparsebolt", "pymilvus-model", "bm25s", "tantivy", "rank-bm25", "PyStemmer", "numpy", "scipy"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=200_000, help="synthetic corpus size")
    parser.add_argument("--slow-docs", type=int, default=10_000, help="documents for pymilvus-model and rank_bm25")
    parser.add_argument("--repeats", type=int, default=3, help="runs per contender (median reported)")
    parser.add_argument("--quick", action="store_true", help="20,000 synthetic documents, 1 repeat")
    parser.add_argument("--only", nargs="*", default=CONTENDERS, choices=CONTENDERS, metavar="NAME",
                        help=f"contenders to run, of {', '.join(CONTENDERS)}")
    parser.add_argument("--datasets", nargs="*", default=["msmarco-5k", "synthetic"])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--dataset", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    if args.quick:
        args.docs, args.repeats = 20_000, 1

    print(f"machine: {machine()}\nversions: {versions()}\n")
    skipped = {name: reason for name in args.only if (reason := unavailable(name))}
    for reason in skipped.values():
        print(f"note: {reason}", file=sys.stderr)
    rows = []
    for dataset in args.datasets:
        for name in args.only:
            if name in skipped:
                continue
            limit = args.slow_docs if name in SLOW and dataset == "synthetic" and args.slow_docs < args.docs else 0
            repeats = 1 if name in SLOW else args.repeats
            command = [sys.executable, __file__, "--worker", name, "--dataset", dataset, "--docs", str(args.docs),
                       "--limit", str(limit), "--repeats", str(repeats)]
            env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", RAYON_NUM_THREADS="1")
            done = subprocess.run(command, capture_output=True, text=True, env=env)
            if done.returncode != 0:
                print(f"{name} on {dataset} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            result.update(name=name, dataset=dataset, scaled=bool(limit))
            rows.append(result)
            print(f"  ran {name} on {dataset}: {result['fit_s'] + result['encode_s']:.2f} s", file=sys.stderr)
    print_table(rows, args.docs)
    for reason in skipped.values():
        print(f"\nnote: {reason}")
    out = BENCH_DIR / "results" / "bm25.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": machine(), "versions": versions(), "rows": rows}, indent=2))
    print(f"\nwrote {out.relative_to(BENCH_DIR.parent)}")


def print_table(rows: list[dict], full_docs: int) -> None:
    print("| data | contender | docs | fit s | encode s | fit+encode s | docs/s | MB/s | vs sparsebolt-1t | "
          "peak RSS MB | query p50/p99 us (csr) | query p50/p99 us (dict) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for dataset in dict.fromkeys(r["dataset"] for r in rows):
        subset = [r for r in rows if r["dataset"] == dataset]
        ours = next((r for r in subset if r["name"] == "sparsebolt-1t"), None)
        ours_rate = ours["documents"] / (ours["fit_s"] + ours["encode_s"]) if ours else None
        for r in subset:
            total = r["fit_s"] + r["encode_s"]
            rate = r["documents"] / total
            shown_total = f"{total:.2f}"
            if r["scaled"]:
                shown_total = f"{total * full_docs / r['documents']:.0f} (scaled)"
            ratio = ""
            if ours_rate and r is not ours:
                ratio = f"{ours_rate / rate:.1f}x slower" if ours_rate >= rate else f"{rate / ours_rate:.1f}x faster"
            csr = "{:.1f} / {:.1f}".format(*r["query_csr_us"]) if "query_csr_us" in r else ""
            fast = "{:.2f} / {:.2f}".format(*r["query_fast_us"]) if "query_fast_us" in r else ""
            print(f"| {dataset} | {r['name']} | {r['documents']} | {r['fit_s']:.2f} | {r['encode_s']:.2f} | "
                  f"{shown_total} | {rate:,.0f} | {r['megabytes'] / total:.1f} | {ratio} | {r['peak_rss_mb']:.0f} | "
                  f"{csr} | {fast} |")


if __name__ == "__main__":
    main()
