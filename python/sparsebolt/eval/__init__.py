"""Evaluation: read BEIR folders, score retrieval runs with pytrec_eval (nDCG@k, recall@k, MRR@k), and evaluate
a collection's search modes on a BEIR folder (:func:`evaluate`, the ``sparsebolt eval`` command).

The readers and metrics import only the standard library (pytrec_eval when a metric is computed), so importing
this package costs nothing heavy; :func:`evaluate` and the report helpers load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from sparsebolt.eval.beir import iter_corpus, join_title_text, read_corpus, read_qrels, read_queries
from sparsebolt.eval.metrics import (
    MEASURES,
    mean_mrr,
    mean_ndcg,
    mean_recall,
    mean_scores,
    mrr_at_k,
    ndcg_at_k,
    per_query,
    recall_at_k,
    score_run,
)

__all__ = [
    "EvalReport",
    "MEASURES",
    "evaluate",
    "format_table",
    "iter_corpus",
    "join_title_text",
    "mean_mrr",
    "mean_ndcg",
    "mean_recall",
    "mean_scores",
    "mrr_at_k",
    "ndcg_at_k",
    "per_query",
    "plot_quality_latency",
    "read_corpus",
    "read_qrels",
    "read_queries",
    "recall_at_k",
    "score_run",
]

_LAZY = {"evaluate": "evaluation", "EvalReport": "evaluation", "format_table": "report",
         "plot_quality_latency": "report"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"sparsebolt.eval.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'sparsebolt.eval' has no attribute {name!r}")
