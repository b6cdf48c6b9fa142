"""The one entry point that turns a config and its weights into an ONNX model: the encoder, then the requested
heads, each adding its named output."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper

from ..config import TransformerConfig
from ..weights import Weights
from .emit import IR_VERSION, MS_DOMAIN, OPSET, Emitter
from .encoder import ATTENTION_MASK, INPUT_IDS, TOKEN_TYPE_IDS, emit_encoder
from .heads import HEAD_OUTPUTS, HeadEmitter

__all__ = ["GRAPH_VERSION", "HEADS", "INPUT_NAMES", "build_graph", "check_heads"]

INPUT_NAMES = (INPUT_IDS, ATTENTION_MASK)
HEADS = tuple(HEAD_OUTPUTS)
# Bump when the graph layout changes: it is part of the cache key, so old cached graphs are rebuilt.
GRAPH_VERSION = 1


def build_graph(
    config: TransformerConfig,
    weights: Mapping[str, np.ndarray] | Weights,
    heads: Sequence[str] = ("hidden",),
    *,
    token_type_ids: bool = False,
    attention: str = "onnx",
) -> onnx.ModelProto:
    """``(input_ids, attention_mask[, token_type_ids]) -> one output per head`` (names in :data:`HEAD_OUTPUTS`).

    ``weights`` are the checkpoint's tensors, as :func:`~sparsebolt.engine.weights.load_weights` reads them or
    as a mapping with Hugging Face names; heads saved apart from the checkpoint (BGE-M3's ``sparse_linear`` and
    ``colbert_linear``) are added with :meth:`Weights.with_tensors`. Several heads share one encoder pass.
    ``token_type_ids=True`` adds that input (BERT sentence pairs); without it every token has type 0.
    ``attention`` is how attention is written (:data:`~sparsebolt.engine.graph.encoder.ATTENTIONS`).
    """
    chosen = check_heads(heads)
    if token_type_ids and config.type_vocab_size < 2:
        raise ValueError(
            f"{config.model_type} has type_vocab_size={config.type_vocab_size}: there is only one token type, "
            "so build without token_type_ids"
        )
    g = Emitter()
    tensors = Weights.of(weights, config)
    encoded = emit_encoder(g, config, tensors, token_type_ids=token_type_ids, attention=attention)
    head_emitter = HeadEmitter(g, config, tensors, encoded, chosen)
    outputs = [head_emitter.emit(head) for head in chosen]

    batch_seq = ["batch", "sequence"]
    input_names = INPUT_NAMES + ((TOKEN_TYPE_IDS,) if token_type_ids else ())
    graph = helper.make_graph(
        g.nodes,
        f"{config.family}_encoder",
        [helper.make_tensor_value_info(name, TensorProto.INT64, batch_seq) for name in input_names],
        outputs,
        g.initializers,
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid(MS_DOMAIN, 1)]
    return helper.make_model(graph, opset_imports=opsets, producer_name="sparsebolt", ir_version=IR_VERSION)


def check_heads(heads: Sequence[str]) -> tuple[str, ...]:
    """``heads`` as a tuple of known head names, each once; a TypeError or ValueError with the choices if not."""
    if isinstance(heads, str):
        raise TypeError(f"heads is a sequence of head names; pass ({heads!r},) for one head")
    chosen = tuple(heads)
    if not chosen:
        raise ValueError(f"choose at least one head from {HEADS}")
    unknown = [h for h in chosen if h not in HEAD_OUTPUTS]
    if unknown:
        raise ValueError(f"unknown head(s) {unknown}; choose from {HEADS}")
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"heads {list(chosen)} name a head twice; each head adds one output")
    return chosen
