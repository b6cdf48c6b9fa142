"""Every graph head on tiny random BERT and XLM-R models against the float64 numpy reference transformer
(tests/reference/transformer.py): right padding with mixed lengths, XLM-R's position rule, tied and untied MLM
decoders, several heads in one graph, sentence pairs, int8 with heads, and the configs the builder refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from sparsebolt.engine.config import TransformerConfig
from sparsebolt.engine.graph import HEAD_OUTPUTS, HEADS, build_graph
from sparsebolt.engine.graph.encoder import ATTENTIONS
from sparsebolt.engine.graph.quantize import calibrate, quantize_int8
from sparsebolt.engine.weights import Weights, load_weights
from tests.reference.transformer import (
    BERT_TINY,
    XLMR_TINY,
    forward,
    random_bge_m3_heads,
    random_weights,
    save_hf_folder,
    with_heads,
)

CONFIGS = {"bert": BERT_TINY, "xlm-roberta": XLMR_TINY}
# the checkpoint class each head comes with
ARCHITECTURE = {"mlm": "masked_lm", "splade": "masked_lm", "classifier": "sequence_classification"}
ATOL = 1e-4


def _run(model: onnx.ModelProto, feed: dict[str, np.ndarray], names: list[str] | None = None) -> list[np.ndarray]:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(names, feed)


def _batch(config: dict[str, Any], lengths: list[int], seed: int = 0) -> dict[str, np.ndarray]:
    """Right-padded token ids shaped as the family's tokenizer makes them: [CLS] .. [SEP] or <s> .. </s>."""
    rng = np.random.default_rng(seed)
    bert = config["model_type"] == "bert"
    pad, first, last, lowest = (0, 2, 3, 4) if bert else (config["pad_token_id"], 0, 2, 3)
    ids = np.full((len(lengths), max(lengths)), pad, dtype=np.int64)
    for row, length in enumerate(lengths):
        ids[row, :length] = rng.integers(lowest, config["vocab_size"], size=length)
        ids[row, 0], ids[row, length - 1] = first, last
    return {"input_ids": ids, "attention_mask": (np.arange(ids.shape[1]) < np.array(lengths)[:, None]).astype(np.int64)}


def _checkpoint(model_type: str, heads: tuple[str, ...], seed: int = 0) -> tuple[dict[str, Any], dict[str, Any]]:
    """(config, Hugging Face tensors) for a graph with ``heads``; BGE-M3's separately saved heads included."""
    config = CONFIGS[model_type]
    architectures = {ARCHITECTURE.get(h, "base") for h in heads}
    assert len(architectures) == 1, "a checkpoint has one head class"
    weights = random_weights(config, seed=seed, architecture=architectures.pop(), num_labels=3)
    return config, with_heads(weights, random_bge_m3_heads(config, seed=seed + 1))


@pytest.mark.parametrize("attention", ATTENTIONS)
@pytest.mark.parametrize("model_type", ["bert", "xlm-roberta"])
@pytest.mark.parametrize("head", HEADS)
def test_each_head_matches_the_reference(model_type: str, head: str, attention: str) -> None:
    config, weights = _checkpoint(model_type, (head,), seed=len(head))
    feed = _batch(config, [7, 3, 12, 1 if model_type == "bert" else 2, 5], seed=1)
    model = build_graph(TransformerConfig.from_dict(config), weights, (head,), attention=attention)
    (got,) = _run(model, feed)
    want = forward(config, weights, feed["input_ids"], feed["attention_mask"], heads=(head,))[head]
    assert got.dtype == np.float32 and got.shape == want.shape
    # pad rows too: attention masks keys only, so a pad token's row is well defined (and 0 where a head masks it)
    np.testing.assert_allclose(got, want, atol=ATOL, rtol=0)


@pytest.mark.parametrize("model_type", ["bert", "xlm-roberta"])
def test_longest_input_the_position_table_allows(model_type: str) -> None:
    config, weights = _checkpoint(model_type, ("hidden",))
    longest = TransformerConfig.from_dict(config).max_sequence_length
    assert longest == 24  # XLM-R's table has padding_idx + 1 rows more
    feed = _batch(config, [longest, 4])
    (got,) = _run(build_graph(TransformerConfig.from_dict(config), weights), feed)
    want = forward(config, weights, feed["input_ids"], feed["attention_mask"])["hidden"]
    np.testing.assert_allclose(got, want, atol=ATOL, rtol=0)


