"""``python -m sparsebolt.ray ingest FILES... --uri http://host:19530``: the distributed ingestion job.
Connects to a Ray cluster (``--address``) or starts a local one; re-running the same command resumes."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Optional, Sequence

from sparsebolt.cli_encoders import (
    LEARNED_KINDS,
    add_analyzer_args,
    add_model_args,
    analyzer_options,
    check_model_folder,
    default_recipes,
    encoder_flags,
    encoder_recipes,
    flag_recipes,
    recorded_encoders,
)
from sparsebolt.cli_errors import CliError, configure_logging, run_reporting_errors

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sparsebolt.ray",
        description="Distributed ingestion on Ray Data: files to a Milvus collection, resumable.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="encode files and store them in a Milvus server collection")
    p.add_argument("paths", nargs="+", help="JSONL, Parquet, CSV/TSV files, BEIR folders, or folders of such files")
    p.add_argument("--format", choices=["jsonl", "parquet", "csv", "tsv", "beir"],
                   help="input format (default: from each file's extension)")
    p.add_argument("--id-field", default="id", help="record field with the document id (default: id, then _id)")
    p.add_argument("--text-field", default="text", help="record field with the text (default: text)")
    p.add_argument("--uri", required=True, help="Milvus server address, e.g. http://milvus:19530")
    p.add_argument("--collection", default="documents", help="collection name (default: documents)")
    p.add_argument("--token", default="", help="token for a secured server (user:password or API key)")
    p.add_argument("--db-name", default="", help="Milvus database (default: the server's default)")
    p.add_argument("--dense", choices=["minilm", "minilm-int8", "bge-m3", "none"], default=None,
                   help="dense encoder of a new collection, built on each worker (default: minilm, all-MiniLM-L6-v2 "
                        "fp32; bge-m3: its model is --dense-model; an existing collection uses the encoder recorded "
                        "with it)")
    p.add_argument("--sparse", choices=["bm25", "splade", "bge-m3", "none"], default=None,
                   help="bm25: fitted across the cluster, or taken from the collection on a re-run (default; an "
                        "existing collection uses its recorded analyzer); splade or bge-m3: built on each worker "
                        "from --sparse-model")
    p.add_argument("--id-type", choices=["str", "int"], default="str", help="primary key type for a new collection")
    p.add_argument("--batch-size", type=int, default=256, help="documents per Milvus insert (default: 256)")
    p.add_argument("--rows-per-call", type=int, default=2048, help="documents per worker call (default: 2048)")
    p.add_argument("--on-existing", choices=["skip", "upsert", "insert"], default="skip",
                   help="skip (default, resumable), upsert (replace), insert (no check, fastest first load)")
    p.add_argument("--drop", action="store_true", help="drop the collection first (never on a resume)")
    p.add_argument("--workers", type=int, default=None, help="ingest actors (default: Ray autoscales)")
    p.add_argument("--cpus-per-worker", type=float, default=1.0, help="CPUs (and encoder threads) per actor")
    p.add_argument("--gpus-per-worker", type=float, default=0.0, help="GPUs per actor (for a CUDA dense encoder)")
    p.add_argument("--address", default=None,
                   help="Ray cluster address (default: RAY_ADDRESS, or a new local cluster)")
    p.add_argument("--num-cpus", type=int, default=None, help="CPUs of a new local Ray cluster")
    p.add_argument("--retries", type=int, default=4, help="attempts for transient Milvus errors (default: 4)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per Milvus call (default: 30)")
    p.add_argument("--progress", action="store_true", help="draw a progress bar on stderr")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.add_argument("-v", "--verbose", action="store_true", help="log details on stderr")
    add_model_args(p)
    add_analyzer_args(p)
    return parser


def _encoders(args: argparse.Namespace, retry: Any) -> tuple[Any, Any]:
    """(dense factory, sparse encoder or factory): those recorded with an existing collection, else the flags'.
    BM25 is an unfitted encoder (fitted on the driver); SPLADE and BGE-M3 are factories each worker calls once,
    and BGE-M3 filling both fields is one factory given as both (one model per worker, one pass per batch)."""
    import functools  # noqa: PLC0415

    from sparsebolt.encoders import build_encoder  # noqa: PLC0415
    from sparsebolt.milvus.connection import connect  # noqa: PLC0415

    given = encoder_flags(args)
    flags = flag_recipes(given.dense, given.sparse, analyzer_options(args), dense_model=given.dense_model,
                         sparse_model=given.sparse_model)
    recorded = None
    if not args.drop:
        client = connect(args.uri, token=args.token, db_name=args.db_name, retry=retry)
        try:
            recorded = recorded_encoders(client, args.collection, retry)
        finally:
            client.close()
    chosen = encoder_recipes(args.collection, recorded, flags, default_recipes())
    others = sorted(name for name, recipe in chosen.items() if recipe is not None and name not in ("dense", "sparse"))
    if others:
        raise CliError(f"collection {args.collection!r} has the vector fields {others} besides dense and sparse; "
                       f"the Ray job fills the dense and sparse fields only")
    dense_recipe, sparse_recipe = chosen.get("dense"), chosen.get("sparse")
    for name, recipe in (("dense", dense_recipe), ("sparse", sparse_recipe)):
        if recipe is not None and not recipe.reconstructible:
            raise CliError(f"collection {args.collection!r} was made with {recipe.describe()}, which the command "
                           f"line cannot build again; run sparsebolt.ray.ingest from Python with that encoder")
        if recipe is not None:
            check_model_folder(name, recipe)  # on the driver: every worker would fail on it
    if sparse_recipe is not None and sparse_recipe.name not in ("bm25", *LEARNED_KINDS):
        raise CliError(f"the Ray job fills client-side sparse fields only (bm25, splade, bge-m3); collection "
                       f"{args.collection!r} has {sparse_recipe.describe()}")
    threads = max(1, int(args.cpus_per_worker))
    engine = {"threads": threads, "device": "cuda" if args.gpus_per_worker > 0 else "cpu"}
    if args.precision is not None:
        engine["precision"] = args.precision
    # Factories, not encoders: each worker builds its own (an ONNX session does not pickle).
    dense = None if dense_recipe is None else functools.partial(build_encoder, dense_recipe, **engine)
    sparse: Any = None
    if sparse_recipe is not None and sparse_recipe.name == "bm25":
        sparse = build_encoder(sparse_recipe, num_workers=threads)
    elif sparse_recipe is not None:
        sparse = dense if sparse_recipe == dense_recipe else functools.partial(build_encoder, sparse_recipe,
                                                                               **engine)
    return dense, sparse


def cmd_ingest(args: argparse.Namespace) -> int:
    from pathlib import Path  # noqa: PLC0415

    import ray  # noqa: PLC0415

    from sparsebolt.milvus.connection import is_lite_uri  # noqa: PLC0415
    from sparsebolt.milvus.retry import RetryPolicy  # noqa: PLC0415
    from sparsebolt.ray import ingest  # noqa: PLC0415
    from sparsebolt.ray._ray import start_ray  # noqa: PLC0415

    given = encoder_flags(args)
    if given.dense == "none" and given.sparse == "none":
        raise ValueError("--dense none and --sparse none leave nothing to store; keep at least one")
    if is_lite_uri(args.uri):
        raise ValueError(f"--uri {args.uri} is a Milvus Lite file; a Ray job needs a Milvus server (http://host:19530)")
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise FileNotFoundError(f"no such file or folder: {', '.join(missing)}")
    retry = RetryPolicy(attempts=args.retries, timeout=args.timeout)
    dense, sparse = _encoders(args, retry)
    start_ray(args.address, num_cpus=args.num_cpus, include_dashboard=False, log_to_driver=args.verbose,
              configure_logging=False)
    try:
        summary = ingest(
            args.paths, uri=args.uri, collection=args.collection, dense=dense, sparse=sparse, token=args.token,
            db_name=args.db_name, format=args.format, id_field=args.id_field, text_field=args.text_field,
            id_type=args.id_type, on_existing=args.on_existing, batch_size=args.batch_size,
            rows_per_call=args.rows_per_call, workers=args.workers, num_cpus=args.cpus_per_worker,
            num_gpus=args.gpus_per_worker, drop_existing=args.drop, retry=retry, show_progress=args.progress,
        )
    finally:
        ray.shutdown()
    if args.json:
        print(json.dumps(summary.to_dict()))
    else:
        print(f"{summary.inserted} inserted, {summary.skipped} skipped in {summary.seconds:.1f}s "
              f"({summary.docs_per_second:.0f} docs/s) into {args.collection!r}")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    # ImportError is a usage error here: Ray itself is an optional extra.
    return run_reporting_errors(f"sparsebolt.ray {args.command}", lambda: cmd_ingest(args), verbose=args.verbose,
                                usage_errors=(ValueError, TypeError, FileNotFoundError, ImportError))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
