"""BGE-M3 throughput on ONNX Runtime at the real model size, and its share of the CPU's fp32 GEMM ceiling.

One command:  .venv/bin/python bench/bench_bge_m3.py            (--vocab 30000 for a 1.2 GB smaller build)
No BGE-M3 weights can be downloaded here, so the benchmark builds a random model of BGE-M3's shape in a temp
folder, in FlagEmbedding's layout: XLM-R large (24 layers, hidden 1024, 16 heads, FFN 4096, 8194 positions,
vocabulary 250002 by default) as model.safetensors, sparse_linear.pt (1024 -> 1) and colbert_linear.pt
(1024 -> 1024) written in torch.save's zip format, and a SentencePiece-style unigram tokenizer over the words of
msmarco-5k (../shared). Speed does not depend on the weights' values, and barely on the vocabulary (one table
lookup per token). The graph is then built and cached as BGEM3EmbeddingFunction builds it.

Each thread count runs in its own fresh process: docs/s is the median over --repeats encodings (dense, sparse
and ColBERT outputs) of --docs texts of exactly --length tokens (msmarco passages joined, then truncated), after
one warm-up batch. The ceiling is the faster of numpy's sgemm and onnxruntime's MatMul (MLAS) on the same thread
count at one layer's GEMM shapes for a batch ([batch x length, 1024] times the Q, K, V, output, FFN-in and
FFN-out weights), best of 5 runs before and after the encodings, in GFLOP/s, turned into docs/s with
24 x (2 L (4 H^2 + 2 H F) + 4 L^2 H) + 2 L H (D + 1) FLOPs per text (the heads included); the share is also
given per CPU-second (docs per CPU-second against the GEMM's GFLOP per CPU-second), which other jobs' load moves
far less than wall-clock rates. Post-processing (CLS
pooling, lexical CSR rows, ColBERT cuts and norms) is timed on its own on the same batch shapes.
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
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from corpora import beir_texts  # noqa: E402

LAYERS, HIDDEN, HEADS, FFN, POSITIONS = 24, 1024, 16, 4096, 8194
COLBERT = 1024
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]


# workers: each runs in its own process -------------------------------------------------------------------
def build_worker(folder: Path, vocab: int) -> None:
    """The random BGE-M3 folder: config.json, model.safetensors, both heads, tokenizer.json."""
    from safetensors.numpy import save_file

    from sparsebolt.testing.torch_checkpoints import torch_save

    start = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "architectures": ["XLMRobertaModel"], "model_type": "xlm-roberta", "vocab_size": vocab,
        "hidden_size": HIDDEN, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "intermediate_size": FFN,
        "max_position_embeddings": POSITIONS, "type_vocab_size": 1, "layer_norm_eps": 1e-5, "hidden_act": "gelu",
        "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2,
    }
    (folder / "config.json").write_text(json.dumps(config))
    rng = np.random.default_rng(0)

    def normal(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(0.02)

    tensors = {
        "embeddings.word_embeddings.weight": normal(vocab, HIDDEN),
        "embeddings.position_embeddings.weight": normal(POSITIONS, HIDDEN),
        "embeddings.token_type_embeddings.weight": normal(1, HIDDEN),
        "embeddings.LayerNorm.weight": np.ones(HIDDEN, np.float32),
        "embeddings.LayerNorm.bias": np.zeros(HIDDEN, np.float32),
    }
    shapes = {"attention.self.query": (HIDDEN, HIDDEN), "attention.self.key": (HIDDEN, HIDDEN),
              "attention.self.value": (HIDDEN, HIDDEN), "attention.output.dense": (HIDDEN, HIDDEN),
              "intermediate.dense": (FFN, HIDDEN), "output.dense": (HIDDEN, FFN)}
    for i in range(LAYERS):
        prefix = f"encoder.layer.{i}."
        for name, (out_dim, in_dim) in shapes.items():
            tensors[prefix + name + ".weight"] = normal(out_dim, in_dim)
            tensors[prefix + name + ".bias"] = np.zeros(out_dim, np.float32)
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            tensors[prefix + norm + ".weight"] = np.ones(HIDDEN, np.float32)
            tensors[prefix + norm + ".bias"] = np.zeros(HIDDEN, np.float32)
    save_file(tensors, str(folder / "model.safetensors"))
    del tensors
    torch_save(folder / "sparse_linear.pt", {"weight": normal(1, HIDDEN), "bias": np.zeros(1, np.float32)})
    torch_save(folder / "colbert_linear.pt", {"weight": normal(COLBERT, HIDDEN), "bias": np.zeros(COLBERT, np.float32)})
    _write_tokenizer(folder / "tokenizer.json", vocab)
    print(json.dumps({"seconds": time.perf_counter() - start}))


def _write_tokenizer(path: Path, vocab: int) -> None:
    """A unigram tokenizer over msmarco-5k's words (``\u2581word`` pieces) and characters, ids below ``vocab``."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    words = Counter(word for text in beir_texts("msmarco-5k") for word in text.split())
    chars = sorted({c for word in words for c in word})
    room = vocab - len(SPECIALS) - 2 * len(chars)
    pieces = [(f"\u2581{word}", -1.0 - rank / 1e5) for rank, (word, _) in enumerate(words.most_common(room))]
    pieces += [(c, -20.0) for c in chars] + [(f"\u2581{c}", -19.0) for c in chars]
    seen: set[str] = set()
    unique = [(p, s) for p, s in pieces if not (p in seen or seen.add(p))]
    tok = Tokenizer(models.Unigram([(s, 0.0) for s in SPECIALS] + unique, unk_id=3))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    tok.save(str(path))


