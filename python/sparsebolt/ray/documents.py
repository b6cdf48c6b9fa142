"""Documents as a Ray Dataset: files read in parallel chunks, each row numbered by its place in the corpus.
Rows hold ``id``, ``text``, ``fields`` (JSON metadata) and ``position``, parsed exactly as the Milvus layer does."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Sequence, Union

import numpy as np

from sparsebolt.milvus.sources import Document, detect_format, iter_documents
from sparsebolt.ray._ray import require_ray

logger = logging.getLogger(__name__)

__all__ = [
    "ID",
    "TEXT",
    "FIELDS",
    "POSITION",
    "read_documents",
    "as_documents",
    "documents_from_batch",
    "position_of",
]

# The columns of a document dataset.
ID, TEXT, FIELDS, POSITION = "id", "text", "fields", "position"

DEFAULT_CHUNK_BYTES = 64 * 2**20
DEFAULT_ROWS_PER_BLOCK = 8192
# position = chunk ordinal << 32 | record number in the chunk: increasing in corpus order, and consecutive
# records of one chunk have consecutive positions (what the distributed BM25 fit relies on).
_ROW_BITS = 32
_MAX_CHUNKS = 2**31
_READABLE = ("jsonl", "beir", "parquet", "csv", "tsv")

PathLike = Union[str, "os.PathLike[str]"]


def position_of(chunk: int, record: int) -> int:
    """The ``position`` of record ``record`` of read chunk ``chunk``."""
    return (chunk << _ROW_BITS) | record


@dataclass(frozen=True)
class _Chunk:
    """One read task: bytes ``[start, end)`` of a JSONL file, one Parquet row group, or a whole CSV file."""

    ordinal: int
    path: str
    format: str
    start: int = 0
    end: int = -1
    row_group: int = -1


def read_documents(
    paths: Union[PathLike, Sequence[PathLike]],
    *,
    format: Optional[str] = None,  # noqa: A002 - mirrors the CLI flag
    id_field: str = "id",
    text_field: str = "text",
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    rows_per_block: int = DEFAULT_ROWS_PER_BLOCK,
) -> Any:
    """A Ray Dataset of the documents in ``paths`` (files, BEIR folders, or folders of files), read in parallel.

    JSONL files are split into ``chunk_bytes`` pieces at line boundaries and Parquet files into row groups,
    each read by its own task; CSV/TSV files are read whole (a quoted cell may span lines). Records are parsed
    as ``TextCollection.ingest`` parses them (``id_field`` then ``_id``; a non-empty ``title`` is prepended
    to the text; other keys become metadata), and each row gets a ``position``: increasing in corpus order
    (files in the order given, a folder's files sorted by name), so that :func:`~sparsebolt.ray.fit_bm25`
    reproduces a single-machine fit exactly. Reading is lazy, as everywhere in Ray Data.
    """
    ray = require_ray()
    if isinstance(chunk_bytes, bool) or not isinstance(chunk_bytes, int) or chunk_bytes < 1:
        raise ValueError(f"chunk_bytes must be a positive int, got {chunk_bytes!r}")
    if isinstance(rows_per_block, bool) or not isinstance(rows_per_block, int) or rows_per_block < 1:
        raise ValueError(f"rows_per_block must be a positive int, got {rows_per_block!r}")
    if format is not None and format not in _READABLE:
        raise ValueError(f"unknown format {format!r}; choose one of {list(_READABLE)}")
    files = _expand(paths, format)
    chunks = _plan_chunks(files, chunk_bytes)
    if len(chunks) >= _MAX_CHUNKS:
        raise ValueError(f"{len(chunks)} read chunks is too many; raise chunk_bytes")
    logger.debug("reading %d files in %d chunks", len(files), len(chunks))
    if not chunks:
        raise ValueError("no documents to read: every file given is empty")
    plan = ray.data.from_items([asdict(chunk) for chunk in chunks], override_num_blocks=len(chunks))
    return plan.map_batches(
        _read_chunks,
        batch_size=1,
        batch_format="pyarrow",
        fn_kwargs={"id_field": id_field, "text_field": text_field, "rows_per_block": rows_per_block},
    )


def as_documents(
    dataset: Any,
    *,
    id_field: str = "id",
    text_field: str = "text",
    order_column: Optional[str] = None,
) -> Any:
    """Any Ray Dataset of records (a row per document) as a document dataset.

    Rows are parsed as by ``TextCollection.ingest``. ``order_column`` names an integer column giving each
    record's place in the corpus (consecutive records differ by 1); it becomes ``position``, which makes
    :func:`~sparsebolt.ray.fit_bm25` reproduce a single-machine fit over the records in that order.
    """
    require_ray()
    return dataset.map_batches(
        _records_to_documents,
        batch_format="pyarrow",
        fn_kwargs={"id_field": id_field, "text_field": text_field, "order_column": order_column},
    )


def documents_from_batch(batch: Any) -> list[Document]:
    """The :class:`~sparsebolt.milvus.sources.Document` s of a document dataset's Arrow batch."""
    ids = batch.column(ID).to_pylist()
    texts = batch.column(TEXT).to_pylist()
    fields = batch.column(FIELDS).to_pylist() if FIELDS in batch.column_names else [None] * len(texts)
    return [Document(id=i, text=t, fields=json.loads(f) if f else {}) for i, t, f in zip(ids, texts, fields)]


# ---- planning (on the driver) -----------------------------------------------------------------------


def _expand(paths: Union[PathLike, Sequence[PathLike]], format: Optional[str]) -> list[tuple[Path, str]]:  # noqa: A002
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files: list[tuple[Path, str]] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise FileNotFoundError(f"no such file or folder: {str(path)!r}")
        if path.is_dir() and not (path / "corpus.jsonl").is_file():
            inner = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith((".", "_")))
            if not inner:
                raise ValueError(f"folder {str(path)!r} holds no files to read")
            files.extend((p, _format_of(p, format)) for p in inner)
        else:
            files.append((path, _format_of(path, format)))
    if not files:
        raise ValueError("no input paths given")
    return files


