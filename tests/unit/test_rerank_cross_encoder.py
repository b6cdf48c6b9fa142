"""CrossEncoderRerankFunction on tiny randomly initialised BERT and XLM-R sequence classifiers, checked against
the float64 numpy reference transformer (tests/reference/transformer.py).

Prebuilt ``model.onnx`` folders hold the engine's classifier graph (with and without a token_type_ids input, with a
``[n, 1]`` or a ``[n]`` output) and a WordPiece tokenizer.json; Hugging Face folders hold model.safetensors +
config.json. Each pair's score is compared with the reference's forward pass of the same weights on that pair
alone, unpadded: so batching, padding masks, truncation, pair type ids and the activation are all checked.
"""

from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
tokenizers = pytest.importorskip("tokenizers")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from sparsebolt.engine.config import TransformerConfig  # noqa: E402
from sparsebolt.engine.graph import HEAD_OUTPUTS, build_graph  # noqa: E402
from sparsebolt.engine.tokenizer import read_max_seq_length  # noqa: E402
from sparsebolt.rerank import CrossEncoderRerankFunction, RerankResult  # noqa: E402
from sparsebolt.rerank.cross_encoder import sigmoid  # noqa: E402
from tests.reference.transformer import (  # noqa: E402
    BERT_TINY,
    XLMR_TINY,
    forward,
    random_weights,
    save_hf_folder,
    write_wordpiece_tokenizer,
)
from tests.reference.transformer import WORDS as REFERENCE_WORDS  # noqa: E402
from tests.unit.test_engine_session import echo_graph  # noqa: E402
from tests.unit.test_engine_tokenizer import write_xlmr_style_tokenizer  # noqa: E402

MAX_POS = 64
WORDS = ("the a of in was is and to dartmouth conference 1956 artificial intelligence turing alan chess program "
         "logic theorist field founded event birth discipline what which paper game ##s ##ing").split()
# BERT_TINY over the words above ([PAD] [UNK] [CLS] [SEP] first), with room for long pairs
CONFIG: Dict[str, Any] = {**BERT_TINY, "vocab_size": 4 + len(WORDS), "max_position_embeddings": MAX_POS}
LOGITS = HEAD_OUTPUTS["classifier"]

QUERY = "What event in 1956 was the birth of artificial intelligence?"
DOCUMENTS = [
    "Alan Turing wrote a paper in 1950.",
    "The Dartmouth conference in 1956 founded artificial intelligence as a field.",
    "Chess programs",
    "The Logic Theorist was a program.",
    "",
    "unknown words everywhere zebra quokka",
    "the the the the the the the the the the the the the the the the the the the the the the the the the the",
]


def make_weights(seed: int, num_labels: int = 1) -> Dict[str, np.ndarray]:
    """BertForSequenceClassification tensors under their Hugging Face names."""
    return random_weights(CONFIG, seed=seed, architecture="sequence_classification", num_labels=num_labels)


@pytest.fixture(autouse=True)
def _isolated_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # graphs built from safetensors are cached; never in the user's own cache
    monkeypatch.setenv("SPARSEBOLT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SPARSEBOLT_MODELS_DIR", raising=False)


# -- the reference: the numpy transformer on one unpadded pair --------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _reference_tokenizer_json() -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tokenizer.json"
        write_wordpiece_tokenizer(path, WORDS)
        return path.read_text(encoding="utf-8")


def reference_tokenizer(max_length: int | None = None) -> Any:
    tok = tokenizers.Tokenizer.from_str(_reference_tokenizer_json())
    if max_length is not None:
        tok.enable_truncation(max_length, strategy="longest_first")
    return tok


def reference_logit(weights: Dict[str, np.ndarray], ids: List[int], type_ids: List[int] | None) -> float:
    batch = np.array([ids])
    types = None if type_ids is None else np.array([type_ids])
    out = forward(CONFIG, weights, batch, np.ones_like(batch), heads=("classifier",), token_type_ids=types)
    return float(out["classifier"][0, 0])


