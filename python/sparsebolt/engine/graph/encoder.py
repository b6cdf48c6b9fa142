"""The encoder part of the graph: embeddings (BERT; RoBERTa/XLM-R with its position rule) and the layer stack,
in the op layout that runs fastest on ONNX Runtime's CPU kernels. Heads read what it leaves in :class:`Encoded`."""

from __future__ import annotations

import dataclasses

import numpy as np
from onnx import TensorProto

from ..config import TransformerConfig
from ..weights import Weights
from .emit import MS_DOMAIN, Emitter, i64

__all__ = ["ATTENTION_MASK", "INPUT_IDS", "TOKEN_TYPE_IDS", "Encoded", "emit_encoder", "emit_linear"]

INPUT_IDS = "input_ids"
ATTENTION_MASK = "attention_mask"
TOKEN_TYPE_IDS = "token_type_ids"


@dataclasses.dataclass(frozen=True)
class Encoded:
    """Names, in the graph, of what the encoder computed and what heads need from it."""

    hidden: str  # last hidden state flattened to [batch * sequence, hidden]
    shape_bs: str  # int64 [2]: batch, sequence
    shape_bsh: str  # int64 [3]: batch, sequence, hidden
    flat: str  # int64 [2] constant: -1, hidden
    word_embeddings: str  # the [vocab, hidden] table, shared with a tied MLM decoder


ATTENTIONS = ("onnx", "matmul")
"""How attention is written: ``"onnx"``, the Attention-23 operator (fastest on ONNX Runtime); ``"matmul"``, the
classic MatMul -> scale + additive mask -> Softmax -> MatMul, which OpenVINO fuses into its own multi-head
attention kernel (the Attention-23 decomposition keeps NaN guards and Selects that it does not fuse)."""


def emit_encoder(
    g: Emitter, config: TransformerConfig, weights: Weights, *, token_type_ids: bool, attention: str = "onnx"
) -> Encoded:
    """The encoder of ``(input_ids, attention_mask[, token_type_ids])``.

    Layout, chosen by measurement on ONNX Runtime's CPU kernels (docs/dense.md, "The graph"):
    - embeddings: EmbedLayerNormalization. Without ``token_type_ids`` the type-0 row is folded into the position
      table (sentence encoders feed one segment, and RoBERTa has one type). RoBERTa's position ids, counted over
      the non-pad tokens from ``padding_idx + 1``, are computed in the graph and fed to its position_ids input;
    - activations flattened to [tokens, hidden] so that every linear layer is one Gemm with its bias inside;
      these Gemms are what quantize.py rewrites;
    - attention: ONNX Attention-23 on separate Q, K, V with a boolean [batch, 1, seq, seq] key mask (1.3-1.6x
      faster here than the com.microsoft MultiHeadAttention/Attention kernels with a mask); for OpenVINO
      (``attention="matmul"``) the same product written out, with an additive [batch, 1, 1, seq] key bias;
    - residual Add + LayerNormalization, not SkipLayerNormalization (4x slower on CPU), and exact (erf) Gelu.
    Padding must be on the right; padded rows come out as well-defined garbage that heads mask away.
    """
    if attention not in ATTENTIONS:
        raise ValueError(f"attention {attention!r} is not supported; choose one of {ATTENTIONS}")
    hidden, heads, eps = config.hidden_size, config.num_attention_heads, float(config.layer_norm_eps)

    # shapes: [B, S] -> [B, S, H] for attention, [B*S, H] everywhere else (Reshape aliases, it does not copy)
    shape_bs = g.op("Shape", [INPUT_IDS])[0]
    shape_bsh = g.op("Concat", [shape_bs, g.const("hidden", i64(hidden))], axis=0)[0]
    flat = g.const("flat", i64(-1, hidden))
    batch = g.op("Slice", [shape_bs, g.const("zero", i64(0)), g.const("one", i64(1))])[0]
    seq = g.op("Slice", [shape_bs, g.const("one", i64(1)), g.const("two", i64(2))])[0]
    key_ok = g.op("Cast", [ATTENTION_MASK], to=TensorProto.BOOL)[0]
    key_ok = g.op("Unsqueeze", [key_ok, g.const("axes", i64(1, 2))])[0]
    mask_shape = g.op("Concat", [batch, g.const("one", i64(1)), seq, seq], axis=0)[0]
    # ORT's Attention-23 does not broadcast the query axis of the mask, so it is expanded once for all layers.
    attn_mask = g.op("Expand", [key_ok, mask_shape])[0] if attention == "onnx" else _key_bias(g)

    x, word_embeddings = _embeddings(g, config, weights, token_type_ids=token_type_ids)
    x = g.op("Reshape", [x, flat])[0]

    for i in range(config.num_hidden_layers):
        layer = _Layer(g, weights, f"encoder.layer.{i}.")
        q, k, v = (
            g.op("Reshape", [layer.linear(x, f"attention.self.{name}"), shape_bsh])[0]
            for name in ("query", "key", "value")
        )
        if attention == "onnx":
            attn = g.op("Attention", [q, k, v, attn_mask], q_num_heads=heads, kv_num_heads=heads)[0]
        else:
            attn = _matmul_attention(g, q, k, v, attn_mask, heads, hidden)
        attn = layer.linear(g.op("Reshape", [attn, flat])[0], "attention.output.dense")
        x = layer.add_norm(attn, x, "attention.output.LayerNorm", eps)
        h = g.op("Gelu", [layer.linear(x, "intermediate.dense")], domain=MS_DOMAIN)[0]
        x = layer.add_norm(layer.linear(h, "output.dense"), x, "output.LayerNorm", eps)
    return Encoded(hidden=x, shape_bs=shape_bs, shape_bsh=shape_bsh, flat=flat, word_embeddings=word_embeddings)


