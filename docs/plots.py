"""Draw the performance page's plots from the page's own tables, so a plot never disagrees with its table.

    python docs/plots.py        # writes docs/img/*.png (needs matplotlib)

Each plot reads one markdown table of docs/performance.md, found by the heading above it and its place under
that heading, and parses the figures out of its cells.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

DOCS = Path(__file__).resolve().parent
PAGE = DOCS / "performance.md"
IMAGES = DOCS / "img"
NUMBER = re.compile(r"[-+]?\d[\d,]*\.?\d*")


def table(heading: str, index: int = 0) -> list[list[str]]:
    """The cells of the ``index``-th table under ``heading`` (up to the next heading of any level), header first."""
    text = PAGE.read_text(encoding="utf-8")
    start = text.index(f"\n{heading}\n")
    end = text.find("\n#", start + len(heading) + 2)
    section = text[start: end if end != -1 else len(text)]
    tables: list[list[list[str]]] = []
    previous_was_row = False
    for line in section.splitlines():
        is_row = line.startswith("|")
        if is_row:
            if not previous_was_row:
                tables.append([])
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not all(set(cell) <= set("-: ") for cell in cells):  # the |---| line
                tables[-1].append(cells)
        previous_was_row = is_row
    return tables[index]


def first_number(cell: str) -> float:
    match = NUMBER.search(cell.replace("**", ""))
    if match is None:
        raise ValueError(f"no number in table cell {cell!r}")
    return float(match.group().replace(",", ""))


def bm25_fit_encode() -> None:
    rows = table("## BM25", index=1)[1:]  # the idle-machine run, synthetic corpus
    names = [row[1] for row in rows]
    seconds = [first_number(row[5]) for row in rows]
    order = sorted(range(len(rows)), key=lambda i: seconds[i])
    fig, ax = plt.subplots(figsize=(7, 3))
    colors = ["tab:orange" if names[i].startswith("sparsebolt") else "tab:gray" for i in order]
    ax.barh([names[i] for i in order], [seconds[i] for i in order], color=colors)
    ax.invert_yaxis()
    ax.set_xlabel("fit + encode, seconds (lower is better)")
    ax.set_title("BM25 on 200,000 documents (299 MB), Intel Xeon")
    for position, i in enumerate(order):
        ax.text(seconds[i], position, f" {seconds[i]:.2f} s", va="center", fontsize=8)
    ax.set_xlim(0, max(seconds) * 1.2)
    save(fig, "bm25_fit_encode.png")


def dense_precision() -> None:
    rows = table("### Precision by text length")
    header, body = rows[0], rows[1:]
    lengths = [first_number(cell) for cell in header[1:]]  # "16 words (24 pieces)" -> 16
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for row in body:
        style = "-o" if row[0].startswith("sparsebolt") else "--s"
        ax.plot(lengths, [first_number(cell) for cell in row[1:]], style, label=row[0])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(lengths, [f"{n:.0f}" for n in lengths])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())  # only the measured lengths are labelled
    ax.set_xlabel("words per passage")
    ax.set_ylabel("docs/s, 2 threads")
    ax.set_title("MiniLM by text length and precision, Intel Xeon with AMX")
    ax.legend(fontsize=8)
    save(fig, "dense_precision.png")


def milvus_lite_search() -> None:
    rows = table("## Which Milvus Lite")[1:]
    modes = ["sparse", "dense", "hybrid"]
    columns = [3, 4, 5]  # "p50 / p99 ms" cells: the first number is the p50
    fig, ax = plt.subplots(figsize=(7, 3))
    width = 0.8 / len(rows)
    for n, row in enumerate(rows):
        p50 = [first_number(row[c]) for c in columns]
        ax.bar([m + n * width for m in range(len(modes))], p50, width, label=row[0].replace("`", ""))
    ax.set_xticks([m + width * (len(rows) - 1) / 2 for m in range(len(modes))], modes)
    ax.set_yscale("log")
    ax.set_ylabel("search p50, ms (log)")
    ax.set_title("Milvus Lite search at 100,000 rows")
    ax.legend(fontsize=7)
    save(fig, "milvus_lite_search.png")


def save(fig: "plt.Figure", name: str) -> None:
    IMAGES.mkdir(exist_ok=True)
    fig.tight_layout()
    # No timestamps in the file, so redrawing unchanged tables gives the same bytes.
    fig.savefig(IMAGES / name, dpi=110, metadata={"Software": None})
    plt.close(fig)
    print(f"wrote {(IMAGES / name).relative_to(DOCS.parent)}")


def main() -> None:
    bm25_fit_encode()
    dense_precision()
    milvus_lite_search()


if __name__ == "__main__":
    main()
