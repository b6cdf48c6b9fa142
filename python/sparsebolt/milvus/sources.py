"""Where documents come from: iterables of texts or dicts, JSONL, CSV, Parquet files and BEIR folders.
Every source streams (one record at a time) so ingestion memory never depends on the input size."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Optional, Union

__all__ = ["DataError", "Document", "iter_documents", "count_documents", "derive_id", "detect_format", "FORMATS"]

FORMATS = ("jsonl", "csv", "tsv", "parquet", "beir")

_EXTENSIONS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
}

Source = Union[str, Path, Iterable[Union[str, Mapping[str, Any]]]]


class DataError(ValueError):
    """A record of the input can never be stored as it is (no text, a bad id, metadata Milvus cannot hold).

    The message names the record (``file:line`` for files, the position for in-memory input) and what to fix;
    re-running without changing the input fails the same way, so this is not a reason to resume.
    """


@dataclass
class Document:
    """One document to ingest: ``id`` is None when it should be derived from the text.

    ``origin`` names where the record came from (``corpus.jsonl:17``, ``input record 3``) for error messages.
    """

    id: Optional[Union[str, int]]
    text: str
    fields: dict[str, Any] = field(default_factory=dict)
    origin: str = field(default="", compare=False)


def derive_id(text: str, *, integer: bool = False) -> Union[str, int]:
    """A stable id for a text without one: the same text gives the same id in every run.

    Used so that re-running an ingestion of id-less texts finds them already stored. Identical texts
    share one id, so they are stored once. Strings: 32 hex digits of BLAKE2b-128; integers: the first
    8 bytes as a non-negative int64.
    """
    # surrogatepass gives valid text its plain UTF-8 bytes (so ids never change) and a lone surrogate,
    # which strict UTF-8 refuses, bytes (ED A0 80 for U+D800) that no valid text encodes to: ids stay distinct.
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    if integer:
        return int.from_bytes(digest[:8], "big") & 0x7FFF_FFFF_FFFF_FFFF
    return digest.hex()


def detect_format(path: Union[str, Path]) -> str:
    """The source format of ``path`` from its extension; a folder is a BEIR dataset."""
    p = Path(path)
    if p.is_dir():
        return "beir"
    fmt = _EXTENSIONS.get(p.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"cannot tell the format of {str(p)!r} from its extension; use one of "
            f"{sorted(_EXTENSIONS)} or pass format= one of {list(FORMATS)}"
        )
    return fmt


def iter_documents(
    source: Source,
    *,
    format: Optional[str] = None,  # noqa: A002 - mirrors the CLI flag
    id_field: str = "id",
    text_field: str = "text",
) -> Iterator[Document]:
    """Stream :class:`Document` s from a file, a BEIR folder or an iterable of texts/dicts.

    Dict records take their id from ``id_field`` (``_id`` as a fallback, BEIR's name), their text from
    ``text_field`` (a non-empty ``title`` is prepended, as BEIR evaluations do) and keep every other key
    as a metadata field. A record without text raises ValueError naming the record.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"no such file or folder: {str(path)!r}")
        fmt = format or detect_format(path)
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; choose one of {list(FORMATS)}")
        located: Iterable[tuple[str, Union[str, Mapping[str, Any]]]] = _read_file(path, fmt)
    else:
        if format is not None:
            raise ValueError("format= applies to a path, not to an in-memory iterable")
        if isinstance(source, Mapping):
            raise TypeError("pass an iterable of records (a list of dicts), not a single dict")
        located = ((f"input record {position}", record) for position, record in enumerate(source))
    for origin, record in located:
        yield _to_document(record, origin, id_field, text_field)


