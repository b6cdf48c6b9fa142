"""BM25 analyzer throughput per language: the default analyzer of each Snowball language next to English.

One command:  .venv/bin/python bench/bench_languages.py      (--quick: fewer documents; --languages de fr ...)

There are no European-language corpora in ../shared, so each language's corpus is generated from its Debian word
list (/usr/share/dict; `apt-get install wngerman wfrench wspanish witalian wportuguese wdutch wswedish wdanish
wnorwegian wcatalan wamerican-insane`): the list's entries, shuffled with a fixed seed, drawn with Zipf weights
(rank ** -1.07, as natural text) into documents of 20-120 words with a capital first letter, commas and a full
stop. Real text repeats its words more than a word list does, so these corpora are harder on the stemmer's
per-form cache than real text: a lower bound on the speed of real text.

Measured on one thread, median of --repeats runs: `analyze` (the analyzer alone, every document through
Analyzer.__call__) and `fit+encode` (BM25EmbeddingFunction.fit_encode_documents, one native batch), in MB of
UTF-8 text per second, and each language's fit+encode MB/s against English's. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import statistics
import time
from pathlib import Path

from sparsebolt import _core
from sparsebolt.model.sparse import BM25EmbeddingFunction
from sparsebolt.sparse.analyzer import build_default_analyzer

DICT = Path("/usr/share/dict")
WORD_LISTS = {
    "en": "american-english-insane", "de": "ngerman", "fr": "french", "es": "spanish", "it": "italian",
    "pt": "portuguese", "nl": "dutch", "sv": "swedish", "da": "danish", "no": "bokmaal", "ca": "catalan",
}
TOKEN = re.compile(r"[^\W_]+")


def zipf_corpus(language: str, documents: int, seed: int = 12) -> list[str]:
    path = DICT / WORD_LISTS[language]
    words = sorted({token for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
                    for token in TOKEN.findall(line) if "'" not in line})
    rng = random.Random(seed)
    rng.shuffle(words)
    cumulative = list(itertools.accumulate(rank ** -1.07 for rank in range(1, len(words) + 1)))
    corpus = []
    for _ in range(documents):
        drawn = rng.choices(words, cum_weights=cumulative, k=rng.randint(20, 120))
        for at in range(rng.randint(1, 6), len(drawn), rng.randint(5, 12)):
            drawn[at] += ","
        corpus.append(" ".join(drawn).capitalize() + ".")
    return corpus


def timed(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(language: str, documents: int, repeats: int) -> dict:
    corpus = zipf_corpus(language, documents)
    megabytes = sum(len(text.encode("utf-8")) for text in corpus) / 1e6
    analyzer = build_default_analyzer(language=language)
    function = BM25EmbeddingFunction(analyzer=analyzer, num_workers=1)
    analyze = timed(lambda: [analyzer(text) for text in corpus], repeats)
    fit_encode = timed(lambda: function.fit_encode_documents(corpus), repeats)
    return {"language": language, "stemmer": analyzer.stemmer, "documents": documents, "megabytes": megabytes,
            "analyze_mb_s": megabytes / analyze, "fit_encode_mb_s": megabytes / fit_encode}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--languages", nargs="*", default=list(WORD_LISTS), help="language codes (English first)")
    parser.add_argument("--docs", type=int, default=50_000, help="documents per language")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (median reported)")
    parser.add_argument("--quick", action="store_true", help="10,000 documents, 1 repeat")
    args = parser.parse_args()
    if args.quick:
        args.docs, args.repeats = 10_000, 1
    languages = ["en"] + [code for code in args.languages if code != "en"]
    missing = [code for code in languages if code not in WORD_LISTS or not (DICT / WORD_LISTS.get(code, "")).exists()]
    if missing:
        raise SystemExit(f"no word list for {missing}: install the Debian packages named in this file's docstring")
    rows = [measure(code, args.docs, args.repeats) for code in languages]
    english = rows[0]["fit_encode_mb_s"]
    print(f"sparsebolt {_core.__version__}, Snowball {_core.SNOWBALL_VERSION}, one thread, {args.docs} Zipf documents"
          f" per language, median of {args.repeats}")
    print("| language | stemmer | MB | analyze MB/s | fit+encode MB/s | fit+encode vs English |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['language']} | {row['stemmer']} | {row['megabytes']:.1f} | {row['analyze_mb_s']:.1f} | "
              f"{row['fit_encode_mb_s']:.1f} | {row['fit_encode_mb_s'] / english:.2f}x |")


if __name__ == "__main__":
    main()
