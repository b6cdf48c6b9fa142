"""Dense, sparse and hybrid search over a sparsebolt collection's vector fields, plus the optional rerank hook.
Queries are encoded in one batch per call; searching several fields fuses them with Milvus's own hybrid_search (RRF
or weighted), except on Milvus Lite 2.x, whose hybrid_search attaches other documents' fields to hits (it fetches
them with an unescaped ``id in ['...']``): there each field is searched and the routes fused here, with Milvus's
formulas."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Sequence

from sparsebolt.milvus.columns import query_vectors
from sparsebolt.milvus.expr import LITE_25, SERVER
from sparsebolt.milvus.fields import DENSE, VectorField
from sparsebolt.milvus.metadata import output_request
from sparsebolt.milvus.results import Hit, hits_from_milvus
from sparsebolt.milvus.retry import RetryPolicy, call_with_retry
from sparsebolt.milvus.schema import CollectionSpec

__all__ = ["MODES", "RANKERS", "run_search", "searched_fields"]

MODES = ("dense", "sparse", "hybrid")
RANKERS = ("rrf", "weighted")


def searched_fields(spec: CollectionSpec, encoders: Mapping[str, Any], mode: Optional[str],
                    fields: Optional[Sequence[str]] = None) -> list[VectorField]:
    """The vector fields a search reads: those named in ``fields``, else by ``mode`` (``"dense"``: the dense
    fields, ``"sparse"``: the sparse ones, ``"hybrid"``: all), each with an encoder (or filled by Milvus)."""
    if fields is not None:
        if isinstance(fields, str):
            raise TypeError(f"fields takes a list of field names, got the string {fields!r}; write [{fields!r}]")
        chosen = [spec.vector_field(name) for name in dict.fromkeys(fields)]
        if not chosen:
            raise ValueError("fields is empty: name at least one vector field to search")
        for entry in chosen:
            if not entry.server_side and encoders.get(entry.name) is None:
                raise ValueError(f"searching field {entry.name!r} needs its encoder: pass it when opening the "
                                 f"collection")
        return chosen
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
    if mode in ("dense", "hybrid") and not spec.has_dense:
        raise ValueError(f"collection {spec.name!r} has no dense vectors; use mode='sparse'")
    if mode in ("sparse", "hybrid") and not spec.has_sparse:
        raise ValueError(f"collection {spec.name!r} has no sparse vectors; use mode='dense'")
    usable = [f for f in spec.vector_fields if f.server_side or encoders.get(f.name) is not None]
    dense = [f for f in usable if f.kind == DENSE]
    sparse = [f for f in usable if f.is_sparse]
    if mode in ("dense", "hybrid") and not dense:
        raise ValueError("dense search needs a dense encoder: pass dense= when opening the collection")
    if mode in ("sparse", "hybrid") and not sparse:
        raise ValueError("sparse search needs the sparse encoder: pass sparse= when opening the collection")
    return dense if mode == "dense" else sparse if mode == "sparse" else usable


def run_search(
    client: Any,
    spec: CollectionSpec,
    queries: Sequence[str],
    *,
    mode: Optional[str],
    encoders: Mapping[str, Any],
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
    fields: Optional[Sequence[str]] = None,
) -> list[list[Hit]]:
    """One list of hits per query (see :meth:`TextCollection.search` for the options)."""
    if ranker not in RANKERS:
        raise ValueError(f"ranker must be one of {list(RANKERS)}, got {ranker!r}")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ValueError(f"limit must be a positive int, got {limit!r}")
    routes = searched_fields(spec, encoders, mode, fields)
    if weights is not None and len(routes) > 1 and len(weights) != len(routes):
        names = ", ".join(f"{f.name}_weight" for f in routes)
        raise ValueError(f"weights must give one weight per searched field, ({names}), got {weights!r}")
    if not queries:
        return []
    requested, pick = output_request([spec.text_field, *output_fields], spec.reserved_fields)
    fetch = limit if rerank is None else max(limit, candidates or limit)
    common: dict[str, Any] = dict(filter=filter, output_fields=requested, pick=pick, retry=retry)

    vectors = query_vectors(routes, encoders, queries)
    results: list[list[Hit]] = [[] for _ in queries]
    # A query is searched on the fields where it has a vector (no known sparse term: nothing to search there);
    # queries live on the same fields are searched together.
    groups: dict[tuple[int, ...], list[int]] = {}
    for i in range(len(queries)):
        live = tuple(r for r, route in enumerate(routes) if _has_vector(vectors[route.name][i]))
        groups.setdefault(live, []).append(i)
    for live, indices in groups.items():
        if not live:
            continue
        if len(live) == 1:
            route = routes[live[0]]
            _search_into(results, indices, client, spec, vectors[route.name], route, fetch, search_params, **common)
            continue
        chosen = [routes[r] for r in live]
        chosen_weights = None if weights is None else [weights[r] for r in live]
        per_route = max(fetch, candidates or 0, 2 * fetch)
        fuse = _fused_into if dialect == LITE_25 else _hybrid_into
        fuse(results, indices, client, spec, chosen, vectors, per_route, fetch, ranker, rrf_k, chosen_weights,
             search_params, **common)

    if rerank is not None:
        results = [_rerank(rerank, q, hits, limit) for q, hits in zip(queries, results)]
    return [hits[:limit] for hits in results]


def _has_vector(vector: Any) -> bool:
    if isinstance(vector, (dict, str)):
        return bool(vector)
    return True  # a dense row


def _params(route: VectorField, search_params: Optional[dict[str, Any]], *, fused: bool) -> dict[str, Any]:
    # In a fusion, search params (ef, nprobe...) are the dense routes' alone; one route takes them whatever it is.
    own = search_params if route.kind == DENSE or not fused else None
    return {"metric_type": route.metric, "params": dict(own or {})}


def _search_into(results: list[list[Hit]], indices: Sequence[int], client: Any, spec: CollectionSpec,
                 data: Sequence[Any], route: VectorField, limit: int, search_params: Optional[dict[str, Any]], *,
                 filter: str, output_fields: list[str], pick: Any, retry: RetryPolicy) -> None:  # noqa: A002
    if not indices:
        return
    batch = [data[i] for i in indices]
    params = _params(route, search_params, fused=False)
    raw = call_with_retry(
        lambda: client.search(spec.name, data=batch, anns_field=route.name, limit=limit, filter=filter,
                              output_fields=output_fields, search_params=params, timeout=retry.timeout),
        retry, what=f"searching {spec.name!r}",
    )
    for i, rows in zip(indices, raw):
        results[i] = hits_from_milvus(rows, metric=str(route.metric), id_field=spec.id_field,
                                      text_field=spec.text_field, pick=pick)


def _hybrid_into(results: list[list[Hit]], indices: Sequence[int], client: Any, spec: CollectionSpec,
                 routes: Sequence[VectorField], vectors: Mapping[str, Sequence[Any]], per_route: int, limit: int,
                 ranker: str, rrf_k: int, weights: Optional[Sequence[float]],
                 search_params: Optional[dict[str, Any]], *, filter: str, output_fields: list[str], pick: Any,
                 retry: RetryPolicy) -> None:  # noqa: A002
    from pymilvus import AnnSearchRequest, RRFRanker, WeightedRanker  # noqa: PLC0415

    fusion = RRFRanker(rrf_k) if ranker == "rrf" else WeightedRanker(*(weights or [1 / len(routes)] * len(routes)))
    # hybrid_search takes one query per call on several Milvus versions; loop for portability.
    for i in indices:
        reqs = [AnnSearchRequest(data=[vectors[route.name][i]], anns_field=route.name,
                                 param=_params(route, search_params, fused=True), limit=per_route, expr=filter or None)
                for route in routes]
        raw = call_with_retry(
            lambda: client.hybrid_search(spec.name, reqs, fusion, limit=limit,
                                         output_fields=output_fields, timeout=retry.timeout),
            retry, what=f"hybrid search in {spec.name!r}",
        )
        results[i] = hits_from_milvus(raw[0], metric="RANKER", id_field=spec.id_field, text_field=spec.text_field,
                                      pick=pick)


def _fused_into(results: list[list[Hit]], indices: Sequence[int], client: Any, spec: CollectionSpec,
                routes: Sequence[VectorField], vectors: Mapping[str, Sequence[Any]], per_route: int, limit: int,
                ranker: str, rrf_k: int, weights: Optional[Sequence[float]],
                search_params: Optional[dict[str, Any]], *, filter: str, output_fields: list[str], pick: Any,
                retry: RetryPolicy) -> None:  # noqa: A002
    """hybrid_search's ranking, computed here: each route searched for all queries at once, fused with the
    formulas of Milvus's rankers (rerank.fusion), every hit keeping the fields its own route returned."""
    from sparsebolt.rerank.fusion import rrf_fuse, weighted_fuse  # noqa: PLC0415

    searched = []
    for route in routes:
        batch = [vectors[route.name][i] for i in indices]
        params = _params(route, search_params, fused=True)
        searched.append(call_with_retry(
            lambda: client.search(
                spec.name, data=batch, anns_field=route.name, limit=per_route, filter=filter,
                output_fields=output_fields, search_params=params, timeout=retry.timeout),
            retry, what=f"searching {spec.name!r}",
        ))
    for position, i in enumerate(indices):
        lists = [list(route_hits[position]) for route_hits in searched]
        if ranker == "rrf":
            fused = rrf_fuse(lists, k=rrf_k, top_k=limit)
        else:
            fused = weighted_fuse(lists, list(weights or [1 / len(routes)] * len(routes)),
                                  metrics=[str(route.metric) for route in routes], top_k=limit)
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