def count_documents(source: Source, *, format: Optional[str] = None) -> Optional[int]:  # noqa: A002
    """The number of records when it is cheap to know (for a progress bar's ETA), else None."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            return None
        fmt = format or detect_format(path)
        if fmt == "parquet":
            pq = _import_parquet()
            return int(pq.ParquetFile(path).metadata.num_rows)
        if fmt in ("jsonl", "beir"):
            return _count_nonblank_lines(_beir_corpus(path) if fmt == "beir" else path)
        return None  # CSV rows may span lines; counting them costs a full parse
    if hasattr(source, "__len__"):
        return len(source)  # type: ignore[arg-type]
    return None


def _to_document(record: Union[str, Mapping[str, Any]], origin: str, id_field: str, text_field: str) -> Document:
    if isinstance(record, str):
        return Document(id=None, text=record, origin=origin)
    if not isinstance(record, Mapping):
        raise TypeError(
            f"{origin} is a {type(record).__name__}; expected a str or a dict with a {text_field!r} key"
        )
    fields = dict(record)
    doc_id = fields.pop(id_field, None)
    if doc_id is None and id_field != "_id":
        doc_id = fields.pop("_id", None)
    if isinstance(doc_id, str) and doc_id == "":
        doc_id = None
    if doc_id is not None and not isinstance(doc_id, (str, int)) or isinstance(doc_id, bool):
        raise DataError(f"{origin}: id {doc_id!r} must be a str or an int")
    text = fields.pop(text_field, None)
    if text is None:
        raise DataError(
            f"{origin} has no {text_field!r} field (keys: {sorted(map(str, record))}); "
            f"pass text_field= (CLI: --text-field) naming the field that holds the text"
        )
    if not isinstance(text, str):
        raise DataError(f"{origin}: {text_field!r} must be a string, got {type(text).__name__}")
    title = fields.get("title")
    if isinstance(title, str) and title.strip():
        text = f"{title} {text}"
    if isinstance(fields.get("metadata"), Mapping) and not fields["metadata"]:
        del fields["metadata"]  # BEIR's empty metadata dict carries nothing
    return Document(id=doc_id, text=text, fields=fields, origin=origin)


def _read_file(path: Path, fmt: str) -> Iterator[tuple[str, Union[str, Mapping[str, Any]]]]:
    if fmt == "beir":
        yield from _read_jsonl(_beir_corpus(path))
    elif fmt == "jsonl":
        yield from _read_jsonl(path)
    elif fmt in ("csv", "tsv"):
        yield from _read_csv(path, "\t" if fmt == "tsv" else ",")
    else:
        yield from _read_parquet(path)


def _beir_corpus(folder: Path) -> Path:
    corpus = folder / "corpus.jsonl"
    if not corpus.is_file():
        raise FileNotFoundError(
            f"{str(folder)!r} is a folder but has no corpus.jsonl; a BEIR dataset folder holds "
            f"corpus.jsonl (plus queries.jsonl and qrels)"
        )
    return corpus


def _read_jsonl(path: Path) -> Iterator[tuple[str, Mapping[str, Any]]]:
    with path.open("r", encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{str(path)}:{line_number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(record, dict):
                raise DataError(f"{str(path)}:{line_number}: expected a JSON object per line")
            yield f"{str(path)}:{line_number}", record


def _read_csv(path: Path, delimiter: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    with path.open("r", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        if reader.fieldnames is None:
            return
        for row in reader:
            if None in row:  # more cells than header names
                raise DataError(f"{str(path)}:{reader.line_num}: more cells than the header has columns")
            yield f"{str(path)}:{reader.line_num}", row


def _import_parquet() -> Any:
    try:
        import pyarrow.parquet as pq  # noqa: PLC0415 - optional dependency
    except ImportError as exc:  # pragma: no cover - the test and ray extras install pyarrow
        raise ImportError("reading Parquet needs pyarrow: pip install 'sparsebolt[parquet]' (or pyarrow)") from exc
    return pq


def _read_parquet(path: Path) -> Iterator[tuple[str, Mapping[str, Any]]]:
    pq = _import_parquet()
    row = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
        for record in batch.to_pylist():
            yield f"{str(path)} row {row}", record
            row += 1


def _count_nonblank_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                count += 1
    return count
