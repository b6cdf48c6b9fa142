"""Korean, Chinese and Japanese BM25: quality and fit+encode time, ours against the per-text baselines.

One command:  .venv/bin/python bench/bench_cjk.py        (needs sparsebolt[all-languages], kiwipiepy, rjieba)

Korean: nDCG@10 on msmarco-ko-dev (../shared; BM25 sparse dot product, top 10) with the English originals
alongside, for the English default analyzer, character bigrams, Kiwi content morphemes called per text from
Python (the baseline) and sparsebolt's ``ko`` analyzer: MeCab's segmentation run by the core on mecab-ko-dic
(native), beside the same segmentation through mecab-python3 called per text from Python (the library path),
on 1 and 2 threads. Chinese and Japanese: pymilvus.model's ``zh`` / ``jp`` analyzers (for real when NLTK's
stopwords are installed, else their pipeline rebuilt from their source, by sparsebolt.testing.cjk_reference)
against sparsebolt's, on the test sentences repeated (--zh-repeat, --repeat-sentences copies); Chinese also with
rjieba as a Python segmenter beside the native jieba segmenter, Japanese also on the mecab-python3 library path,
1 and 2 threads. Every row uses sparsebolt's BM25, so only the analyzer differs.
Prints a markdown table with the machine and versions; times are the best of --repeats runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))
from peers import skip_reason  # noqa: E402

from sparsebolt.eval import mean_ndcg, read_corpus, read_qrels, read_queries  # noqa: E402
from sparsebolt.model.sparse import BM25EmbeddingFunction  # noqa: E402
from sparsebolt.sparse import Analyzer  # noqa: E402
from sparsebolt.sparse.segmenters import MecabKoreanSegmenter  # noqa: E402
from sparsebolt.sparse.segmenters._common import MissingSegmenterError, readable_text  # noqa: E402
from sparsebolt.testing.cjk_reference import (  # noqa: E402
    JA_SENTENCES,
    ZH_SENTENCES,
    chinese_analyzer,
    japanese_analyzer,
    nltk_has_stopwords,
    pymilvus_reference,
    shipped_list,
)

DATA = ROOT.parent / "shared" / "data" / "msmarco-ko-dev"
KIWI_CONTENT = {"NNG", "NNP", "NNB", "NR", "NP", "VV", "VA", "XR", "SL", "SH", "SN"}


REPEATS = 3  # set by --repeats


def fit_encode_seconds(
    analyzer: Any, texts: Sequence[str], threads: Optional[int] = None, repeats: int = 0
) -> tuple[float, BM25EmbeddingFunction, Any]:
    """The best of `repeats` (0: REPEATS) fit+encode runs, with the last run's function and vectors."""
    best = float("inf")
    for _ in range(repeats or REPEATS):
        started = time.perf_counter()
        function = BM25EmbeddingFunction(analyzer=analyzer, num_workers=threads)
        documents = function.fit_encode_documents(texts)
        best = min(best, time.perf_counter() - started)
    return best, function, documents


def ndcg(language: str, analyzer: Any, threads: Optional[int] = None, repeats: int = 0) -> tuple[float, float]:
    ids, texts = read_corpus(DATA / language)
    queries, qrels = read_queries(DATA / language), read_qrels(DATA / language)
    seconds, function, documents = fit_encode_seconds(analyzer, texts, threads, repeats)
    query_ids = list(queries)
    scores = (function.encode_queries([queries[q] for q in query_ids]) @ documents.T).toarray()
    top = np.argsort(-scores, axis=1, kind="stable")[:, :10]
    runs = {q: [ids[j] for j in top[row]] for row, q in enumerate(query_ids)}
    return mean_ndcg(runs, qrels, 10), seconds


def kiwi_per_text() -> Callable[[str], list[str]]:
    from kiwipiepy import Kiwi

    kiwi = Kiwi()
    return lambda text: [t.form for t in kiwi.tokenize(text) if t.tag in KIWI_CONTENT]


def bigrams() -> Analyzer:
    letters = Analyzer("words", stemmer="none")

    def segment(texts: list[str]) -> list[list[str]]:
        return [[w[i:i + 2] for w in letters(text) for i in range(max(1, len(w) - 1))] for text in texts]

    return Analyzer("ko-bigrams", stemmer="none", segmenter=segment)


