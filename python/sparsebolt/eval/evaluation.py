"""evaluate(): a BEIR folder ingested into a TextCollection (or reused there), every judged query run in each
search mode, and the runs scored by pytrec_eval (nDCG@10, Recall@100, MRR@10) with per-query latency p50/p99."""

from __future__ import annotations

import logging
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence, Union

import numpy as np

from sparsebolt.eval.beir import iter_corpus, read_qrels, read_queries
from sparsebolt.eval.fusion_tuning import FusionTuning, check_fusion, split_queries, tune_fusion
from sparsebolt.eval.metrics import MEASURES, score_run

logger = logging.getLogger(__name__)

__all__ = ["DEPTH", "EvalReport", "IngestFigures", "ModeResult", "MODES", "evaluate"]

MODES = ("sparse", "dense", "hybrid")
TOP, DEPTH = 10, 100
"""Hits of the two searches per query: nDCG@10 and MRR@10 read a search for 10, Recall@100 one for 100 (hybrid
fuses candidates in proportion to the limit, so a search for 10 is not the top of one for 100)."""
AT_TOP = tuple(m for m in MEASURES if m.endswith(f"@{TOP}"))
AT_DEPTH = tuple(m for m in MEASURES if m.endswith(f"@{DEPTH}"))
RERANK_SUFFIX = "+rerank"

Run = dict[str, list[str]]
Qrels = Mapping[str, Mapping[str, int]]


@dataclass
class ModeResult:
    """One mode's figures: the mean of each measure over the judged queries, and per-query latency in ms."""

    mode: str
    scores: dict[str, float]
    latency_ms: dict[str, float]
    per_query: dict[str, dict[str, float]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {**self.scores, "latency_ms": dict(self.latency_ms)}


@dataclass
class IngestFigures:
    """What the ingestion did: documents in the corpus, those encoded and stored now, and the rate."""

    documents: int
    inserted: int
    skipped: int
    seconds: float

    @property
    def docs_per_second(self) -> float:
        return self.inserted / self.seconds if self.inserted and self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"documents": self.documents, "inserted": self.inserted, "skipped": self.skipped,
                "seconds": round(self.seconds, 3), "docs_per_second": round(self.docs_per_second, 1)}


@dataclass
class EvalReport:
    """The figures of one evaluation; :meth:`to_dict` is what ``sparsebolt eval --json`` prints."""

    dataset: str
    queries: int
    ingest: IngestFigures
    modes: dict[str, ModeResult]
    settings: dict[str, Any]
    fusion: Optional[FusionTuning] = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dataset": self.dataset, "queries": self.queries, "ingest": self.ingest.to_dict(),
                               "settings": dict(self.settings),
                               "modes": {name: result.to_dict() for name, result in self.modes.items()}}
        if self.fusion is not None:
            out["fusion"] = self.fusion.to_dict()
        return out


