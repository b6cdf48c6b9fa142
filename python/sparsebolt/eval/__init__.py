"""Evaluation helpers: read BEIR folders and score retrieval runs (nDCG@k, recall@k, MRR@k).

Both modules are pure Python on the standard library, so importing this package costs nothing heavy.
"""

from __future__ import annotations

from sparsebolt.eval.beir import iter_corpus, join_title_text, read_corpus, read_qrels, read_queries
from sparsebolt.eval.metrics import (
    mean_mrr,
    mean_ndcg,
    mean_recall,
    mrr_at_k,
    ndcg_at_k,
    per_query,
    recall_at_k,
)

__all__ = [
    "iter_corpus",
    "join_title_text",
    "mean_mrr",
    "mean_ndcg",
    "mean_recall",
    "mrr_at_k",
    "ndcg_at_k",
    "per_query",
    "read_corpus",
    "read_qrels",
    "read_queries",
    "recall_at_k",
]
