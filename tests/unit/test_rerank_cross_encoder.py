"""CrossEncoderRerankFunction on a tiny randomly initialised BERT sequence classifier, checked against numpy.

The test builds the classifier as an ONNX graph from standard operators (``onnx`` only, no PyTorch) and a
WordPiece tokenizer.json (``tokenizers``), then compares the reranker's scores with a numpy forward pass of the same
weights on each pair alone, unpadded: so batching, padding masks, truncation, pair type ids and the activation are
all checked.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
tokenizers = pytest.importorskip("tokenizers")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from sparsebolt.engine.tokenizer import read_max_seq_length  # noqa: E402
from sparsebolt.rerank import CrossEncoderRerankFunction, RerankResult  # noqa: E402
from sparsebolt.rerank.cross_encoder import sigmoid  # noqa: E402
from tests.reference.transformer import BERT_TINY, XLMR_TINY, random_weights, save_hf_folder  # noqa: E402
from tests.reference.transformer import WORDS as REFERENCE_WORDS  # noqa: E402
from tests.reference.transformer import forward as reference_forward  # noqa: E402
from tests.unit.test_engine_session import echo_graph  # noqa: E402
from tests.unit.test_engine_tokenizer import write_xlmr_style_tokenizer  # noqa: E402

HIDDEN, HEADS, LAYERS, FFN, MAX_POS, EPS = 16, 2, 2, 32, 64, 1e-12
WORDS = ("the a of in was is and to dartmouth conference 1956 artificial intelligence turing alan chess program "
         "logic theorist field founded event birth discipline what which paper game").split()
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
VOCAB = SPECIALS + WORDS + ["##s", "##ing"]

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
    rng = np.random.default_rng(seed)

    def w(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.3).astype(np.float32)

    weights = {"word": w(len(VOCAB), HIDDEN), "pos": w(MAX_POS, HIDDEN), "type": w(2, HIDDEN),
               "emb_g": 1 + w(HIDDEN), "emb_b": w(HIDDEN), "pool_w": w(HIDDEN, HIDDEN), "pool_b": w(HIDDEN),
               "cls_w": w(HIDDEN, num_labels), "cls_b": w(num_labels)}
    for layer in range(LAYERS):
        for name, shape in [("q", (HIDDEN, HIDDEN)), ("k", (HIDDEN, HIDDEN)), ("v", (HIDDEN, HIDDEN)),
                            ("o", (HIDDEN, HIDDEN)), ("i", (HIDDEN, FFN)), ("f", (FFN, HIDDEN))]:
            weights[f"{layer}.{name}_w"] = w(*shape)
            weights[f"{layer}.{name}_b"] = w(shape[1])
        for name in ("ln1", "ln2"):
            weights[f"{layer}.{name}_g"] = 1 + w(HIDDEN)
            weights[f"{layer}.{name}_b"] = w(HIDDEN)
    return weights


# -- the reference: numpy forward pass of one unpadded pair -----------------------------------------------------------

def layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * g + b


def gelu(x: np.ndarray) -> np.ndarray:
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def numpy_logits(weights: Dict[str, np.ndarray], ids: List[int], type_ids: List[int]) -> np.ndarray:
    p = {k: v.astype(np.float64) for k, v in weights.items()}
    h = p["word"][ids] + p["pos"][np.arange(len(ids))] + p["type"][type_ids]
    h = layer_norm(h, p["emb_g"], p["emb_b"])
    hd = HIDDEN // HEADS
    for layer in range(LAYERS):
        def lin(x: np.ndarray, name: str) -> np.ndarray:
            return x @ p[f"{layer}.{name}_w"] + p[f"{layer}.{name}_b"]

        q, k, v = (lin(h, n).reshape(len(ids), HEADS, hd).transpose(1, 0, 2) for n in "qkv")
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(hd)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attn = scores / scores.sum(-1, keepdims=True)
        context = (attn @ v).transpose(1, 0, 2).reshape(len(ids), HIDDEN)
        h = layer_norm(h + lin(context, "o"), p[f"{layer}.ln1_g"], p[f"{layer}.ln1_b"])
        h = layer_norm(h + lin(gelu(lin(h, "i")), "f"), p[f"{layer}.ln2_g"], p[f"{layer}.ln2_b"])
    pooled = np.tanh(h[0] @ p["pool_w"] + p["pool_b"])
    return pooled @ p["cls_w"] + p["cls_b"]


# -- the model under test: the same weights as an ONNX graph ----------------------------------------------------------

def build_graph(weights: Dict[str, np.ndarray], with_token_types: bool = True, squeeze: bool = False) -> Any:
    nodes: List[Any] = []
    inits = [numpy_helper.from_array(v, name=k) for k, v in weights.items()]
    counter = [0]

    def const(value: Any, dtype: Any = np.int64) -> str:
        counter[0] += 1
        name = f"const{counter[0]}"
        inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name=name))
        return name

    def op(kind: str, inputs: List[str], **attrs: Any) -> str:
        counter[0] += 1
        out = f"{kind.lower()}{counter[0]}"
        nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    def linear(x: str, w: str, b: str) -> str:
        return op("Add", [op("MatMul", [x, w]), b])

    def norm(x: str, g: str, b: str) -> str:
        return op("LayerNormalization", [x, g, b], axis=-1, epsilon=EPS)

    ids_shape = op("Shape", ["input_ids"])
    seq_len = op("Gather", [ids_shape, const(1)], axis=0)
    positions = op("Range", [const(0), seq_len, const(1)])
    h = op("Add", [op("Gather", ["word", "input_ids"]), op("Gather", ["pos", positions])])
    if with_token_types:
        h = op("Add", [h, op("Gather", ["type", "token_type_ids"])])
    else:
        h = op("Add", [h, op("Gather", ["type", const(0)])])
    h = norm(h, "emb_g", "emb_b")
    mask = op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    additive = op("Mul", [op("Sub", [const(1.0, np.float32), mask]), const(-1e9, np.float32)])
    additive = op("Unsqueeze", [additive, const([1, 2])])  # (B, 1, 1, S)
    hd = HIDDEN // HEADS
    for layer in range(LAYERS):
        def heads(name: str, perm: List[int]) -> str:
            x = linear(h, f"{layer}.{name}_w", f"{layer}.{name}_b")
            return op("Transpose", [op("Reshape", [x, const([0, 0, HEADS, hd])])], perm=perm)

        q, k, v = heads("q", [0, 2, 1, 3]), heads("k", [0, 2, 3, 1]), heads("v", [0, 2, 1, 3])
        scores = op("Add", [op("Div", [op("MatMul", [q, k]), const(math.sqrt(hd), np.float32)]), additive])
        context = op("MatMul", [op("Softmax", [scores], axis=-1), v])
        context = op("Reshape", [op("Transpose", [context], perm=[0, 2, 1, 3]), const([0, 0, HIDDEN])])
        h = norm(op("Add", [h, linear(context, f"{layer}.o_w", f"{layer}.o_b")]), f"{layer}.ln1_g", f"{layer}.ln1_b")
        inner = linear(h, f"{layer}.i_w", f"{layer}.i_b")
        erf = op("Erf", [op("Div", [inner, const(math.sqrt(2.0), np.float32)])])
        act = op("Mul", [op("Mul", [inner, op("Add", [erf, const(1.0, np.float32)])]), const(0.5, np.float32)])
        h = norm(op("Add", [h, linear(act, f"{layer}.f_w", f"{layer}.f_b")]), f"{layer}.ln2_g", f"{layer}.ln2_b")
    cls = op("Gather", [h, const(0)], axis=1)
    pooled = op("Tanh", [linear(cls, "pool_w", "pool_b")])
    logits = linear(pooled, "cls_w", "cls_b")
    if squeeze:
        logits = op("Squeeze", [logits, const([1])])
    nodes.append(helper.make_node("Identity", [logits], ["logits"]))
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
              helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])]
    if with_token_types:
        inputs.append(helper.make_tensor_value_info("token_type_ids", TensorProto.INT64, ["batch", "sequence"]))
    out_shape = ["batch"] if squeeze else ["batch", weights["cls_b"].shape[0]]
    graph = helper.make_graph(nodes, "tiny_bert_classifier", inputs,
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, out_shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def build_tokenizer(padding_to: Any = None) -> Any:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    tok = Tokenizer(models.WordPiece({t: i for i, t in enumerate(VOCAB)}, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", VOCAB.index("[CLS]")), ("[SEP]", VOCAB.index("[SEP]"))],
    )
    if padding_to is not None:  # a saved tokenizer.json that pads every input to a fixed length
        tok.enable_padding(pad_id=0, pad_token="[PAD]", length=padding_to)
    return tok


def write_model(folder: Path, weights: Dict[str, np.ndarray], fixed_padding: Any = None, **graph_options: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(build_graph(weights, **graph_options), str(folder / "model.onnx"))
    build_tokenizer(padding_to=fixed_padding).save(str(folder / "tokenizer.json"))
    (folder / "config.json").write_text(json.dumps({"model_type": "bert", "max_position_embeddings": MAX_POS}))
    return folder


def reference_scores(weights: Dict[str, np.ndarray], pairs: List[Tuple[str, str]], max_length: int) -> np.ndarray:
    tok = build_tokenizer()
    tok.enable_truncation(max_length, strategy="longest_first")
    out = []
    for query, doc in pairs:
        enc = tok.encode(query, doc)
        out.append(float(sigmoid(numpy_logits(weights, enc.ids, enc.type_ids))[0]))
    return np.array(out)


@pytest.fixture(scope="module")
def weights() -> Dict[str, np.ndarray]:
    return make_weights(seed=1234)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory, weights: Dict[str, np.ndarray]) -> Path:
    # Its tokenizer.json pads to 40 tokens, as some exported ones do; the reranker must pad per batch instead.
    return write_model(tmp_path_factory.mktemp("tiny-cross-encoder"), weights, fixed_padding=40)


def test_pair_tokenisation_is_cls_query_sep_document_sep(model_dir: Path) -> None:
    enc = build_tokenizer().encode("the conference", "alan turing")
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
    tok = build_tokenizer()
    tok.enable_truncation(12, strategy="longest_first")
    assert tok.encode("what event", long_doc).tokens[:5] == ["[CLS]", "what", "event", "[SEP]", "dartmouth"]
    np.testing.assert_allclose(rf.predict([("what event", long_doc)]), expected, atol=1e-5)
    with pytest.raises(Exception):  # untruncated, the 83-token pair overflows the 64 position embeddings
        CrossEncoderRerankFunction(str(model_dir), max_length=200).predict([("what event", long_doc)])


def test_graph_without_token_types_and_one_dim_output(tmp_path: Path, weights: Dict[str, np.ndarray]) -> None:
    folder = write_model(tmp_path / "m", weights, with_token_types=False, squeeze=True)
    rf = CrossEncoderRerankFunction(str(folder), batch_size=4)
    tok = build_tokenizer()
    expected = []
    for doc in DOCUMENTS:
        enc = tok.encode(QUERY, doc)
        expected.append(float(sigmoid(numpy_logits(weights, enc.ids, [0] * len(enc.ids)))[0]))
    np.testing.assert_allclose(rf.predict([(QUERY, d) for d in DOCUMENTS]), expected, atol=1e-5)


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
    build_tokenizer().save(str(folder / "tokenizer.json"))
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
        out = reference_forward(config, weights, ids, np.ones_like(ids), heads=("classifier",), token_type_ids=types)
        expected.append(out["classifier"][0, 0])
    assert rf.tokenizer.pad_id == config.get("pad_token_id", 0)
    np.testing.assert_allclose(rf.predict(pairs), expected, atol=1e-4)
