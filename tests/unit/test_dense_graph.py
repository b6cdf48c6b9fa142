"""The ONNX graph builder's BERT encoder (the hidden-state head, as dense embeddings use it) against the float64
numpy reference on a tiny random model, and its input validation. Other heads and XLM-R: test_engine_graph.py."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from safetensors.numpy import save_file

from sparsebolt.engine.config import TransformerConfig
from sparsebolt.engine.graph import HEAD_OUTPUTS, build_graph
from sparsebolt.engine.weights import load_weights
from tests.unit.dense_tiny import TINY_CONFIG, bert_forward, tiny_weights

OUTPUT_NAME = HEAD_OUTPUTS["hidden"]
CONFIG = TransformerConfig.from_dict(TINY_CONFIG)


def _run(model, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run([OUTPUT_NAME], {"input_ids": ids, "attention_mask": mask})[0]


@pytest.mark.parametrize("lengths", [[1], [2], [5, 3], [9, 2, 7, 9], [24, 1]])
def test_graph_matches_numpy_bert_on_valid_tokens(lengths: list[int]) -> None:
    rng = np.random.default_rng(len(lengths))
    weights = tiny_weights(seed=3)
    seq = max(lengths)
    ids = rng.integers(0, TINY_CONFIG["vocab_size"], size=(len(lengths), seq)).astype(np.int64)
    mask = (np.arange(seq)[None, :] < np.array(lengths)[:, None]).astype(np.int64)
    ids[mask == 0] = 0

    got = _run(build_graph(CONFIG, weights), ids, mask)
    want = bert_forward(weights, TINY_CONFIG, ids, mask)

    assert got.shape == (len(lengths), seq, TINY_CONFIG["hidden_size"]) and got.dtype == np.float32
    valid = mask.astype(bool)
    np.testing.assert_allclose(got[valid], want[valid], atol=2e-5, rtol=0)


def test_padding_does_not_change_valid_tokens() -> None:
    weights = tiny_weights(seed=5)
    model = build_graph(CONFIG, weights)
    ids = np.array([[2, 7, 8, 9, 3]], dtype=np.int64)
    alone = _run(model, ids, np.ones_like(ids))
    padded_ids = np.concatenate([ids, np.zeros((1, 6), np.int64)], axis=1)
    padded_mask = (padded_ids != 0).astype(np.int64)
    padded = _run(model, padded_ids, padded_mask)
    np.testing.assert_allclose(padded[0, :5], alone[0], atol=1e-5)


def test_load_weights_strips_bert_prefix_and_builds(tmp_path) -> None:
    path = tmp_path / "model.safetensors"
    save_file(tiny_weights(prefix="bert."), str(path))
    weights = load_weights(path, CONFIG)
    assert "embeddings.word_embeddings.weight" in weights
    assert not any(k.startswith("bert.") for k in weights)
    build_graph(CONFIG, weights)


def test_missing_tensor_names_the_tensor() -> None:
    weights = tiny_weights()
    del weights["encoder.layer.1.output.dense.weight"]
    with pytest.raises(ValueError, match=r"encoder\.layer\.1\.output\.dense\.weight"):
        build_graph(CONFIG, weights)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model_type": "gpt2"}, "model_type='gpt2'"),
        ({"model_type": "distilbert"}, "model_type='distilbert'"),
        ({"hidden_act": "relu"}, "hidden_act"),
        ({"num_attention_heads": 5}, "multiple of num_attention_heads"),
        ({"position_embedding_type": "relative_key"}, "absolute"),
    ],
)
def test_config_rejects_what_the_builder_cannot_build(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TransformerConfig.from_dict({**TINY_CONFIG, **change})


def test_config_ignores_unrelated_fields() -> None:
    config = TransformerConfig.from_dict({**TINY_CONFIG, "architectures": ["BertModel"], "use_cache": True})
    assert config.hidden_size == 32 and config.num_hidden_layers == 2