def graph_worker(folder: Path, cache: Path) -> None:
    """Builds (or finds) the cached graph, as the embedding function's constructor does."""
    from sparsebolt.engine.build import data_file
    from sparsebolt.engine.files import BGE_M3, resolve_model
    from sparsebolt.hybrid.checkpoint import bge_m3_graph

    start = time.perf_counter()
    graph = bge_m3_graph(resolve_model(str(folder), family=BGE_M3), cache=cache)
    # a graph under protobuf's 2 GiB limit (a small --vocab) is one file, without data beside it
    size = sum(path.stat().st_size for path in (graph, data_file(graph)) if path.is_file())
    print(json.dumps({"seconds": time.perf_counter() - start, "bytes": size}))


def encode_worker(args: argparse.Namespace) -> None:
    from sparsebolt.hybrid import BGEM3EmbeddingFunction

    texts = _texts(args.docs)
    start = time.perf_counter()
    m3 = BGEM3EmbeddingFunction(str(args.folder), batch_size=args.batch, device="cpu", return_colbert_vecs=True,
                                max_length=args.length, threads=args.threads, cache_dir=args.cache)
    load = time.perf_counter() - start
    lengths = [len(ids) for ids in m3.tokenizer.encode_ids(texts)]
    m3(texts[: args.batch])  # warm-up: allocations, prepacked weights
    times, cpu = [], []
    for _ in range(args.repeats):
        wall0, cpu0 = time.perf_counter(), time.process_time()
        out = m3(texts)
        times.append(time.perf_counter() - wall0)
        cpu.append(time.process_time() - cpu0)
    assert len(out["dense"]) == len(texts) and out["sparse"].shape == (len(texts), m3.dim["sparse"])
    print(json.dumps({"threads": args.threads, "docs_per_s": len(texts) / statistics.median(times),
                      "docs_per_cpu_s": len(texts) / statistics.median(cpu), "session_s": load,
                      "tokens_mean": float(np.mean(lengths)), "post_ms_per_batch": _post_ms(m3, args)}))


