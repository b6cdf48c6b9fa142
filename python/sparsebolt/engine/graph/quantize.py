"""int8 version of a built encoder graph: each constant-weight Gemm of the layer stack becomes ONNX Runtime's
uint8 x int8 MatMulIntegerToFloat on row-normalized activations (per-token int8 scales), with SmoothQuant smoothing
and fp32 outlier channels for LayerNorm outputs and GPTQ-rounded weights, calibrated on a bundled text set."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import onnx
from onnx import helper, numpy_helper

from .emit import MS_DOMAIN, Emitter

__all__ = [
    "QUANT_VERSION",
    "Calibration",
    "calibrate",
    "gptq_quantize_weight",
    "outlier_channels",
    "quantize_int8",
    "quantize_weight",
    "smoothing_factors",
]

# Bump when the recipe changes: it is part of the cache key of int8 graphs.
QUANT_VERSION = 1
# SmoothQuant migration strength (Xiao et al., 2023, eq. 4) for inputs that come out of a LayerNormalization;
# 0.8 measured best on the reference set before outlier channels were split off (mean 1-cos 0.5: 1.8e-3,
# 0.8: 1.0e-3, 0.9: 1.2e-3). Other inputs (attention context, GELU output) lost fidelity when smoothed.
SMOOTHING_ALPHA = 0.8
# GPTQ's dampening, as a fraction of the Hessian's mean diagonal (Frantar et al., 2023, section 4).
GPTQ_DAMP = 0.1
_TINY = 1e-12
# LayerNorm output channels whose calibrated max |x| is over 5x the median channel's keep their share of the
# product in fp32 (measured on the reference set: none 1.1e-3 mean 1-cos, ratio 8 7.1e-4, ratio 5 5.4e-4 when
# applied to all inputs; 7.6e-4 on LayerNorm outputs only, which costs 7% of int8 speed instead of 16%).
OUTLIER_RATIO = 5.0
MAX_OUTLIERS = 16
_GELU_MIN_ABS = 0.17  # min over x of x * Phi(x) is -0.16997 (at x = -0.7518)
# Only the layer stack is rewritten: heads stay fp32 (their Gemms read one row per sequence, e.g. the pooler's,
# which per-token calibration does not describe, or are small next to the stack).
_ENCODER_WEIGHTS = "encoder.layer."
# The rewrite's names live under this scope, which the fp32 builder never uses.
_SCOPE = "q8/"


@dataclasses.dataclass
class Calibration:
    """Per Gemm input: the per-channel max |x| and the Gram matrix X^T X over the real (unpadded) tokens."""

    ranges: dict[str, np.ndarray]
    hessians: dict[str, np.ndarray]
    tokens: int = 0


def _quantizable(model: onnx.ModelProto, keep: Sequence[str] = ()) -> list[onnx.NodeProto]:
    constants = {t.name for t in model.graph.initializer}
    return [
        n
        for n in model.graph.node
        if n.op_type == "Gemm"
        and n.input[1] in constants
        and n.input[1].startswith(_ENCODER_WEIGHTS)
        and not any(a.name in ("transA", "transB") and a.i for a in n.attribute)
        and not any(k in n.input[1] for k in keep)
    ]


def calibrate(model: onnx.ModelProto, batches: Iterable[Mapping[str, np.ndarray]]) -> Calibration:
    """Run the fp32 graph on ``batches`` (feeds with ``input_ids`` and ``attention_mask``) with every quantizable
    Gemm's input exposed as an extra output, and collect what smoothing and GPTQ need."""
    import onnxruntime as ort

    names = sorted({n.input[0] for n in _quantizable(model)})
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    probe.graph.output.extend(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None) for name in names)
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    found = Calibration({}, {})
    for feed in batches:
        valid = np.asarray(feed["attention_mask"]).reshape(-1) > 0
        found.tokens += int(valid.sum())
        for name, value in zip(names, session.run(names, dict(feed))):
            rows = value.reshape(valid.size, -1)[valid].astype(np.float64)
            peak = np.abs(rows).max(axis=0)
            found.ranges[name] = np.maximum(found.ranges[name], peak) if name in found.ranges else peak
            found.hessians[name] = found.hessians.get(name, 0) + rows.T @ rows
    return found


def smoothing_factors(act_max: np.ndarray, weights: Sequence[np.ndarray], alpha: float = SMOOTHING_ALPHA) -> np.ndarray:
    """s_j = max|X_j|^alpha / max_k |W_jk|^(1-alpha), over every weight (Gemm B, [in, out]) that reads channel j."""
    w_max = np.max([np.abs(w).max(axis=1) for w in weights], axis=0)
    s = np.power(np.maximum(act_max, 1e-5), alpha) / np.power(np.maximum(w_max, 1e-5), 1.0 - alpha)
    return s.astype(np.float32)


