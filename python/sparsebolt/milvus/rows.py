"""What a document must be to become a Milvus row: a primary key the collection can hold and a storable text.
Each refusal is a DataError that names the record (its origin) and what to fix."""

from __future__ import annotations

import re
from typing import Union

from sparsebolt.milvus.schema import CollectionSpec
from sparsebolt.milvus.sources import DataError, Document, derive_id

__all__ = ["document_id", "check_text"]


def document_id(doc: Document, spec: CollectionSpec) -> Union[str, int]:
    """The primary key ``doc`` is stored under: its own id checked against the collection, or one derived from
    its text; DataError (naming the record) for an id Milvus cannot store."""
    if doc.id is None:
        return derive_id(doc.text, integer=spec.id_type == "int")
    where = doc.origin or "a document"
    if spec.id_type == "int":
        try:
            value = doc.id if isinstance(doc.id, int) else int(doc.id)
        except ValueError:
            raise DataError(
                f"{where}: id {doc.id!r} is not an integer but collection {spec.name!r} has integer ids"
            ) from None
        if not -(2**63) <= value < 2**63:
            raise DataError(f"{where}: id {value} is outside Milvus's int64 range")
        return value
    doc_id = str(doc.id)
    try:
        size = len(doc_id.encode("utf-8"))
    except UnicodeEncodeError:
        raise DataError(f"{where}: id {doc_id!r} holds a lone surrogate, which UTF-8 (and Milvus) cannot "
                        f"store; fix the id") from None
    if size > spec.id_max_length:
        raise DataError(f"{where}: id {doc_id[:40]!r}... has {size} bytes, over the {spec.id_max_length} "
                        f"bytes a sparsebolt id may have; shorten it (or omit it to derive one from the text)")
    return doc_id


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def check_text(doc: Document, doc_id: Union[str, int], limit: int) -> None:
    """A text Milvus can store as it is: valid UTF-8 (the encoders read a lone surrogate as a separator, but
    a VARCHAR cannot hold one) within the collection's byte limit."""
    if doc.text.isascii():
        size = len(doc.text)
    else:
        found = _LONE_SURROGATE.search(doc.text)
        if found:
            raise DataError(
                f"{doc.origin or 'a document'}: document {doc_id!r} has a lone surrogate "
                f"({ascii(found.group())}) at character {found.start()} of its text, which UTF-8 (and Milvus) cannot "
                f"store; it is usually half of an emoji cut in two: remove it or replace it with U+FFFD"
            )
        size = len(doc.text) if len(doc.text) * 4 <= limit else len(doc.text.encode("utf-8"))
    if size > limit:
        raise DataError(
            f"{doc.origin or 'a document'}: document {doc_id!r} has {size} bytes of text, over the collection's "
            f"VARCHAR limit of {limit}; split long documents into passages before ingesting"
        )
