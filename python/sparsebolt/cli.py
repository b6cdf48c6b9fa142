"""The ``sparsebolt`` command line: ingest files into Milvus, search them, fit BM25, and run the demo.
Errors go to stderr with a non-zero exit code; ``--json`` prints machine-readable results on stdout."""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

from sparsebolt.cli_encoders import (
    add_analyzer_args,
    add_model_args,
    analyzer_options,
    build_for_cli,
    default_recipes,
    encoder_flags,
    encoder_recipes,
    fit_encoder,
    flag_recipes,
    recorded_encoders,
    search_encoders,
)
from sparsebolt.cli_errors import (  # noqa: F401 - EXIT_* and the reporting helpers are part of cli's surface
    EXIT_INGEST,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    CliError,
    configure_logging,
    milvus_refusal,
    run_reporting_errors,
)
from sparsebolt.cli_eval import add_eval_parser, cmd_eval

__all__ = ["main"]

# Milvus's default topK ceiling (common.topKLimit); a server may be configured otherwise, so it only shapes advice.
MILVUS_TOPK_LIMIT = 16384

DEMO_QUERIES = (
    "how do vaccines teach the immune system",
    "why does water boil at a lower temperature on a mountain",
    "what does a vector database store",
)


# ---- argument parsing ---------------------------------------------------------------------------


def _connection_args(p: argparse.ArgumentParser, *, collection_default: str = "documents",
                     uri_default: str = "./milvus.db") -> None:
    g = p.add_argument_group("Milvus")
    g.add_argument("--uri", default=uri_default,
                   help="Milvus Lite file (*.db) or server address, e.g. http://localhost:19530 "
                        f"(default: {uri_default})")
    g.add_argument("--collection", default=collection_default, help=f"collection name (default: {collection_default})")
    g.add_argument("--token", default="", help="token for a secured server or Zilliz Cloud (user:password or API key)")
    g.add_argument("--db-name", default="", help="Milvus database name on a server (default: the server's default)")
    g.add_argument("--retries", type=int, default=4, help="attempts for transient Milvus errors (default: 4)")
    g.add_argument("--timeout", type=float, default=30.0, help="seconds per Milvus call (default: 30)")


def _common_output(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON on stdout (for scripts)")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details on stderr")


