"""The BM25 analyzer: a callable, inspectable front for the native tokenizer/stemmer pipeline.

Pipeline (all in C++, one call per batch when used by ``BM25EmbeddingFunction``):

1. tokens are maximal runs of Unicode letters and digits (``str.isalnum()``, i.e. ``[^\\W_]+``);
   punctuation, whitespace, ``_``, invalid UTF-8 bytes and lone surrogates separate tokens;
2. lowercasing with the Unicode simple case mapping (one code point to one code point);
3. stopwords (NLTK's English list by default) are dropped;
4. the Snowball English ("Porter2") stemmer, equal to PyStemmer's ``Stemmer('english')``.
"""

from __future__ import annotations

from typing import Iterable, Optional

from sparsebolt import _core
from sparsebolt.sparse.stopwords import stopwords as stopword_list

__all__ = ["Analyzer", "build_default_analyzer"]

_STEMMERS = ("english", "none")
_LANGUAGES = {"en": "english", "english": "english"}


class Analyzer:
    """Turns text into BM25 terms. ``analyzer(text) -> list[str]``.

    Args:
        name: a label, as in ``pymilvus.model`` (``"en"`` for the default).
        lowercase: apply the Unicode simple lowercase mapping.
        stopwords: words dropped after lowercasing and before stemming.
        stemmer: ``"english"`` (Snowball Porter2) or ``"none"``.
    """

    def __init__(
        self,
        name: str = "custom",
        *,
        lowercase: bool = True,
        stopwords: Optional[Iterable[str]] = None,
        stemmer: str = "english",
    ) -> None:
        if stemmer not in _STEMMERS:
            raise ValueError(f"unknown stemmer {stemmer!r}; choose one of {list(_STEMMERS)}")
        words = [] if stopwords is None else list(stopwords)
        for position, word in enumerate(words):
            if not isinstance(word, str):
                raise TypeError(f"stopwords[{position}] is {type(word).__name__}, expected str")
        self.name = name
        self._native = _core.Analyzer(lowercase=bool(lowercase), stopwords=words, stemmer=stemmer)

    @property
    def lowercase(self) -> bool:
        return self._native.lowercase

    @property
    def stopwords(self) -> list[str]:
        return self._native.stopwords

    @property
    def stemmer(self) -> str:
        return self._native.stemmer

    def __call__(self, text: str) -> list[str]:
        return self._native.analyze(text)

    analyze = __call__

    def __repr__(self) -> str:
        return (
            f"Analyzer(name={self.name!r}, tokens=r'[^\\W_]+' (Unicode {_core.UNICODE_VERSION}), "
            f"lowercase={self.lowercase}, stopwords={len(self.stopwords)} words, stemmer={self.stemmer!r})"
        )

    def __reduce__(self):
        return (_rebuild, (self.name, self.lowercase, self.stopwords, self.stemmer))


def _rebuild(name: str, lowercase: bool, stopwords: list[str], stemmer: str) -> Analyzer:
    return Analyzer(name, lowercase=lowercase, stopwords=stopwords, stemmer=stemmer)


def build_default_analyzer(language: str = "en") -> Analyzer:
    """The default BM25 analyzer for ``language``, as ``pymilvus.model``'s function of the same name.

    Only English is native; ``pymilvus.model``'s Chinese/Japanese/Korean analyzers can be passed to
    ``BM25EmbeddingFunction(analyzer=...)`` as any Python callable.
    """
    if language not in _LANGUAGES:
        raise ValueError(f"no default analyzer for language {language!r}; available: {sorted(_LANGUAGES)}")
    resolved = _LANGUAGES[language]
    return Analyzer(language, lowercase=True, stopwords=stopword_list(resolved), stemmer=resolved)
