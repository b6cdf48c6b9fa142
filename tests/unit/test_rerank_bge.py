"""BGERerankFunction on a tiny random XLM-RoBERTa sequence classifier (model.safetensors + config.json, the graph
built on load), checked against the float64 numpy reference transformer (tests/reference/transformer.py) on each
pair alone, unpadded, tokenised as FlagEmbedding does: the query's first query_max_length tokens and the passage's
first max_length tokens without special tokens, joined as ``<s> q </s></s> d </s>`` and cut from the passage's end.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
import pytest

tokenizers = pytest.importorskip("tokenizers")
pytest.importorskip("onnxruntime")

from sparsebolt.model.reranker import BGERerankFunction  # noqa: E402
from sparsebolt.rerank import RerankResult  # noqa: E402
from tests.reference.transformer import WORDS, XLMR_TINY, forward, random_weights, save_hf_folder  # noqa: E402

MAX_LENGTH = 24  # XLM-R's 26 positions start at pad + 1 = 2
LONG = " ".join(WORDS * 3)
QUERY = "the cat sat on the red mat"
DOCUMENTS = ["the dog ran far away", "", "blue sky blue sea", LONG, "cat", "the mat " * 12]


@pytest.fixture(autouse=True)
def _isolated_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SPARSEBOLT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SPARSEBOLT_MODELS_DIR", raising=False)


@pytest.fixture(scope="module")
def weights() -> Dict[str, np.ndarray]:
    return random_weights(XLMR_TINY, seed=21, architecture="sequence_classification")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory, weights: Dict[str, np.ndarray]) -> Path:
    folder = tmp_path_factory.mktemp("bge") / "m"
    return save_hf_folder(folder, XLMR_TINY, weights, architecture="sequence_classification")


def flag_embedding_ids(
    tokenizer_file: Path, query: str, passage: str, query_max_length: int, max_length: int
) -> List[int]:
    """FlagEmbedding's ids for one pair, from plain token lists: ``<s>`` 0 and ``</s>`` 2 around the query, two
    ``</s>`` between, the passage cut so that the whole pair fits ``max_length``."""
    tok = tokenizers.Tokenizer.from_file(str(tokenizer_file))
    tok.no_truncation()
    q = tok.encode(query, add_special_tokens=False).ids[:query_max_length]
    d = tok.encode(passage, add_special_tokens=False).ids[:max_length]
    d = d[: max_length - len(q) - 4]
    return [0, *q, 2, 2, *d, 2]


def reference_logits(weights: Dict[str, np.ndarray], model_dir: Path, pairs: List[Tuple[str, str]],
                     query_max_length: int, max_length: int) -> np.ndarray:
    logits = []
    for query, passage in pairs:
        ids = np.array([flag_embedding_ids(model_dir / "tokenizer.json", query, passage, query_max_length, max_length)])
        logits.append(forward(XLMR_TINY, weights, ids, np.ones_like(ids), heads=("classifier",))["classifier"][0, 0])
    return np.array(logits)


@pytest.mark.parametrize("query_max_length", [3, 8, 19])
@pytest.mark.parametrize("batch_size", [1, 4])
def test_scores_match_flag_embedding_truncation_and_sigmoid(
    model_dir: Path, weights: Dict[str, np.ndarray], query_max_length: int, batch_size: int
) -> None:
    rf = BGERerankFunction(str(model_dir), batch_size=batch_size, query_max_length=query_max_length,
                           max_length=MAX_LENGTH)
    pairs = [(QUERY, doc) for doc in DOCUMENTS] + [(LONG, "the cat"), (LONG, LONG), ("", "dog")]
    logits = reference_logits(weights, model_dir, pairs, query_max_length, MAX_LENGTH)
    np.testing.assert_allclose(rf.predict(pairs), 1 / (1 + np.exp(-logits)), rtol=1e-5, atol=1e-6)
    lengths = [len(ids) for ids in rf.pair_tokenizer.encode_pairs(pairs).ids]
    assert max(lengths) == MAX_LENGTH


def test_normalize_false_gives_raw_logits_and_ranking(model_dir: Path, weights: Dict[str, np.ndarray]) -> None:
    rf = BGERerankFunction(str(model_dir), normalize=False, max_length=MAX_LENGTH, query_max_length=8)
    logits = reference_logits(weights, model_dir, [(QUERY, doc) for doc in DOCUMENTS], 8, MAX_LENGTH)
    results = rf(QUERY, DOCUMENTS, top_k=3)
    assert all(isinstance(r, RerankResult) for r in results) and len(results) == 3
    order = sorted(range(len(DOCUMENTS)), key=lambda i: -logits[i])[:3]
    assert [r.index for r in results] == order and [r.text for r in results] == [DOCUMENTS[i] for i in order]
    np.testing.assert_allclose([r.score for r in results], logits[order], rtol=1e-5, atol=1e-5)
    assert len(rf(QUERY, DOCUMENTS, top_k=None)) == len(DOCUMENTS)


def test_a_very_long_passage_is_cut_from_a_head_with_the_same_ids(model_dir: Path) -> None:
    rf = BGERerankFunction(str(model_dir), max_length=MAX_LENGTH, query_max_length=4)
    huge = "the cat sat " * 20000  # far past max_length * HEAD_CHARS_PER_TOKEN characters
    (ids,) = rf.pair_tokenizer.encode_pairs([("dog", huge)]).ids
    assert ids == flag_embedding_ids(model_dir / "tokenizer.json", "dog", huge, 4, MAX_LENGTH)


def test_constructor_matches_pymilvus() -> None:
    theirs = pytest.importorskip("pymilvus.model.reranker").BGERerankFunction
    ours_params = list(inspect.signature(BGERerankFunction.__init__).parameters.values())
    their_params = list(inspect.signature(theirs.__init__).parameters.values())
    assert [(p.name, p.default) for p in ours_params] == [(p.name, p.default) for p in their_params]


def test_devices_and_bad_options(model_dir: Path) -> None:
    short = {"max_length": MAX_LENGTH, "query_max_length": 8}
    assert BGERerankFunction(str(model_dir), devices=["cpu"], **short).device == "cpu"
    with pytest.raises(ValueError, match="runs on one device"):
        BGERerankFunction(str(model_dir), device=["cuda:0", "cuda:1"], **short)
    with pytest.raises(TypeError, match=r"unexpected options \['trust_remote_code'\]"):
        BGERerankFunction(str(model_dir), trust_remote_code=True)
    with pytest.raises(ValueError, match="leaves no room for the passage"):
        BGERerankFunction(str(model_dir), max_length=MAX_LENGTH, query_max_length=MAX_LENGTH - 4)
    with pytest.raises(TypeError, match="query_max_length must be an int"):
        BGERerankFunction(str(model_dir), query_max_length=2.5)  # type: ignore[arg-type]
    rf: Any = BGERerankFunction(str(model_dir), **short)
    with pytest.raises((TypeError, ValueError), match="list"):
        rf(QUERY, "one document")
    assert rf(QUERY, []) == [] and "BGERerankFunction" in repr(rf)