def korean_analyzer(segmenter: Any) -> Analyzer:
    return Analyzer("ko", stemmer="none", stopwords=shipped_list("korean"), segmenter=segmenter,
                    stopword_source="korean")


def japanese_library_path() -> Optional[Analyzer]:
    """sparsebolt's ja analyzer with mecab-python3 segmenting per text in Python (None without it)."""
    try:
        from sparsebolt.testing.mecab_reference import MecabPython3Japanese

        segmenter = MecabPython3Japanese()
    except ImportError:
        return None
    return Analyzer("ja", lowercase=False, stemmer="none", stopwords=shipped_list("japanese"), segmenter=segmenter,
                    stopword_source="japanese")


def korean_library_path() -> Optional[Analyzer]:
    """sparsebolt's ko analyzer with mecab-python3 segmenting per text in Python (None without it)."""
    try:
        from sparsebolt.testing.mecab_reference import MecabPython3Korean

        return korean_analyzer(MecabPython3Korean())
    except (ImportError, MissingSegmenterError):
        return None


def rjieba_analyzer() -> Analyzer:
    """Chinese through a Python segmenter, for comparison: rjieba (jieba-rs) called per text from Python, once per
    batch, with the zh analyzer's stopwords and case."""
    import rjieba

    def segment(texts: list[str]) -> list[list[str]]:
        return [[t for t in rjieba.cut(readable_text(text)) if not t.isspace()] for text in texts]

    return Analyzer("zh", lowercase=False, stemmer="none", stopwords=shipped_list("chinese"), segmenter=segment,
                    stopword_source="chinese")


