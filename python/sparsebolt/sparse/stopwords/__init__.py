"""Stopword lists shipped with sparsebolt, one word per line in ``<name>.txt`` (english.txt: NLTK's English list).

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
    text = resources.files(__name__).joinpath(f"{name}.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def stopwords(language: str = "english") -> list[str]:
    """Returns a stopword list (a new list each call): by its name (``"english"``), or the default list of
    a language code or alias in the table (``"en"``)."""
    if not isinstance(language, str):
        raise TypeError(f"language must be a str such as 'english', got {type(language).__name__}")
    names = stopword_lists()
    name = language
    if name not in names:
        codes = {alias: entry.stopwords for entry in _core.languages() for alias in (entry.code, *entry.aliases)}
        name = codes.get(language, "")
        if name not in names:
            raise ValueError(f"no stopword list for {language!r}; available: {names}")
    return list(_load(name))