def evaluate(
    folder: Union[str, Path],
    *,
    collection: Any = None,
    dense: Any = "minilm",
    sparse: Any = "bm25",
    uri: Optional[str] = None,
    collection_name: Optional[str] = None,
    modes: Optional[Sequence[str]] = None,
    ranker: str = "rrf",
    rrf_k: int = 60,
    weights: Optional[Sequence[float]] = None,
    reranker: Optional[Callable[..., Any]] = None,
    rerank_depth: int = DEPTH,
    tune: bool = False,
    tune_seed: int = 0,
    split: Optional[str] = None,
    batch_size: int = 256,
    show_progress: bool = False,
) -> EvalReport:
    """Evaluate retrieval on the BEIR ``folder`` (corpus.jsonl, queries.jsonl, qrels.tsv or qrels/<split>.tsv).

    The corpus is ingested into ``collection`` (an open :class:`~sparsebolt.milvus.TextCollection`; documents it
    already stores are skipped, so a second run reuses it), else into a collection ``collection_name`` at ``uri``
    (default: a temporary Milvus Lite file, removed afterwards) with the encoders ``dense`` and ``sparse``: an
    encoder, a kind of :mod:`sparsebolt.encoders` (default: ``"minilm"`` and ``"bm25"``), or None for no field.

    Each judged query (in qrels and queries.jsonl) is searched in each mode of ``modes`` (default: every mode the
    collection serves, of ``"sparse"``, ``"dense"``, ``"hybrid"``): alone for 10 hits, timed, which nDCG@10 and
    MRR@10 score, and in one batch for 100, which Recall@100 scores. Hybrid fuses with ``ranker`` (``"rrf"`` with
    ``rrf_k``, or ``"weighted"`` with ``weights``, dense then sparse). ``reranker`` (a pymilvus.model reranker,
    e.g. ``CrossEncoderRerankFunction``) adds a ``"<mode>+rerank"`` row per mode: each query searched alone for
    ``max(rerank_depth, 100)`` hits, its top ``rerank_depth`` reordered, every measure read from that list, and
    latency counting the search and the rerank.
    ``tune=True`` also searches the fusion's parameters on half the queries and reports them on the other half
    (:func:`sparsebolt.eval.fusion_tuning.tune_fusion`, split by ``tune_seed``).

    Runs are scored by pytrec_eval (:mod:`sparsebolt.eval.metrics`); latency is wall time per query (encoding
    included), after one untimed warm-up query per mode.
    """
    folder = Path(folder)
    if collection is not None and (uri is not None or collection_name is not None):
        raise ValueError("pass collection= (an open TextCollection) or uri=/collection_name=, not both")
    check_fusion(ranker, rrf_k, weights)
    if isinstance(rerank_depth, bool) or not isinstance(rerank_depth, int) or rerank_depth < 1:
        raise ValueError(f"rerank_depth must be a positive integer (hits the reranker reorders), got {rerank_depth!r}")
    asked = _check_modes(modes)
    if next(iter_corpus(folder), None) is None:  # a missing file raises here, before any collection is opened
        raise ValueError(f"{folder / 'corpus.jsonl'} holds no documents to search")
    qrels = read_qrels(folder, split)
    queries = _judged_queries(folder, qrels)
    if tune and len(queries) < 2:
        raise ValueError(f"tuning the fusion splits the queries in two; {folder} has {len(queries)} judged query")
    with ExitStack() as stack:
        if collection is None:
            collection = stack.enter_context(_open(folder, uri, collection_name, dense, sparse))
        chosen = _modes_for(asked, collection.modes, tune)
        ingest = _ingest(collection, folder, batch_size, show_progress)
        options = {"ranker": ranker, "rrf_k": rrf_k, "weights": None if weights is None else list(weights)}
        results: dict[str, ModeResult] = {}
        for mode in chosen:
            results.update(_run_mode(collection, queries, qrels, mode, options, reranker, rerank_depth))
        fusion = None
        if tune:
            tune_ids, test_ids = split_queries(list(queries), seed=tune_seed)
            fusion = tune_fusion(collection, queries, qrels, tune_ids, test_ids, baseline=options,
                                 modes={name: r.per_query for name, r in results.items()}, limits=(TOP, DEPTH),
                                 seed=tune_seed)
    settings = {**options, "limits": [TOP, DEPTH], "rerank_depth": rerank_depth if reranker is not None else None}
    return EvalReport(dataset=folder.resolve().name, queries=len(queries), ingest=ingest, modes=results,
                      settings=settings, fusion=fusion)


def _check_modes(modes: Optional[Sequence[str]]) -> Optional[list[str]]:
    if modes is None:
        return None
    if isinstance(modes, str):
        raise TypeError(f"modes takes a list of modes, got the string {modes!r}; write [{modes!r}]")
    asked = list(dict.fromkeys(modes))
    unknown = [m for m in asked if m not in MODES]
    if unknown or not asked:
        raise ValueError(f"unknown mode {unknown[0]!r}" if unknown else "modes is empty"
                         f"; the modes are {', '.join(MODES)}")
    return asked


def _modes_for(asked: Optional[list[str]], available: Sequence[str], tune: bool) -> list[str]:
    """The modes to run, in MODES order; one the collection cannot serve is a ValueError naming what it has."""
    if asked is None:
        return [m for m in MODES if m in available]
    missing = [m for m in asked if m not in available]
    if missing:
        raise ValueError(f"mode {missing[0]!r} needs {'both vector fields' if missing[0] == 'hybrid' else missing[0]} "
                         f"vectors, and this collection serves {', '.join(available) or 'no mode'}: ask for those "
                         f"modes, or evaluate a collection with both encoders")
    if tune and "hybrid" not in available:
        raise ValueError("tuning the fusion needs hybrid search: a collection with dense and sparse vectors")
    return [m for m in MODES if m in asked]


def _judged_queries(folder: Path, qrels: Mapping[str, Mapping[str, int]]) -> dict[str, str]:
    if not qrels:
        raise ValueError(f"the qrels of {folder} hold no judgements: nothing to score; they need lines of "
                         f"query-id, corpus-id, score")
    queries = read_queries(folder)
    judged = {q: text for q, text in queries.items() if q in qrels}
    if not judged:
        raise ValueError(f"no query of {folder / 'queries.jsonl'} is judged in the qrels (query ids like "
                         f"{next(iter(queries), None)!r} there, {next(iter(qrels))!r} in the qrels)")
    unasked = len(set(qrels) - set(queries))
    if unasked:
        logger.warning("%d judged queries are not in queries.jsonl and are left out", unasked)
    return judged


