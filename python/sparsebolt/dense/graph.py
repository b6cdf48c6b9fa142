"""BERT encoder as an ONNX graph, built from ``config.json`` + safetensors weights with the ``onnx`` package only
(no PyTorch). Owns the architecture and the op layout that runs fastest on ONNX Runtime's CPU kernels."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

__all__ = [
    "GRAPH_VERSION",
    "INPUT_NAMES",
    "OUTPUT_NAME",
    "BertConfig",
    "GraphBuilder",
    "build_bert_graph",
    "load_bert_weights",
]

INPUT_NAMES = ("input_ids", "attention_mask")
OUTPUT_NAME = "last_hidden_state"
MS_DOMAIN = "com.microsoft"
# ai.onnx 23 has Attention (onnxruntime >= 1.23 runs it); contrib ops are versioned separately (domain version 1).
OPSET = 23
IR_VERSION = 11
# Bump when the graph layout changes: it is part of the cache key, so old cached graphs are rebuilt.
GRAPH_VERSION = 1

_SUPPORTED_MODEL_TYPES = ("bert",)
_SUPPORTED_ACTIVATIONS = ("gelu",)


@dataclasses.dataclass(frozen=True)
class BertConfig:
    """The fields of a Hugging Face ``config.json`` that shape a BERT encoder."""

    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    hidden_act: str = "gelu"

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> BertConfig:
        model_type = raw.get("model_type", "bert")
        if model_type not in _SUPPORTED_MODEL_TYPES:
            raise ValueError(
                f"config.json has model_type={model_type!r}; the ONNX builder supports {_SUPPORTED_MODEL_TYPES}. "
                "Export other architectures to model.onnx yourself and pass that folder as model_path."
            )
        if raw.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError("only position_embedding_type='absolute' is supported by the BERT graph builder")
        names = {f.name for f in dataclasses.fields(cls)}
        config = cls(**{k: v for k, v in raw.items() if k in names})
        if config.hidden_act not in _SUPPORTED_ACTIVATIONS:
            raise ValueError(
                f"hidden_act={config.hidden_act!r} is not supported; expected one of {_SUPPORTED_ACTIVATIONS}"
            )
        if config.hidden_size % config.num_attention_heads:
            raise ValueError(
                f"hidden_size {config.hidden_size} is not a multiple of "
                f"num_attention_heads {config.num_attention_heads}"
            )
        return config

    @classmethod
    def from_file(cls, path: Path) -> BertConfig:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def load_bert_weights(path: Path) -> dict[str, np.ndarray]:
    """Read a BERT checkpoint from safetensors as float32 arrays, names without the ``bert.`` prefix."""
    from safetensors.numpy import load_file

    raw = load_file(str(path))
    weights = {}
    for name, value in raw.items():
        key = name[len("bert.") :] if name.startswith("bert.") else name
        weights[key] = value.astype(np.float32) if np.issubdtype(value.dtype, np.floating) else value
    return weights


class GraphBuilder:
    """Collects nodes and initializers under unique names; a thin layer over ``onnx.helper``."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def fresh(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{self._count}"

    def const(self, stem: str, value: np.ndarray) -> str:
        name = self.fresh(stem)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, op_type: str, inputs: list[str], n_out: int = 1, *, domain: str = "", **attrs: Any) -> list[str]:
        outputs = [self.fresh(op_type.lower()) for _ in range(n_out)]
        name = self.fresh(op_type)
        self.nodes.append(helper.make_node(op_type, inputs, outputs, name=name, domain=domain or None, **attrs))
        return outputs


def _get(weights: Mapping[str, np.ndarray], key: str) -> np.ndarray:
    try:
        return weights[key]
    except KeyError:
        raise ValueError(f"the checkpoint has no tensor {key!r}; is this a BERT model saved by transformers?") from None


