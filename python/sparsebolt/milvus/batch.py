"""A batch of checked documents held as columns (ids, texts, metadata, one column per vector field), the form the
encoders produce and the columnar insert sends; row dicts are made from it only for ``client.insert``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence, Union

import numpy as np

from sparsebolt.milvus.columns import Column, column_values
from sparsebolt.milvus.vectors import SparseColumn

__all__ = ["DocumentBatch", "as_rows", "take_rows"]

DocId = Union[str, int]


@dataclass(frozen=True)
class DocumentBatch:
    """``len(ids)`` documents, row ``i`` across every column: checked ids, texts and metadata (as the dynamic
    field stores it), and per vector field its checked column (:mod:`sparsebolt.milvus.columns`)."""

    id_field: str
    text_field: str
    ids: Sequence[DocId]
    texts: Sequence[str]
    metadata: Sequence[Mapping[str, Any]]
    vectors: Mapping[str, Column]

    def __post_init__(self) -> None:
        n = len(self.ids)
        sizes = [len(self.texts), len(self.metadata), *(len(c) for c in self.vectors.values())]
        if any(size != n for size in sizes):
            raise ValueError(f"a batch's columns must have one value per document: {n} ids, column sizes {sizes}")

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, positions: Sequence[int]) -> "DocumentBatch":
        """The documents at ``positions``, in that order (a retry sends only the rows that did not land)."""
        where = np.asarray(positions, dtype=np.int64)
        vectors = {name: (column.take(where) if isinstance(column, SparseColumn) else column[where])
                   for name, column in self.vectors.items()}
        return DocumentBatch(self.id_field, self.text_field, [self.ids[i] for i in positions],
                             [self.texts[i] for i in positions], [self.metadata[i] for i in positions], vectors)

    def rows(self) -> list[dict[str, Any]]:
        """The row dicts ``client.insert`` takes: metadata keys, then id, text and each vector field."""
        values = {name: column_values(column) for name, column in self.vectors.items()}
        rows = []
        for i, doc_id in enumerate(self.ids):
            row: dict[str, Any] = dict(self.metadata[i])
            row[self.id_field] = doc_id
            row[self.text_field] = self.texts[i]
            for name, column in values.items():
                row[name] = column[i]
            rows.append(row)
        return rows


Rows = Union[DocumentBatch, Sequence[dict[str, Any]]]
"""What the pipeline writes: a :class:`DocumentBatch`, or row dicts as ``client.insert`` takes them."""


def as_rows(batch: Rows) -> list[dict[str, Any]]:
    """``batch`` as row dicts."""
    return batch.rows() if isinstance(batch, DocumentBatch) else list(batch)


def take_rows(batch: Rows, positions: Sequence[int]) -> Rows:
    """The rows of ``batch`` at ``positions``, keeping its form."""
    if isinstance(batch, DocumentBatch):
        return batch.take(positions)
    return [batch[i] for i in positions]
