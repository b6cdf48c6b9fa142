"""Where a dense encoding's time goes at long lengths: onnxruntime's own profile of the fp32 MiniLM graph, summed
by operator kind (matrix products, attention, LayerNorm, GELU, the rest), at 128, 256 and 512 word pieces, and
the padding a length-sorted batch of real texts carries.

One command:  .venv/bin/python bench/profile_dense.py   (--threads 2, --batch 32)
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from bench_bm25 import machine, package_versions  # noqa: E402
from corpora import beir_texts  # noqa: E402

# operator kinds of the built graph (engine/graph) after onnxruntime's fusions
KINDS = {
    "matrix products": ("MatMul", "Gemm", "FusedMatMul", "MatMulIntegerToFloat"),
    "attention": ("Attention", "MultiHeadAttention", "Softmax"),
    "LayerNorm": ("LayerNormalization", "SkipLayerNormalization", "EmbedLayerNormalization"),
    "GELU": ("Gelu", "BiasGelu", "FastGelu"),
}


def profile(length: int, batch: int, threads: int) -> dict[str, float]:
    import onnxruntime as ort

    from sparsebolt.dense import OnnxEmbeddingFunction
    from sparsebolt.engine.build import graph_path

    ef = OnnxEmbeddingFunction()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.enable_profiling = True
    options.profile_file_prefix = str(Path(tempfile.mkdtemp()) / "profile")
    session = ort.InferenceSession(str(graph_path(ef.files)), options, providers=["CPUExecutionProvider"],
                                   disabled_optimizers=["BiasGeluFusion"])
    rng = np.random.default_rng(0)
    feeds = {"input_ids": rng.integers(1000, 20000, (batch, length)).astype(np.int64),
             "attention_mask": np.ones((batch, length), np.int64)}
    declared = {i.name for i in session.get_inputs()}
    feeds = {k: v for k, v in feeds.items() if k in declared}
    for _ in range(4):
        session.run(None, feeds)
    events = json.loads(Path(session.end_profiling()).read_text())
    by_op: collections.Counter[str] = collections.Counter()
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            by_op[event["args"]["op_name"]] += event["dur"]
    total = sum(by_op.values())
    shares = {kind: sum(by_op[op] for op in ops) / total for kind, ops in KINDS.items()}
    shares["other"] = 1.0 - sum(shares.values())
    return shares


def padding_share(batch: int) -> float:
    """Padded word pieces over all word pieces when msmarco-5k passages (joined in pairs, cut at 256) are encoded
    the runner's way: length-sorted chunks of batches, each batch padded to its own longest text."""
    from sparsebolt.dense import OnnxEmbeddingFunction
    from sparsebolt.engine.runner import SORT_CHUNK_BATCHES

    texts = beir_texts("msmarco-5k")
    texts = [" ".join(texts[i : i + 2]) for i in range(0, len(texts) - 1, 2)]
    lengths = np.array([len(ids) for ids in OnnxEmbeddingFunction().tokenizer.encode_ids(texts)])
    padded = 0
    chunk = batch * SORT_CHUNK_BATCHES
    for start in range(0, len(lengths), chunk):
        ordered = np.sort(lengths[start : start + chunk])
        for b in range(0, len(ordered), batch):
            padded += int(ordered[b : b + batch].max()) * len(ordered[b : b + batch])
    return 1.0 - lengths.sum() / padded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    print(f"machine: {machine()}\nversions: {', '.join(package_versions(['onnxruntime', 'numpy']))}")
    print(f"all-MiniLM-L6-v2 fp32 graph, batch {args.batch}, {args.threads} threads; share of kernel time:\n")
    lengths = (128, 256, 512)
    rows = {length: profile(length, args.batch, args.threads) for length in lengths}
    print("| operators | " + " | ".join(f"{n} word pieces" for n in lengths) + " |")
    print("|---|" + "---|" * len(lengths))
    for kind in [*KINDS, "other"]:
        print(f"| {kind} | " + " | ".join(f"{rows[n][kind]:.1%}" for n in lengths) + " |")
    print(f"\npadding in length-sorted batches of {args.batch} (msmarco-5k passage pairs): "
          f"{padding_share(args.batch):.1%} of the word pieces run")


if __name__ == "__main__":
    main()