def _post_ms(m3: Any, args: argparse.Namespace) -> float:
    """Milliseconds of a batch's post-processing, on outputs of the real shapes (the session not run)."""
    from sparsebolt.dense.pooling import l2_normalize
    from sparsebolt.hybrid.lexical import assemble_csr, lexical_rows

    rng = np.random.default_rng(1)
    b, s = args.batch, args.length
    hidden = rng.standard_normal((b, s, HIDDEN), dtype=np.float32)
    weights = np.maximum(rng.standard_normal((b, s), dtype=np.float32), 0)
    ids = rng.integers(4, m3.dim["sparse"], size=(b, s))
    mask = np.ones((b, s), np.int64)
    colbert = rng.standard_normal((b, s - 1, COLBERT), dtype=np.float32)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        l2_normalize(hidden[:, 0, :])
        found = lexical_rows(weights, ids, mask, m3._dropped, m3.dim["sparse"])
        assemble_csr([(np.arange(b), found)], b)
        normed = colbert / np.maximum(np.linalg.norm(colbert, axis=-1, keepdims=True), 1e-12)
        [normed[i, : s - 1].copy() for i in range(b)]
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def gemm_worker(tokens: int, threads: int) -> None:
    """fp32 GEMM GFLOP/s at one layer's shapes for ``tokens`` rows (Q, K, V and output projections, FFN in and
    out), through numpy's BLAS and through onnxruntime's own MatMul kernel (MLAS) on ``threads`` threads."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    x = rng.standard_normal((tokens, HIDDEN), dtype=np.float32)
    square = rng.standard_normal((HIDDEN, HIDDEN), dtype=np.float32)
    up = rng.standard_normal((HIDDEN, FFN), dtype=np.float32)
    down = rng.standard_normal((FFN, HIDDEN), dtype=np.float32)
    flops = 2 * tokens * (4 * HIDDEN * HIDDEN + 2 * HIDDEN * FFN)

    def numpy_layer() -> None:
        for _ in range(4):
            x @ square
        (x @ up) @ down

    nodes = [helper.make_node("MatMul", ["x", f"w{i}"], [f"y{i}"]) for i in range(4)]
    nodes += [helper.make_node("MatMul", ["x", "up"], ["h"]), helper.make_node("MatMul", ["h", "down"], ["y4"])]
    weights = [numpy_helper.from_array(square.copy(), f"w{i}") for i in range(4)]
    weights += [numpy_helper.from_array(up, "up"), numpy_helper.from_array(down, "down")]
    outputs = [helper.make_tensor_value_info(f"y{i}", TensorProto.FLOAT, None) for i in range(5)]
    graph = helper.make_graph(nodes, "gemm", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [tokens, HIDDEN])],
                              outputs, weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    session = ort.InferenceSession(model.SerializeToString(),
                                   options, providers=["CPUExecutionProvider"])

    def best_seconds(run: Any) -> tuple[float, float]:
        """The fastest of 5 runs in wall and in CPU seconds: a ceiling is what the hardware reached, not its
        average under other load."""
        run()
        wall, cpu = [], []
        for _ in range(5):
            start, cpu_start = time.perf_counter(), time.process_time()
            run()
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - cpu_start)
        return min(wall), min(cpu)

    numpy_s, numpy_cpu = best_seconds(numpy_layer)
    ort_s, ort_cpu = best_seconds(lambda: session.run(None, {"x": x}))
    print(json.dumps({"numpy_gflops": flops / numpy_s / 1e9, "ort_gflops": flops / ort_s / 1e9,
                      "cpu_gflops": flops / min(numpy_cpu, ort_cpu) / 1e9}))


def _texts(n: int) -> list[str]:
    """``n`` texts of several msmarco passages each, long enough to fill the token length."""
    corpus = beir_texts("msmarco-5k")
    return [" ".join(corpus[i * 8 : i * 8 + 8]) for i in range(n)]


# driver ----------------------------------------------------------------------------------------------------
def flops_per_doc(length: int) -> float:
    per_layer = 2 * length * (4 * HIDDEN**2 + 2 * HIDDEN * FFN) + 4 * length**2 * HIDDEN
    return float(LAYERS * per_layer + 2 * length * HIDDEN * (COLBERT + 1))


def _run(command: list[str], threads: int = 1) -> dict[str, Any] | None:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), RAYON_NUM_THREADS=str(threads), TOKENIZERS_PARALLELISM="true")
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        print(f"failed: {' '.join(command[1:4])}\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def versions() -> str:
    from bench_bm25 import package_versions

    found = package_versions(["onnxruntime", "onnx", "tokenizers", "numpy"])
    return ", ".join(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=8, help="texts per timed encoding")
    parser.add_argument("--batch", type=int, default=8, help="batch size")
    parser.add_argument("--length", type=int, default=256, help="tokens per text (max_length)")
    parser.add_argument("--repeats", type=int, default=3, help="timed encodings per figure (median reported)")
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--vocab", type=int, default=250002, help="vocabulary (BGE-M3: 250002)")
    parser.add_argument("--keep", default="", help="folder to build the model in and keep (default: a temp one)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--thread-count", dest="threads_one", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "build":
        return build_worker(args.folder, args.vocab)
    if args.worker == "graph":
        return graph_worker(args.folder, args.cache)
    if args.worker == "gemm":
        return gemm_worker(args.batch * args.length, args.threads_one)
    if args.worker == "encode":
        args.threads = args.threads_one
        return encode_worker(args)

    from bench_dense import machine

    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_bge_m3_"))
    folder, cache = root / "model", root / "cache"
    me = [sys.executable, __file__, "--folder", str(folder), "--cache", str(cache), "--vocab", str(args.vocab),
          "--batch", str(args.batch), "--length", str(args.length), "--docs", str(args.docs),
          "--repeats", str(args.repeats)]
    print(f"machine: {machine()}\nversions: {versions()}")
    built = _run([*me, "--worker", "build"]) if not (folder / "tokenizer.json").is_file() else {"seconds": 0.0}
    graph = _run([*me, "--worker", "graph"]) if built else None
    if not graph:
        raise SystemExit("could not build the model (see above)")
    print(f"model: random XLM-R large + BGE-M3 heads, vocabulary {args.vocab}; folder written in "
          f"{built['seconds']:.0f} s, graph built in {graph['seconds']:.0f} s ({graph['bytes'] / 2**30:.2f} GiB)")
    rows = []
    for threads in args.threads:
        # the ceiling is measured just before and just after, and the higher kept: other load only lowers it
        gemm = [_run([*me, "--worker", "gemm", "--thread-count", str(threads)], threads)]
        result = _run([*me, "--worker", "encode", "--thread-count", str(threads)], threads)
        gemm.append(_run([*me, "--worker", "gemm", "--thread-count", str(threads)], threads))
        if result and all(gemm):
            best = {key: max(g[key] for g in gemm if g) for key in ("ort_gflops", "numpy_gflops", "cpu_gflops")}
            rows.append(dict(result, **best, gflops=max(best["ort_gflops"], best["numpy_gflops"])))
            print(f"  ran {threads} thread(s)", file=sys.stderr)
    print_table(rows, args)
    out = BENCH_DIR / "results" / "bge_m3.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": machine(), "versions": versions(), "vocab": args.vocab,
                               "length": args.length, "batch": args.batch, "rows": rows}, indent=2))
    print(f"\nwrote {out.relative_to(REPO_ROOT)}")


def print_table(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    flops = flops_per_doc(args.length)
    print(f"\n{args.docs} texts of {args.length} tokens, batch {args.batch}, dense + sparse + ColBERT outputs; "
          f"{flops / 1e9:.1f} GFLOP per text; median of {args.repeats}\n")
    print("| threads | docs/s | docs per CPU-s | GEMM GFLOP/s: onnxruntime MLAS / numpy | ceiling docs/s "
          "| share of ceiling per wall s / per CPU-s | post-processing ms / batch | session load s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        ceiling = r["gflops"] * 1e9 / flops
        # both per CPU-second (the GEMM's GFLOP per CPU-second): other jobs' load moves this share far less
        per_cpu = r["docs_per_cpu_s"] * flops / (r["cpu_gflops"] * 1e9)
        print(f"| {r['threads']} | {r['docs_per_s']:.2f} | {r['docs_per_cpu_s']:.2f} | "
              f"{r['ort_gflops']:.0f} / {r['numpy_gflops']:.0f} | {ceiling:.2f} | "
              f"{r['docs_per_s'] / ceiling:.0%} / {per_cpu:.0%} | {r['post_ms_per_batch']:.1f} | "
              f"{r['session_s']:.0f} |")
    if rows and abs(rows[0]["tokens_mean"] - args.length) > 0.5:
        print(f"\nnote: texts averaged {rows[0]['tokens_mean']:.1f} tokens, not {args.length}")


if __name__ == "__main__":
    main()
