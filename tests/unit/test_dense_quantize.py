"""int8 quantization: weight rounding (round-to-nearest and GPTQ), smoothing, and the rewritten graph on a tiny
random BERT against its fp32 graph."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

from sparsebolt.engine.config import TransformerConfig
from sparsebolt.engine.graph import HEAD_OUTPUTS, build_graph
from sparsebolt.engine.graph.quantize import (
    OUTLIER_RATIO,
    calibrate,
    gptq_quantize_weight,
    outlier_channels,
    quantize_int8,
    quantize_weight,
    smoothing_factors,
)
from sparsebolt.engine.precision import int8_weight_type
from tests.unit.dense_tiny import TINY_CONFIG, tiny_weights

OUTPUT_NAME = HEAD_OUTPUTS["hidden"]


def test_round_to_nearest_error_is_at_most_half_a_step() -> None:
    rng = np.random.default_rng(0)
    w = rng.standard_normal((48, 20)).astype(np.float32)
    w[:, 3] = 0  # an all-zero column keeps a usable scale
    q, scale = quantize_weight(w)
    assert q.dtype == np.int8 and scale.shape == (20,) and np.abs(q).max() <= 127
    assert np.all(np.abs(w - q * scale) <= scale / 2 + 1e-7)
    assert np.all(q[:, 3] == 0)


def test_gptq_lowers_the_output_error_and_equals_rounding_without_correlation() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((400, 64)) @ rng.standard_normal((64, 64))  # correlated inputs
    w = rng.standard_normal((64, 32)).astype(np.float32)
    q_rtn, s_rtn = quantize_weight(w)
    q_gptq, s_gptq = gptq_quantize_weight(w, x.T @ x)
    np.testing.assert_array_equal(s_rtn, s_gptq)
    err_rtn = np.linalg.norm(x @ (w - q_rtn * s_rtn))
    err_gptq = np.linalg.norm(x @ (w - q_gptq * s_gptq))
    assert err_gptq < 0.8 * err_rtn
    q_identity, _ = gptq_quantize_weight(w, np.eye(64) * 10.0)  # nothing to trade: plain rounding
    np.testing.assert_array_equal(q_identity, q_rtn)


def test_smoothing_factors_follow_smoothquant() -> None:
    act = np.array([1.0, 16.0, 0.25])
    w1 = np.array([[0.5, -1.0], [2.0, 0.1], [0.3, 0.2]])
    w2 = np.array([[0.1], [-4.0], [0.1]])
    s = smoothing_factors(act, [w1, w2], alpha=0.5)
    np.testing.assert_allclose(s, np.sqrt(act) / np.sqrt([1.0, 4.0, 0.3]), rtol=1e-6)


def test_outlier_channels_are_the_largest_few() -> None:
    act = np.ones(100)
    act[[7, 42, 3]] = [OUTLIER_RATIO * 4, OUTLIER_RATIO * 2, OUTLIER_RATIO * 0.9]
    np.testing.assert_array_equal(outlier_channels(act), [7, 42])
    assert outlier_channels(np.ones(10)).size == 0
    wide = np.ones(200)
    wide[:50] = 100.0
    assert outlier_channels(wide).size == 16  # capped: a wide spread is not "a few outliers"


def _session(model):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(7)
    weights = tiny_weights(seed=11)
    # BERT-like outlier channels in LayerNorm outputs, so that their fp32 side path is exercised
    weights["encoder.layer.0.attention.output.LayerNorm.weight"][5] = 15.0
    weights["encoder.layer.1.output.LayerNorm.bias"][17] = 12.0
    model = build_graph(TransformerConfig.from_dict(TINY_CONFIG), weights)
    batches = []
    for length in (5, 12, 24, 9):
        ids = rng.integers(4, TINY_CONFIG["vocab_size"], size=(4, length)).astype(np.int64)
        mask = np.ones_like(ids)
        mask[1:, length // 2 :] = 0
        batches.append({"input_ids": ids, "attention_mask": mask})
    return model, batches


def test_calibration_counts_only_real_tokens(tiny) -> None:
    model, batches = tiny
    found = calibrate(model, batches)
    assert found.tokens == sum(int(b["attention_mask"].sum()) for b in batches)
    assert len(found.ranges) == 4 * TINY_CONFIG["num_hidden_layers"]  # LN1 (shared by Q, K, V), context, LN2, GELU
    for name, hessian in found.hessians.items():
        assert hessian.shape == (found.ranges[name].size,) * 2
        np.testing.assert_allclose(hessian, hessian.T)


# int8 weights are exact only where uint8 x int8 products accumulate in int32 (VNNI); uint8 weights everywhere.
WEIGHT_TYPES = ["uint8"] + (["int8"] if int8_weight_type() == "int8" else [])


@pytest.mark.parametrize("weight_type", WEIGHT_TYPES)
def test_int8_graph_tracks_the_fp32_graph(tiny, weight_type) -> None:
    model, batches = tiny
    quantized = quantize_int8(model, calibrate(model, batches), weight_type=weight_type)
    weights = [i for i in quantized.graph.initializer if i.name.endswith((".int8", ".uint8"))]
    assert weights and {i.data_type for i in weights} == {getattr(onnx.TensorProto, weight_type.upper())}
    ops = [n.op_type for n in quantized.graph.node]
    assert ops.count("MatMulIntegerToFloat") == 6 * TINY_CONFIG["num_hidden_layers"]
    fp32_gemms = [n for n in quantized.graph.node if n.op_type == "Gemm"]
    assert fp32_gemms and all(n.input[1].endswith(".outlier_rows") for n in fp32_gemms)  # only outliers stay fp32
    rng = np.random.default_rng(3)
    ids = rng.integers(4, TINY_CONFIG["vocab_size"], size=(3, 17)).astype(np.int64)
    mask = np.ones_like(ids)
    mask[2, 9:] = 0
    feed = {"input_ids": ids, "attention_mask": mask}
    want = _session(model).run([OUTPUT_NAME], feed)[0][mask > 0]
    got = _session(quantized).run([OUTPUT_NAME], feed)[0][mask > 0]
    cosine = (got * want).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)
    assert cosine.min() > 0.999


def test_uint8_weights_hold_the_int8_values_and_the_machine_picks_by_vnni(tiny) -> None:
    model, batches = tiny
    calibration = calibrate(model, batches)
    signed, unsigned = (quantize_int8(model, calibration, weight_type=kind) for kind in ("int8", "uint8"))
    inits = {i.name: numpy_helper.to_array(i) for i in unsigned.graph.initializer}
    for weight in (i for i in signed.graph.initializer if i.name.endswith(".int8")):
        base = weight.name[: -len(".int8")]
        q = numpy_helper.to_array(weight).astype(np.int16)
        np.testing.assert_array_equal(inits[base + ".uint8"].astype(np.int16) - inits[base + ".zero"], q)
    assert int8_weight_type({"avx2", "avx512_vnni"}) == "int8" and int8_weight_type({"avx_vnni"}) == "int8"
    assert int8_weight_type({"avx2", "avx512bw"}) == "uint8" and int8_weight_type(()) == "uint8"
    with pytest.raises(ValueError, match="weight_type 'int4' is not one of"):
        quantize_int8(model, calibration, weight_type="int4")


def test_keep_leaves_named_gemms_in_fp32(tiny) -> None:
    model, batches = tiny
    quantized = quantize_int8(model, calibrate(model, batches), keep=["layer.1.output.dense"])
    kept = [n for n in quantized.graph.node if n.op_type == "Gemm" and not n.input[1].endswith(".outlier_rows")]
    assert len(kept) == 1 and kept[0].input[1].startswith("encoder.layer.1.output.dense.weight")
