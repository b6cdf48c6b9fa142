"""TextCollection: one Milvus collection of texts with dense and/or sparse vectors from given encoders.
Creates or opens (and checks) the collection, keeps BM25 statistics with it, ingests and searches."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Union

from sparsebolt.milvus import lookup, stats
from sparsebolt.milvus.connection import DEFAULT_URI, connect, redact_uri
from sparsebolt.milvus.expr import dialect_for, ids_expression, writable
from sparsebolt.milvus.ingest import IngestSummary, run_pipeline
from sparsebolt.milvus.metadata import check_metadata
from sparsebolt.milvus.results import Hit
from sparsebolt.milvus.retry import RetryPolicy, call_with_retry
from sparsebolt.milvus.rows import check_text, document_id
from sparsebolt.milvus.schema import (
    MAX_VARCHAR_LENGTH,
    CollectionSpec,
    MilvusBM25,
    SchemaMismatchError,
    build_index_params,
    build_schema,
    check_encoders,
    spec_from_described,
)
from sparsebolt.milvus.search import run_search
from sparsebolt.milvus.sources import DataError, Document, Source, count_documents, iter_documents
from sparsebolt.milvus.vectors import dense_matrix, encode_dense, sparse_rows

logger = logging.getLogger(__name__)

__all__ = ["TextCollection", "DEFAULT_COLLECTION"]

DEFAULT_COLLECTION = "documents"
_BM25_KIND = "bm25"
_CONFIG_KIND = "config"


def _encoder_dim(encoder: Any) -> int:
    try:
        return int(encoder.dim)
    except Exception:  # noqa: BLE001 - an unfitted encoder may raise instead of answering 0
        return 0


def _names(output_fields: Sequence[str]) -> list[str]:
    if isinstance(output_fields, str):
        raise TypeError(f"output_fields takes a list of field names, got the string {output_fields!r}; "
                        f"write [{output_fields!r}]")
    return list(output_fields)


def _class_path(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


class TextCollection:
    """A Milvus collection of texts searched densely, sparsely or both (hybrid).

    ``uri`` is a Milvus Lite file (``./milvus.db``, the default) or a server (``http://host:19530``,
    with ``token`` and ``db_name`` as needed). ``dense`` is an encoder with ``encode_documents``,
    ``encode_queries`` and ``dim`` (e.g. ``sparsebolt.dense.DefaultEmbeddingFunction``); ``sparse`` is a
    BM25 encoder with the pymilvus.model API, or :class:`MilvusBM25` for Milvus's server-side BM25.
    Either may be None. The collection is created if missing; an existing one is checked against the
    encoders and a mismatch raises :class:`SchemaMismatchError`.

    BM25 statistics: a fitted sparse encoder's statistics are saved with the collection; an unfitted one
    is loaded from the collection's saved statistics, so searches after a restart use the vocabulary the
    documents were encoded with. A new collection with an unfitted encoder is fitted on the first
    ingestion's input (see :meth:`ingest`).
    """

    def __init__(
        self,
        uri: str = DEFAULT_URI,
        collection: str = DEFAULT_COLLECTION,
        *,
        dense: Any = None,
        sparse: Any = None,
        token: str = "",
        db_name: str = "",
        id_type: str = "str",
        dense_metric: str = "IP",
        dense_index_type: str = "AUTOINDEX",
        dense_index_params: Optional[Mapping[str, Any]] = None,
        sparse_index_params: Optional[Mapping[str, Any]] = None,
        text_max_length: int = MAX_VARCHAR_LENGTH,
        drop_existing: bool = False,
        create: bool = True,
        retry: RetryPolicy = RetryPolicy(),
        client: Any = None,
    ) -> None:
        if isinstance(sparse, str):
            raise TypeError("sparse= takes an encoder or MilvusBM25(), not a string")
        sparse_mode = None if sparse is None else ("milvus-bm25" if isinstance(sparse, MilvusBM25) else "client")
        dense_dim = None
        if dense is not None:
            dense_dim = _encoder_dim(dense)
            if dense_dim <= 0:
                raise ValueError(f"the dense encoder reports dim {dense_dim}; expected a positive int")
        self.uri = uri
        self.retry = retry
        self.dialect = dialect_for(uri)  # how filters must be written for this engine (see milvus.expr)
        self._created = False  # made by this open: removed again if the first ingestion fails on its input
        self.dense = dense
        self.sparse = None if isinstance(sparse, MilvusBM25) else sparse
        self._owns_client = client is None
        self.client = client if client is not None else connect(uri, token=token, db_name=db_name, retry=retry)
        try:
            self._open(collection, id_type, dense_dim, sparse, sparse_mode, dense_metric, dense_index_type,
                       dense_index_params, sparse_index_params, text_max_length, drop_existing, create)
        except BaseException:
            self.close()  # do not leave a connection (or an embedded Lite server) behind a failed open
            raise

    def _open(self, collection: str, id_type: str, dense_dim: Optional[int], sparse: Any, sparse_mode: Optional[str],
              dense_metric: str, dense_index_type: str, dense_index_params: Optional[Mapping[str, Any]],
              sparse_index_params: Optional[Mapping[str, Any]], text_max_length: int, drop_existing: bool,
              create: bool) -> None:
        uri, retry = self.uri, self.retry
        wanted = CollectionSpec(
            name=collection,
            id_type=id_type,
            dense_dim=dense_dim,
            sparse_mode=sparse_mode,
            dense_metric=dense_metric.upper(),
            dense_index_type=dense_index_type,
            dense_index_params=dict(dense_index_params or {}),
            sparse_index_params=dict(sparse_index_params or {}),
            text_max_length=text_max_length,
            analyzer_params=sparse.analyzer_params if isinstance(sparse, MilvusBM25) else None,
        ) if (dense_dim or sparse_mode) else None

        exists = self._call(lambda: self.client.has_collection(collection, timeout=retry.timeout),
                            f"checking collection {collection!r}")
        if exists and drop_existing:
            self._call(lambda: self.client.drop_collection(collection, timeout=retry.timeout),
                       f"dropping collection {collection!r}")
            stats.delete_blobs(self.client, collection, retry=retry)
            exists = False
        if exists:
            described = self._call(lambda: self.client.describe_collection(collection, timeout=retry.timeout),
                                   f"describing collection {collection!r}")
            template = wanted or CollectionSpec(name=collection, dense_dim=1)
            self.spec = spec_from_described(described, template)
            check_encoders(self.spec, dense_dim=dense_dim, sparse_mode=sparse_mode)
            # Index metric is the stored one, whatever the caller's default says.
            self.spec = self._with_stored_metric(self.spec)
            self._call(lambda: self.client.load_collection(collection, timeout=retry.timeout),
                       f"loading collection {collection!r}")
        else:
            if not create:
                raise ValueError(f"collection {collection!r} does not exist at {redact_uri(uri)}; ingest into it first")
            if wanted is None:
                raise ValueError(
                    f"collection {collection!r} does not exist yet: pass dense= and/or sparse= encoders to create it"
                )
            self.spec = wanted
            schema = build_schema(wanted)
            index = build_index_params(self.client, wanted)
            self._call(
                lambda: self.client.create_collection(collection, schema=schema, index_params=index,
                                                      timeout=retry.timeout),
                f"creating collection {collection!r}",
            )
            self._created = True
        self._sync_bm25_stats()

    # ---- properties and lifecycle -------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def modes(self) -> tuple[str, ...]:
        """The search modes this collection can serve with the encoders it was opened with."""
        dense_ok = self.spec.has_dense and self.dense is not None
        sparse_ok = self.spec.sparse_mode == "milvus-bm25" or (self.spec.has_sparse and self.sparse is not None)
        return tuple(m for m, ok in (("dense", dense_ok), ("sparse", sparse_ok), ("hybrid", dense_ok and sparse_ok))
                     if ok)

    def count(self) -> int:
        """The number of stored documents (a strongly consistent count)."""
        rows = self._call(
            lambda: self.client.query(self.name, filter="", output_fields=["count(*)"], consistency_level="Strong",
                                      timeout=self.retry.timeout),
            f"counting {self.name!r}",
        )
        return int(rows[0]["count(*)"])

    def drop(self) -> None:
        """Drop the collection and its saved statistics."""
        self._call(lambda: self.client.drop_collection(self.name, timeout=self.retry.timeout),
                   f"dropping collection {self.name!r}")
        stats.delete_blobs(self.client, self.name, retry=self.retry)

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> "TextCollection":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"TextCollection(uri={redact_uri(self.uri)!r}, collection={self.name!r}, "
                f"dense_dim={self.spec.dense_dim}, sparse_mode={self.spec.sparse_mode!r})")

    # ---- BM25 statistics ----------------------------------------------------------------------------

    def fit(self, source: Source, *, format: Optional[str] = None, text_field: str = "text",  # noqa: A002
            id_field: str = "id", replace: bool = False) -> None:
        """Fit the client-side sparse encoder on ``source``'s texts and save its statistics with the collection.

        Refitting changes the vocabulary: vectors already stored were made with the old statistics, so a
        collection that holds documents is refitted only with ``replace=True``, after which its documents must
        be re-ingested with ``on_existing="upsert"`` (or go into a new collection).
        """
        if self.sparse is None:
            raise ValueError("fit() needs a client-side sparse encoder (sparse=BM25EmbeddingFunction(...))")
        if not replace and self.count() > 0:
            raise ValueError(
                f"collection {self.name!r} holds documents encoded with its current BM25 statistics; refitting "
                f"would make searches miss them. Pass replace=True (CLI: --replace-statistics) and re-ingest with "
                f"on_existing='upsert' (CLI: --on-existing upsert), or fit into a new collection"
            )
        seen = 0

        def texts() -> Any:
            nonlocal seen
            for doc in iter_documents(source, format=format, id_field=id_field, text_field=text_field):
                seen += 1
                yield doc.text

        self.sparse.fit(texts())  # streamed: memory follows the vocabulary, not the corpus
        if seen == 0:
            raise ValueError("cannot fit BM25 on an empty corpus")
        self._save_bm25_stats()

    def _sync_bm25_stats(self) -> None:
        if self.spec.sparse_mode != "client" or self.sparse is None:
            return
        saved = stats.load_blob(self.client, self.name, _BM25_KIND, retry=self.retry)
        fitted = _encoder_dim(self.sparse) > 0
        if saved is None:
            if fitted:
                self._save_bm25_stats()
            return
        if not fitted:
            stats.restore_encoder(self.sparse, saved)
            return
        mine = stats.encoder_state(self.sparse)
        if hashlib.sha256(mine).digest() != hashlib.sha256(saved).digest():
            raise SchemaMismatchError(
                f"collection {self.name!r} was encoded with other BM25 statistics than the fitted sparse encoder "
                f"given. Pass an unfitted encoder to use the collection's statistics (CLI: leave out --bm25-params), "
                f"or refit with fit(..., replace=True) and re-ingest with on_existing='upsert' (CLI: sparsebolt fit "
                f"--collection C --replace-statistics, then ingest --on-existing upsert), or use another collection."
            )

    def _save_bm25_stats(self) -> None:
        assert self.sparse is not None
        stats.save_blob(self.client, self.name, _BM25_KIND, stats.encoder_state(self.sparse), retry=self.retry)
        config = {
            "sparse_encoder": _class_path(self.sparse),
            "dense_encoder": _class_path(self.dense) if self.dense is not None else None,
        }
        stats.save_blob(self.client, self.name, _CONFIG_KIND, json.dumps(config).encode(), retry=self.retry)

    # ---- ingestion ----------------------------------------------------------------------------------

    def ingest(
        self,
        source: Source,
        *,
        format: Optional[str] = None,  # noqa: A002
        id_field: str = "id",
        text_field: str = "text",
        batch_size: int = 256,
        on_existing: str = "skip",
        prefetch: int = 2,
        show_progress: bool = False,
        flush: bool = True,
    ) -> IngestSummary:
        """Encode and store documents from ``source``; safe to re-run after a crash.

        ``source``: a path (JSONL, CSV/TSV, Parquet, or a BEIR folder with corpus.jsonl) or an iterable of
        texts or dicts (``id_field``, ``text_field``, other keys become metadata fields). Documents
        without an id get one derived from their text (same text, same id, in every run).

        Batches are encoded on a worker thread while the previous batch is written. ``on_existing``:
        ``"skip"`` (default) checks which ids are stored and encodes and inserts only the others, so a
        re-run after a crash neither loses nor duplicates documents (into a collection that was empty when
        the run began, only ids this run may have written are checked; one writer at a time is assumed);
        ``"upsert"`` re-encodes everything and replaces stored rows (after the texts or the BM25 statistics
        changed); ``"insert"`` does no check (fastest for a first load, but a re-run duplicates rows).

        ``flush`` seals the written rows at the end (one flush per ingestion, not per batch): Milvus Lite 3.x
        searches unflushed rows by brute force in Python, tens of times slower than its indexes.

        An unfitted client-side BM25 encoder is first fitted on the whole input (a path or a list; a
        one-shot iterator must be fitted beforehand) and its statistics saved with the collection.
        """
        if self.spec.has_dense and self.dense is None:
            raise ValueError(f"collection {self.name!r} has dense vectors: pass its dense encoder (dense=) to ingest")
        if self.spec.sparse_mode == "client" and self.sparse is None:
            raise ValueError(f"collection {self.name!r} has sparse vectors: pass its sparse encoder (sparse=) "
                             "to ingest")
        created, self._created = self._created, False
        try:
            summary = self._ingest(source, format=format, id_field=id_field, text_field=text_field,
                                   batch_size=batch_size, on_existing=on_existing, prefetch=prefetch,
                                   show_progress=show_progress)
        except (DataError, ValueError, TypeError):
            # Bad input: a collection this open created for it must not stay behind, empty.
            if created:
                self._drop_if_empty()
            raise
        if flush and summary.inserted:
            self.flush()
        return summary

    def _ingest(self, source: Source, *, format: Optional[str], id_field: str, text_field: str,  # noqa: A002
                batch_size: int, on_existing: str, prefetch: int, show_progress: bool) -> IngestSummary:
        if self.spec.sparse_mode == "client" and _encoder_dim(self.sparse) <= 0:
            if not isinstance(source, (str, Path, list, tuple)):
                raise ValueError(
                    "the sparse encoder is not fitted and the input can only be read once: call "
                    "collection.fit(corpus) (CLI: sparsebolt fit) first, or pass a path or a list"
                )
            self.fit(source, format=format, text_field=text_field, id_field=id_field, replace=True)

        # An empty collection cannot hold ids from before this run: then only repeats need checking.
        started_empty = on_existing == "skip" and self.count() == 0
        documents = iter_documents(source, format=format, id_field=id_field, text_field=text_field)
        total = count_documents(source, format=format) if show_progress else None
        hint = ("run the same command again" if isinstance(source, (str, Path))
                else "call ingest() again with the same input")
        return self.ingest_documents(
            documents, on_existing=on_existing, batch_size=batch_size, prefetch=prefetch, total=total,
            show_progress=show_progress, resume_hint=hint, started_empty=started_empty,
        )

    def _drop_if_empty(self) -> None:
        try:
            if self.count() == 0:
                self.drop()
        except Exception:  # noqa: BLE001 - best effort: the input error is what the caller must see
            logger.debug("could not remove the empty collection %r", self.name, exc_info=True)

    def ingest_documents(
        self,
        documents: Iterable[Document],
        *,
        on_existing: str = "skip",
        batch_size: int = 256,
        prefetch: int = 2,
        total: Optional[int] = None,
        show_progress: bool = False,
        resume_hint: str = "call ingest() again with the same input",
        started_empty: bool = False,
    ) -> IngestSummary:
        """The pipeline under :meth:`ingest`, for parsed ``Document`` s and fitted encoders (a Ray worker's
        block, say): no fitting, no flush. ``started_empty``: this collection held nothing when the whole job
        began and nobody else writes to it, so only ids this call wrote can be stored already."""
        return run_pipeline(
            documents,
            collection=self.name,
            make_id=self._make_id,
            encode_rows=self._encode_rows,
            write=self._writer(on_existing),
            stored=self._stored_ids,
            repair=self._store_once,
            stored_before=self.count,
            on_existing=on_existing,
            batch_size=batch_size,
            prefetch=prefetch,
            retry=self.retry,
            total=total,
            show_progress=show_progress,
            resume_hint=resume_hint,
            started_empty=started_empty,
        )

    def flush(self) -> None:
        """Seal rows written so far into indexed segments (done by ingest() at its end)."""
        self._call(lambda: self.client.flush(self.name, timeout=self.retry.timeout), f"flushing {self.name!r}")

    def _make_id(self, doc: Document) -> Union[str, int]:
        return document_id(doc, self.spec)

    def _encode_rows(self, docs: list[Document], ids: list[Union[str, int]]) -> list[dict[str, Any]]:
        texts = [d.text for d in docs]
        for doc, doc_id in zip(docs, ids):
            check_text(doc, doc_id, self.spec.text_max_length)
        n = len(texts)
        dense = (dense_matrix(encode_dense(self.dense, texts, queries=False), n, self.spec.dense_dim)
                 if self.spec.has_dense else None)
        sparse = sparse_rows(self.sparse.encode_documents(texts), n) if self.spec.sparse_mode == "client" else None
        reserved = self.spec.reserved_fields
        rows = []
        for i, doc in enumerate(docs):
            row: dict[str, Any] = dict(check_metadata(doc.fields, origin=doc.origin, doc_id=ids[i], reserved=reserved))
            row[self.spec.id_field] = ids[i]
            row[self.spec.text_field] = doc.text
            if dense is not None:
                row[self.spec.dense_field] = dense[i]
            if sparse is not None:
                row[self.spec.sparse_field] = sparse[i]
            rows.append(row)
        return rows

    def _writer(self, on_existing: str) -> Callable[[list[dict[str, Any]]], Any]:
        method = self.client.upsert if on_existing == "upsert" else self.client.insert
        name, timeout = self.name, self.retry.timeout
        return lambda rows: method(name, rows, timeout=timeout)

    def _stored_ids(self, ids: list[Union[str, int]]) -> set[Union[str, int]]:
        return lookup.stored_ids(self.client, self.name, self.spec.id_field, ids, dialect=self.dialect,
                                 retry=self.retry)

    def _store_once(self, ids: list[Union[str, int]], rows: list[dict[str, Any]]) -> None:
        """After a write that was retried: if an attempt landed late, beside the retry, keep one copy of each id.

        Delete removes every row of a primary key, so the duplicated ids are deleted and written once more.
        """
        field = self.spec.id_field
        if lookup.extra_rows(self.client, self.name, field, ids, dialect=self.dialect, retry=self.retry) == 0:
            return
        exact = [i for i in ids if writable(i, self.dialect)]
        logger.warning("a retried write into %r was stored twice; rewriting its %d rows once", self.name, len(exact))
        by_id = {row[field]: row for row in rows}
        for start in range(0, len(exact), 1024):
            part = exact[start : start + 1024]
            self._call(lambda part=part: self.client.delete(self.name, filter=ids_expression(field, part, self.dialect),
                                                            timeout=self.retry.timeout),
                       f"removing duplicated rows from {self.name!r}")
            self._call(lambda part=part: self.client.insert(self.name, [by_id[i] for i in part],
                                                            timeout=self.retry.timeout),
                       f"rewriting duplicated rows into {self.name!r}")
        left = lookup.extra_rows(self.client, self.name, field, ids, dialect=self.dialect, retry=self.retry)
        if left:
            raise RuntimeError(
                f"{left} rows of {self.name!r} are stored twice after a retried write and could not be rewritten "
                f"(their ids hold a newline or carriage return, which this engine cannot name in a delete)"
            )

    # ---- search -------------------------------------------------------------------------------------

    def search(
        self,
        query: Union[str, Sequence[str]],
        *,
        mode: Optional[str] = None,
        limit: int = 10,
        filter: str = "",  # noqa: A002 - Milvus's name
        output_fields: Sequence[str] = (),
        ranker: str = "rrf",
        rrf_k: int = 60,
        weights: Optional[Sequence[float]] = None,
        candidates: Optional[int] = None,
        search_params: Optional[dict[str, Any]] = None,
        rerank: Optional[Callable[..., Any]] = None,
    ) -> Union[list[Hit], list[list[Hit]]]:
        """Search with one query (returns a list of hits) or a list of queries (a list per query).

        ``mode``: ``"dense"``, ``"sparse"`` or ``"hybrid"`` (default: hybrid when both encoders are
        there, else the one there is). Hybrid runs Milvus's hybrid_search with RRF (``rrf_k``) or
        weighted fusion (``ranker="weighted"``, ``weights=(dense, sparse)``) over ``candidates`` hits
        per route (on Milvus Lite 2.x, whose hybrid_search mixes up hits' fields, the same fusion is
        computed client-side from the two routes). ``filter`` is a Milvus boolean expression over
        fields; ``output_fields`` are the metadata fields to return. ``rerank`` takes a pymilvus.model
        reranker (``rerank(query, documents, top_k=limit)``) and reorders the hits by its scores.
        Scores are higher-is-better.
        """
        single = isinstance(query, str)
        queries = [query] if single else list(query)
        if not all(isinstance(q, str) for q in queries):
            raise TypeError("queries must be strings")
        if mode is None:
            available = self.modes
            if not available:
                raise ValueError("no encoder to search with: pass dense= and/or sparse= when opening the collection")
            mode = "hybrid" if "hybrid" in available else available[0]
        results = run_search(
            self.client, self.spec, queries, mode=mode, dense=self.dense, sparse=self.sparse, limit=limit,
            filter=filter, output_fields=_names(output_fields), ranker=ranker, rrf_k=rrf_k, weights=weights,
            candidates=candidates, search_params=search_params, rerank=rerank, retry=self.retry, dialect=self.dialect,
        )
        return results[0] if single else results

    # ---- helpers ------------------------------------------------------------------------------------

    def _call(self, fn: Callable[[], Any], what: str) -> Any:
        return call_with_retry(fn, self.retry, what=what)

    def _with_stored_metric(self, spec: CollectionSpec) -> CollectionSpec:
        from dataclasses import replace  # noqa: PLC0415

        if not spec.has_dense:
            return spec
        try:
            info = self._call(lambda: self.client.describe_index(spec.name, spec.dense_field,
                                                                 timeout=self.retry.timeout),
                              f"describing the index of {spec.name!r}")
        except Exception:  # noqa: BLE001 - no index described: keep the caller's metric
            return spec
        metric = (info or {}).get("metric_type")
        return replace(spec, dense_metric=str(metric).upper()) if metric else spec

