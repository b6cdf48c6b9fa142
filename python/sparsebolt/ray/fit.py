"""Distributed BM25 fit: Ray tasks count partial statistics per run of consecutive documents, merges reduce them.
Runs are numbered by their ``position``, so the merged fit equals one ``fit`` over the corpus in position order."""

from __future__ import annotations

import logging
import secrets
from typing import Any, Callable, Optional, Sequence

import numpy as np

from sparsebolt.ray._ray import raise_original_errors, require_ray
from sparsebolt.ray.documents import POSITION, TEXT

logger = logging.getLogger(__name__)

__all__ = ["fit_bm25", "count_statistics", "merge_statistics"]

DEFAULT_FIT_BATCH_SIZE = 16_384
DEFAULT_FAN_IN = 32
_STATISTICS, _DOCUMENTS = "statistics", "documents"
_MAX_SHARD = 2**62  # random shard numbers (no positions) stay below any real position's order of magnitude


def fit_bm25(
    documents: Any,
    encoder: Any = None,
    *,
    text_column: str = TEXT,
    order_column: Optional[str] = POSITION,
    batch_size: int = DEFAULT_FIT_BATCH_SIZE,
    fan_in: int = DEFAULT_FAN_IN,
    num_threads: int = 1,
) -> Any:
    """Fits a sparsebolt ``BM25EmbeddingFunction`` on a Ray Dataset's texts and returns it.

    Map: each batch of ``batch_size`` rows is split into runs of consecutive ``order_column`` values; each
    run is counted as the shard numbered by its first position (``encoder.new_statistics(shard=...)``).
    Reduce: statistics merge ``fan_in`` at a time in Ray tasks until at most ``fan_in`` are left, which the
    driver merges. The result is exactly a single-machine ``encoder.fit`` over the texts in position order:
    same vocabulary order, idf and vectors, however Ray split and scheduled the work.

    ``order_column=None`` fits a dataset without positions: each batch becomes one shard with a random
    number, so idf, avgdl and scores are still those of a single-machine fit, but term ids are not
    reproducible between runs. ``num_threads`` is the C++ threads per Ray task (one per task's CPU).
    ``encoder`` defaults to ``BM25EmbeddingFunction()``; its analyzer and k1/b/epsilon are kept.
    """
    ray = require_ray()
    from sparsebolt.sparse import BM25EmbeddingFunction  # noqa: PLC0415 - needs the native core

    if encoder is None:
        encoder = BM25EmbeddingFunction()
    if not hasattr(encoder, "new_statistics") or not hasattr(encoder, "fit_statistics"):
        raise TypeError(
            f"fit_bm25 needs sparsebolt's BM25EmbeddingFunction (mergeable statistics), got {type(encoder).__name__}"
        )
    for name, value in (("batch_size", batch_size), ("num_threads", num_threads)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if isinstance(fan_in, bool) or not isinstance(fan_in, int) or fan_in < 2:
        raise ValueError(f"fan_in must be an int >= 2, got {fan_in!r}")
    if not isinstance(documents, ray.data.Dataset):
        raise TypeError("documents must be a ray.data.Dataset (see sparsebolt.ray.read_documents), "
                        f"got {type(documents).__name__}")

    analyzer = encoder.analyzer
    partial = raise_original_errors(documents.map_batches(
        count_statistics,
        batch_size=batch_size,
        batch_format="pyarrow",
        fn_kwargs={"analyzer": analyzer, "text_column": text_column, "order_column": order_column,
                   "num_threads": num_threads},
        num_cpus=num_threads,
    )).materialize()
    level = 0
    while partial.count() > fan_in:
        level += 1
        logger.debug("merge level %d: %d partial statistics", level, partial.count())
        partial = raise_original_errors(partial.map_batches(
            merge_statistics, batch_size=fan_in, batch_format="pyarrow", fn_kwargs={"analyzer": analyzer}
        )).materialize()
    merged = encoder.new_statistics()
    for row in partial.iter_rows():
        merged.merge(_load(row[_STATISTICS], analyzer))
    if merged.document_count == 0:
        raise ValueError("cannot fit BM25 on an empty corpus")
    logger.debug("fitted BM25 on %d documents, %d terms", merged.document_count, merged.vocabulary_size)
    return encoder.fit_statistics(merged)


def count_statistics(
    batch: Any,
    *,
    analyzer: Callable[[str], Sequence[str]],
    text_column: str = TEXT,
    order_column: Optional[str] = POSITION,
    num_threads: int = 1,
) -> Any:
    """Map step: one row holding the merged statistics of the batch's runs of consecutive positions."""
    from sparsebolt.sparse import BM25Statistics  # noqa: PLC0415

    if text_column not in batch.column_names:
        raise ValueError(f"text column {text_column!r} not found (columns: {batch.column_names})")
    texts = batch.column(text_column).to_pylist()
    total = BM25Statistics(analyzer)
    for shard, run in _runs(batch, order_column, texts):
        total.merge(BM25Statistics(analyzer, shard=shard).update(run, num_workers=num_threads))
    return _row(total)


def merge_statistics(batch: Any, *, analyzer: Callable[[str], Sequence[str]]) -> Any:
    """Reduce step: the rows' statistics merged into one row."""
    from sparsebolt.sparse import BM25Statistics  # noqa: PLC0415

    total = BM25Statistics(analyzer)
    for data in batch.column(_STATISTICS).to_pylist():
        total.merge(_load(data, analyzer))
    return _row(total)


def _runs(batch: Any, order_column: Optional[str], texts: list[Any]) -> list[tuple[int, list[Any]]]:
    """(shard, texts) for each run of consecutive positions; a batch may join blocks in any order, so its
    rows are sorted by position first."""
    n = len(texts)
    if n == 0:
        return []
    if order_column is None:
        return [(secrets.randbelow(_MAX_SHARD), texts)]
    if order_column not in batch.column_names:
        raise ValueError(
            f"order column {order_column!r} not found (columns: {batch.column_names}); read the documents with "
            f"sparsebolt.ray.read_documents, or pass order_column=None (term ids then differ between runs)"
        )
    column = batch.column(order_column)
    if column.null_count:
        raise ValueError(f"order column {order_column!r} has missing values")
    positions = np.asarray(column.to_numpy(), dtype=np.int64)
    if (positions < 0).any():
        raise ValueError(f"order column {order_column!r} has negative values")
    if (np.diff(positions) < 0).any():
        order = np.argsort(positions, kind="stable")
        positions = positions[order]
        texts = [texts[i] for i in order.tolist()]
    steps = np.diff(positions)
    if (steps == 0).any():
        raise ValueError(f"order column {order_column!r} repeats a value; positions must be unique")
    starts = [0, *(np.flatnonzero(steps != 1) + 1).tolist()]
    ends = [*starts[1:], n]
    return [(int(positions[b]), texts[b:e]) for b, e in zip(starts, ends)]


def _row(statistics: Any) -> Any:
    import pyarrow as pa  # noqa: PLC0415

    return pa.table({
        _STATISTICS: pa.array([statistics.to_bytes()], type=pa.large_binary()),
        _DOCUMENTS: pa.array([statistics.document_count], type=pa.int64()),
    })


def _load(data: bytes, analyzer: Callable[[str], Sequence[str]]) -> Any:
    from sparsebolt.sparse import BM25Statistics  # noqa: PLC0415

    return BM25Statistics.from_bytes(data, analyzer)