def _key_bias(g: Emitter) -> str:
    """[batch, 1, 1, seq]: 0 for a token, -10000 for padding (exp underflows to exactly 0 in fp32 and bf16)."""
    keep = g.op("Cast", [ATTENTION_MASK], to=TensorProto.FLOAT)[0]
    pad = g.op("Sub", [g.const("one_f", np.array(1.0, np.float32)), keep])[0]
    bias = g.op("Mul", [pad, g.const("pad_bias", np.array(-10000.0, np.float32))])[0]
    return g.op("Unsqueeze", [bias, g.const("axes", i64(1, 2))])[0]


def _matmul_attention(g: Emitter, q: str, k: str, v: str, key_bias: str, heads: int, hidden: int) -> str:
    """softmax(Q K^T / sqrt(d) + bias) V per head, on [batch, seq, hidden] inputs, back to [batch, seq, hidden]."""
    size = hidden // heads
    split = g.const("split_heads", i64(0, 0, heads, size))
    qh = g.op("Transpose", [g.op("Reshape", [q, split])[0]], perm=[0, 2, 1, 3])[0]
    kt = g.op("Transpose", [g.op("Reshape", [k, split])[0]], perm=[0, 2, 3, 1])[0]
    vh = g.op("Transpose", [g.op("Reshape", [v, split])[0]], perm=[0, 2, 1, 3])[0]
    scores = g.op("MatMul", [qh, kt])[0]
    scores = g.op("Mul", [scores, g.const("scale", np.array(1.0 / np.sqrt(size), np.float32))])[0]
    probs = g.op("Softmax", [g.op("Add", [scores, key_bias])[0]], axis=-1)[0]
    context = g.op("Transpose", [g.op("MatMul", [probs, vh])[0]], perm=[0, 2, 1, 3])[0]
    return g.op("Reshape", [context, g.const("merge_heads", i64(0, 0, hidden))])[0]