def _format_of(path: Path, format: Optional[str]) -> str:  # noqa: A002
    if path.is_dir():
        return "beir"  # a folder given here holds corpus.jsonl
    fmt = format or detect_format(path)
    if fmt not in _READABLE:
        raise ValueError(f"unknown format {fmt!r}; choose one of {list(_READABLE)}")
    return "jsonl" if fmt == "beir" else fmt


def _plan_chunks(files: list[tuple[Path, str]], chunk_bytes: int) -> list[_Chunk]:
    chunks: list[_Chunk] = []
    for path, fmt in files:
        if fmt in ("jsonl", "beir"):
            data = path / "corpus.jsonl" if fmt == "beir" else path
            size = data.stat().st_size
            for start in range(0, size, chunk_bytes):
                end = min(start + chunk_bytes, size)
                chunks.append(_Chunk(len(chunks), str(data), "jsonl", start=start, end=end))
        elif fmt == "parquet":
            import pyarrow.parquet as pq  # noqa: PLC0415 - pyarrow comes with Ray Data

            for group in range(pq.ParquetFile(path).metadata.num_row_groups):
                chunks.append(_Chunk(len(chunks), str(path), "parquet", row_group=group))
        else:
            chunks.append(_Chunk(len(chunks), str(path), fmt))
    return chunks


# ---- reading (in Ray tasks) -------------------------------------------------------------------------


def _read_chunks(plan: Any, *, id_field: str, text_field: str, rows_per_block: int) -> Iterator[Any]:
    for spec in plan.to_pylist():
        chunk = _Chunk(**spec)
        records = _chunk_records(chunk, id_field, text_field)
        yield from _document_blocks(chunk, records, id_field, text_field, rows_per_block)


