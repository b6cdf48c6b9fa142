"""SPLADE end to end: the blocked splade graph head on tiny random masked LMs against the float64 numpy reference
(tests/reference/transformer.py), the embedding function's CSR rows, top-k, instructions, input order and bad
input, the model folders it refuses, and the real splade-tiny against the same reference."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest
from scipy.sparse import csr_array
from tokenizers import Tokenizer

from sparsebolt.engine.config import TransformerConfig
from sparsebolt.engine.graph import build_graph
from sparsebolt.engine.graph.heads import SPLADE_VOCAB_BLOCK
from sparsebolt.sparse.splade import SpladeEmbeddingFunction, top_k_mask
from tests.reference.transformer import BERT_TINY, XLMR_TINY, forward, random_weights, save_hf_folder
from tests.splade_model import reference_splade, splade_tiny_or_skip

# vocabularies spanning several decoder blocks, the last one partial
BERT_WIDE = {**BERT_TINY, "vocab_size": 2 * SPLADE_VOCAB_BLOCK + 37}
XLMR_WIDE = {**XLMR_TINY, "vocab_size": SPLADE_VOCAB_BLOCK + 5}
ATOL = 1e-4
TEXTS = [
    "the cat sat on the mat",
    "",
    "dog",
    "the red sky and the blue sea ran far far away and the dogs sat on the mats singing",
    "   \t ",
    "blue cats",
    "sky sea sky sea sky sea sky sea sky sea sky sea sky sea sky sea sky sea sky sea sky sea sky sea",
]


def _padded(config: dict[str, Any], lengths: list[int], seed: int) -> dict[str, np.ndarray]:
    """Right-padded random ids, first and last token the family's specials."""
    rng = np.random.default_rng(seed)
    bert = config["model_type"] == "bert"
    pad, first, last = (0, 2, 3) if bert else (config["pad_token_id"], 0, 2)
    ids = np.full((len(lengths), max(lengths)), pad, dtype=np.int64)
    for row, length in enumerate(lengths):
        ids[row, :length] = rng.integers(4, config["vocab_size"], size=length)
        ids[row, 0], ids[row, length - 1] = first, last
    mask = (np.arange(ids.shape[1]) < np.array(lengths)[:, None]).astype(np.int64)
    return {"input_ids": ids, "attention_mask": mask}


@pytest.mark.parametrize(("config", "tied"), [(BERT_WIDE, True), (BERT_WIDE, False), (XLMR_WIDE, True)])
def test_blocked_splade_head_equals_the_reference_with_padding(config: dict[str, Any], tied: bool) -> None:
    weights = random_weights(config, seed=3, architecture="masked_lm", tied=tied)
    model = build_graph(TransformerConfig.from_dict(config), weights, ("splade",))
    decoders = [n for n in model.graph.node if n.op_type == "Gemm" and any(a.name == "transB" for a in n.attribute)]
    assert len(decoders) == -(-config["vocab_size"] // SPLADE_VOCAB_BLOCK)  # one per block of the vocabulary
    assert not any(n.op_type == "Where" for n in model.graph.node)  # the mask rides inside the Gemms
    feed = _padded(config, [9, 2, 14, 5], seed=4)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, feed)
    want = forward(config, weights, feed["input_ids"], feed["attention_mask"], heads=("splade",))["splade"]
    assert got.shape == (4, config["vocab_size"]) and got.dtype == np.float32
    np.testing.assert_allclose(got, want, atol=ATOL, rtol=0)
    # each row as if alone: padding never reaches the max
    for row, length in enumerate([9, 2, 14, 5]):
        alone = {name: value[row : row + 1, :length] for name, value in feed.items()}
        np.testing.assert_allclose(session.run(None, alone)[0][0], got[row], atol=1e-5)


def test_top_k_mask_keeps_the_largest_and_breaks_ties_by_the_lowest_column() -> None:
    weights = np.array([[0.5, 2.0, 2.0, 2.0, 0.0, 3.0], [0.0, 0.0, 1.0, 0.0, 0.0, 0.0]], dtype=np.float32)
    assert top_k_mask(weights, 3).tolist() == [[False, True, True, False, False, True],
                                                 [True, True, True, False, False, False]]
    assert top_k_mask(weights, 6).all() and top_k_mask(weights, 60).all()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    weights = random_weights(BERT_WIDE, seed=5, architecture="masked_lm")
    return save_hf_folder(tmp_path_factory.mktemp("splade") / "model", BERT_WIDE, weights, architecture="masked_lm")