def _source_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", help="JSONL, CSV/TSV or Parquet file, or a BEIR folder holding corpus.jsonl")
    p.add_argument("--format", choices=["jsonl", "csv", "tsv", "parquet", "beir"],
                   help="input format (default: from the extension; a folder is BEIR)")
    p.add_argument("--id-field", default="id", help="record field with the document id (default: id, then _id)")
    p.add_argument("--text-field", default="text", help="record field with the text (default: text)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sparsebolt",
        description="Turn text into Milvus vectors (native BM25 sparse + MiniLM dense) and search them.",
    )
    parser.add_argument("--version", action="version", version=f"sparsebolt {metadata.version('sparsebolt')}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    ingest = sub.add_parser("ingest", help="encode a file and store it in a collection (re-run to resume)",
                            description="Encode documents (dense + BM25 sparse, or the encoders the flags name) "
                                        "and store them in a Milvus collection. Re-running after a crash resumes: "
                                        "stored ids are skipped. BGE-M3 for both fields (one pass per batch): "
                                        "--model bge-m3 PATH.")
    _source_args(ingest)
    _connection_args(ingest)
    ingest.add_argument("--dense", choices=["minilm", "bge-m3", "none"], default=None,
                        help="dense encoder of a new collection: all-MiniLM-L6-v2 on ONNX Runtime, BGE-M3's dense "
                             "output (its model: --dense-model), or none (default: minilm; an existing collection "
                             "uses the encoder recorded with it)")
    ingest.add_argument("--sparse", choices=["bm25", "milvus-bm25", "splade", "bge-m3", "none"], default=None,
                        help="sparse vectors of a new collection: sparsebolt BM25 (client side), Milvus's BM25 "
                             "function (server side), SPLADE or BGE-M3's lexical output (their model: "
                             "--sparse-model), or none (default: bm25; an existing collection uses its own)")
    ingest.add_argument("--bm25-params", type=Path,
                        help="BM25 parameters from 'sparsebolt fit' (default: the collection's saved ones, or fit "
                             "on the input)")
    ingest.add_argument("--id-type", choices=["str", "int"], default="str",
                        help="primary key type for a new collection")
    ingest.add_argument("--batch-size", type=int, default=256, help="documents per batch (default: 256)")
    ingest.add_argument("--on-existing", choices=["skip", "upsert", "insert"], default="skip",
                        help="stored ids: skip them (resume), upsert them (re-encode), or insert without checking")
    ingest.add_argument("--drop", action="store_true", help="drop the collection first if it exists")
    ingest.add_argument("--no-progress", action="store_true", help="no progress bar (it is off when not a terminal)")
    add_model_args(ingest)
    add_analyzer_args(ingest)
    _common_output(ingest)

    search = sub.add_parser("search", help="search a collection (dense, sparse or hybrid)",
                            description="Search a collection made by 'sparsebolt ingest'.")
    search.add_argument("query", nargs="+", help="one or more queries")
    _connection_args(search)
    search.add_argument("--mode", choices=["dense", "sparse", "hybrid"],
                        help="default: hybrid when the collection has both vectors")
    search.add_argument("--limit", "-k", type=int, default=10, help="hits per query (default: 10)")
    search.add_argument("--filter", default="", help="Milvus filter expression, e.g. 'year > 2020'")
    search.add_argument("--output-fields", default="", help="comma-separated metadata fields to return")
    search.add_argument("--ranker", choices=["rrf", "weighted"], default="rrf", help="hybrid fusion (default: rrf)")
    search.add_argument("--rrf-k", type=int, default=60, help="RRF constant k (default: 60)")
    search.add_argument("--weights", default=None, help="weighted fusion: DENSE,SPARSE (default: 0.5,0.5)")
    add_analyzer_args(search)
    _common_output(search)

    fit = sub.add_parser("fit", help="fit BM25 statistics on a corpus and write a params file",
                         description="Fit BM25 (IDF, average length) on a corpus, write pymilvus-model's JSON params "
                                     "file, and with --collection keep them with that collection.")
    _source_args(fit)
    fit.add_argument("--output", "-o", type=Path, default=Path("bm25_params.json"),
                     help="params file to write (default: bm25_params.json)")
    fit.add_argument("--replace-statistics", action="store_true",
                     help="with --collection: replace the statistics of a collection that already holds documents "
                          "(then re-encode them: sparsebolt ingest PATH --collection C --on-existing upsert)")
    _connection_args(fit, collection_default="")
    add_analyzer_args(fit)
    _common_output(fit)

    demo = sub.add_parser("demo", help="build a small collection in Milvus Lite and show sparse/dense/hybrid results",
                          description="Ingest the small corpus that ships with sparsebolt into Milvus Lite and show "
                                      "sparse, dense and hybrid results for a few queries. Works offline.")
    _connection_args(demo, collection_default="sparsebolt_demo", uri_default="./sparsebolt_demo.db")
    demo.add_argument("--query", action="append", help="a query to run (repeatable; default: three examples)")
    demo.add_argument("--limit", "-k", type=int, default=3, help="hits per query and mode (default: 3)")
    demo.add_argument("--no-dense", action="store_true", help="skip the dense encoder (sparse only)")
    _common_output(demo)
    add_eval_parser(sub)
    return parser


# ---- commands -----------------------------------------------------------------------------------


def _retry(args: argparse.Namespace) -> Any:
    from sparsebolt.milvus.retry import RetryPolicy  # noqa: PLC0415

    if args.retries < 1:
        raise CliError("--retries must be >= 1")
    if args.timeout <= 0:
        raise CliError("--timeout must be > 0")
    return RetryPolicy(attempts=args.retries, timeout=args.timeout)


def _dense_encoder(instead: Optional[str] = "--dense none") -> Any:
    from sparsebolt.encoders import make_recipe  # noqa: PLC0415

    return build_for_cli({"dense": make_recipe("minilm")}, instead=instead)["dense"]


def _bm25_encoder(params: Optional[Path] = None, encoder: Any = None) -> Any:
    if encoder is None:
        from sparsebolt.model.sparse import BM25EmbeddingFunction  # noqa: PLC0415

        encoder = BM25EmbeddingFunction()
    if params is not None:
        if not params.is_file():
            raise CliError(f"no such BM25 params file: {params}")
        encoder.load(params)
    return encoder


def _recorded(client: Any, args: argparse.Namespace) -> Any:
    return recorded_encoders(client, args.collection, _retry(args))


