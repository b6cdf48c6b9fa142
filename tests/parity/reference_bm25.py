"""A pure-Python BM25 written from the spec, independent of the native code: the oracle for parity tests.

Analyzer: tokens are ``[^\\W_]+`` runs (Python's own Unicode tables), lowercased code point by code
point with the simple mapping, NLTK's English stopwords (read from the file, compared after
lowercasing), PyStemmer's English stemmer. Scoring follows pymilvus-model's formulas.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

TOKEN = re.compile(r"[^\W_]+")

# The "letters_marks" segmenter's words: a [^\W_] character, then such characters, combining marks (general
# category M*) and the zero-width (non-)joiners, in any order.
_MARKS = "".join(
    re.escape(chr(cp)) for cp in range(0x110000) if unicodedata.category(chr(cp)).startswith("M")
) + "\u200c\u200d"
WORD_WITH_MARKS = re.compile(rf"[^\W_](?:[^\W_]|[{_MARKS}])*")
TOKEN_PATTERNS = {"letters_digits": TOKEN, "letters_marks": WORD_WITH_MARKS}


def simple_lower(token: str) -> str:
    # str.lower() applies full and context-sensitive mappings (final sigma, U+0130 -> 2 code points);
    # the simple mapping is the per-code-point one, keeping the first code point of U+0130's.
    return "".join(ch.lower()[0] for ch in token)


class ReferenceAnalyzer:
    def __init__(self, stopwords: list[str], stem: bool = True):
        import Stemmer

        self.stopwords = set(stopwords)
        self.stemmer = Stemmer.Stemmer("english") if stem else None

    def __call__(self, text: str) -> list[str]:
        terms = []
        for raw in TOKEN.findall(text):
            token = simple_lower(raw)
            if token in self.stopwords:
                continue
            terms.append(self.stemmer.stemWord(token) if self.stemmer else token)
        return terms


@dataclass
class ReferenceBm25:
    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25
    vocabulary: dict[str, int] = field(default_factory=dict)  # term -> id, first-occurrence order
    idf: list[float] = field(default_factory=list)
    avgdl: float = 0.0

    def fit(self, corpus_terms: list[list[str]]) -> "ReferenceBm25":
        document_frequency: dict[str, int] = {}
        total = 0
        for terms in corpus_terms:
            total += len(terms)
            for term in dict.fromkeys(terms):
                document_frequency[term] = document_frequency.get(term, 0) + 1
        n = len(corpus_terms)
        self.avgdl = total / n
        self.vocabulary = {term: i for i, term in enumerate(document_frequency)}
        raw = [math.log(n - df + 0.5) - math.log(df + 0.5) for df in document_frequency.values()]
        floor = self.epsilon * (sum(raw) / len(raw))
        self.idf = [value if value >= 0 else floor for value in raw]
        return self

    def document_vector(self, terms: list[str]) -> dict[int, float]:
        counts = Counter(terms)
        norm = self.k1 * (1 - self.b + self.b * len(terms) / self.avgdl)
        return {
            self.vocabulary[t]: tf * (self.k1 + 1) / (tf + norm) for t, tf in counts.items() if t in self.vocabulary
        }

    def query_vector(self, terms: list[str]) -> dict[int, float]:
        weights: dict[int, float] = {}
        for term in terms:
            if term in self.vocabulary:
                index = self.vocabulary[term]
                weights[index] = weights.get(index, 0.0) + self.idf[index]
        return weights
