#!/usr/bin/env bash
# pymilvus-model's default BM25 analyzer needs NLTK's English stopwords and punkt_tab, which
# nltk.download cannot fetch without the NLTK hosts. The llama-index-core wheel on PyPI ships both:
# extract them into <venv>/nltk_data, a folder NLTK searches by default. Benchmarks only.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
target=$("$PYTHON" -c 'import sys; print(sys.prefix)')/nltk_data
if [ -f "$target/corpora/stopwords/english" ] && [ -d "$target/tokenizers/punkt_tab/english" ]; then
  echo "NLTK data already in $target"; exit 0
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$PYTHON" -m pip download -q --no-deps -d "$scratch" llama-index-core
"$PYTHON" - "$scratch" "$target" <<'PY'
import pathlib, sys, zipfile
wheel = next(pathlib.Path(sys.argv[1]).glob("llama_index_core-*.whl"))
prefix = "llama_index/core/_static/nltk_cache/"
wanted = ("corpora/stopwords/english", "tokenizers/punkt_tab/english/")
with zipfile.ZipFile(wheel) as archive:
    for name in archive.namelist():
        relative = name[len(prefix):]
        if name.startswith(prefix) and relative.startswith(wanted) and not name.endswith("/"):
            out = pathlib.Path(sys.argv[2]) / relative
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(archive.read(name))
print("NLTK data extracted into", sys.argv[2])
PY
