"""TextCollection: one Milvus collection of texts with vector fields filled by given encoders.
Creates or opens (and checks) the collection, records its encoders and BM25 statistics with it, ingests and searches."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Union

from sparsebolt.milvus import lookup, recipes, stats
from sparsebolt.milvus.batch import DocumentBatch, Rows, as_rows
from sparsebolt.milvus.columns import encode_columns
from sparsebolt.milvus.connection import DEFAULT_URI, connect, redact_uri
from sparsebolt.milvus.expr import dialect_for, upsertable
from sparsebolt.milvus.fields import DENSE, MILVUS_BM25, SPARSE, VectorField, output_dim
from sparsebolt.milvus.ingest import IngestSummary, run_pipeline
from sparsebolt.milvus.metadata import check_metadata
from sparsebolt.milvus.opening import Request, fields_for_encoders, requested_fields, with_stored_metrics
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
    check_fields,
    spec_from_described,
)
from sparsebolt.milvus.search import run_search
from sparsebolt.milvus.sources import DataError, Document, Source, count_documents, iter_documents
from sparsebolt.milvus.writer import BatchWriter

logger = logging.getLogger(__name__)

__all__ = ["TextCollection", "DEFAULT_COLLECTION"]

DEFAULT_COLLECTION = "documents"
def _names(output_fields: Sequence[str]) -> list[str]:
    if isinstance(output_fields, str):
        raise TypeError(f"output_fields takes a list of field names, got the string {output_fields!r}; "
                        f"write [{output_fields!r}]")
    return list(output_fields)


class TextCollection:
    """A Milvus collection of texts searched densely, sparsely or both (hybrid).

    ``uri`` is a Milvus Lite file (``./milvus.db``, the default) or a server (``http://host:19530``,
    with ``token`` and ``db_name`` as needed). ``dense`` is an encoder with ``encode_documents``,
    ``encode_queries`` and ``dim`` (e.g. ``sparsebolt.dense.DefaultEmbeddingFunction``); ``sparse`` is a
    sparse encoder with the pymilvus.model API (BM25, or a learned one such as
    ``sparsebolt.sparse.SpladeEmbeddingFunction``), or :class:`MilvusBM25` for Milvus's server-side BM25.
    Either may be None. They fill the vector fields ``dense`` and ``sparse``. An encoder with several outputs
    fills each with the output of its name: ``dense=m3, sparse=m3`` with one ``BGEM3EmbeddingFunction`` fills
    both from one forward pass per batch (and one per search).

    Other layouts name their fields: ``fields=[VectorField(...), ...]`` with ``encoders={field name: encoder}``
    (one encoder may fill several fields, e.g. BGE-M3's ``dense`` and ``sparse`` outputs, and it runs once per
    batch). ``encoders`` alone opens an existing collection's fields by name.

    The collection is created if missing, and the recipes of its encoders (:mod:`sparsebolt.encoders`) are
    recorded with it. An existing one is checked against the encoders given: a field they cannot fill, or an
    encoder other than the recorded one (another model, dim or analyzer), raises :class:`SchemaMismatchError`.

    BM25 statistics (encoders with ``fit``, ``save`` and ``load``; a learned encoder has none to keep): a fitted
    sparse encoder's statistics are saved with the collection; an unfitted one
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
        fields: Optional[Sequence[VectorField]] = None,
        encoders: Optional[Mapping[str, Any]] = None,
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
        request = requested_fields(dense=dense, sparse=sparse, fields=fields, encoders=encoders,
                                   dense_metric=dense_metric, dense_index_type=dense_index_type,
                                   dense_index_params=dense_index_params, sparse_index_params=sparse_index_params)
        self.uri = uri
        self.retry = retry
        self.dialect = dialect_for(uri)  # how filters must be written for this engine (see milvus.expr)
        self._created = False  # made by this open: removed again if the first ingestion fails on its input
        self.encoders: dict[str, Any] = dict(request.encoders)
        self.recorded: Optional[dict[str, recipes.FieldRecipe]] = None
        self._owns_client = client is None
        self.client = client if client is not None else connect(uri, token=token, db_name=db_name, retry=retry)
        try:
            self._open(collection, request, id_type, text_max_length, drop_existing, create)
        except BaseException:
            self.close()  # do not leave a connection (or an embedded Lite server) behind a failed open
            raise

    def _open(self, collection: str, request: Request, id_type: str, text_max_length: int, drop_existing: bool,
              create: bool) -> None:
        uri, retry = self.uri, self.retry
        wanted = CollectionSpec(
            name=collection,
            id_type=id_type,
            text_max_length=text_max_length,
            analyzer_params=request.analyzer_params,
            vector_fields=tuple(request.fields),
        ) if request.fields else None

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
            self.recorded = recipes.load_recipes(self.client, collection, retry=retry)
            self.spec = recipes.with_recorded_outputs(spec_from_described(described, template), self.recorded)
            given = request.fields if request.fields is not None else fields_for_encoders(self.spec, self.encoders)
            check_fields(self.spec, [f for f in given if f.name in self.encoders])
            recipes.check_recipes(collection, self.recorded, recipes.recipes_of(self.spec, self.encoders))
            # Index metrics are the stored ones, whatever the caller's defaults say.
            self.spec = with_stored_metrics(self.client, self.spec, retry)
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
            self._record_encoders()
        self._sync_bm25_stats()

    def _record_encoders(self) -> None:
        """Write the recipes of the encoders this new collection is made with (Milvus BM25 fields included)."""
        filled = dict(self.encoders)
        for entry in self.spec.vector_fields:
            if entry.kind == MILVUS_BM25:
                filled[entry.name] = MilvusBM25(analyzer_params=self.spec.analyzer_params)
        self.recorded = recipes.recipes_of(self.spec, filled)
        recipes.save_recipes(self.client, self.name, self.recorded, retry=self.retry)

    # ---- properties and lifecycle -------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def dense(self) -> Any:
        """The encoder of the first dense field (None when it was not given)."""
        return self.encoders.get(self.spec.dense_field) if self.spec.has_dense else None

    @property
    def sparse(self) -> Any:
        """The client-side encoder of the first sparse field (None when it was not given, or for Milvus's BM25)."""
        entry = next((f for f in self.spec.vector_fields if f.kind == SPARSE), None)
        return None if entry is None else self.encoders.get(entry.name)

    @property
    def usable_fields(self) -> tuple[VectorField, ...]:
        """The vector fields this collection can search with the encoders it was opened with."""
        return tuple(f for f in self.spec.vector_fields if f.server_side or self.encoders.get(f.name) is not None)

    @property
    def modes(self) -> tuple[str, ...]:
        """The search modes this collection can serve with the encoders it was opened with."""
        usable = self.usable_fields
        dense_ok = any(f.kind == DENSE for f in usable)
        sparse_ok = any(f.is_sparse for f in usable)
        return tuple(m for m, ok in (("dense", dense_ok), ("sparse", sparse_ok), ("hybrid", len(usable) > 1))
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
        """Drop the collection, its saved statistics and its recorded encoders."""
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
        fields = ", ".join(f"{f.name}:{f.kind}" + (f"[{f.dim}]" if f.dim else "") for f in self.spec.vector_fields)
        return f"TextCollection(uri={redact_uri(self.uri)!r}, collection={self.name!r}, fields=[{fields}])"

    # ---- BM25 statistics ----------------------------------------------------------------------------

    def fit(self, source: Source, *, format: Optional[str] = None, text_field: str = "text",  # noqa: A002
            id_field: str = "id", replace: bool = False) -> None:
        """Fit the client-side sparse encoder(s) on ``source``'s texts and save the statistics with the collection.

        Refitting changes the vocabulary: vectors already stored were made with the old statistics, so a
        collection that holds documents is refitted only with ``replace=True``, after which its documents must
        be re-ingested with ``on_existing="upsert"`` (or go into a new collection).
        """
        fitted = stats.statistics_encoders(self.spec.vector_fields, self.encoders)
        if not fitted:
            raise ValueError("fit() needs a client-side sparse encoder (sparse=BM25EmbeddingFunction(...))")
        if not replace and self.count() > 0:
            raise ValueError(
                f"collection {self.name!r} holds documents encoded with its current BM25 statistics; refitting "
                f"would make searches miss them. Pass replace=True (CLI: --replace-statistics) and re-ingest with "
                f"on_existing='upsert' (CLI: --on-existing upsert), or fit into a new collection"
            )
        for field_name, encoder in fitted:
            seen = 0

            def texts() -> Any:
                nonlocal seen
                for doc in iter_documents(source, format=format, id_field=id_field, text_field=text_field):
                    seen += 1
                    yield doc.text

            encoder.fit(texts())  # streamed: memory follows the vocabulary, not the corpus
            if seen == 0:
                raise ValueError("cannot fit BM25 on an empty corpus")
            stats.save_statistics(self.client, self.name, field_name, encoder, retry=self.retry)

    def _sync_bm25_stats(self) -> None:
        for field_name, encoder in stats.statistics_encoders(self.spec.vector_fields, self.encoders):
            if stats.sync_statistics(self.client, self.name, field_name, encoder, retry=self.retry):
                continue
            raise SchemaMismatchError(
                f"collection {self.name!r} was encoded with other BM25 statistics than the fitted sparse encoder "
                f"given. Pass an unfitted encoder to use the collection's statistics (CLI: leave out "
                f"--bm25-params), or refit with fit(..., replace=True) and re-ingest with on_existing='upsert' "
                f"(CLI: sparsebolt fit --collection C --replace-statistics, then ingest --on-existing upsert), or "
                f"use another collection."
            )

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
        writes_in_flight: int = 2,
        show_progress: bool = False,
        flush: bool = True,
    ) -> IngestSummary:
        """Encode and store documents from ``source``; safe to re-run after a crash.

        ``source``: a path (JSONL, CSV/TSV, Parquet, or a BEIR folder with corpus.jsonl) or an iterable of
        texts or dicts (``id_field``, ``text_field``, other keys become metadata fields). Documents
        without an id get one derived from their text (same text, same id, in every run).

        Batches are encoded on a worker thread while earlier ones are written, up to ``writes_in_flight`` writes
        at once (in input order wherever an id repeats). Each batch goes to Milvus as columns built from the
        encoders' buffers (see :class:`~sparsebolt.milvus.writer.BatchWriter`). ``on_existing``:
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
        for entry in self.spec.vector_fields:
            if entry.server_side or self.encoders.get(entry.name) is not None:
                continue
            if entry.name == "dense" and entry.kind == DENSE:
                raise ValueError(f"collection {self.name!r} has dense vectors: pass its dense encoder (dense=) to "
                                 "ingest")
            if entry.name == "sparse":
                raise ValueError(f"collection {self.name!r} has sparse vectors: pass its sparse encoder (sparse=) "
                                 "to ingest")
            raise ValueError(f"collection {self.name!r} has the vector field {entry.name!r}: pass its encoder "
                             f"(encoders={{{entry.name!r}: ...}}) to ingest")
        created, self._created = self._created, False
        try:
            summary = self._ingest(source, format=format, id_field=id_field, text_field=text_field,
                                   batch_size=batch_size, on_existing=on_existing, prefetch=prefetch,
                                   writes_in_flight=writes_in_flight, show_progress=show_progress)
        except (DataError, ValueError, TypeError):
            # Bad input: a collection this open created for it must not stay behind, empty.
            if created:
                self._drop_if_empty()
            raise
        if flush and summary.inserted:
            self.flush()
        return summary

    def _ingest(self, source: Source, *, format: Optional[str], id_field: str, text_field: str,  # noqa: A002
                batch_size: int, on_existing: str, prefetch: int, writes_in_flight: int,
                show_progress: bool) -> IngestSummary:
        if any(output_dim(encoder) <= 0
               for _, encoder in stats.statistics_encoders(self.spec.vector_fields, self.encoders)):
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
            documents, on_existing=on_existing, batch_size=batch_size, prefetch=prefetch,
            writes_in_flight=writes_in_flight, total=total,
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
        writes_in_flight: int = 2,
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
            make_id=self._upsert_id if on_existing == "upsert" else self._make_id,
            encode_rows=self._encode_rows,
            write=self._writer(on_existing),
            stored=self._stored_ids,
            repair=self._store_once,
            stored_before=self.count,
            on_existing=on_existing,
            batch_size=batch_size,
            prefetch=prefetch,
            writes_in_flight=writes_in_flight,
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

    def _upsert_id(self, doc: Document) -> Union[str, int]:
        doc_id = document_id(doc, self.spec)
        if not upsertable(doc_id, self.dialect):
            raise DataError(
                f"{doc.origin}: id {doc_id!r} holds a single quote or NUL, which Milvus Lite 2.x cannot upsert (it "
                f"deletes the old row through SQL it does not escape); ingest with on_existing='skip' (CLI: "
                f"--on-existing skip), or store such ids on Milvus Lite 3.x or a Milvus server"
            )
        return doc_id

    def _encode_rows(self, docs: list[Document], ids: list[Union[str, int]]) -> DocumentBatch:
        for doc, doc_id in zip(docs, ids):
            check_text(doc, doc_id, self.spec.text_max_length)
        texts = [d.text for d in docs]
        columns = encode_columns(self.spec.vector_fields, self.encoders, texts)
        reserved = self.spec.reserved_fields
        metadata = [check_metadata(doc.fields, origin=doc.origin, doc_id=doc_id, reserved=reserved)
                    for doc, doc_id in zip(docs, ids)]
        return DocumentBatch(self.spec.id_field, self.spec.text_field, ids, texts, metadata, columns)

    def _writer(self, on_existing: str) -> BatchWriter:
        return BatchWriter(self.client, self.name, upsert=on_existing == "upsert", timeout=self.retry.timeout)

    def _stored_ids(self, ids: list[Union[str, int]]) -> set[Union[str, int]]:
        return lookup.stored_ids(self.client, self.name, self.spec.id_field, ids, dialect=self.dialect,
                                 retry=self.retry)

    def _store_once(self, ids: list[Union[str, int]], rows: Rows) -> None:
        lookup.store_once(self.client, self.name, self.spec.id_field, ids, as_rows(rows), dialect=self.dialect,
                          retry=self.retry)

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
        fields: Optional[Sequence[str]] = None,
    ) -> Union[list[Hit], list[list[Hit]]]:
        """Search with one query (returns a list of hits) or a list of queries (a list per query).

        ``mode``: ``"dense"`` (the dense fields), ``"sparse"`` (the sparse ones) or ``"hybrid"`` (every field
        there is an encoder for; the default when there are several, else the one there is); ``fields`` names
        the vector fields to search instead. Several fields are fused by Milvus's hybrid_search with RRF
        (``rrf_k``) or weighted fusion (``ranker="weighted"``, ``weights`` one per field in the collection's
        order: ``(dense, sparse)``) over ``candidates`` hits per field (on Milvus Lite 2.x, whose
        hybrid_search mixes up hits' fields, the same fusion is computed client-side from the routes).
        ``filter`` is a Milvus boolean expression over fields; ``output_fields`` are the metadata fields to
        return. ``rerank`` takes a pymilvus.model reranker (``rerank(query, documents, top_k=limit)``) and
        reorders the hits by its scores. Scores are higher-is-better.
        """
        single = isinstance(query, str)
        queries: list[str] = [query] if isinstance(query, str) else list(query)
        if not all(isinstance(q, str) for q in queries):
            raise TypeError("queries must be strings")
        if fields is not None and mode is not None:
            raise ValueError("pass mode= or fields=, not both: fields names the vector fields to search")
        if mode is None and fields is None:
            available = self.modes
            if not available:
                raise ValueError("no encoder to search with: pass dense= and/or sparse= when opening the collection")
            mode = "hybrid" if "hybrid" in available else available[0]
        results = run_search(
            self.client, self.spec, queries, mode=mode, encoders=self.encoders, limit=limit, filter=filter,
            output_fields=_names(output_fields), ranker=ranker, rrf_k=rrf_k, weights=weights, candidates=candidates,
            search_params=search_params, rerank=rerank, retry=self.retry, dialect=self.dialect, fields=fields,
        )
        return results[0] if single else results

    # ---- helpers ------------------------------------------------------------------------------------

    def _call(self, fn: Callable[[], Any], what: str) -> Any:
        return call_with_retry(fn, self.retry, what=what)
