"""``sparsebolt eval PATH``: a BEIR folder ingested (or reused) and evaluated in each search mode, the figures
printed as a table or JSON and drawn as quality against latency. The work is :func:`sparsebolt.eval.evaluate`'s."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

from sparsebolt.cli_encoders import (
    add_analyzer_args,
    add_model_args,
    analyzer_options,
    build_for_cli,
    default_recipes,
    encoder_flags,
    encoder_recipes,
    flag_recipes,
    recorded_encoders,
)
from sparsebolt.cli_errors import CliError

__all__ = ["DEFAULT_RERANKER", "add_eval_parser", "cmd_eval"]

DEFAULT_RERANKER = "cross-encoder/ms-marco-MiniLM-L-6-v2"
_MODES = ("sparse", "dense", "hybrid")


def add_eval_parser(sub: Any) -> argparse.ArgumentParser:
    """The ``eval`` subcommand, added to ``sparsebolt``'s subparsers."""
    p = sub.add_parser(
        "eval", help="evaluate sparse, dense and hybrid search on a BEIR folder (nDCG@10, Recall@100, MRR@10)",
        description="Ingest a BEIR folder (corpus.jsonl, queries.jsonl, qrels.tsv or qrels/<split>.tsv) into a "
                    "collection, or reuse the one --uri/--collection name, run every judged query in each mode, "
                    "and report nDCG@10, Recall@100 and MRR@10 (pytrec_eval), per-query latency p50/p99 and the "
                    "ingest rate. Needs the eval extra: pip install 'sparsebolt[eval]'.")
    p.add_argument("path", help="a BEIR folder")
    p.add_argument("--split", default=None, help="qrels/<split>.tsv to score with (default: qrels.tsv, or the "
                                                 "only file in qrels/)")
    p.add_argument("--modes", default=None,
                   help="comma-separated modes of sparse, dense, hybrid (default: every mode the collection serves)")
    p.add_argument("--ranker", choices=["rrf", "weighted"], default="rrf", help="hybrid fusion (default: rrf)")
    p.add_argument("--rrf-k", type=int, default=60, help="RRF constant k (default: 60)")
    p.add_argument("--weights", default=None, help="weighted fusion: DENSE,SPARSE (default: 0.5,0.5)")
    p.add_argument("--rerank", nargs="?", const=DEFAULT_RERANKER, default=None, metavar="MODEL",
                   help=f"also report each mode reranked by a local cross-encoder: a model folder or a hub id in "
                        f"the local caches (default when given without MODEL: {DEFAULT_RERANKER})")
    p.add_argument("--rerank-depth", type=int, default=100, help="hits the cross-encoder reorders (default: 100)")
    p.add_argument("--tune-fusion", action="store_true",
                   help="search the RRF k and the weighted fusion's weights on half the queries and report them on "
                        "the other half, beside each mode alone")
    p.add_argument("--seed", type=int, default=0, help="seed of the --tune-fusion query split (default: 0)")
    p.add_argument("--plot", type=Path, default=None, metavar="FILE.png",
                   help="draw nDCG@10 against per-query latency, one point per mode")
    g = p.add_argument_group("Milvus")
    g.add_argument("--uri", default=None,
                   help="Milvus Lite file (*.db) or server address, kept for a later run to reuse (default: a "
                        "temporary Milvus Lite file, removed afterwards)")
    g.add_argument("--collection", default=None, help="collection name (default: eval_<folder name>)")
    g.add_argument("--token", default="", help="token for a secured server or Zilliz Cloud (user:password or API key)")
    g.add_argument("--db-name", default="", help="Milvus database name on a server (default: the server's default)")
    g.add_argument("--retries", type=int, default=4, help="attempts for transient Milvus errors (default: 4)")
    g.add_argument("--timeout", type=float, default=30.0, help="seconds per Milvus call (default: 30)")
    p.add_argument("--dense", choices=["minilm", "bge-m3", "none"], default=None,
                   help="dense encoder of a new collection (default: minilm; an existing collection uses the "
                        "encoder recorded with it)")
    p.add_argument("--sparse", choices=["bm25", "milvus-bm25", "splade", "bge-m3", "none"], default=None,
                   help="sparse vectors of a new collection (default: bm25; an existing collection uses its own)")
    p.add_argument("--batch-size", type=int, default=256, help="documents per ingest batch (default: 256)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (it is off when not a terminal)")
    add_model_args(p)
    add_analyzer_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout (for scripts)")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details on stderr")
    return p


