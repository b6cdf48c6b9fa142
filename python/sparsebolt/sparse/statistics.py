"""Partial BM25 statistics: count a shard anywhere, merge shards in any order, fit from the result.

A shard's statistics hold its document count, total length, document frequencies and where each term
first appeared (the shard's position in corpus order, then the term's rank in the shard). Merging is
associative and commutative, and fitting from the merged statistics gives exactly the vocabulary order,
idf and vectors of one ``fit`` over the whole corpus, provided each shard was numbered by its position.
"""

from __future__ import annotations

import hashlib
import itertools
import struct
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Optional, Sequence

from sparsebolt import _core
from sparsebolt._inputs import positive_int, texts_stream
from sparsebolt.sparse.analyzer import Analyzer

if TYPE_CHECKING:
    from typing_extensions import TypeGuard  # typing.TypeGuard from Python 3.10

__all__ = ["BM25Statistics", "analyze_in_python", "analyzer_signature", "segments_in_core", "token_lists_for_core"]

_HEADER = struct.Struct("<I")  # length of the analyzer signature that precedes the core's bytes


def analyzer_signature(analyzer: Callable[[str], Sequence[str]]) -> str:
    """Names an analyzer's behaviour, so that statistics made with different analyzers never merge."""
    if isinstance(analyzer, Analyzer):
        stopwords = hashlib.sha1("\n".join(analyzer.stopwords).encode("utf-8")).hexdigest()[:16]
        signature = f"sparsebolt:lowercase={analyzer.lowercase}:stemmer={analyzer.stemmer}:stopwords={stopwords}"
        if not analyzer.segments_natively:
            signature += f":segmenter={_python_name(analyzer.segmenter)}"
        return signature
    return _python_name(analyzer)


def _python_name(function: object) -> str:
    kind = type(function)
    name = getattr(function, "__qualname__", None) or kind.__qualname__
    module = getattr(function, "__module__", None) or kind.__module__
    return f"python:{module}.{name}"


def segments_in_core(analyzer: Callable[[str], Sequence[str]]) -> TypeGuard[Analyzer]:
    """True when the core reads the texts themselves: a sparsebolt Analyzer with a native segmenter."""
    return isinstance(analyzer, Analyzer) and analyzer.segments_natively


def token_lists_for_core(
    analyzer: Callable[[str], Sequence[str]], texts: Sequence[Any], what: str, position: int
) -> tuple[list[Sequence[str]], Optional[_core.Analyzer]]:
    """A batch as the core's token path takes it, for analyzers it cannot run on text: the token lists, and
    the native analyzer that still turns them into terms (a sparsebolt Analyzer with a Python segmenter),
    or None when they are terms already (a Python analyzer's output)."""
    if isinstance(analyzer, Analyzer):
        return analyzer.segment(texts, what=what, position=position), analyzer._native
    return analyze_in_python(analyzer, texts, what, position), None


