"""Dense, sparse and hybrid search over a sparsebolt collection, plus the optional rerank hook.
Queries are encoded in one batch per call; hybrid uses Milvus's own hybrid_search with RRF or weighted fusion,
except on Milvus Lite 2.x, whose hybrid_search attaches other documents' fields to hits (it fetches them with an
unescaped ``id in ['...']``): there the two routes are searched and fused here, with Milvus's formulas."""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

from sparsebolt.milvus.expr import LITE_25, SERVER
from sparsebolt.milvus.metadata import output_request
from sparsebolt.milvus.results import Hit, hits_from_milvus
from sparsebolt.milvus.retry import RetryPolicy, call_with_retry
from sparsebolt.milvus.schema import CollectionSpec
from sparsebolt.milvus.vectors import dense_matrix, encode_dense, sparse_query_dicts

__all__ = ["MODES", "RANKERS", "run_search"]

MODES = ("dense", "sparse", "hybrid")
RANKERS = ("rrf", "weighted")


def run_search(
    client: Any,
    spec: CollectionSpec,
    queries: Sequence[str],
    *,
    mode: str,
    dense: Any,
    sparse: Any,
    limit: int,
    filter: str,  # noqa: A002 - Milvus's name
    output_fields: Sequence[str],
    ranker: str,
    rrf_k: int,
    weights: Optional[Sequence[float]],
    candidates: Optional[int],
    search_params: Optional[dict[str, Any]],
    rerank: Optional[Callable[..., Any]],
    retry: RetryPolicy,
    dialect: str = SERVER,
) -> list[list[Hit]]:
    """One list of hits per query (see :meth:`TextCollection.search` for the options)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
    if ranker not in RANKERS:
        raise ValueError(f"ranker must be one of {list(RANKERS)}, got {ranker!r}")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ValueError(f"limit must be a positive int, got {limit!r}")
    if mode in ("dense", "hybrid") and not spec.has_dense:
        raise ValueError(f"collection {spec.name!r} has no dense vectors; use mode='sparse'")
    if mode in ("sparse", "hybrid") and not spec.has_sparse:
        raise ValueError(f"collection {spec.name!r} has no sparse vectors; use mode='dense'")
    if mode in ("dense", "hybrid") and dense is None:
        raise ValueError("dense search needs a dense encoder: pass dense= when opening the collection")
    if mode in ("sparse", "hybrid") and spec.sparse_mode == "client" and sparse is None:
        raise ValueError("sparse search needs the sparse encoder: pass sparse= when opening the collection")
    if weights is not None and len(weights) != 2:
        raise ValueError(f"weights must be (dense_weight, sparse_weight), got {weights!r}")
    if not queries:
        return []
    fields, pick = output_request([spec.text_field, *output_fields], spec.reserved_fields)
    fetch = limit if rerank is None else max(limit, candidates or limit)
    common = dict(filter=filter, output_fields=fields, pick=pick, retry=retry)

    dense_data = _dense_queries(dense, queries, spec) if mode in ("dense", "hybrid") else None
    sparse_data = _sparse_queries(sparse, queries, spec) if mode in ("sparse", "hybrid") else None
    results: list[list[Hit]] = [[] for _ in queries]

    if mode == "dense":
        _search_into(results, range(len(queries)), client, spec, dense_data, spec.dense_field,
                     spec.dense_metric, fetch, search_params, **common)
    elif mode == "sparse":
        live = [i for i, q in enumerate(sparse_data) if q]  # type: ignore[arg-type]
        _search_into(results, live, client, spec, sparse_data, spec.sparse_field,
                     spec.sparse_metric, fetch, search_params, **common)
    else:
        live = [i for i, q in enumerate(sparse_data) if q]  # type: ignore[arg-type]
        empty = [i for i in range(len(queries)) if not sparse_data[i]]  # type: ignore[index]
        # A query with no known sparse term has nothing to fuse: its dense hits stand alone.
        _search_into(results, empty, client, spec, dense_data, spec.dense_field,
                     spec.dense_metric, fetch, search_params, **common)
        if live:
            per_route = max(fetch, candidates or 0, 2 * fetch)
            fuse = _fused_into if dialect == LITE_25 else _hybrid_into
            fuse(results, live, client, spec, dense_data, sparse_data, per_route, fetch,
                 ranker, rrf_k, weights, search_params, **common)

    if rerank is not None:
        results = [_rerank(rerank, q, hits, limit) for q, hits in zip(queries, results)]
    return [hits[:limit] for hits in results]


def _dense_queries(encoder: Any, queries: Sequence[str], spec: CollectionSpec) -> list[Any]:
    matrix = dense_matrix(encode_dense(encoder, queries, queries=True), len(queries), spec.dense_dim)
    return list(matrix)


def _sparse_queries(encoder: Any, queries: Sequence[str], spec: CollectionSpec) -> list[Any]:
    if spec.sparse_mode == "milvus-bm25":
        return [q if q.strip() else "" for q in queries]  # the server analyzes the text itself
    return sparse_query_dicts(encoder, queries)


def _search_into(results: list[list[Hit]], indices: Sequence[int], client: Any, spec: CollectionSpec,
                 data: Any, field: str, metric: str, limit: int, search_params: Optional[dict[str, Any]], *,
                 filter: str, output_fields: list[str], pick: Any, retry: RetryPolicy) -> None:  # noqa: A002
    if not indices:
        return
    params = {"metric_type": metric, "params": dict(search_params or {})}
    batch = [data[i] for i in indices]
    raw = call_with_retry(
        lambda: client.search(spec.name, data=batch, anns_field=field, limit=limit, filter=filter,
                              output_fields=output_fields, search_params=params, timeout=retry.timeout),
        retry, what=f"searching {spec.name!r}",
    )
    for i, rows in zip(indices, raw):
        results[i] = hits_from_milvus(rows, metric=metric, id_field=spec.id_field, text_field=spec.text_field,
                                      pick=pick)


def _hybrid_into(results: list[list[Hit]], indices: Sequence[int], client: Any, spec: CollectionSpec,
                 dense_data: Any, sparse_data: Any, per_route: int, limit: int, ranker: str, rrf_k: int,
                 weights: Optional[Sequence[float]], search_params: Optional[dict[str, Any]], *,
                 filter: str, output_fields: list[str], pick: Any, retry: RetryPolicy) -> None:  # noqa: A002
    from pymilvus import AnnSearchRequest, RRFRanker, WeightedRanker  # noqa: PLC0415

    fusion = RRFRanker(rrf_k) if ranker == "rrf" else WeightedRanker(*(weights or (0.5, 0.5)))
    # hybrid_search takes one query per call on several Milvus versions; loop for portability.
    for i in indices:
        reqs = [
            AnnSearchRequest(data=[dense_data[i]], anns_field=spec.dense_field,
                             param={"metric_type": spec.dense_metric, "params": dict(search_params or {})},
                             limit=per_route, expr=filter or None),
            AnnSearchRequest(data=[sparse_data[i]], anns_field=spec.sparse_field,
                             param={"metric_type": spec.sparse_metric, "params": {}},
                             limit=per_route, expr=filter or None),
        ]
        raw = call_with_retry(
            lambda reqs=reqs: client.hybrid_search(spec.name, reqs, fusion, limit=limit,
                                                   output_fields=output_fields, timeout=retry.timeout),
            retry, what=f"hybrid search in {spec.name!r}",
        )
        results[i] = hits_from_milvus(raw[0], metric="RANKER", id_field=spec.id_field, text_field=spec.text_field,
                                      pick=pick)


def _fused_into(results: list[list[Hit]], indices: Sequence[int], client: Any, spec: CollectionSpec,
                dense_data: Any, sparse_data: Any, per_route: int, limit: int, ranker: str, rrf_k: int,
                weights: Optional[Sequence[float]], search_params: Optional[dict[str, Any]], *,
                filter: str, output_fields: list[str], pick: Any, retry: RetryPolicy) -> None:  # noqa: A002
    """hybrid_search's ranking, computed here: each route searched for all queries at once, fused with the
    formulas of Milvus's rankers (rerank.fusion), every hit keeping the fields its own route returned."""
    from sparsebolt.rerank.fusion import rrf_fuse, weighted_fuse  # noqa: PLC0415

    routes = []
    for data, field, metric, params in ((dense_data, spec.dense_field, spec.dense_metric, search_params),
                                        (sparse_data, spec.sparse_field, spec.sparse_metric, None)):
        batch = [data[i] for i in indices]
        routes.append(call_with_retry(
            lambda batch=batch, field=field, metric=metric, params=params: client.search(
                spec.name, data=batch, anns_field=field, limit=per_route, filter=filter, output_fields=output_fields,
                search_params={"metric_type": metric, "params": dict(params or {})}, timeout=retry.timeout),
            retry, what=f"searching {spec.name!r}",
        ))
    for position, i in enumerate(indices):
        lists = [list(route[position]) for route in routes]
        if ranker == "rrf":
            fused = rrf_fuse(lists, k=rrf_k, top_k=limit)
        else:
            fused = weighted_fuse(lists, list(weights or (0.5, 0.5)), metrics=[spec.dense_metric, spec.sparse_metric],
                                  top_k=limit)
        rows = [{"id": f.id, "distance": f.score, "entity": f.item.get("entity") or {}} for f in fused]
        results[i] = hits_from_milvus(rows, metric="RANKER", id_field=spec.id_field, text_field=spec.text_field,
                                      pick=pick)


def _rerank(rerank: Callable[..., Any], query: str, hits: list[Hit], limit: int) -> list[Hit]:
    """Reorder ``hits`` with a pymilvus.model reranker: ``rerank(query, documents, top_k=...)``."""
    if not hits:
        return hits
    ranked = rerank(query, [h.text for h in hits], top_k=limit)
    out = []
    for r in ranked:
        index = int(getattr(r, "index"))
        hit = hits[index]
        out.append(Hit(id=hit.id, score=float(getattr(r, "score")), text=hit.text, fields=hit.fields))
    return out