def build_bert_graph(config: BertConfig, weights: Mapping[str, np.ndarray]) -> onnx.ModelProto:
    """The BERT encoder: ``(input_ids, attention_mask) -> last_hidden_state``, [batch, seq, hidden] float32.

    Layout, chosen by measurement on ONNX Runtime's CPU kernels (bench/README_dense.md):
    - embeddings: EmbedLayerNormalization, with token type 0 folded into the position table (sentence encoders
      feed one segment);
    - activations flattened to [tokens, hidden] so that every linear layer is one Gemm with its bias inside;
      these Gemms are what quantize.py rewrites;
    - attention: ONNX Attention-23 on separate Q, K, V with a boolean [batch, 1, seq, seq] key mask (1.3-1.6x
      faster here than the com.microsoft MultiHeadAttention/Attention kernels with a mask);
    - residual Add + LayerNormalization, not SkipLayerNormalization (4x slower on CPU), and exact (erf) Gelu.
    Padding must be on the right; padded rows come out as well-defined garbage that pooling masks away.
    """
    g = GraphBuilder()
    hidden, heads, eps = config.hidden_size, config.num_attention_heads, float(config.layer_norm_eps)
    i64 = lambda *values: np.array(values, dtype=np.int64)  # noqa: E731

    # shapes: [B, S] -> [B, S, H] for attention, [B*S, H] everywhere else (Reshape aliases, it does not copy)
    shape_bs = g.op("Shape", ["input_ids"])[0]
    shape_bsh = g.op("Concat", [shape_bs, g.const("hidden", i64(hidden))], axis=0)[0]
    flat = g.const("flat", i64(-1, hidden))
    batch = g.op("Slice", [shape_bs, g.const("zero", i64(0)), g.const("one", i64(1))])[0]
    seq = g.op("Slice", [shape_bs, g.const("one", i64(1)), g.const("two", i64(2))])[0]
    key_ok = g.op("Cast", ["attention_mask"], to=TensorProto.BOOL)[0]
    key_ok = g.op("Unsqueeze", [key_ok, g.const("axes", i64(1, 2))])[0]
    mask_shape = g.op("Concat", [batch, g.const("one", i64(1)), seq, seq], axis=0)[0]
    # ORT's Attention-23 does not broadcast the query axis of the mask, so it is expanded once for all layers.
    attn_mask = g.op("Expand", [key_ok, mask_shape])[0]

    positions = _get(weights, "embeddings.position_embeddings.weight")
    type0 = _get(weights, "embeddings.token_type_embeddings.weight")[0]
    x = g.op(
        "EmbedLayerNormalization",
        [
            g.op("Cast", ["input_ids"], to=TensorProto.INT32)[0],
            "",
            g.const("word_embeddings", _get(weights, "embeddings.word_embeddings.weight")),
            g.const("position_embeddings", positions + type0[None, :]),
            "",
            g.const("embeddings_ln_gamma", _get(weights, "embeddings.LayerNorm.weight")),
            g.const("embeddings_ln_beta", _get(weights, "embeddings.LayerNorm.bias")),
        ],
        2,
        domain=MS_DOMAIN,
        epsilon=eps,
    )[0]
    x = g.op("Reshape", [x, flat])[0]

    for i in range(config.num_hidden_layers):
        layer = _Layer(g, weights, f"encoder.layer.{i}.")
        q, k, v = (
            g.op("Reshape", [layer.linear(x, f"attention.self.{name}"), shape_bsh])[0]
            for name in ("query", "key", "value")
        )
        attn = g.op("Attention", [q, k, v, attn_mask], q_num_heads=heads, kv_num_heads=heads)[0]
        attn = layer.linear(g.op("Reshape", [attn, flat])[0], "attention.output.dense")
        x = layer.add_norm(attn, x, "attention.output.LayerNorm", eps)
        h = g.op("Gelu", [layer.linear(x, "intermediate.dense")], domain=MS_DOMAIN)[0]
        x = layer.add_norm(layer.linear(h, "output.dense"), x, "output.LayerNorm", eps)

    g.nodes.append(helper.make_node("Reshape", [x, shape_bsh], [OUTPUT_NAME], name="output"))
    batch_seq = ["batch", "sequence"]
    graph = helper.make_graph(
        g.nodes,
        "bert_encoder",
        [helper.make_tensor_value_info(name, TensorProto.INT64, batch_seq) for name in INPUT_NAMES],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [*batch_seq, hidden])],
        g.initializers,
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid(MS_DOMAIN, 1)]
    return helper.make_model(graph, opset_imports=opsets, producer_name="sparsebolt", ir_version=IR_VERSION)


class _Layer:
    """The tensors of one encoder layer, emitted as Gemm / Add+LayerNormalization nodes."""

    def __init__(self, g: GraphBuilder, weights: Mapping[str, np.ndarray], prefix: str) -> None:
        self.g, self.weights, self.prefix = g, weights, prefix

    def linear(self, x: str, module: str) -> str:
        name = self.prefix + module
        weight = _get(self.weights, name + ".weight").T  # nn.Linear stores [out, in]; Gemm's B is [in, out]
        bias = _get(self.weights, name + ".bias")
        return self.g.op("Gemm", [x, self.g.const(name + ".weight", weight), self.g.const(name + ".bias", bias)])[0]

    def add_norm(self, h: str, residual: str, module: str, eps: float) -> str:
        name = self.prefix + module
        gamma = self.g.const(name + ".weight", _get(self.weights, name + ".weight"))
        beta = self.g.const(name + ".bias", _get(self.weights, name + ".bias"))
        summed = self.g.op("Add", [h, residual])[0]
        return self.g.op("LayerNormalization", [summed, gamma, beta], axis=-1, epsilon=eps)[0]
