"""Stopword lists shipped with sparsebolt, one word per line (english.txt: NLTK's English list)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

__all__ = ["stopwords"]

_FILES = {"english": "english.txt"}


@lru_cache(maxsize=None)
def _load(language: str) -> tuple[str, ...]:
    text = resources.files(__name__).joinpath(_FILES[language]).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def stopwords(language: str = "english") -> list[str]:
    """Returns the stopword list for ``language`` (a new list each call)."""
    if language not in _FILES:
        raise ValueError(f"no stopword list for {language!r}; available: {sorted(_FILES)}")
    return list(_load(language))
