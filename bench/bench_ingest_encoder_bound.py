"""Is dense + sparse ingestion encoder-bound? The encoders alone and TextCollection.ingest (two writes in flight,
then one) take turns in one process on the same passages, into Milvus Lite embedded, so that the machine's drift
falls on all of them alike; each ratio is the median of the per-turn ratios to the encoders alone.

One command:  .venv/bin/python bench/bench_ingest_encoder_bound.py   (--docs 384 --batch 64 --turns 5)
Encoders: MiniLM-L6 (384-d, fp32, onnxruntime, every core) + sparsebolt BM25, on msmarco-5k passages.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from bench_bm25 import machine, package_versions  # noqa: E402
from corpora import beir_texts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=384)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--turns", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the engine's gRPC chatter

    from sparsebolt.dense import DefaultEmbeddingFunction
    from sparsebolt.milvus.collection import TextCollection
    from sparsebolt.model.sparse import BM25EmbeddingFunction

    texts = beir_texts("msmarco-5k")[: args.docs]
    docs = [{"id": f"doc-{i}", "text": text} for i, text in enumerate(texts)]
    dense, sparse = DefaultEmbeddingFunction(), BM25EmbeddingFunction().fit(texts)
    uri = str(Path(tempfile.mkdtemp(prefix="bench_ingest_")) / "milvus.db")
    print(f"machine: {machine()}")
    print(f"versions: {', '.join(package_versions(['onnxruntime', 'pymilvus', 'milvus-lite']))}")
    print(f"data: {args.docs} msmarco-5k passages, batch {args.batch}, {args.turns} turns\n")

    def encoders_alone() -> None:
        for start in range(0, len(texts), args.batch):
            dense.encode_documents(texts[start : start + args.batch])
            sparse.encode_documents(texts[start : start + args.batch])

    def ingest(writes: int, turn: str) -> float:
        """Seconds of the ingest alone: making and dropping the collection are not the pipeline's work."""
        with TextCollection(uri, f"bound_{writes}_{turn}", dense=dense, sparse=sparse, drop_existing=True) as col:
            started = time.perf_counter()
            col.ingest(docs, batch_size=args.batch, writes_in_flight=writes, flush=False)
            took = time.perf_counter() - started
            if col.count() != len(docs):
                raise SystemExit(f"stored {col.count()} of {len(docs)} documents")
            col.drop()
        return took

    def timed_encoders() -> float:
        started = time.perf_counter()
        encoders_alone()
        return time.perf_counter() - started

    encoders_alone()  # warm-up: graph build, thread pools
    ingest(2, "warmup")
    seconds: dict[str, list[float]] = {"encoders alone": [], "ingest, 2 writes in flight": [],
                                       "ingest, 1 write in flight": []}
    for turn in range(args.turns):
        for name, run in (("encoders alone", timed_encoders),
                          ("ingest, 2 writes in flight", lambda: ingest(2, str(turn))),
                          ("ingest, 1 write in flight", lambda: ingest(1, str(turn)))):
            time.sleep(0.2)
            seconds[name].append(run())
    print("| variant | docs/s | x encoders alone (median of per-turn ratios) |")
    print("|---|--:|--:|")
    base = seconds["encoders alone"]
    for name, times in seconds.items():
        ratio = statistics.median(b / t for b, t in zip(base, times))
        print(f"| {name} | {len(docs) / statistics.median(times):.1f} | {ratio:.1%} |")


if __name__ == "__main__":
    main()
