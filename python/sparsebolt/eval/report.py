"""An evaluation's figures for people: a plain-text table for the terminal, and a quality-against-latency plot
(matplotlib, in the eval extra) with one point per mode."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Union

from sparsebolt.eval.evaluation import EvalReport
from sparsebolt.eval.metrics import MEASURES

__all__ = ["format_table", "plot_quality_latency"]


def format_table(report: EvalReport) -> str:
    """The report as aligned columns: one row per mode, then the ingestion and, when tuned, the fusion rows."""
    ingest = report.ingest
    lines = [f"{report.dataset}: {ingest.documents} documents, {report.queries} judged queries; ingest "
             + (f"{ingest.inserted} in {ingest.seconds:.1f}s ({ingest.docs_per_second:.0f} docs/s)"
                if ingest.inserted else f"reused the {ingest.skipped} stored documents"), ""]
    header = ["mode", *MEASURES, "p50 ms", "p99 ms"]
    rows = [[name, *(f"{r.scores[m]:.4f}" for m in MEASURES), f"{r.latency_ms['p50']:.2f}",
             f"{r.latency_ms['p99']:.2f}"] for name, r in report.modes.items()]
    lines += _columns(header, rows)
    fusion = report.fusion
    if fusion is not None:
        tuned = ", ".join(f"{row} {value:.4f}" for row, value in fusion.tune.items())
        lines += ["", f"fusion tuned on {fusion.tune_queries} queries (seed {fusion.seed}; nDCG@10: {tuned}), "
                      f"measured on the other {fusion.test_queries}:"]
        lines += _columns(["test queries", *MEASURES],
                          [[row, *(f"{scores[m]:.4f}" for m in MEASURES)] for row, scores in fusion.test.items()])
    return "\n".join(lines)


def _columns(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    return ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
            for row in [header, *rows]]


def plot_quality_latency(report: EvalReport, path: Union[str, Path], *, measure: str = "nDCG@10") -> Path:
    """A PNG of ``measure`` against per-query latency: each mode a point at its p50, a line out to its p99.

    Drawn on matplotlib's Agg canvas directly, so no pyplot backend or global state is touched.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {list(MEASURES)}, got {measure!r}")
    try:
        figure_module = importlib.import_module("matplotlib.figure")
        agg = importlib.import_module("matplotlib.backends.backend_agg")
    except ImportError as exc:
        raise ImportError(f"--plot draws with matplotlib, which is not installed ({exc}); install the eval extra: "
                          f"pip install 'sparsebolt[eval]'") from exc
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"the plot is written as PNG: name a .png file, got {str(path)!r}")
    figure = figure_module.Figure(figsize=(6.4, 4.4), dpi=120)
    agg.FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for name, result in report.modes.items():
        p50, p99, value = result.latency_ms["p50"], result.latency_ms["p99"], result.scores[measure]
        (point,) = axes.plot([p50], [value], "o", label=name)
        axes.plot([p50, p99], [value, value], "-", color=point.get_color(), alpha=0.5)
        axes.annotate(name, (p50, value), textcoords="offset points", xytext=(6, 6), fontsize=9)
    axes.set_xscale("log")
    axes.set_xlabel("latency per query, ms (point: p50, line to p99; log scale)")
    axes.set_ylabel(measure)
    axes.set_title(f"{report.dataset}: {measure} against latency, {report.queries} queries")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path
