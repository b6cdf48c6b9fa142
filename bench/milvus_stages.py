"""Where ingestion time goes, old path (row dicts through client.insert) and columnar path side by side, on the
same pre-encoded batches in one process: building the requests, the Insert RPC alone, and both (one write at a
time, and two in flight). Run through ``bench/bench_milvus.py --stages``; medians over --repeats fresh collections."""

from __future__ import annotations

import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import numpy as np
import scipy.sparse as sp

WORKLOADS = ("bm25-short", "bm25-long", "splade", "dense-384")


def _texts(corpus: list[str], workload: str, n: int) -> list[str]:
    if workload == "bm25-long":  # SciFact-length texts (about 200-300 words): 4 passages joined
        return [" ".join(corpus[(4 * i + j) % len(corpus)] for j in range(4)) for i in range(n)]
    return [corpus[i % len(corpus)] for i in range(n)]


def _batches(workload: str, texts: list[str], batch: int) -> tuple[Any, list[Any]]:
    from sparsebolt.milvus.batch import DocumentBatch
    from sparsebolt.milvus.fields import DENSE, SPARSE, VectorField
    from sparsebolt.milvus.schema import CollectionSpec
    from sparsebolt.milvus.vectors import sparse_column
    from sparsebolt.model.sparse import BM25EmbeddingFunction

    n = len(texts)
    rng = np.random.default_rng(0)
    if workload == "dense-384":
        fields: tuple[Any, ...] = (VectorField("dense", DENSE, dim=384),)
        vectors: dict[str, Any] = {"dense": rng.standard_normal((n, 384)).astype(np.float32)}
    elif workload == "splade":  # learned-sparse sized rows: 150-400 terms over BERT's 30,522 word pieces
        fields = (VectorField("sparse", SPARSE),)
        counts = rng.integers(150, 400, n)
        indices = np.concatenate([np.sort(rng.choice(30_522, k, replace=False)) for k in counts])
        indptr = np.concatenate([[0], np.cumsum(counts)])
        data = rng.random(indices.size).astype(np.float32) + 0.01
        vectors = {"sparse": sparse_column(sp.csr_array((data, indices, indptr), shape=(n, 30_522)), n)}
    else:
        fields = (VectorField("sparse", SPARSE),)
        encoder = BM25EmbeddingFunction().fit(texts)
        vectors = {"sparse": sparse_column(encoder.encode_documents(texts), n)}
    spec = CollectionSpec(name=f"stages_{workload.replace('-', '_')}", vector_fields=fields)
    whole = DocumentBatch("id", "text", [f"doc-{i}" for i in range(n)], texts, [{} for _ in range(n)], vectors)
    return spec, [whole.take(list(range(s, min(s + batch, n)))) for s in range(0, n, batch)]


def _timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def measure(corpus: list[str], *, rows: int, batch: int, repeats: int, uri: str = "") -> list[dict[str, Any]]:
    """Per workload, rows/s of each stage (medians over ``repeats``) for the old and the columnar path."""
    from pymilvus.client.prepare import Prepare

    from sparsebolt.milvus.connection import connect
    from sparsebolt.milvus.insert_request import build_request
    from sparsebolt.milvus.schema import build_index_params, build_schema
    from sparsebolt.milvus.writer import BatchWriter

    workdir = tempfile.mkdtemp(prefix="sparsebolt-stages-")
    client = connect(uri or str(Path(workdir) / "stages.db"))
    results = []
    try:
        for workload in WORKLOADS:
            spec, batches = _batches(workload, _texts(corpus, workload, rows), batch)
            name = spec.name
            times: dict[str, list[float]] = {}

            def fresh() -> None:
                if client.has_collection(name):
                    client.drop_collection(name)
                client.create_collection(name, schema=build_schema(spec), index_params=build_index_params(client, spec))

            for _ in range(repeats):
                fresh()
                handler, context = client._get_connection(), client._generate_call_context()
                schema, stamp = handler._get_schema(name, context=context)
                fields = schema["fields"]
                old_rows: list[Any] = []
                times.setdefault("build old", []).append(_timed(lambda: old_rows.extend(
                    Prepare.row_insert_param(name, b.rows(), "", fields, [], enable_dynamic=True,
                                             schema_timestamp=stamp) for b in batches)))
                new: list[Any] = []
                times.setdefault("build new", []).append(_timed(lambda: new.extend(
                    build_request(b, collection=name, schema=schema, schema_timestamp=stamp, upsert=False)
                    for b in batches)))
                times.setdefault("rpc alone", []).append(_timed(lambda: [
                    handler.batch_insert(name, [], insert_param=r, schema=schema, context=context) for r in new]))
                fresh()
                times.setdefault("both old", []).append(_timed(lambda: [
                    client.insert(name, b.rows()) for b in batches]))
                fresh()
                writer = BatchWriter(client, name, upsert=False, timeout=None)
                times.setdefault("both new", []).append(_timed(lambda: [writer(b) for b in batches]))
                fresh()
                with ThreadPoolExecutor(2) as pool:
                    times.setdefault("new, 2 in flight", []).append(_timed(lambda: list(pool.map(writer, batches))))
            results.append({"workload": workload, "rows": rows,
                            **{k: rows / statistics.median(v) for k, v in times.items()}})
            client.drop_collection(name)
    finally:
        client.close()
    return results


def print_table(results: list[dict[str, Any]], table: Callable[[list[str], list[list[str]]], str]) -> None:
    stages = ["build old", "build new", "rpc alone", "both old", "both new", "new, 2 in flight"]
    rows = []
    for r in results:
        best_new = max(r["both new"], r["new, 2 in flight"])
        rows.append([r["workload"], *(f"{r[s]:,.0f}" for s in stages), f"{r['both old'] / r['rpc alone']:.0%}",
                     f"{best_new / r['rpc alone']:.0%}"])
    print(table(["workload", *[f"{s} rows/s" for s in stages], "old / rpc", "new / rpc"], rows))