def reference_scores(weights: Dict[str, np.ndarray], pairs: List[Tuple[str, str]], max_length: int,
                     *, token_types: bool = True) -> np.ndarray:
    tok = reference_tokenizer(max_length)
    logits = []
    for query, doc in pairs:
        enc = tok.encode(query, doc)
        logits.append(reference_logit(weights, enc.ids, enc.type_ids if token_types else None))
    return sigmoid(np.array(logits))


# -- the model under test: the same weights as a prebuilt model.onnx -------------------------------------------------

def one_dim_output(model: Any) -> Any:
    """``model`` with its ``[batch, 1]`` logits squeezed to ``[batch]``, as some exports emit them."""
    (output,) = model.graph.output
    for node in model.graph.node:
        node.output[:] = [f"{name}_2d" if name == output.name else name for name in node.output]
    model.graph.initializer.append(numpy_helper.from_array(np.array([1], dtype=np.int64), "squeeze_axes"))
    model.graph.node.append(helper.make_node("Squeeze", [f"{output.name}_2d", "squeeze_axes"], [output.name]))
    del model.graph.output[:]
    model.graph.output.append(helper.make_tensor_value_info(output.name, TensorProto.FLOAT, ["batch"]))
    onnx.checker.check_model(model)
    return model


def write_model(folder: Path, weights: Dict[str, np.ndarray], *, fixed_padding: int | None = None,
                token_type_ids: bool = True, one_dim: bool = False) -> Path:
    """A prebuilt cross-encoder folder: the engine's classifier graph as model.onnx, tokenizer.json, config.json."""
    folder.mkdir(parents=True, exist_ok=True)
    model = build_graph(TransformerConfig.from_dict(CONFIG), weights, ("classifier",), token_type_ids=token_type_ids)
    onnx.save(one_dim_output(model) if one_dim else model, str(folder / "model.onnx"))
    write_wordpiece_tokenizer(folder / "tokenizer.json", WORDS, fixed_padding=fixed_padding)
    (folder / "config.json").write_text(json.dumps(CONFIG))
    return folder


@pytest.fixture(scope="module")
def weights() -> Dict[str, np.ndarray]:
    return make_weights(seed=1234)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory, weights: Dict[str, np.ndarray]) -> Path:
    # Its tokenizer.json pads to 40 tokens, as some exported ones do; the reranker must pad per batch instead.
    return write_model(tmp_path_factory.mktemp("tiny-cross-encoder"), weights, fixed_padding=40)


def test_pair_tokenisation_is_cls_query_sep_document_sep(model_dir: Path) -> None:
    enc = reference_tokenizer().encode("the conference", "alan turing")
    assert enc.tokens == ["[CLS]", "the", "conference", "[SEP]", "alan", "turing", "[SEP]"]
    assert enc.type_ids == [0, 0, 0, 0, 1, 1, 1]


@pytest.mark.parametrize("batch_size", [1, 2, 3, 32])
def test_scores_match_a_numpy_forward_pass(model_dir: Path, weights: Dict[str, np.ndarray], batch_size: int) -> None:
    rf = CrossEncoderRerankFunction(str(model_dir), batch_size=batch_size)
    pairs = [(QUERY, d) for d in DOCUMENTS]
    expected = reference_scores(weights, pairs, MAX_POS)
    np.testing.assert_allclose(rf.predict(pairs), expected, atol=1e-5)
    results = rf(QUERY, DOCUMENTS, top_k=None)
    order = sorted(range(len(DOCUMENTS)), key=lambda i: -expected[i])
    assert [r.index for r in results] == order
    assert all(isinstance(r, RerankResult) and r.text == DOCUMENTS[r.index] for r in results)
    np.testing.assert_allclose([r.score for r in results], expected[order], atol=1e-5)
    assert len(rf(QUERY, DOCUMENTS)) == 5  # pymilvus' default top_k


