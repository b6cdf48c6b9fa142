"""Compares the standalone stemmer driver with PyStemmer, for developing without the extension.

    g++ -O2 -std=c++17 -Icsrc csrc/analysis/stemmer_english.cpp tests/cpp/stem_words.cpp -o /tmp/stem_words
    python tests/cpp/compare_with_pystemmer.py /tmp/stem_words [extra word files...]

Words: the hand-picked cases of tests/unit/test_stemmer.py, every distinct token of the shared
corpora (when ../shared is there) and each extra file given (one word per line, lowercased).
Prints the mismatches and exits 1 if there are any.
"""
import pathlib
import subprocess
import sys

import Stemmer

HERE = pathlib.Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1] / "unit"))
import test_stemmer as t  # noqa: E402  (reuses the test's word sources, so both check the same)


def main() -> int:
    driver = sys.argv[1]
    words = set(t.TRICKY_WORDS)
    words.update(t.corpus_tokens())
    for extra in sys.argv[2:]:
        words.update(t.word_list_tokens(pathlib.Path(extra)))
    words = sorted(w for w in words if "\n" not in w and "\r" not in w)
    out = subprocess.run([driver], input="\n".join(words) + "\n", capture_output=True,
                         text=True, encoding="utf-8", check=True).stdout.split("\n")[:-1]
    assert len(out) == len(words), (len(out), len(words))
    ref = Stemmer.Stemmer("english").stemWords(words)
    bad = [(w, o, r) for w, o, r in zip(words, out, ref) if o != r]
    for w, o, r in bad[:200]:
        print(f"{w!r}: native {o!r} != PyStemmer {r!r}")
    print(f"{len(words)} words, {len(bad)} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