def chinese_rows(texts: list[str], real: str) -> list[tuple[str, str, str, str, str]]:
    """pymilvus.model's zh analyzer, the rjieba Python segmenter and the native jieba segmenter on the same texts,
    fit+encode on 1 and 2 threads: seconds (docs/s) and speed-up over pymilvus.model."""
    reference, native = pymilvus_reference("zh"), chinese_analyzer()
    contenders = [("sparsebolt zh, native jieba in the core", native)]
    absent = skip_reason("rjieba", {"rjieba": ["rjieba"]}, {})
    if absent:
        print(f"note: {absent}")
    else:
        contenders.insert(0, ("rjieba, a Python segmenter per batch", rjieba_analyzer()))
    for _, analyzer in [("", reference), *contenders]:
        analyzer(texts[0])  # dictionaries load once per process
    base, _, _ = fit_encode_seconds(reference, texts, 1)
    rows = [("zh", f"{real} zh, per text (1 thread)", "", f"{base:.2f} ({len(texts) / base:,.0f} docs/s)", "1.0x")]
    for label, analyzer in contenders:
        differ = sum(analyzer(t) != reference(t) for t in ZH_SENTENCES)
        tokens = "same tokens" if differ == 0 else f"{differ} sentences DIFFER"
        for threads in (1, 2):
            seconds, _, _ = fit_encode_seconds(analyzer, texts, threads)
            rows.append(("zh", f"{label} ({threads} thread{'s' if threads > 1 else ''})", tokens,
                         f"{seconds:.2f} ({len(texts) / seconds:,.0f} docs/s)", f"{base / seconds:.1f}x"))
    return rows


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat-sentences", type=int, default=20, help="copies of the zh/ja test sentences")
    parser.add_argument("--repeats", type=int, default=3, help="fit+encode runs per row; the best is reported")
    parser.add_argument("--zh-repeat", type=int, default=100, help="copies of the zh test sentences")
    args = parser.parse_args(argv)
    global REPEATS
    REPEATS = max(1, args.repeats)
    rows: list[tuple[str, str, str, str, str]] = []

    quality, seconds = ndcg("en", None)
    rows.append(("en (msmarco-ko-dev originals)", "sparsebolt en (default)", f"{quality:.4f}", f"{seconds:.2f}", ""))
    quality, seconds = ndcg("ko", None)
    rows.append(("ko", "sparsebolt en (default)", f"{quality:.4f}", f"{seconds:.2f}", ""))
    quality, seconds = ndcg("ko", bigrams())
    rows.append(("ko", "character bigrams (Python segmenter)", f"{quality:.4f}", f"{seconds:.2f}", ""))
    absent = skip_reason("Kiwi", {"Kiwi": ["kiwipiepy"]}, {})
    base_seconds = None  # the speed-ups are over Kiwi's per-text pipeline: none without it
    if absent:
        print(f"note: {absent}; the Korean speed-ups are left out")
    else:
        base_quality, base_seconds = ndcg("ko", kiwi_per_text(), repeats=1)  # slow: one run
        rows.append(("ko", "Kiwi content morphemes, per text (baseline)", f"{base_quality:.4f}",
                     f"{base_seconds:.2f}", "1.0x"))

    def over_kiwi(seconds: float) -> str:
        return "" if base_seconds is None else f"{base_seconds / seconds:.1f}x"

    korean = korean_analyzer(MecabKoreanSegmenter())
    korean("워밍업")  # the dictionary loads once per process, as Kiwi() above
    library = korean_library_path()
    for threads in (1, 2):
        if library is not None:
            quality, seconds = ndcg("ko", library, threads)
            rows.append(("ko", f"sparsebolt ko, mecab-python3 per text (library path), {threads} thread(s)",
                         f"{quality:.4f}", f"{seconds:.2f}", over_kiwi(seconds)))
        quality, seconds = ndcg("ko", korean, threads)
        rows.append(("ko", f"sparsebolt ko, native MeCab + mecab-ko-dic, {threads} thread(s)", f"{quality:.4f}",
                     f"{seconds:.2f}", over_kiwi(seconds)))

    real = "pymilvus.model" if nltk_has_stopwords() else "pymilvus.model pipeline rebuilt (no NLTK data)"
    rows += chinese_rows(list(ZH_SENTENCES) * args.zh_repeat, real)
    for language, sentences, ours, reference_code in (("ja", JA_SENTENCES, japanese_analyzer(), "jp"),):
        texts = list(sentences) * args.repeat_sentences
        reference = pymilvus_reference(reference_code)
        reference(texts[0])
        ours(texts[0])
        equal = all(ours(t) == reference(t) for t in sentences)
        base, _, _ = fit_encode_seconds(reference, texts, repeats=1)  # slow: one run
        mine, _, _ = fit_encode_seconds(ours, texts)
        rows.append((language, f"{real} {reference_code}", "", f"{base:.2f}", "1.0x"))
        rows.append((language, f"sparsebolt {language} ({ours.segmenter!r})", "same tokens" if equal else "DIFFER",
                     f"{mine:.2f}", f"{base / mine:.1f}x"))
        library = japanese_library_path() if language == "ja" else None
        for threads in (1, 2) if language == "ja" else ():
            if library is not None:
                same = all(library(t) == reference(t) for t in sentences)
                seconds, _, _ = fit_encode_seconds(library, texts, threads)
                rows.append((language, f"sparsebolt ja, mecab-python3 per text (library path), {threads} thread(s)",
                             "same tokens" if same else "DIFFER", f"{seconds:.2f}", f"{base / seconds:.1f}x"))
            seconds, _, _ = fit_encode_seconds(ours, texts, threads)
            rows.append((language, f"sparsebolt ja, native MeCab + unidic-lite, {threads} thread(s)",
                         "same tokens" if equal else "DIFFER", f"{seconds:.2f}", f"{base / seconds:.1f}x"))

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("versions: " + ", ".join(f"{p} {version(p)}" for p in (
        "sparsebolt", "mecab-python3", "python-mecab-ko-dic", "unidic-lite", "rjieba", "jieba", "kiwipiepy",
        "pymilvus.model")))
    print(f"zh corpus: {len(ZH_SENTENCES)} sentences x {args.zh_repeat}; ja corpus: {len(JA_SENTENCES)} sentences x "
          f"{args.repeat_sentences}; best of {REPEATS} runs; threads: all cores unless stated\n")
    print("| language | analyzer | nDCG@10 | fit+encode s | speed-up |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