def cmd_eval(args: argparse.Namespace) -> int:
    from sparsebolt.eval.fusion_tuning import check_fusion  # noqa: PLC0415

    folder = Path(args.path)
    if not folder.is_dir():
        raise CliError(f"{args.path} is not a folder: sparsebolt eval takes a BEIR folder holding corpus.jsonl, "
                       f"queries.jsonl and qrels.tsv (or qrels/<split>.tsv)")
    modes = _parse_modes(args.modes)
    weights = _parse_weights(args.weights, args.ranker)
    for flag, value in (("--rerank-depth", args.rerank_depth), ("--batch-size", args.batch_size),
                        ("--retries", args.retries)):
        if value < 1:
            raise CliError(f"{flag} must be >= 1")
    if args.timeout <= 0:
        raise CliError("--timeout must be > 0")
    try:
        check_fusion(args.ranker, args.rrf_k, weights)
    except ValueError as exc:
        raise CliError(str(exc).replace("rrf_k", "--rrf-k").replace("weights", "--weights")) from None
    if args.plot is not None and args.plot.suffix.lower() != ".png":
        raise CliError(f"--plot writes a PNG: name a .png file, got {args.plot}")
    evaluate, format_table, plot = _eval_functions()
    reranker = _reranker(args.rerank, args.precision) if args.rerank else None
    with _collection(args, folder) as collection:
        report = evaluate(folder, collection=collection, modes=modes, ranker=args.ranker, rrf_k=args.rrf_k,
                          weights=weights, reranker=reranker, rerank_depth=args.rerank_depth,
                          tune=args.tune_fusion, tune_seed=args.seed, split=args.split, batch_size=args.batch_size,
                          show_progress=sys.stderr.isatty() and not args.no_progress and not args.json)
    if args.plot is not None:
        plot(report, args.plot)
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        print(format_table(report))
        if args.plot is not None:
            print(f"\nwrote {args.plot}")
    return 0


def _eval_functions() -> tuple[Any, Any, Any]:
    """evaluate, format_table and plot_quality_latency; the metrics' library checked first, so a missing eval
    extra is reported before a corpus is encoded."""
    from sparsebolt.eval import evaluate, format_table, plot_quality_latency  # noqa: PLC0415
    from sparsebolt.eval.metrics import require_pytrec_eval  # noqa: PLC0415

    try:
        require_pytrec_eval()
    except ImportError as exc:
        raise CliError(str(exc)) from exc
    return evaluate, format_table, plot_quality_latency


def _parse_modes(text: Optional[str]) -> Optional[list[str]]:
    if text is None:
        return None
    modes = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in modes if m not in _MODES]
    if unknown or not modes:
        raise CliError(f"--modes takes a comma-separated list of {', '.join(_MODES)}, got {text!r}")
    return modes


def _parse_weights(text: Optional[str], ranker: str) -> Optional[tuple[float, float]]:
    if text is None:
        return None
    if ranker != "weighted":
        raise CliError("--weights applies to --ranker weighted; RRF takes --rrf-k")
    try:
        parts = tuple(float(x) for x in text.split(","))
    except ValueError:
        raise CliError(f"--weights must be two numbers like 0.7,0.3 (dense, sparse), got {text!r}") from None
    if len(parts) != 2:
        raise CliError(f"--weights must be two numbers like 0.7,0.3 (dense, sparse), got {text!r}")
    return parts[0], parts[1]


def _reranker(model: str, precision: Optional[str]) -> Any:
    from sparsebolt.rerank import CrossEncoderRerankFunction  # noqa: PLC0415

    try:
        return CrossEncoderRerankFunction(model, precision=precision or "fp32")
    except FileNotFoundError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "not found"
        raise CliError(f"--rerank {model}: {first}; give a cross-encoder folder (model.onnx or model.safetensors "
                       f"+ config.json, tokenizer.json)") from exc


@contextmanager
def _collection(args: argparse.Namespace, folder: Path) -> Iterator[Any]:
    """The collection to evaluate, opened as ``sparsebolt ingest`` opens one: with the encoders recorded with it,
    or (new) those of the flags; at a temporary Milvus Lite file unless --uri names one."""
    from sparsebolt.eval.evaluation import default_collection_name  # noqa: PLC0415
    from sparsebolt.milvus.collection import TextCollection  # noqa: PLC0415
    from sparsebolt.milvus.connection import connect  # noqa: PLC0415
    from sparsebolt.milvus.retry import RetryPolicy  # noqa: PLC0415

    given = encoder_flags(args)
    if given.dense == "none" and given.sparse == "none":
        raise CliError("--dense none and --sparse none leave nothing to search; keep at least one")
    flags = flag_recipes(given.dense, given.sparse, analyzer_options(args), dense_model=given.dense_model,
                         sparse_model=given.sparse_model)
    name = args.collection or default_collection_name(folder)
    retry = RetryPolicy(attempts=args.retries, timeout=args.timeout)
    with ExitStack() as stack:
        uri = args.uri
        if uri is None:
            uri = str(Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sparsebolt-eval-"))) / "eval.db")
        # The embedded Milvus Lite engine logs to the inherited stdout: dropped unless --verbose (to stderr).
        client = connect(uri, token=args.token, db_name=args.db_name, retry=retry,
                         lite_output=2 if args.verbose else os.devnull)
        stack.callback(client.close)
        recorded = recorded_encoders(client, name, retry)
        chosen = encoder_recipes(name, recorded, flags, default_recipes())
        encoders = build_for_cli(chosen, instead="--dense none", precision=args.precision)
        options: dict[str, Any] = {"retry": retry, "client": client}
        if recorded is not None:
            opened = TextCollection(uri, name, encoders=encoders, **options)
        else:
            opened = TextCollection(uri, name, dense=encoders.get("dense"), sparse=encoders.get("sparse"), **options)
        with opened as collection:
            yield collection