@pytest.fixture(scope="module")
def splade(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> SpladeEmbeddingFunction:
    return SpladeEmbeddingFunction(model_path=folder, cache_dir=tmp_path_factory.mktemp("cache"), threads=1,
                                   batch_size=3, max_length=BERT_WIDE["max_position_embeddings"])


def _reference(folder: Path, texts: list[str]) -> np.ndarray:
    """The numpy pipeline: tokenizers' own truncation, the float64 forward of each text alone, and an empty row
    for a text without word pieces."""
    want = reference_splade(folder, texts, max_length=BERT_WIDE["max_position_embeddings"])
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    want[[len(tokenizer.encode(text).ids) <= 2 for text in texts]] = 0.0
    return want


def _assert_csr(matrix: csr_array, rows: int, dim: int) -> None:
    assert isinstance(matrix, csr_array) and matrix.shape == (rows, dim) and matrix.dtype == np.float32
    assert matrix.indices.dtype == matrix.indptr.dtype == np.int32
    assert matrix.has_sorted_indices and all(np.all(np.diff(matrix[[i]].indices) > 0) for i in range(rows))
    assert not np.any(matrix.data == 0)


def test_rows_equal_the_reference_in_input_order(folder: Path, splade: SpladeEmbeddingFunction) -> None:
    got = splade(TEXTS)
    _assert_csr(got, len(TEXTS), BERT_WIDE["vocab_size"])
    want = _reference(folder, TEXTS)
    np.testing.assert_allclose(got.toarray(), want, atol=ATOL, rtol=0)
    assert np.array_equal(got.toarray() > 0, want > 0)
    assert splade.dim == BERT_WIDE["vocab_size"]
    assert [got[[i]].nnz for i in (1, 4)] == [0, 0] and got[[0]].nnz > 0  # "" and whitespace: empty rows


@pytest.mark.parametrize("batch_size", [1, 2, 64])
def test_batch_size_does_not_change_rows(splade: SpladeEmbeddingFunction, batch_size: int) -> None:
    splade_one = splade(TEXTS)
    previous, splade.batch_size = splade.batch_size, batch_size
    try:
        np.testing.assert_allclose(splade(TEXTS).toarray(), splade_one.toarray(), atol=1e-5)
    finally:
        splade.batch_size = previous


def test_top_k_per_row_keeps_the_reference_largest(folder: Path, tmp_path: Path) -> None:
    k = 5
    topk = SpladeEmbeddingFunction(model_path=folder, cache_dir=tmp_path, k_tokens_query=k, k_tokens_document=3)
    got = topk.encode_queries(TEXTS)
    _assert_csr(got, len(TEXTS), BERT_WIDE["vocab_size"])
    want = _reference(folder, TEXTS)
    for row in range(len(TEXTS)):
        expected = np.sort(np.argsort(-want[row], kind="stable")[: min(k, np.count_nonzero(want[row]))])
        assert got[[row]].indices.tolist() == expected.tolist()
        np.testing.assert_allclose(got[[row]].data, want[row, expected], atol=ATOL)
    assert np.diff(topk.encode_documents(TEXTS).indptr).max() == 3
    assert np.diff(topk(TEXTS).indptr).max() > k  # __call__ keeps every weight, as pymilvus.model's


def test_instructions_are_prepended_to_documents_and_queries(folder: Path, tmp_path: Path) -> None:
    splade = SpladeEmbeddingFunction(model_path=folder, cache_dir=tmp_path, query_instruction="blue ",
                                     doc_instruction="red ")
    texts = ["the cat", "sky"]
    np.testing.assert_allclose(splade.encode_queries(texts).toarray(), splade(["blue the cat", "blue sky"]).toarray())
    np.testing.assert_allclose(splade.encode_documents(texts).toarray(), splade(["red the cat", "red sky"]).toarray())
    np.testing.assert_allclose(splade(texts).toarray(), _reference(folder, texts), atol=ATOL, rtol=0)


def test_an_empty_list_gives_an_empty_matrix(splade: SpladeEmbeddingFunction) -> None:
    for encode in (splade, splade.encode_documents, splade.encode_queries):
        empty = encode([])
        assert isinstance(empty, csr_array) and empty.shape == (0, splade.dim) and empty.dtype == np.float32


def test_long_texts_are_truncated_where_the_tokenizer_truncates(folder: Path, tmp_path: Path) -> None:
    splade = SpladeEmbeddingFunction(model_path=folder, cache_dir=tmp_path, max_length=6)
    long_text = " ".join(["the cat sat on the mat"] * 50)
    got = splade([long_text, "the cat sat on"]).toarray()
    np.testing.assert_allclose(got[0], got[1], atol=1e-6)  # 6 tokens: [CLS] the cat sat on [SEP]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda s: s.encode_documents("a text"), TypeError, r"not a single string; pass \[text\]"),
        (lambda s: s.encode_documents(["ok", 3]), TypeError, r"documents\[1\] is of type int, expected str"),
        (lambda s: s.encode_queries([None]), TypeError, r"queries\[0\] is None, expected str"),
        (lambda s: s(b"bytes"), TypeError, "got bytes"),
        (lambda s: s.encode(["a"], k_tokens=0), ValueError, "k_tokens must be a positive int or None"),
    ],
)
def test_bad_input_names_the_position_and_what_to_pass(
    splade: SpladeEmbeddingFunction, call: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call(splade)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"batch_size": 0}, ValueError, "batch_size must be a positive int"),
        ({"k_tokens_query": 0}, ValueError, "k_tokens_query must be a positive int or None"),
        ({"k_tokens_document": "3"}, TypeError, "k_tokens_document must be an int"),
        ({"query_instruction": None}, TypeError, "query_instruction must be a str"),
        ({"max_length": 10_000}, ValueError, r"max_length must be an int in \[1, 24\] \(the model has 24 positions\)"),
        ({"device": "tpu"}, ValueError, "device 'tpu' is not supported"),
    ],
)
def test_bad_options_are_refused_with_advice(
    folder: Path, tmp_path: Path, options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        SpladeEmbeddingFunction(model_path=folder, cache_dir=tmp_path, **options)


def test_folders_without_a_masked_lm_checkpoint_are_refused(tmp_path: Path) -> None:
    base = save_hf_folder(tmp_path / "base", BERT_TINY, random_weights(BERT_TINY), architecture="base")
    with pytest.raises(ValueError, match=r"declares \['BertModel'\], not a \*ForMaskedLM.*it needs model.safetensors"):
        SpladeEmbeddingFunction(model_path=base, cache_dir=tmp_path)
    untokenized = save_hf_folder(tmp_path / "bare", BERT_TINY, random_weights(BERT_TINY, architecture="masked_lm"),
                                 architecture="masked_lm", tokenizer=False)
    with pytest.raises(ValueError, match="no tokenizer.json"):
        SpladeEmbeddingFunction(model_path=untokenized, cache_dir=tmp_path)
    onnx_only = tmp_path / "onnx"
    onnx_only.mkdir()
    (onnx_only / "model.onnx").write_bytes(b"")
    (onnx_only / "tokenizer.json").write_text((untokenized.parent / "base" / "tokenizer.json").read_text())
    with pytest.raises(ValueError, match="no model.safetensors and no config.json"):
        SpladeEmbeddingFunction(model_path=onnx_only, cache_dir=tmp_path)


def test_exported_as_pymilvus_model_names_it() -> None:
    from sparsebolt.model.sparse import SpladeEmbeddingFunction as from_model
    from sparsebolt.sparse import SpladeEmbeddingFunction as from_sparse

    assert from_model is from_sparse is SpladeEmbeddingFunction


@pytest.fixture(scope="session")
def splade_tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return splade_tiny_or_skip(tmp_path_factory)


def test_real_splade_tiny_equals_the_numpy_reference(splade_tiny: Path, tmp_path: Path) -> None:
    texts = ["The cat sat on the mat.", "Milvus stores learned sparse vectors such as SPLADE's.", "x"]
    splade = SpladeEmbeddingFunction(model_path=splade_tiny, cache_dir=tmp_path, threads=1)
    assert splade.dim == 30522 and splade.tokenizer.max_length == 512
    got = splade.encode_documents(texts).toarray()
    want = reference_splade(splade_tiny, texts)
    cosine = (got * want).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)
    assert cosine.min() >= 0.9999
    assert np.array_equal(got > 0, want > 1e-6) or np.abs(got[(got > 0) != (want > 0)]).max() < 1e-5
    tokenizer = Tokenizer.from_file(str(splade_tiny / "tokenizer.json"))
    top = [tokenizer.id_to_token(int(i)) for i in np.argsort(-got[0])[:3]]
    assert set(top) == {"cat", "mat", "sat"}  # a real SPLADE model: the text's own words weigh most