def test_truncation_to_max_length(model_dir: Path, weights: Dict[str, np.ndarray]) -> None:
    long_doc = " ".join(["dartmouth conference"] * 40)
    rf = CrossEncoderRerankFunction(str(model_dir), max_length=12)
    expected = reference_scores(weights, [("what event", long_doc)], 12)
    # the reference keeps [CLS] what event [SEP] + 7 document tokens + [SEP]
    tok = reference_tokenizer(12)
    assert tok.encode("what event", long_doc).tokens[:5] == ["[CLS]", "what", "event", "[SEP]", "dartmouth"]
    np.testing.assert_allclose(rf.predict([("what event", long_doc)]), expected, atol=1e-5)
    with pytest.raises(Exception):  # untruncated, the 83-token pair overflows the 64 position embeddings
        CrossEncoderRerankFunction(str(model_dir), max_length=200).predict([("what event", long_doc)])


@pytest.mark.parametrize("one_dim", [False, True], ids=["[n,1] output", "[n] output"])
def test_graph_without_token_types(tmp_path: Path, weights: Dict[str, np.ndarray], one_dim: bool) -> None:
    folder = write_model(tmp_path / "m", weights, token_type_ids=False, one_dim=one_dim)
    rf = CrossEncoderRerankFunction(str(folder), batch_size=4)
    pairs = [(QUERY, d) for d in DOCUMENTS]
    expected = reference_scores(weights, pairs, MAX_POS, token_types=False)  # every token of type 0
    np.testing.assert_allclose(rf.predict(pairs), expected, atol=1e-5)
    assert not np.allclose(expected, reference_scores(weights, pairs, MAX_POS), atol=1e-5)  # types do matter


def test_one_dim_output_with_token_types(tmp_path: Path, weights: Dict[str, np.ndarray]) -> None:
    folder = write_model(tmp_path / "m", weights, one_dim=True)
    rf = CrossEncoderRerankFunction(str(folder), batch_size=3)
    pairs = [(QUERY, d) for d in DOCUMENTS]
    np.testing.assert_allclose(rf.predict(pairs), reference_scores(weights, pairs, MAX_POS), atol=1e-5)


def test_activation_choices(model_dir: Path, weights: Dict[str, np.ndarray]) -> None:
    pairs = [(QUERY, d) for d in DOCUMENTS[:3]]
    probabilities = CrossEncoderRerankFunction(str(model_dir)).predict(pairs)
    logits = CrossEncoderRerankFunction(str(model_dir), activation_fct="identity").predict(pairs)
    np.testing.assert_allclose(sigmoid(logits), probabilities, atol=1e-6)
    assert (logits < 0).any() or (logits > 1).any()  # raw logits really are unsquashed
    doubled = CrossEncoderRerankFunction(str(model_dir), activation_fct=lambda x: 2 * x).predict(pairs)
    np.testing.assert_allclose(doubled, 2 * logits, atol=1e-6)
    with pytest.raises(ValueError, match="activation_fct"):
        CrossEncoderRerankFunction(str(model_dir), activation_fct="relu6")


def test_sigmoid_is_stable_at_extremes() -> None:
    np.testing.assert_allclose(sigmoid(np.array([-1000.0, 0.0, 1000.0])), [0.0, 0.5, 1.0])


def test_empty_documents_and_bad_input(model_dir: Path) -> None:
    rf = CrossEncoderRerankFunction(str(model_dir))
    assert rf(QUERY, []) == []
    with pytest.raises(TypeError, match=r"documents must be a list of str, not a single string; pass \[text\]"):
        rf(QUERY, "one string")
    with pytest.raises(ValueError, match="top_k"):
        rf(QUERY, DOCUMENTS, top_k=-2)


def test_two_label_models_are_refused(tmp_path: Path) -> None:
    folder = write_model(tmp_path / "nli", make_weights(seed=5, num_labels=3))
    with pytest.raises(ValueError, match="one relevance logit per pair"):
        CrossEncoderRerankFunction(str(folder))(QUERY, DOCUMENTS)


def test_bad_folders_and_options(tmp_path: Path, model_dir: Path) -> None:
    with pytest.raises(ValueError, match="model_name is required"):
        CrossEncoderRerankFunction()
    with pytest.raises(ValueError, match="neither a local folder nor"):
        CrossEncoderRerankFunction("no-such-org/no-such-cross-encoder")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no model.onnx"):
        CrossEncoderRerankFunction(str(tmp_path / "empty"))
    with pytest.raises(ValueError, match="batch_size"):
        CrossEncoderRerankFunction(str(model_dir), batch_size=0)
    with pytest.raises(ValueError, match="device 'tpu' is not supported"):
        CrossEncoderRerankFunction(str(model_dir), device="tpu")
    with pytest.raises(ValueError, match="not available"):
        CrossEncoderRerankFunction(str(model_dir), providers=["NoSuchExecutionProvider"])