@contextmanager
def _open(folder: Path, uri: Optional[str], name: Optional[str], dense: Any, sparse: Any) -> Iterator[Any]:
    """A TextCollection for the evaluation, closed (and a temporary Lite file removed) afterwards."""
    from sparsebolt.milvus.collection import TextCollection  # noqa: PLC0415 - imports pymilvus

    with ExitStack() as stack:
        if uri is None:
            uri = str(Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sparsebolt-eval-"))) / "eval.db")
        with TextCollection(uri, name or default_collection_name(folder), dense=_encoder(dense),
                            sparse=_encoder(sparse)) as opened:
            yield opened


def default_collection_name(folder: Union[str, Path]) -> str:
    """``eval_<folder name>`` in the letters Milvus allows in a collection name."""
    stem = "".join(c if c.isalnum() else "_" for c in Path(folder).resolve().name if c.isascii())
    return f"eval_{stem}"[:255]


def _encoder(value: Any) -> Any:
    if isinstance(value, str):
        from sparsebolt.encoders import build_encoder, make_recipe  # noqa: PLC0415

        return build_encoder(make_recipe(value))
    return value


def _ingest(collection: Any, folder: Path, batch_size: int, show_progress: bool) -> IngestFigures:
    summary = collection.ingest(folder, format="beir", batch_size=batch_size, show_progress=show_progress)
    return IngestFigures(documents=summary.inserted + summary.skipped + summary.failed, inserted=summary.inserted,
                         skipped=summary.skipped, seconds=summary.seconds)


def _run_mode(collection: Any, queries: Mapping[str, str], qrels: Qrels, mode: str, options: Mapping[str, Any],
              reranker: Optional[Callable[..., Any]], rerank_depth: int) -> dict[str, ModeResult]:
    """The mode's row (and its reranked row): see :func:`evaluate` for which search each figure reads."""
    ids, texts = list(queries), list(queries.values())
    collection.search(texts[0], mode=mode, limit=TOP, **options)  # warm-up, untimed
    top, latency = _timed(collection, queries, mode, options, TOP)
    deep = {q: [str(hit.id) for hit in hits]
            for q, hits in zip(ids, collection.search(texts, mode=mode, limit=DEPTH, **options))}
    results = {mode: _result(mode, _hit_ids(top), deep, qrels, latency)}
    if reranker is not None:
        candidates, searched = _timed(collection, queries, mode, options, max(rerank_depth, DEPTH))
        reranked, extra = _rerank(reranker, queries, candidates, rerank_depth)
        name = mode + RERANK_SUFFIX
        results[name] = _result(name, reranked, reranked, qrels, [a + b for a, b in zip(searched, extra)])
    return results


def _timed(collection: Any, queries: Mapping[str, str], mode: str, options: Mapping[str, Any], limit: int
           ) -> tuple[dict[str, list[Any]], list[float]]:
    """Each query searched alone for ``limit`` hits: its hits and the milliseconds each search took."""
    hits: dict[str, list[Any]] = {}
    latency: list[float] = []
    for query_id, text in queries.items():
        start = time.perf_counter()
        hits[query_id] = collection.search(text, mode=mode, limit=limit, **options)
        latency.append((time.perf_counter() - start) * 1e3)
    return hits, latency


def _hit_ids(hits: Mapping[str, Sequence[Any]]) -> Run:
    return {q: [str(hit.id) for hit in found] for q, found in hits.items()}


def _rerank(reranker: Callable[..., Any], queries: Mapping[str, str], hits: Mapping[str, Sequence[Any]], depth: int
            ) -> tuple[Run, list[float]]:
    """The top ``depth`` hits of each query reordered by ``reranker`` (the rest keep their places below them),
    and the milliseconds each rerank took."""
    runs: Run = {}
    latency: list[float] = []
    for query_id, text in queries.items():
        found = hits[query_id]
        head, tail = found[:depth], found[depth:]
        start = time.perf_counter()
        ranked = reranker(text, [hit.text for hit in head], top_k=len(head)) if head else []
        latency.append((time.perf_counter() - start) * 1e3)
        runs[query_id] = [str(head[int(r.index)].id) for r in ranked] + [str(hit.id) for hit in tail]
    return runs, latency


def _result(mode: str, top: Run, deep: Run, qrels: Qrels, latency: Sequence[float]) -> ModeResult:
    """nDCG@10 and MRR@10 of the ``top`` run, Recall@100 of the ``deep`` one: each query's and their means."""
    deep_scores = score_run(deep, qrels, AT_DEPTH)
    per_query = {q: {**scores, **deep_scores[q]} for q, scores in score_run(top, qrels, AT_TOP).items()}
    means = {name: float(np.mean([scores[name] for scores in per_query.values()])) for name in MEASURES}
    return ModeResult(mode=mode, scores=means, latency_ms=percentiles(latency), per_query=per_query)


def percentiles(milliseconds: Sequence[float]) -> dict[str, float]:
    """p50 and p99 (numpy's linear interpolation) of per-query latencies."""
    values = np.asarray(milliseconds, dtype=np.float64)
    return {"p50": float(np.percentile(values, 50)), "p99": float(np.percentile(values, 99))}