def _connect(args: argparse.Namespace, *, create: bool = True) -> Any:
    """A client for ``--uri``; ``create=False`` refuses a Milvus Lite file that does not exist (and creates none).

    The embedded Milvus Lite engine writes its own log and parser messages to the inherited stdout and stderr:
    dropped unless --verbose, which sends them to stderr, so stdout only ever holds this command's output.
    """
    from sparsebolt.milvus.connection import connect, is_lite_uri  # noqa: PLC0415

    try:
        return connect(args.uri, token=args.token, db_name=args.db_name, retry=_retry(args), create=create,
                       lite_output=2 if args.verbose else os.devnull)
    except FileNotFoundError:
        if create or not is_lite_uri(args.uri):
            raise
        raise CliError(f"no Milvus Lite database at {args.uri}; create it with sparsebolt ingest") from None


@contextmanager
def _opened(args: argparse.Namespace, *, dense: Any, sparse: Any, create_file: bool = True,
            **kwargs: Any) -> Iterator[Any]:
    """``--collection`` opened (or created) with these encoders, on one client closed afterwards."""
    from sparsebolt.milvus.collection import TextCollection  # noqa: PLC0415

    client = _connect(args, create=create_file)
    try:
        with TextCollection(args.uri, args.collection, dense=dense, sparse=sparse, retry=_retry(args),
                            client=client, **kwargs) as collection:
            yield collection
    finally:
        client.close()


def cmd_ingest(args: argparse.Namespace) -> int:
    if not Path(args.path).exists():
        raise CliError(f"no such file or folder: {args.path}")
    if args.batch_size < 1:
        raise CliError("--batch-size must be >= 1")
    given = encoder_flags(args)
    if given.dense == "none" and given.sparse == "none":
        raise CliError("--dense none and --sparse none leave nothing to store; keep at least one")
    if args.bm25_params is not None and given.sparse not in (None, "bm25"):
        raise CliError("--bm25-params applies to --sparse bm25 only")
    flags = flag_recipes(given.dense, given.sparse, analyzer_options(args), dense_model=given.dense_model,
                         sparse_model=given.sparse_model)
    show = sys.stderr.isatty() and not args.no_progress
    with _opened_for_ingest(args, flags) as collection:
        summary = collection.ingest(args.path, format=args.format, id_field=args.id_field, text_field=args.text_field,
                                    batch_size=args.batch_size, on_existing=args.on_existing, show_progress=show)
        total = collection.count()
    if args.json:
        print(json.dumps({**summary.to_dict(), "stored": total}))
    else:
        print(f"{summary.inserted} inserted, {summary.skipped} skipped, {summary.failed} failed in "
              f"{summary.seconds:.1f}s ({summary.docs_per_second:.0f} docs/s); "
              f"collection {args.collection!r} now holds {total} documents")
    return 0


@contextmanager
def _opened_for_ingest(args: argparse.Namespace, flags: dict[str, Any]) -> Iterator[Any]:
    """``--collection`` with the encoders recorded with it, or (new, or made before recording) those of the flags."""
    from sparsebolt.milvus.collection import TextCollection  # noqa: PLC0415

    client = _connect(args)
    try:
        recorded = None if args.drop else _recorded(client, args)
        chosen = encoder_recipes(args.collection, recorded, flags, default_recipes())
        encoders = build_for_cli(chosen, instead="--dense none", precision=args.precision)
        if args.bm25_params is not None:
            sparse, recipe = encoders.get("sparse"), chosen.get("sparse")
            if sparse is None or recipe is None or recipe.name != "bm25":
                raise CliError(f"--bm25-params applies to a client-side BM25 field; collection {args.collection!r} "
                               f"has none")
            _bm25_encoder(args.bm25_params, sparse)
        options: dict[str, Any] = {"retry": _retry(args), "client": client}
        if recorded is not None:
            collection = TextCollection(args.uri, args.collection, encoders=encoders, **options)
        else:
            collection = TextCollection(args.uri, args.collection, dense=encoders.get("dense"),
                                        sparse=encoders.get("sparse"), id_type=args.id_type,
                                        drop_existing=args.drop, **options)
        with collection:
            yield collection
    finally:
        client.close()


@contextmanager
def _opened_for_search(args: argparse.Namespace) -> Iterator[Any]:
    """An existing collection (in an existing Lite file) with the encoders its vector fields and --mode need: the
    ones recorded with it, or MiniLM and the English BM25 for a collection made before encoders were recorded."""
    from sparsebolt.milvus.collection import TextCollection  # noqa: PLC0415

    client = _connect(args, create=False)
    try:
        probe = TextCollection(args.uri, args.collection, retry=_retry(args), client=client, create=False)
        spec, recorded = probe.spec, probe.recorded
        _check_mode(args.mode, spec)
        opened = TextCollection(args.uri, args.collection, retry=_retry(args), client=client, create=False,
                                **search_encoders(spec, recorded, args.mode, analyzer_options(args)))
        with opened as collection:
            yield collection
    finally:
        client.close()