def test_xlmr_position_ids_count_real_tokens_from_padding_idx_plus_one() -> None:
    config, weights = _checkpoint("xlm-roberta", ("hidden",))
    model = build_graph(TransformerConfig.from_dict(config), weights)
    (embed,) = [n for n in model.graph.node if n.op_type == "EmbedLayerNormalization"]
    position_ids = embed.input[8]
    model.graph.output.append(onnx.helper.make_tensor_value_info(position_ids, onnx.TensorProto.INT32, None))
    ids = np.array([[0, 5, 6, 7, 2], [0, 9, 2, 1, 1]], dtype=np.int64)  # pad id 1
    (got,) = _run(model, {"input_ids": ids, "attention_mask": (ids != 1).astype(np.int64)}, [position_ids])
    np.testing.assert_array_equal(got, [[2, 3, 4, 5, 6], [2, 3, 4, 1, 1]])


def test_the_written_out_attention_is_only_for_openvino_and_known_kinds() -> None:
    config, weights = _checkpoint("bert", ("hidden",))
    model = build_graph(TransformerConfig.from_dict(config), weights, attention="matmul")
    ops = {node.op_type for node in model.graph.node}
    assert "Attention" not in ops and {"Softmax", "MatMul"} <= ops
    default = build_graph(TransformerConfig.from_dict(config), weights)
    assert "Attention" in {node.op_type for node in default.graph.node}
    with pytest.raises(ValueError, match="choose one of"):
        build_graph(TransformerConfig.from_dict(config), weights, attention="flash")


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_a_text_alone_and_padded_in_a_batch_get_the_same_outputs(attention: str) -> None:
    heads = ("hidden", "token_linear", "colbert")
    config, weights = _checkpoint("xlm-roberta", heads)
    model = build_graph(TransformerConfig.from_dict(config), weights, heads, attention=attention)
    batch = _batch(config, [9, 4, 14], seed=3)
    alone = {k: v[1:2, :4] for k, v in batch.items()}
    for together, single in zip(_run(model, batch), _run(model, alone)):
        np.testing.assert_allclose(together[1:2, : single.shape[1]], single, atol=1e-5)


def test_tied_decoder_shares_the_word_table_and_untied_uses_its_own() -> None:
    config = BERT_TINY
    tied = random_weights(config, seed=4, architecture="masked_lm")
    untied = random_weights(config, seed=4, architecture="masked_lm", tied=False)
    assert "cls.predictions.decoder.weight" not in tied
    feed = _batch(config, [6, 3])
    outputs = {}
    for name, weights in (("tied", tied), ("untied", untied)):
        model = build_graph(TransformerConfig.from_dict(config), weights, ("mlm",))
        assert len(_vocab_tables(model)) == (1 if name == "tied" else 2)  # the tied table is stored once
        (outputs[name],) = _run(model, feed)
        want = forward(config, weights, feed["input_ids"], feed["attention_mask"], heads=("mlm",))["mlm"]
        np.testing.assert_allclose(outputs[name], want, atol=ATOL, rtol=0)
    assert np.abs(outputs["tied"] - outputs["untied"]).max() > 1.0


def _vocab_tables(model: onnx.ModelProto) -> list[str]:
    return [t.name for t in model.graph.initializer if "word_embeddings" in t.name or "decoder.weight" in t.name]


def test_a_decoder_weight_equal_to_the_word_table_is_stored_once() -> None:
    weights = random_weights(XLMR_TINY, seed=2, architecture="masked_lm")
    weights["lm_head.decoder.weight"] = weights["roberta.embeddings.word_embeddings.weight"].copy()
    model = build_graph(TransformerConfig.from_dict(XLMR_TINY), weights, ("splade",))
    tables = _vocab_tables(model)
    assert len(tables) == 1 and tables[0].startswith("word_embeddings")


