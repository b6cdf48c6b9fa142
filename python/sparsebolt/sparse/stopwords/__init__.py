"""Stopword lists shipped with sparsebolt, one word per line in ``<name>.txt``; a first line starting with ``#``
says where the list comes from (NLTK's stopwords corpus for the European languages: SOURCES.md).

The lists are the ones the core's language table names (``sparsebolt._core.languages()``).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from sparsebolt import _core

__all__ = ["stopword_lists", "stopwords"]


def stopword_lists() -> list[str]:
    """The names of the stopword lists, as the language table gives them."""
    return sorted({entry.stopwords for entry in _core.languages() if entry.stopwords})


@lru_cache(maxsize=None)
def _load(name: str) -> tuple[str, ...]:
    path = resources.files(__name__).joinpath(f"{name}.txt")
    if not path.is_file():
        raise ValueError(f"the stopword list {name!r} is not installed ({name}.txt is missing from {__name__})")
    words = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    # Lines are stripped: NLTK's Basque list has words with trailing spaces, which no token could equal.
    return tuple(word for word in words if word and not word.startswith("#"))


def stopwords(language: str = "english") -> list[str]:
    """Returns a stopword list (a new list each call): by its name (``"english"``), or the default list of
    a language code or alias in the table (``"en"``; empty for a language without one, such as ``"hy"``)."""
    if not isinstance(language, str):
        raise TypeError(f"language must be a str such as 'english', got {type(language).__name__}")
    names = stopword_lists()
    name = language
    if name not in names:
        codes = {alias: entry.stopwords for entry in _core.languages() for alias in (entry.code, *entry.aliases)}
        if codes.get(language) == "":
            return []  # a language of the table without a stopword list (NLTK has none for Armenian, say)
        name = codes.get(language, "")
        if name not in names:
            raise ValueError(f"no stopword list for {language!r}; available: {names}")
    return list(_load(name))