def outlier_channels(act_max: np.ndarray) -> np.ndarray:
    """Input channels whose calibrated max |x| exceeds OUTLIER_RATIO x the median channel's, largest first, at
    most MAX_OUTLIERS: their share of the product is computed in fp32 (LLM.int8(), Dettmers et al., 2022)."""
    ratio = act_max / max(float(np.median(act_max)), _TINY)
    found = np.flatnonzero(ratio > OUTLIER_RATIO)
    return found[np.argsort(-ratio[found])][:MAX_OUTLIERS].astype(np.int64)


def _column_scales(weight: np.ndarray) -> np.ndarray:
    scale = np.abs(weight).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    return scale


def quantize_weight(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Round to nearest, symmetric int8 per output column: w ~= q * scale, scale = max|w_col| / 127."""
    scale = _column_scales(weight)
    q = np.clip(np.round(weight / scale), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def gptq_quantize_weight(
    weight: np.ndarray, hessian: np.ndarray, damp: float = GPTQ_DAMP
) -> tuple[np.ndarray, np.ndarray]:
    """GPTQ (Frantar et al., 2023, algorithm 1) with the per-column scales of :func:`quantize_weight`.

    Input rows of ``weight`` ([in, out]) are rounded one at a time and each rounding error is spread over the
    rows not yet rounded through the inverse Hessian H = X^T X of the calibration inputs, which minimizes
    ||X W - X Q||^2 instead of ||W - Q||^2.
    """
    w = weight.astype(np.float64)
    scale = _column_scales(w)
    h = np.array(hessian, dtype=np.float64)
    dead = np.diag(h) == 0  # channels never active in calibration: nothing to compensate through them
    h[dead, dead] = 1.0
    h += damp * np.mean(np.diag(h)) * np.eye(len(h))
    upper = np.linalg.cholesky(np.linalg.inv(h)).T
    q = np.empty_like(w)
    for k in range(w.shape[0]):
        q[k] = np.clip(np.round(w[k] / scale), -127, 127)
        err = (w[k] - q[k] * scale) / upper[k, k]
        w[k + 1 :] -= np.outer(upper[k, k + 1 :], err)
    return q.astype(np.int8), scale.astype(np.float32)


WEIGHT_TYPES = ("int8", "uint8")


def quantize_int8(
    model: onnx.ModelProto, calibration: Calibration, *, keep: Sequence[str] = (), weight_type: str | None = None
) -> onnx.ModelProto:
    """Rewrite each constant-weight Gemm ``y = x W + b`` of the layer stack (except those whose weight name
    contains a ``keep`` entry) as ``y = r * MatMulIntegerToFloat(DynamicQuantizeLinear(x' / r), Q) + x_O W_O + b``.

    - ``r`` is each row's max |x'|: dividing by it gives every token its own int8 scale inside ONNX Runtime's
      per-tensor quantizer. BERT's [CLS]/[SEP] rows carry activations hundreds of times their median, which
      would otherwise set the step for every token. (The uint8 zero point is still per tensor, so a text's
      vector moves slightly with its batch: mean 1 - cos 5e-4 between a text alone and in a batch of 32. A
      fixed symmetric zero point would remove that but measured 1.0e-3 against the reference, not 7.6e-4.)
    - For LayerNormalization outputs, ``x'`` is ``x / s`` with ``Q ~ diag(s) W`` (SmoothQuant), computed as a
      second LayerNormalization with gamma/s and beta/s (the original still feeds the residual); its outlier
      channels ``O`` (:func:`outlier_channels`) come out as zero there and ``x_O W_O + b`` is one small fp32
      Gemm that also carries the bias.
    - ``Q`` is GPTQ-rounded against the calibration Gram matrix of ``x'``.
    Gemms sharing an input (Q, K, V) share one smoothing, one row scale and one quantized activation.

    ``weight_type`` is how ``Q`` is stored: ``"int8"``, or ``"uint8"`` as ``Q + 128`` with zero point 128 (the
    same values) for CPUs whose uint8 x int8 kernels saturate; None picks this CPU's
    (:func:`~sparsebolt.engine.precision.int8_weight_type`).
    """
    if weight_type is None:
        from sparsebolt.engine.precision import int8_weight_type

        weight_type = int8_weight_type()
    if weight_type not in WEIGHT_TYPES:
        raise ValueError(f"weight_type {weight_type!r} is not one of {WEIGHT_TYPES}")
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    inits = {t.name: t for t in graph.initializer}
    producers = {o: n for n in graph.node for o in n.output}
    groups: dict[str, list[onnx.NodeProto]] = defaultdict(list)
    for node in _quantizable(out, keep):
        groups[node.input[0]].append(node)

    emit = Emitter(_SCOPE)
    axes = emit.named_const("axes", np.array([1], dtype=np.int64))
    tiny = emit.named_const("tiny", np.array([_TINY], dtype=np.float32))
    gelu_floor = emit.named_const("gelu_floor", np.array([_GELU_MIN_ABS], dtype=np.float32))
    replaced: dict[str, list[onnx.NodeProto]] = {}
    dropped: set[str] = set()
    for x, nodes in groups.items():
        weights = [numpy_helper.to_array(inits[n.input[1]]) for n in nodes]
        producer = producers.get(x)
        channels = weights[0].shape[0]
        keep_mask = np.ones(channels, dtype=np.float32)
        prologue_start = len(emit.nodes)
        if producer is not None and producer.op_type == "LayerNormalization" and len(producer.input) == 3:
            outliers = outlier_channels(calibration.ranges[x])
            keep_mask[outliers] = 0.0
            s = smoothing_factors(calibration.ranges[x], weights)
            s[outliers] = 1.0
            x_in = _smoothed_layer_norm(emit, producer, s, inits, keep_mask)  # outlier channels come out as 0
        else:
            outliers = np.zeros(0, dtype=np.int64)
            s = np.ones(channels, dtype=np.float32)
            x_in = x
        if producer is not None and producer.op_type == "Gelu":
            # GELU(x) >= -0.17, so max|y| = max(max y, 0.17) at most: no Abs pass over the widest activation
            row = emit.op("Max", [emit.op("ReduceMax", [x_in, axes], keepdims=1)[0], gelu_floor])[0]
        else:
            row = emit.op("Max", [emit.op("ReduceMax", [emit.op("Abs", [x_in])[0], axes], keepdims=1)[0], tiny])[0]
        x_norm = emit.op("Div", [x_in, row])[0]
        # quantized once and shared by the Gemms of this input (Q, K and V)
        x_q, x_scale, x_zero = emit.op("DynamicQuantizeLinear", [x_norm], n_out=3)
        x_out = emit.op("Gather", [x, emit.named_const(x + ".outliers", outliers)], axis=1)[0] if outliers.size else ""
        prologue = emit.nodes[prologue_start:]
        hessian = calibration.hessians[x] / np.outer(s, s) * np.outer(keep_mask, keep_mask)  # Gram matrix of x'
        for i, (node, weight) in enumerate(zip(nodes, weights)):
            q, scale = gptq_quantize_weight(weight * (s * keep_mask)[:, None], hessian)
            start = len(emit.nodes)
            scale_name = emit.named_const(node.input[1] + ".scale", scale)
            inputs = [x_q, "", x_scale, scale_name, x_zero]
            if weight_type == "int8":
                inputs[1] = emit.named_const(node.input[1] + ".int8", q)
            else:
                inputs[1] = emit.named_const(node.input[1] + ".uint8", (q.astype(np.int16) + 128).astype(np.uint8))
                inputs.append(emit.named_const(node.input[1] + ".zero", np.full(q.shape[1], 128, dtype=np.uint8)))
            z = emit.op("MatMulIntegerToFloat", inputs, domain=MS_DOMAIN)[0]
            scaled = emit.op("Mul", [z, row])[0]
            bias = node.input[2] if len(node.input) > 2 and node.input[2] else ""
            if x_out:
                # the outlier channels' share in fp32, with the bias: it replaces the bias Add
                rows = emit.named_const(node.input[1] + ".outlier_rows", weight[outliers])
                inputs = [x_out, rows] + ([bias] if bias else [])
                emit.op("Add", [scaled, emit.op("Gemm", inputs)[0]], outputs=list(node.output))
            elif bias:
                emit.op("Add", [scaled, bias], outputs=list(node.output))
            else:
                emit.op("Identity", [scaled], outputs=list(node.output))
            replaced[node.name] = (prologue if i == 0 else []) + emit.nodes[start:]
            dropped.add(node.input[1])

    rewritten = [new for node in graph.node for new in replaced.get(node.name, [node])]
    del graph.node[:]
    graph.node.extend(rewritten)
    kept = [t for t in graph.initializer if t.name not in dropped]
    del graph.initializer[:]
    graph.initializer.extend(kept + emit.initializers)
    return out


def _smoothed_layer_norm(
    emit: Emitter,
    layer_norm: onnx.NodeProto,
    s: np.ndarray,
    inits: Mapping[str, onnx.TensorProto],
    keep_mask: np.ndarray,
) -> str:
    """A second LayerNormalization on the same input with gamma / s and beta / s (outlier channels zeroed)."""
    gamma = numpy_helper.to_array(inits[layer_norm.input[1]]) / s * keep_mask
    beta = numpy_helper.to_array(inits[layer_norm.input[2]]) / s * keep_mask
    attrs = {a.name: helper.get_attribute_value(a) for a in layer_norm.attribute}
    stem = layer_norm.output[0]
    return emit.op(
        "LayerNormalization",
        [layer_norm.input[0], emit.named_const(stem + ".gamma/s", gamma), emit.named_const(stem + ".beta/s", beta)],
        **attrs,
    )[0]