def _check_mode(mode: Optional[str], spec: Any) -> None:
    """Refuse a --mode the collection's vectors cannot serve, in flags (the library would say mode='...')."""
    if mode in ("dense", "hybrid") and not spec.has_dense:
        raise CliError(f"collection {spec.name!r} has no dense vectors (it was ingested with --dense none); "
                       f"use --mode sparse")
    if mode in ("sparse", "hybrid") and not spec.has_sparse:
        raise CliError(f"collection {spec.name!r} has no sparse vectors (it was ingested with --sparse none); "
                       f"use --mode dense")


def _parse_weights(text: Optional[str]) -> Optional[tuple[float, float]]:
    if text is None:
        return None
    try:
        parts = tuple(float(x) for x in text.split(","))
    except ValueError:
        raise CliError(f"--weights must be two numbers like 0.7,0.3, got {text!r}") from None
    if len(parts) != 2:
        raise CliError(f"--weights must be two numbers like 0.7,0.3, got {text!r}")
    return parts


def cmd_search(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise CliError("--limit must be >= 1")
    weights = _parse_weights(args.weights)
    fields = [f.strip() for f in args.output_fields.split(",") if f.strip()]
    with _opened_for_search(args) as collection:
        mode = args.mode or ("hybrid" if "hybrid" in collection.modes else collection.modes[0])
        try:
            results = collection.search(args.query, mode=mode, limit=args.limit, filter=args.filter,
                                        output_fields=fields, ranker=args.ranker, rrf_k=args.rrf_k, weights=weights)
        except Exception as exc:
            refusal = milvus_refusal(exc)
            if refusal is None or not refusal.invalid:
                raise
            raise CliError(f"Milvus refused the search: {refusal}; {_search_fix(args, refusal.text)}") from exc
    if args.json:
        print(json.dumps([{"query": q, "mode": mode, "hits": [h.to_dict() for h in hits]}
                          for q, hits in zip(args.query, results)], ensure_ascii=False))
        return 0
    for query, hits in zip(args.query, results):
        print(f"{mode} results for {query!r}:")
        _print_hits(hits)
    return 0


def _search_fix(args: argparse.Namespace, said: str) -> str:
    """Which search flag to fix, from what Milvus said or, when it said too little, from the flags given."""
    said = said.lower()
    limit = (f"fix --limit/-k {args.limit}: Milvus returns at most {MILVUS_TOPK_LIMIT} hits per query "
             f"(its default limit)")
    filter_ = (f"fix --filter {args.filter!r}: it must be a Milvus boolean expression over stored fields, "
               f"e.g. 'year > 2020'")
    fields = f"fix --output-fields {args.output_fields!r}: name metadata fields the collection stores"
    named = [fix for fix, words in ((limit, ("topk", "top_k", "limit")), (filter_, ("expr", "filter", "parse")),
                                    (fields, ("output",)))
             if any(w in said for w in words)]
    if not named:
        named = [fix for fix, given in ((limit, args.limit > MILVUS_TOPK_LIMIT), (filter_, bool(args.filter)),
                                        (fields, bool(args.output_fields))) if given]
    return "; ".join(named) or "check --limit, --filter and --output-fields"


def _stored_documents(client: Any, collection: str, retry: Any) -> int:
    """How many documents ``collection`` holds (a Strong count), 0 when it does not exist."""
    from sparsebolt.milvus.retry import call_with_retry  # noqa: PLC0415

    if not call_with_retry(lambda: client.has_collection(collection, timeout=retry.timeout), retry,
                           what=f"checking collection {collection!r}"):
        return 0
    call_with_retry(lambda: client.load_collection(collection, timeout=retry.timeout), retry,
                    what=f"loading collection {collection!r}")
    rows = call_with_retry(
        lambda: client.query(collection, filter="", output_fields=["count(*)"], consistency_level="Strong",
                             timeout=retry.timeout),
        retry, what=f"counting {collection!r}",
    )
    return int(rows[0]["count(*)"])


def cmd_fit(args: argparse.Namespace) -> int:
    if not Path(args.path).exists():
        raise CliError(f"no such file or folder: {args.path}")
    if args.replace_statistics and not args.collection:
        raise CliError("--replace-statistics applies with --collection only")
    client = _connect(args) if args.collection else None
    try:
        return _fit(args, client)
    finally:
        if client is not None:
            client.close()


def _fit(args: argparse.Namespace, client: Any) -> int:
    from sparsebolt.milvus import stats  # noqa: PLC0415
    from sparsebolt.milvus.sources import iter_documents  # noqa: PLC0415

    reingest = (f"sparsebolt ingest PATH --uri {args.uri} --collection {args.collection} --on-existing upsert"
                if args.collection else None)
    # Checked before fitting: the stored sparse vectors were made with the collection's statistics, and
    # replacing those silently would make searches miss the documents.
    held = _stored_documents(client, args.collection, _retry(args)) if client is not None else 0
    if held and not args.replace_statistics:
        raise CliError(
            f"collection {args.collection!r} holds {held} documents whose sparse vectors were made with its current "
            f"BM25 statistics, and other statistics would make searches miss them. To replace them anyway, pass "
            f"--replace-statistics and then re-encode every document with: {reingest}; or fit into a new "
            f"collection (--collection NEW)"
        )
    encoder = _fit_encoder(args, client)
    count = 0

    def texts() -> Any:
        nonlocal count
        for doc in iter_documents(args.path, format=args.format, id_field=args.id_field, text_field=args.text_field):
            count += 1
            yield doc.text

    encoder.fit(texts())
    if count == 0:
        raise CliError(f"{args.path} holds no documents to fit on")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    encoder.save(args.output)
    stored_with = None
    if client is not None:
        stats.save_blob(client, args.collection, "bm25", stats.encoder_state(encoder), retry=_retry(args))
        stored_with = args.collection
    result = {"output": str(args.output), "documents": count, "dim": int(encoder.dim), "collection": stored_with,
              "replaced_statistics_of": held, "reingest": reingest if held else None}
    if args.json:
        print(json.dumps(result))
    else:
        where = f" and kept with collection {stored_with!r}" if stored_with else ""
        print(f"fitted BM25 on {count} documents ({result['dim']} terms); wrote {args.output}{where}")
        if held:
            print(f"replaced the statistics the {held} documents of {args.collection!r} were encoded with: "
                  f"re-encode them with {reingest}, else searches miss them")
    return 0


def _fit_encoder(args: argparse.Namespace, client: Any) -> Any:
    """An unfitted BM25 encoder: the one recorded with ``--collection``, else the analyzer flags'."""
    recorded = _recorded(client, args) if client is not None else None
    return fit_encoder(args.collection, recorded, analyzer_options(args))


def cmd_demo(args: argparse.Namespace) -> int:
    from sparsebolt.data import demo_corpus_path  # noqa: PLC0415

    if args.limit < 1:
        raise CliError("--limit must be >= 1")
    dense = None if args.no_dense else _dense_encoder("--no-dense")
    with _opened(args, dense=dense, sparse=_bm25_encoder(), drop_existing=True) as collection:
        summary = collection.ingest(demo_corpus_path(), batch_size=64)
        queries = args.query or list(DEMO_QUERIES)
        output: list[dict[str, Any]] = []
        if not args.json:
            print(f"Ingested {summary.inserted} documents into {args.collection!r} at {args.uri} "
                  f"in {summary.seconds:.1f}s.\n")
        for mode in ("sparse", "dense", "hybrid"):
            if mode not in collection.modes:
                continue
            results = collection.search(queries, mode=mode, limit=args.limit, output_fields=["topic"])
            for query, hits in zip(queries, results):
                output.append({"query": query, "mode": mode, "hits": [h.to_dict() for h in hits]})
        for query in queries:
            if args.json:
                continue
            print(f"Query: {query}")
            for item in (o for o in output if o["query"] == query):
                print(f"  {item['mode']}:")
                for hit in item["hits"]:
                    print(f"    {hit['score']:8.4f}  [{hit['id']}] {_shorten(hit['text'])}")
            print()
    if args.json:
        print(json.dumps({"ingested": summary.to_dict(), "results": output}, ensure_ascii=False))
    else:
        print(f"Search it again: sparsebolt search --uri {args.uri} --collection {args.collection} \"your query\"")
    return 0


def _shorten(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _print_hits(hits: Sequence[Any]) -> None:
    if not hits:
        print("  (no hits)")
    for rank, hit in enumerate(hits, start=1):
        extra = f"  {json.dumps(hit.fields, ensure_ascii=False)}" if hit.fields else ""
        print(f"  {rank:2d}. {hit.score:9.4f}  [{hit.id}] {_shorten(hit.text)}{extra}")


_COMMANDS = {"ingest": cmd_ingest, "search": cmd_search, "fit": cmd_fit, "demo": cmd_demo, "eval": cmd_eval}


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    return run_reporting_errors(f"sparsebolt {args.command}", lambda: _COMMANDS[args.command](args),
                                verbose=args.verbose)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