def test_bge_m3_heads_in_one_pass_equal_the_reference_and_single_head_graphs() -> None:
    heads = ("hidden", "token_linear", "colbert")
    config = XLMR_TINY
    base = random_weights(config, seed=8)
    separate = random_bge_m3_heads(config, seed=9)
    parsed = TransformerConfig.from_dict(config)
    weights = Weights.of(base, parsed)
    for module, tensors in separate.items():
        weights = weights.with_tensors(module, tensors)
    model = build_graph(parsed, weights, heads)
    assert [o.name for o in model.graph.output] == [HEAD_OUTPUTS[h] for h in heads]
    assert sum(n.op_type == "EmbedLayerNormalization" for n in model.graph.node) == 1
    feed = _batch(config, [10, 3, 6], seed=5)
    got = dict(zip(heads, _run(model, feed)))
    want = forward(config, with_heads(base, separate), feed["input_ids"], feed["attention_mask"], heads=heads)
    for head in heads:
        np.testing.assert_allclose(got[head], want[head], atol=ATOL, rtol=0, err_msg=head)
        (alone,) = _run(build_graph(parsed, weights, (head,)), feed)
        np.testing.assert_allclose(got[head], alone, atol=1e-6, err_msg=head)
    assert got["colbert"].shape == (3, 9, config["hidden_size"])


def test_splade_and_mlm_share_one_decoder_gemm() -> None:
    config, weights = _checkpoint("bert", ("mlm", "splade"))
    model = build_graph(TransformerConfig.from_dict(config), weights, ("mlm", "splade"))
    assert sum(n.op_type == "Gemm" and any(a.name == "transB" for a in n.attribute) for n in model.graph.node) == 1
    feed = _batch(config, [8, 2])
    mlm, splade = _run(model, feed)
    want = forward(config, weights, feed["input_ids"], feed["attention_mask"], heads=("mlm", "splade"))
    np.testing.assert_allclose(mlm, want["mlm"], atol=ATOL, rtol=0)
    np.testing.assert_allclose(splade, want["splade"], atol=ATOL, rtol=0)
    assert splade.shape == (2, config["vocab_size"]) and splade.min() >= 0


def test_bert_classifier_reads_sentence_pair_token_types() -> None:
    config, weights = _checkpoint("bert", ("classifier",), seed=6)
    feed = _batch(config, [9, 6, 4], seed=6)
    types = np.zeros_like(feed["input_ids"])
    types[0, 4:9], types[1, 3:6] = 1, 1
    model = build_graph(TransformerConfig.from_dict(config), weights, ("classifier",), token_type_ids=True)
    assert [i.name for i in model.graph.input] == ["input_ids", "attention_mask", "token_type_ids"]
    (got,) = _run(model, {**feed, "token_type_ids": types})
    want = forward(config, weights, feed["input_ids"], feed["attention_mask"], heads=("classifier",),
                   token_type_ids=types)["classifier"]
    np.testing.assert_allclose(got, want, atol=ATOL, rtol=0)
    typeless = forward(config, weights, feed["input_ids"], feed["attention_mask"], heads=("classifier",))
    assert np.abs(typeless["classifier"][:2] - want[:2]).max() > 1e-3  # the types do change the scores


def test_saved_xlmr_folder_loads_strips_roberta_prefix_and_tokenizes(tmp_path: Path) -> None:
    from tokenizers import Tokenizer

    weights = random_weights(XLMR_TINY, seed=12, architecture="masked_lm")
    folder = save_hf_folder(tmp_path / "xlmr", XLMR_TINY, weights, architecture="masked_lm")
    config = TransformerConfig.from_file(folder / "config.json")
    loaded = load_weights(folder / "model.safetensors", config)
    assert "embeddings.word_embeddings.weight" in loaded and "lm_head.dense.weight" in loaded
    assert not any(name.startswith("roberta.") for name in loaded)
    encoding = Tokenizer.from_file(str(folder / "tokenizer.json")).encode("the cat sat")
    ids = np.array([encoding.ids], dtype=np.int64)
    assert encoding.ids[0] == 0 and encoding.ids[-1] == 2 and len(encoding.ids) == 5
    (got,) = _run(build_graph(config, loaded, ("splade",)), {"input_ids": ids, "attention_mask": np.ones_like(ids)})
    want = forward(XLMR_TINY, weights, ids, np.ones_like(ids), heads=("splade",))["splade"]
    np.testing.assert_allclose(got, want, atol=ATOL, rtol=0)


