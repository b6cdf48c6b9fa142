"""The seed's Example 2 (BM25 fit, save, load, encode) runs with only its import changed.

The code is read from ../shared/seed/EXAMPLES.md and run in a fresh interpreter in a temporary folder (it writes
bm25_params.json to the working directory). The seed prints no expected output for it; the dimension it prints must
be the vocabulary of the pure-Python reference analyzer over the example's three documents.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sparsebolt.sparse.stopwords import stopwords
from tests.parity.reference_bm25 import ReferenceAnalyzer

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT.parent / "shared" / "seed" / "EXAMPLES.md"
ORIGINAL_IMPORT = "from pymilvus.model.sparse import BM25EmbeddingFunction"
OUR_IMPORT = "from sparsebolt.model.sparse import BM25EmbeddingFunction"


def example_2() -> str:
    if not EXAMPLES.is_file():
        pytest.skip(f"seed examples not found at {EXAMPLES}")
    code = re.search(r"## Example 2: BM25[^\n]*\n```\n(.*?)```", EXAMPLES.read_text(encoding="utf-8"), re.S)
    assert code, "EXAMPLES.md no longer has Example 2 in the expected layout"
    return code.group(1)


def test_example_2_runs_with_only_the_import_changed(tmp_path: Path) -> None:
    pytest.importorskip("Stemmer")
    code = example_2()
    assert code.count(ORIGINAL_IMPORT) == 1
    ours = code.replace(ORIGINAL_IMPORT, OUR_IMPORT)
    # The installed package (the compiled core lives there, not in the source tree).
    run = subprocess.run([sys.executable, "-c", ours], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr

    docs = re.search(r"docs = \[(.*?)\]", code, re.S).group(1)
    texts = re.findall(r'"(.*?)",', docs)
    assert len(texts) == 3
    analyzer = ReferenceAnalyzer(stopwords("english"))
    dim = len({term for text in texts for term in analyzer(text)})
    assert run.stdout == f"Dim: {dim} ({dim},)\n"
    saved = json.loads((tmp_path / "bm25_params.json").read_text(encoding="utf-8"))
    assert len(saved["idf_word"]) == dim  # pymilvus-model's v1 params file