def _embeddings(g: Emitter, config: TransformerConfig, weights: Weights, *, token_type_ids: bool) -> tuple[str, str]:
    """word + position (+ token type) embeddings, layer-normalized: [B, S, H], and the word table's name."""
    positions = weights.require("embeddings.position_embeddings.weight")
    types = weights.require("embeddings.token_type_embeddings.weight")
    if positions.shape[0] != config.max_position_embeddings:
        raise ValueError(
            f"embeddings.position_embeddings.weight has {positions.shape[0]} rows but config.json says "
            f"max_position_embeddings={config.max_position_embeddings}"
        )
    input_ids = g.op("Cast", [INPUT_IDS], to=TensorProto.INT32)[0]
    segment_ids = g.op("Cast", [TOKEN_TYPE_IDS], to=TensorProto.INT32)[0] if token_type_ids else ""
    word_embeddings = g.const("word_embeddings", weights.require("embeddings.word_embeddings.weight"))
    if token_type_ids:
        position_table = g.const("position_embeddings", positions)
        segment_table = g.const("token_type_embeddings", types)
    else:
        position_table, segment_table = g.const("position_embeddings", positions + types[0][None, :]), ""
    inputs = [
        input_ids,
        segment_ids,
        word_embeddings,
        position_table,
        segment_table,
        g.const("embeddings_ln_gamma", weights.require("embeddings.LayerNorm.weight")),
        g.const("embeddings_ln_beta", weights.require("embeddings.LayerNorm.bias")),
    ]
    if config.positions_skip_padding:
        inputs += ["", _roberta_position_ids(g, input_ids, config.pad_token_id)]
    x = g.op("EmbedLayerNormalization", inputs, n_out=2, domain=MS_DOMAIN, epsilon=float(config.layer_norm_eps))[0]
    return x, word_embeddings


def _roberta_position_ids(g: Emitter, input_ids: str, pad_id: int) -> str:
    """int32 [B, S]: ``cumsum(ids != pad) * (ids != pad) + pad``, as Hugging Face's
    ``create_position_ids_from_input_ids``: real tokens count from pad + 1, pad tokens sit at position pad."""
    pad = g.const("pad_id", np.array(pad_id, dtype=np.int32))
    real = g.op("Cast", [g.op("Not", [g.op("Equal", [input_ids, pad])[0]])[0]], to=TensorProto.INT32)[0]
    counted = g.op("CumSum", [real, g.const("seq_axis", np.array(1, dtype=np.int32))])[0]
    return g.op("Add", [g.op("Mul", [counted, real])[0], pad])[0]


def emit_linear(g: Emitter, weights: Weights, x: str, module: str, *, hint: str | None = None) -> str:
    """``x W^T + b`` of the nn.Linear ``module`` on [rows, in] as one Gemm: [rows, out]."""
    found = {"hint": hint} if hint else {}
    weight = weights.require(module + ".weight", **found).T  # nn.Linear stores [out, in]; Gemm's B is [in, out]
    bias = weights.require(module + ".bias", **found)
    return g.op("Gemm", [x, g.const(module + ".weight", weight), g.const(module + ".bias", bias)])[0]


class _Layer:
    """The tensors of one encoder layer, emitted as Gemm / Add+LayerNormalization nodes."""

    def __init__(self, g: Emitter, weights: Weights, prefix: str) -> None:
        self.g, self.weights, self.prefix = g, weights, prefix

    def linear(self, x: str, module: str) -> str:
        return emit_linear(self.g, self.weights, x, self.prefix + module)

    def add_norm(self, h: str, residual: str, module: str, eps: float) -> str:
        name = self.prefix + module
        gamma = self.g.const(name + ".weight", self.weights.require(name + ".weight"))
        beta = self.g.const(name + ".bias", self.weights.require(name + ".bias"))
        summed = self.g.op("Add", [h, residual])[0]
        return self.g.op("LayerNormalization", [summed, gamma, beta], axis=-1, epsilon=eps)[0]