def _chunk_records(chunk: _Chunk, id_field: str, text_field: str) -> Iterator[tuple[str, Any]]:
    """(where, record) pairs of a chunk; ``where`` names the record in error messages. CSV records come
    already parsed (as Documents), since the Milvus layer's CSV reader owns that format's details."""
    if chunk.format == "jsonl":
        yield from _jsonl_range(chunk.path, chunk.start, chunk.end)
    elif chunk.format == "parquet":
        import pyarrow.parquet as pq  # noqa: PLC0415

        table = pq.ParquetFile(chunk.path).read_row_group(chunk.row_group)
        for number, record in enumerate(table.to_pylist()):
            yield f"{chunk.path}: row group {chunk.row_group}, row {number}", record
    else:
        docs = iter_documents(chunk.path, format=chunk.format, id_field=id_field, text_field=text_field)
        for number, doc in enumerate(docs):
            yield f"{chunk.path}: record {number}", doc


def _jsonl_range(path: str, start: int, end: int) -> Iterator[tuple[str, Any]]:
    """Records of the lines that start within bytes ``[start, end)`` of a JSONL file; blank lines are skipped."""
    with open(path, "rb") as handle:
        if start > 0:
            handle.seek(start - 1)
            if handle.read(1) != b"\n":
                handle.readline()  # the line under way belongs to the previous chunk
        while True:
            offset = handle.tell()
            if offset >= end:
                return
            line = handle.readline()
            if not line:
                return
            if not line.strip():
                continue
            where = f"{path}: byte {offset}"
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ValueError(f"{where}: not valid JSON ({exc})") from exc
            if not isinstance(record, dict):
                raise ValueError(f"{where}: expected a JSON object per line")
            yield where, record


def _document_blocks(
    chunk: _Chunk, records: Iterable[tuple[str, Any]], id_field: str, text_field: str, rows_per_block: int
) -> Iterator[Any]:
    rows: list[Document] = []
    first = 0
    for number, (where, record) in enumerate(records):
        if number >= 2**_ROW_BITS:
            raise ValueError(f"{chunk.path}: more than 2**32 records in one read chunk; lower chunk_bytes")
        rows.append(record if isinstance(record, Document) else _parse(record, where, id_field, text_field))
        if len(rows) == rows_per_block:
            yield _table(rows, position_of(chunk.ordinal, first))
            first, rows = number + 1, []
    if rows:
        yield _table(rows, position_of(chunk.ordinal, first))


def _parse(record: Any, where: str, id_field: str, text_field: str) -> Document:
    try:
        return next(iter_documents([record], id_field=id_field, text_field=text_field))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{where}: {exc}") from exc


def _table(docs: list[Document], first_position: int, positions: Optional[np.ndarray] = None) -> Any:
    import pyarrow as pa  # noqa: PLC0415

    if positions is None:
        positions = np.arange(first_position, first_position + len(docs), dtype=np.int64)
    columns = {
        ID: pa.array([None if d.id is None else str(d.id) for d in docs], type=pa.string()),
        TEXT: pa.array([d.text for d in docs], type=pa.string()),
        FIELDS: pa.array([_fields_json(d) for d in docs], type=pa.string()),
        POSITION: pa.array(positions, type=pa.int64()),
    }
    return pa.table(columns)


def _fields_json(doc: Document) -> Optional[str]:
    if not doc.fields:
        return None
    try:
        return json.dumps(doc.fields, ensure_ascii=False, default=_plain)
    except TypeError as exc:
        raise ValueError(
            f"document {doc.id!r}: metadata must be JSON values for Milvus ({exc}); drop or convert that field"
        ) from exc


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"a value of type {type(value).__name__} is not JSON")


def _records_to_documents(batch: Any, *, id_field: str, text_field: str, order_column: Optional[str]) -> Any:
    positions = None
    if order_column is not None:
        if order_column not in batch.column_names:
            raise ValueError(f"order_column {order_column!r} is not a column (columns: {batch.column_names})")
        column = batch.column(order_column)
        if column.null_count:
            raise ValueError(f"order_column {order_column!r} has missing values")
        positions = np.asarray(column.to_numpy(), dtype=np.int64)
        batch = batch.drop_columns([order_column])
    docs = [_parse(record, f"record {number} of a batch", id_field, text_field)
            for number, record in enumerate(batch.to_pylist())]
    table = _table(docs, 0, positions)
    return table if order_column is not None else table.drop_columns([POSITION])
