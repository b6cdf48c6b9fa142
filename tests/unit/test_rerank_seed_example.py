"""The seed's Example 3 (Jina reranker) runs with only its import changed, against a local Jina rerank API.

The code and the expected output are read from ../shared/seed/EXAMPLES.md. The local server answers with the
relevance scores the seed printed, so the run must print exactly the seed's output: the order, indices, scores and
texts come from the server's response through sparsebolt, with nothing computed on the client's side.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, Tuple

import pytest

from sparsebolt.testing.vendor_servers import VendorServer

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT.parent / "shared" / "seed" / "EXAMPLES.md"
ORIGINAL_IMPORT = "from pymilvus.model.reranker import JinaRerankFunction"
OUR_IMPORT = "from sparsebolt.model.reranker import JinaRerankFunction"


def example_3() -> Tuple[str, str]:
    """(code, expected output) of Example 3, or a clean skip when the seed is not checked out beside the repo."""
    if not EXAMPLES.is_file():
        pytest.skip(f"seed examples not found at {EXAMPLES}")
    text = EXAMPLES.read_text(encoding="utf-8")
    code = re.search(r"## Example 3: a reranker[^\n]*\n```\n(.*?)```", text, re.S)
    output = re.search(r"## Example 3: expected output\n```\n(.*?)```", text, re.S)
    assert code and output, "EXAMPLES.md no longer has Example 3 in the expected layout"
    return code.group(1), output.group(1)


def seed_blocks(expected: str) -> Dict[str, Tuple[int, float]]:
    """document text -> (index, score) as the seed printed them."""
    blocks = re.findall(r"Index: (\d+)\nScore: ([0-9.]+)\nText: (.*?)\n", expected)
    assert len(blocks) == 4
    return {text: (int(index), float(score)) for index, score, text in blocks}


def test_example_3_runs_with_only_the_import_changed() -> None:
    code, expected = example_3()
    assert code.count(ORIGINAL_IMPORT) == 1
    ours = code.replace(ORIGINAL_IMPORT, OUR_IMPORT)
    # Only the import line differs.
    diff = [(a, b) for a, b in zip(code.splitlines(), ours.splitlines()) if a != b]
    assert diff == [(ORIGINAL_IMPORT, OUR_IMPORT)]

    blocks = seed_blocks(expected)
    scores = {text: score for text, (_, score) in blocks.items()}
    with VendorServer("jina", api_key="<YOUR_JINA_API_KEY>", scorer=lambda query, doc: scores[doc]) as server:
        env = dict(os.environ)
        env["JINAAI_BASE_URL"] = server.url
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT / "python"), env.get("PYTHONPATH")]))
        env.pop("JINAAI_API_KEY", None)
        run = subprocess.run([sys.executable, "-c", ours], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    # The seed's code fence drops the blank line that the last print leaves; everything else is byte-identical.
    assert run.stdout.rstrip("\n") == expected.rstrip("\n")
    # What the client sent is the Jina rerank contract with the example's model, query and four documents.
    (request,) = server.requests
    assert request.path == "/v1/rerank"
    assert request.headers["authorization"] == "Bearer <YOUR_JINA_API_KEY>"
    assert request.body["model"] == "jina-reranker-v1-base-en"
    assert request.body["query"].startswith("What event in 1956")
    assert request.body["documents"] == sorted(blocks, key=lambda text: blocks[text][0])
    assert request.body["top_n"] == 4  # top_k=5 by default, capped at the number of documents


def test_example_3_ranks_by_whatever_the_server_returns() -> None:
    """Swap the seed's scores around: the printed order must follow the server, not any local heuristic."""
    code, expected = example_3()
    ours = code.replace(ORIGINAL_IMPORT, OUR_IMPORT)
    texts = list(seed_blocks(expected))
    flipped = {text: 0.1 * (i + 1) for i, text in enumerate(sorted(texts, key=len))}
    with VendorServer("jina", api_key="<YOUR_JINA_API_KEY>", scorer=lambda query, doc: flipped[doc]) as server:
        env = dict(os.environ, JINAAI_BASE_URL=server.url)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT / "python"), env.get("PYTHONPATH")]))
        run = subprocess.run([sys.executable, "-c", ours], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    printed = re.findall(r"Score: ([0-9.]+)\nText: (.*?)\n", run.stdout)
    assert [text for _, text in printed] == sorted(texts, key=len, reverse=True)
    assert [float(score) for score, _ in printed] == [0.4, 0.3, 0.2, 0.1]