def test_cuda_request_without_onnxruntime_gpu_is_a_clear_error(model_dir: Path) -> None:
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        rf = CrossEncoderRerankFunction(str(model_dir), device="cuda:0")
        assert rf.providers[0] == "CUDAExecutionProvider"
        return
    with pytest.raises(ValueError, match="onnxruntime-gpu"):
        CrossEncoderRerankFunction(str(model_dir), device="cuda:0")


def test_constructor_matches_pymilvus_positional_parameters() -> None:
    import inspect

    Theirs = pytest.importorskip("pymilvus.model.reranker").CrossEncoderRerankFunction  # noqa: N806

    ours = list(inspect.signature(CrossEncoderRerankFunction).parameters.values())
    theirs = [p for p in inspect.signature(Theirs).parameters.values() if p.kind is not p.VAR_KEYWORD]
    assert [(p.name, p.default) for p in ours[: len(theirs)]] == [(p.name, p.default) for p in theirs]


# -- text as users send it: lone surrogates and very long sides --------------------------------------------------------

def test_a_lone_surrogate_scores_as_the_replacement_character(model_dir: Path, weights: Dict[str, np.ndarray]) -> None:
    rf = CrossEncoderRerankFunction(str(model_dir), batch_size=2)
    pairs = [(QUERY, "the conference \ud800 in 1956"), ("what \udc80 event", DOCUMENTS[1]), (QUERY, DOCUMENTS[0])]
    clean = [(q.replace("\udc80", "\ufffd"), d.replace("\ud800", "\ufffd")) for q, d in pairs]
    np.testing.assert_allclose(rf.predict(pairs), reference_scores(weights, clean, MAX_POS), atol=1e-5)
    assert [r.index for r in rf("what \ud800 event", DOCUMENTS + ["turing \udc80"], top_k=None)]


def _long(words: str, chars: int) -> str:
    return (words + " ") * (chars // (len(words) + 1))


LONG_PAIRS = {
    # the default head is max_length * 64 = 4096 characters here
    "long document": ("what event", _long("the dartmouth conference of 1956", 200_000)),
    "long query": (_long("alan turing chess program", 200_000), "the logic theorist"),
    # both tokenized whole (which side is longer decides the odd token); small, as pair overflow is quadratic
    "both long": (_long("chess", 5_000), _long("logic theorist", 5_000)),
    # the query has more tokens (about 1000) than the document's first head (about 390): the head must grow, or
    # the query would become the longer side and keep the odd token of the 61-token budget
    "query with many tokens": (_long("the", 3_999), _long("dartmouth conference", 40_000)),
    "document starting with whitespace": ("what event", " " * 50_000 + _long("turing was a field", 150_000)),
    "long document with surrogates": ("what event", _long("the \ud800 conference", 200_000)),
}


@pytest.mark.parametrize("name", list(LONG_PAIRS))
def test_very_long_sides_score_as_the_whole_text(model_dir: Path, weights: Dict[str, np.ndarray], name: str) -> None:
    query, doc = LONG_PAIRS[name]
    rf = CrossEncoderRerankFunction(str(model_dir))
    assert max(len(query), len(doc)) > rf.max_length * 64  # long enough for the head path
    clean = (query, doc.replace("\ud800", "\ufffd"))
    np.testing.assert_allclose(rf.predict([(query, doc)]), reference_scores(weights, [clean], MAX_POS), atol=1e-5)


# -- where the model comes from, and the rules shared with every model (sparsebolt.engine) -----------------------------

def test_a_hub_id_is_found_in_the_models_dir_and_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         weights: Dict[str, np.ndarray]) -> None:
    monkeypatch.setenv("SPARSEBOLT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SPARSEBOLT_MODELS_DIR", raising=False)
    pairs = [(QUERY, d) for d in DOCUMENTS]
    expected = reference_scores(weights, pairs, MAX_POS)
    with pytest.raises(ValueError, match="neither a local folder nor"):
        CrossEncoderRerankFunction("cross-encoder/tiny")
    write_model(tmp_path / "cache" / "models" / "cross-encoder--tiny", weights)
    np.testing.assert_allclose(CrossEncoderRerankFunction("cross-encoder/tiny").predict(pairs), expected, atol=1e-5)
    monkeypatch.setenv("SPARSEBOLT_MODELS_DIR", str(tmp_path / "models"))
    found = write_model(tmp_path / "models" / "tiny", make_weights(seed=99))
    rf = CrossEncoderRerankFunction("cross-encoder/tiny")  # the models dir comes before the cache
    assert rf.files.folder == found and rf.files.source == "$SPARSEBOLT_MODELS_DIR"
    assert not np.allclose(rf.predict(pairs), expected, atol=1e-5)


