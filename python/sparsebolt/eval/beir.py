"""Readers for a BEIR dataset folder: corpus.jsonl, queries.jsonl and qrels (qrels.tsv or qrels/<split>.tsv).

Errors name the file and line (``corpus.jsonl:31``) and say what to fix; the corpus can be streamed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator, Optional, Union

PathLike = Union[str, Path]


def join_title_text(title: Optional[str], text: Optional[str]) -> str:
    """The text a document is indexed and scored by: ``f"{title} {text}".strip()``, a missing or null part as "".

    This is the rule the project's benchmark figures were measured with (BEIR evaluations index title and
    text together); changing it moves every nDCG figure, so it is kept exactly, stripping included.
    """
    return f"{title or ''} {text or ''}".strip()


def iter_corpus(folder: PathLike) -> Iterator[tuple[str, str]]:
    """Yields ``(id, text)`` per line of ``folder/corpus.jsonl``, the text made by :func:`join_title_text`.

    Streaming: one line is held at a time, so corpora larger than memory can be encoded batch by batch.
    Ids are strings (``str(record["_id"])``), as qrels name them. Blank lines are skipped.
    """
    path = _required(Path(folder), "corpus.jsonl")
    for where, record in _records(path):
        title, text = _optional_str(record, "title", where), _optional_str(record, "text", where)
        yield _id(record, where), join_title_text(title, text)


def read_corpus(folder: PathLike) -> tuple[list[str], list[str]]:
    """``(ids, texts)`` of ``folder/corpus.jsonl`` in file order (see :func:`iter_corpus`)."""
    ids: list[str] = []
    texts: list[str] = []
    for doc_id, text in iter_corpus(folder):
        ids.append(doc_id)
        texts.append(text)
    return ids, texts


def read_queries(folder: PathLike) -> dict[str, str]:
    """``{query id: text}`` of ``folder/queries.jsonl`` in file order; every record needs ``_id`` and ``text``."""
    path = _required(Path(folder), "queries.jsonl")
    queries: dict[str, str] = {}
    for where, record in _records(path):
        text = _optional_str(record, "text", where)
        if text is None:
            raise ValueError(f"{where}: a query needs a string 'text' field")
        queries[_id(record, where)] = text
    return queries


def read_qrels(folder: PathLike, split: Optional[str] = None) -> dict[str, dict[str, int]]:
    """``{query id: {corpus id: grade}}`` from the folder's qrels, as BEIR's tab-separated
    ``query-id, corpus-id, score`` lines (an optional header line first).

    The file is ``folder/qrels.tsv`` when present (the shared sets' layout), else ``folder/qrels/<split>.tsv``
    (BEIR's own layout); ``split`` may be omitted when ``qrels/`` holds a single file. A pair listed twice keeps
    its last grade. Grades are integers and may be 0 (judged not relevant) or negative.
    """
    path = _qrels_path(Path(folder), split)
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) != 3:
                raise ValueError(f"{path.name}:{number}: expected 3 tab-separated columns (query-id, corpus-id, "
                                 f"score), found {len(parts)}; TREC qrels (query 0 doc grade) need converting")
            try:
                grade = int(parts[2])
            except ValueError:
                if number == 1:
                    continue  # the header line ("query-id corpus-id score")
                raise ValueError(f"{path.name}:{number}: score {parts[2]!r} is not an integer grade") from None
            qrels.setdefault(parts[0], {})[parts[1]] = grade
    return qrels


def _required(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        hint = "" if folder.is_dir() else f" ({str(folder)!r} is not a folder)"
        raise FileNotFoundError(f"{path} not found{hint}: a BEIR folder holds corpus.jsonl, queries.jsonl and "
                                f"qrels.tsv (or qrels/<split>.tsv)")
    return path


def _qrels_path(folder: Path, split: Optional[str]) -> Path:
    flat, nested = folder / "qrels.tsv", folder / "qrels"
    if split is not None:
        path = nested / f"{split}.tsv"
        if path.is_file():
            return path
        found = sorted(p.stem for p in nested.glob("*.tsv"))
        raise FileNotFoundError(f"{path} not found; splits in {nested}: {found or 'none'}"
                                + (" (this folder has a single qrels.tsv: omit split)" if flat.is_file() else ""))
    if flat.is_file():
        return flat
    splits = sorted(nested.glob("*.tsv"))
    if len(splits) == 1:
        return splits[0]
    if splits:
        raise ValueError(f"{nested} holds several splits {[p.stem for p in splits]}: pass split= to choose one")
    raise FileNotFoundError(f"no qrels in {folder}: expected qrels.tsv or qrels/<split>.tsv (query-id, corpus-id, "
                            f"score)")


def _records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{where}: not valid JSON ({error.msg}); each line must be one JSON object") from None
            if not isinstance(record, dict):
                raise ValueError(f"{where}: expected a JSON object, found {type(record).__name__}")
            yield where, record


def _id(record: dict[str, Any], where: str) -> str:
    value = record.get("_id")
    if value is None or isinstance(value, (dict, list, bool)):
        raise ValueError(f"{where}: every record needs an '_id' (a string or integer), as qrels refer to it")
    return str(value)


def _optional_str(record: dict[str, Any], key: str, where: str) -> Optional[str]:
    value = record.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{where}: {key!r} must be a string or null, found {type(value).__name__}")
    return value