def test_int8_rewrites_the_layer_stack_and_leaves_heads_in_fp32() -> None:
    config, weights = _checkpoint("xlm-roberta", ("classifier",), seed=13)
    model = build_graph(TransformerConfig.from_dict(config), weights, ("classifier",))
    batches = [_batch(config, [12, 5, 9, 20], seed=s) for s in range(3)]
    quantized = quantize_int8(model, calibrate(model, batches))
    ops = [n.op_type for n in quantized.graph.node]
    assert ops.count("MatMulIntegerToFloat") == 6 * config["num_hidden_layers"]
    head_gemms = [n.input[1] for n in quantized.graph.node if n.op_type == "Gemm" and "classifier." in n.input[1]]
    assert len(head_gemms) == 2
    feed = _batch(config, [11, 4], seed=9)
    np.testing.assert_allclose(_run(quantized, feed)[0], _run(model, feed)[0], atol=0.05)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model_type": "gpt2"}, "model_type='gpt2'"),
        ({"hidden_act": "gelu_new"}, "hidden_act"),
        ({"position_embedding_type": "relative_key_query"}, "absolute"),
        ({"num_attention_heads": 5}, "multiple of num_attention_heads"),
        ({"is_decoder": True}, "decoder"),
        ({"pad_token_id": 64}, "pad_token_id"),
        ({"max_position_embeddings": 2}, "leaves no positions"),
        ({"hidden_size": 0}, "positive integer"),
    ],
)
def test_config_refuses_what_the_builder_cannot_build(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TransformerConfig.from_dict({**XLMR_TINY, **change})


def test_config_families_and_position_rules() -> None:
    xlmr = TransformerConfig.from_dict({**XLMR_TINY, "architectures": ["XLMRobertaModel"]})
    roberta = TransformerConfig.from_dict({**XLMR_TINY, "model_type": "roberta"})
    bert = TransformerConfig.from_dict({**BERT_TINY, "pad_token_id": None})
    assert (xlmr.family, xlmr.weight_prefix, xlmr.position_offset, xlmr.positions_skip_padding) == (
        "roberta", "roberta.", 2, True)
    assert roberta.family == "roberta"
    assert (bert.family, bert.weight_prefix, bert.position_offset, bert.pad_token_id) == ("bert", "bert.", 0, 0)


@pytest.mark.parametrize(
    ("heads", "error", "message"),
    [
        ("hidden", TypeError, r"\('hidden',\)"),
        ((), ValueError, "at least one head"),
        (("hidden", "pooled"), ValueError, "unknown head"),
        (("hidden", "hidden"), ValueError, "twice"),
    ],
)
def test_bad_head_lists_are_refused(heads: Any, error: type[Exception], message: str) -> None:
    config, weights = _checkpoint("bert", ("hidden",))
    with pytest.raises(error, match=message):
        build_graph(TransformerConfig.from_dict(config), weights, heads)


def test_missing_tensors_are_named_with_advice() -> None:
    config = TransformerConfig.from_dict(XLMR_TINY)
    base = random_weights(XLMR_TINY)
    with pytest.raises(ValueError, match=r"'sparse_linear\.weight'.*sparse_linear\.pt"):
        build_graph(config, base, ("token_linear",))
    with pytest.raises(ValueError, match=r"'classifier\.dense\.weight'"):
        build_graph(config, base, ("classifier",))
    with pytest.raises(ValueError, match=r"'lm_head\.dense\.weight'"):
        build_graph(config, base, ("mlm",))
    masked_lm = random_weights(XLMR_TINY, architecture="masked_lm")
    del masked_lm["lm_head.bias"]
    with pytest.raises(ValueError, match=r"no MLM decoder bias \(looked for \('lm_head\.bias'"):
        build_graph(config, masked_lm, ("mlm",))
    with pytest.raises(ValueError, match="only one token type"):
        build_graph(config, base, token_type_ids=True)
    short = {**base, "embeddings.position_embeddings.weight": base["embeddings.position_embeddings.weight"][:10]}
    with pytest.raises(ValueError, match="max_position_embeddings=26"):
        build_graph(config, short)