def test_an_optimum_layout_with_the_graph_under_onnx(tmp_path: Path, weights: Dict[str, np.ndarray]) -> None:
    folder = write_model(tmp_path / "m", weights)
    (folder / "onnx").mkdir()
    (folder / "model.onnx").rename(folder / "onnx" / "model.onnx")
    pairs = [(QUERY, d) for d in DOCUMENTS]
    rf = CrossEncoderRerankFunction(str(folder), batch_size=3)
    np.testing.assert_allclose(rf.predict(pairs), reference_scores(weights, pairs, MAX_POS), atol=1e-5)


def test_max_length_follows_the_rule_every_model_shares(tmp_path: Path, weights: Dict[str, np.ndarray]) -> None:
    folder = write_model(tmp_path / "m", weights)
    assert CrossEncoderRerankFunction(str(folder)).max_length == MAX_POS  # config.json max_position_embeddings
    (folder / "tokenizer_config.json").write_text(json.dumps({"model_max_length": int(1e30)}))
    assert CrossEncoderRerankFunction(str(folder)).max_length == MAX_POS  # the "no limit" sentinel is skipped
    (folder / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 16}))
    assert CrossEncoderRerankFunction(str(folder)).max_length == 16
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 12}))
    rf = CrossEncoderRerankFunction(str(folder))
    long_doc = " ".join(["dartmouth conference"] * 40)
    assert rf.max_length == 12 == read_max_seq_length(folder)
    np.testing.assert_allclose(rf.predict([("what event", long_doc)]),
                               reference_scores(weights, [("what event", long_doc)], 12), atol=1e-5)
    assert CrossEncoderRerankFunction(str(folder), max_length=20).max_length == 20  # the argument first
    with pytest.raises(ValueError, match="max_length must be an int >= 4"):
        CrossEncoderRerankFunction(str(folder), max_length=3)


def test_an_xlmr_style_pad_token_pads_batches(tmp_path: Path, weights: Dict[str, np.ndarray]) -> None:
    folder = write_model(tmp_path / "m", weights)
    write_xlmr_style_tokenizer(folder / "tokenizer.json")  # <pad> is 1; no [PAD]
    rf = CrossEncoderRerankFunction(str(folder), batch_size=4)
    assert rf.tokenizer.pad_id == 1
    pairs = [("the cat", "sat"), ("dog", ""), ("the", "cat sat dog the cat"), ("cat", "dog")]
    alone = np.concatenate([rf.predict([pair]) for pair in pairs])
    np.testing.assert_allclose(rf.predict(pairs), alone, atol=1e-6)  # padding is masked out, whatever its id


def test_a_graph_wanting_other_inputs_is_refused(tmp_path: Path) -> None:
    from onnx import TensorProto

    folder = tmp_path / "m"
    folder.mkdir()
    write_wordpiece_tokenizer(folder / "tokenizer.json", WORDS)
    graph = echo_graph({"input_ids": TensorProto.INT64, "position_ids": TensorProto.INT64})
    (folder / "model.onnx").write_bytes(graph)
    with pytest.raises(ValueError, match=r"model.onnx declares inputs \['input_ids', 'position_ids'\]"):
        CrossEncoderRerankFunction(str(folder))