class BM25Statistics:
    """Mergeable BM25 corpus statistics for one shard (``shard`` = its position in corpus order)."""

    def __init__(self, analyzer: Callable[[str], Sequence[str]], *, shard: int = 0) -> None:
        if isinstance(shard, bool) or not isinstance(shard, int) or shard < 0:
            raise ValueError(f"shard must be a non-negative integer (its position in corpus order), got {shard!r}")
        self.analyzer = analyzer
        self.signature = analyzer_signature(analyzer)
        self._native = _core.CorpusStatistics(shard=shard)

    # -- counting ------------------------------------------------------------------------------

    def update(self, texts: Iterable[str], *, batch_size: int = 50_000,
               num_workers: Optional[int] = None) -> "BM25Statistics":
        """Counts more documents of this shard, which follow those already counted. Streams ``texts``
        in batches; on a bad item nothing is added."""
        texts = texts_stream(texts, name="texts")  # items are checked as they are counted
        batch_size = positive_int(batch_size, name="batch_size")
        position = self._native.document_count
        threads = 0 if num_workers is None else int(num_workers)
        if isinstance(texts, (list, tuple)) and (len(texts) <= batch_size or segments_in_core(self.analyzer)):
            # One batch is validated whole before anything is counted: no staging copy needed. The native analyzer
            # reads a list in place, so one batch costs no memory beyond the list itself, and each distinct word
            # is then stemmed once rather than once per batch.
            self._count(self._native, texts, position, threads)
            return self
        staged = _core.CorpusStatistics(shard=self._native.shard)
        staged.merge(self._native)
        for batch in _batches(texts, batch_size):
            self._count(staged, batch, position, threads)
            position += len(batch)
        self._native = staged
        return self

    def _count(self, target: _core.CorpusStatistics, batch: Sequence[Any], position: int, threads: int) -> None:
        if segments_in_core(self.analyzer):
            target.add_texts(self.analyzer._native, batch, num_threads=threads, position_offset=position)
        else:
            token_lists, native = token_lists_for_core(self.analyzer, batch, "corpus", position)
            target.add_token_lists(token_lists, analyzer=native, num_threads=threads, position_offset=position)

    def merge(self, other: "BM25Statistics") -> "BM25Statistics":
        """Adds another shard's statistics (any order, any grouping); returns self."""
        if not isinstance(other, BM25Statistics):
            raise TypeError(f"can only merge BM25Statistics, got {type(other).__name__}")
        if other.signature != self.signature:
            raise ValueError(
                f"statistics made with different analyzers cannot merge: {self.signature!r} vs {other.signature!r}"
            )
        self._native.merge(other._native)
        return self

    # -- facts ---------------------------------------------------------------------------------

    @property
    def shard(self) -> int:
        return self._native.shard

    @property
    def document_count(self) -> int:
        return self._native.document_count

    @property
    def total_length(self) -> int:
        return self._native.total_length

    @property
    def vocabulary_size(self) -> int:
        return self._native.vocabulary_size

    def __repr__(self) -> str:
        return (
            f"BM25Statistics(shard={self.shard}, documents={self.document_count}, "
            f"terms={self.vocabulary_size}, analyzer={self.signature!r})"
        )

    # -- transport -----------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        signature = self.signature.encode("utf-8")
        return _HEADER.pack(len(signature)) + signature + self._native.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes, analyzer: Callable[[str], Sequence[str]]) -> "BM25Statistics":
        """Restores statistics written by ``to_bytes``; ``analyzer`` must be the one they were counted with."""
        if len(data) < _HEADER.size:
            raise ValueError("corrupt BM25 statistics (truncated)")
        (length,) = _HEADER.unpack_from(data)
        signature = bytes(data[_HEADER.size : _HEADER.size + length]).decode("utf-8", errors="replace")
        stats = cls(analyzer)
        if signature != stats.signature:
            raise ValueError(f"these statistics were counted with analyzer {signature!r}, not {stats.signature!r}")
        stats._native = _core.CorpusStatistics.from_bytes(bytes(data[_HEADER.size + length :]))
        return stats

    def __reduce__(self) -> tuple[Any, ...]:
        return (_from_bytes, (self.to_bytes(), self.analyzer))


def _from_bytes(data: bytes, analyzer: Callable[[str], Sequence[str]]) -> BM25Statistics:
    return BM25Statistics.from_bytes(data, analyzer)


def _batches(texts: Iterable[Any], batch_size: int) -> Iterator[Sequence[Any]]:
    if isinstance(texts, (list, tuple)):
        for start in range(0, len(texts), batch_size):
            yield texts[start : start + batch_size]
        return
    iterator = iter(texts)
    while batch := list(itertools.islice(iterator, batch_size)):
        yield batch


def analyze_in_python(analyzer: Callable[[str], Sequence[str]], texts: Sequence[Any], what: str, position: int) -> list:
    """Runs a Python analyzer over a batch, naming the position of any item that is not a str."""
    token_lists = []
    for offset, text in enumerate(texts):
        if not isinstance(text, str):
            kind = "None" if text is None else f"of type {type(text).__name__}"
            raise TypeError(f"{what}[{position + offset}] is {kind}, expected str")
        token_lists.append(analyzer(text))
    return token_lists