@pytest.mark.parametrize("config", [BERT_TINY, XLMR_TINY], ids=["bert", "xlm-roberta"])
def test_a_hugging_face_sequence_classifier_folder(tmp_path: Path, config: Dict[str, Any]) -> None:
    # model.safetensors + config.json, no model.onnx: the graph is built with the classifier head on load. The
    # reference is the numpy transformer on each pair alone, unpadded, tokenized by plain tokenizers.
    weights = random_weights(config, seed=3, architecture="sequence_classification")
    folder = save_hf_folder(tmp_path / "hf", config, weights, architecture="sequence_classification")
    rf = CrossEncoderRerankFunction(str(folder), batch_size=3, activation_fct="identity")
    assert rf.files.onnx is None and rf.max_length == 24  # XLM-R's 26 positions start at pad + 1 = 2
    reference = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
    reference.enable_truncation(24, strategy="longest_first")
    words = " ".join(REFERENCE_WORDS * 2)  # past max_length: truncated longest first
    pairs = [("the cat", "sat on the mat"), ("dog", ""), ("red sky", words), (words, "blue sea"), ("far", "away")]
    expected = []
    for query, doc in pairs:
        enc = reference.encode(query, doc)
        ids = np.array([enc.ids])
        types = np.array([enc.type_ids]) if config["type_vocab_size"] > 1 else None
        out = forward(config, weights, ids, np.ones_like(ids), heads=("classifier",), token_type_ids=types)
        expected.append(out["classifier"][0, 0])
    assert rf.tokenizer.pad_id == config.get("pad_token_id", 0)
    np.testing.assert_allclose(rf.predict(pairs), expected, atol=1e-4)


def test_a_safetensors_classifier_is_built_once_into_the_cache(tmp_path: Path) -> None:
    weights = random_weights(BERT_TINY, seed=8, architecture="sequence_classification")
    folder = save_hf_folder(tmp_path / "hf", BERT_TINY, weights, architecture="sequence_classification")
    first = CrossEncoderRerankFunction(str(folder))
    (built,) = (tmp_path / "cache" / "onnx").iterdir()
    built_at = built.stat().st_mtime_ns
    second = CrossEncoderRerankFunction(str(folder))
    assert list((tmp_path / "cache" / "onnx").iterdir()) == [built] and built.stat().st_mtime_ns == built_at
    pairs = [("the cat", "sat on the mat"), ("red sky", "blue sea")]
    np.testing.assert_array_equal(first.predict(pairs), second.predict(pairs))


def test_a_bge_reranker_snapshot_in_the_hugging_face_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What BGERerankFunction users have: an XLMRobertaForSequenceClassification snapshot (model.safetensors,
    # config.json, tokenizer.json) under the hub cache. The default sigmoid is BGERerankFunction(normalize=True).
    huggingface_hub = pytest.importorskip("huggingface_hub")
    hub = tmp_path / "hf-hub"
    repo = hub / "models--BAAI--bge-reranker-v2-m3"
    weights = random_weights(XLMR_TINY, seed=6, architecture="sequence_classification")
    save_hf_folder(repo / "snapshots" / ("b" * 40), XLMR_TINY, weights, architecture="sequence_classification")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("b" * 40)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(hub))

    rf = CrossEncoderRerankFunction("BAAI/bge-reranker-v2-m3", batch_size=2)
    assert rf.files.source == "hub cache" and rf.files.onnx is None
    reference = tokenizers.Tokenizer.from_file(str(rf.files.tokenizer))
    reference.enable_truncation(rf.max_length, strategy="longest_first")
    pairs = [("the cat", "sat on the mat"), ("dog", "ran far away"), ("red sky", "")]
    logits = []
    for query, doc in pairs:
        ids = np.array([reference.encode(query, doc).ids])
        logits.append(forward(XLMR_TINY, weights, ids, np.ones_like(ids), heads=("classifier",))["classifier"][0, 0])
    np.testing.assert_allclose(rf.predict(pairs), sigmoid(np.array(logits)), atol=1e-5)
    raw = CrossEncoderRerankFunction("BAAI/bge-reranker-v2-m3", activation_fct="identity").predict(pairs)
    np.testing.assert_allclose(raw, logits, atol=1e-4)
