"""Heads on the encoder, selected by name, each with its named graph output: the hidden state, masked-LM logits,
SPLADE pooled inside the graph, BGE-M3's token weights and ColBERT vectors, and sequence classification."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, ValueInfoProto, helper

from ..config import TransformerConfig
from ..weights import Weights
from .emit import MS_DOMAIN, Emitter, i64
from .encoder import ATTENTION_MASK, Encoded, emit_linear

__all__ = ["HEAD_OUTPUTS", "HeadEmitter"]

# head name -> the graph output it adds
HEAD_OUTPUTS = {
    "hidden": "last_hidden_state",  # [batch, sequence, hidden]
    "mlm": "mlm_logits",  # [batch, sequence, vocab]
    "splade": "splade_weights",  # [batch, vocab]
    "token_linear": "token_weights",  # [batch, sequence, 1]
    "colbert": "colbert_vectors",  # [batch, sequence - 1, dim]
    "classifier": "logits",  # [batch, num_labels]
}
_BATCH, _SEQUENCE = "batch", "sequence"
# the MLM head's tensors: (dense, layer norm, decoder, bias names) per family
_MLM_MODULES = {
    "bert": ("cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm", "cls.predictions.decoder",
             ("cls.predictions.bias", "cls.predictions.decoder.bias")),
    "roberta": ("lm_head.dense", "lm_head.layer_norm", "lm_head.decoder", ("lm_head.bias", "lm_head.decoder.bias")),
}
_TOKEN_LINEAR = "sparse_linear"
_COLBERT_LINEAR = "colbert_linear"
_SEPARATE_HEAD_HINT = (
    "BGE-M3 ships it as {module}.pt; read its state dict and add it with Weights.with_tensors({module!r}, tensors)"
)


class HeadEmitter:
    """Emits heads after the encoder; what several heads share (the MLM logits, the float mask) is built once."""

    def __init__(self, g: Emitter, config: TransformerConfig, weights: Weights, encoded: Encoded) -> None:
        self.g, self.config, self.weights, self.enc = g, config, weights, encoded
        self._mlm_logits: str | None = None
        self._mask_bs1: str | None = None

    def emit(self, head: str) -> ValueInfoProto:
        """Emit ``head`` and return its graph output."""
        emitters = {
            "hidden": self._hidden,
            "mlm": self._mlm,
            "splade": self._splade,
            "token_linear": self._token_linear,
            "colbert": self._colbert,
            "classifier": self._classifier,
        }
        return emitters[head]()

    def _output(self, op_type: str, inputs: list[str], head: str, dims: list[str | int]) -> ValueInfoProto:
        name = HEAD_OUTPUTS[head]
        # the hidden state's node keeps the name it has always had, so a BERT encoder's graph bytes do not change
        self.g.op(op_type, inputs, outputs=[name], name="output" if head == "hidden" else f"{head}_output")
        return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)

    def _hidden(self) -> ValueInfoProto:
        return self._output(
            "Reshape", [self.enc.hidden, self.enc.shape_bsh], "hidden", [_BATCH, _SEQUENCE, self.config.hidden_size]
        )

    def _mlm(self) -> ValueInfoProto:
        vocab = self.config.vocab_size
        return self._output("Reshape", [self._masked_lm_logits(), self._per_token_shape(vocab)], "mlm",
                            [_BATCH, _SEQUENCE, vocab])

    def _splade(self) -> ValueInfoProto:
        """SPLADE v2's max pooling (Formal et al., 2021): w_j = max_i log(1 + relu(z_ij)) over the real tokens i
        of the MLM logits z. log(1 + relu(.)) is nondecreasing, so it is applied after the max, to [B, V]
        instead of [B, S, V]; pad tokens enter the max as -inf (their 0 term in the paper's masked product is
        never above a real token's, which is >= 0)."""
        g = self.g
        logits = self._reshape_per_token(self._masked_lm_logits(), self.config.vocab_size)
        real = g.op("Cast", [self._mask_per_token()], to=TensorProto.BOOL)[0]
        masked = g.op("Where", [real, logits, g.const("minus_inf", np.array(-np.inf, dtype=np.float32))])[0]
        peak = g.op("ReduceMax", [masked, g.const("token_axis", i64(1))], keepdims=0)[0]
        one = g.const("one", np.array(1.0, dtype=np.float32))
        log_input = g.op("Add", [g.op("Relu", [peak])[0], one])[0]
        return self._output("Log", [log_input], "splade", [_BATCH, self.config.vocab_size])

    def _token_linear(self) -> ValueInfoProto:
        """BGE-M3's lexical weights (Chen et al., 2024): relu(W h_i + b) per token, 0 on pad tokens."""
        hint = _SEPARATE_HEAD_HINT.format(module=_TOKEN_LINEAR)
        weight = self.g.op("Relu", [emit_linear(self.g, self.weights, self.enc.hidden, _TOKEN_LINEAR, hint=hint)])[0]
        per_token = self._reshape_per_token(weight, 1)
        return self._output("Mul", [per_token, self._mask_per_token()], "token_linear", [_BATCH, _SEQUENCE, 1])

    def _colbert(self) -> ValueInfoProto:
        """BGE-M3's multi-vector output (Chen et al., 2024): W h_i + b for the tokens after <s>, 0 on pad
        tokens, unnormalized (normalizing is the scorer's choice)."""
        g = self.g
        hint = _SEPARATE_HEAD_HINT.format(module=_COLBERT_LINEAR)
        dim = self.weights.require(_COLBERT_LINEAR + ".weight", hint=hint).shape[0]
        rows = emit_linear(g, self.weights, self.enc.hidden, _COLBERT_LINEAR, hint=hint)
        vectors = self._reshape_per_token(rows, dim)
        start, end = g.const("first", i64(1)), g.const("end", i64(np.iinfo(np.int64).max))
        axis = g.const("axis", i64(1))
        after_first = g.op("Slice", [vectors, start, end, axis])[0]
        mask = g.op("Slice", [self._mask_per_token(), start, end, axis])[0]
        return self._output("Mul", [after_first, mask], "colbert", [_BATCH, "colbert_tokens", dim])

    def _classifier(self) -> ValueInfoProto:
        """Sequence classification on the first token: BERT's pooler (dense + tanh) then ``classifier``
        (Devlin et al., 2019, section 4.1); RoBERTa's ``classifier.dense`` + tanh then ``classifier.out_proj``."""
        g = self.g
        per_token = g.op("Reshape", [self.enc.hidden, self.enc.shape_bsh])[0]
        first = g.op("Gather", [per_token, g.const("first_token", np.array(0, dtype=np.int64))], axis=1)[0]  # [B, H]
        if self.config.family == "bert":
            pooled = g.op("Tanh", [emit_linear(g, self.weights, first, "pooler.dense")])[0]
            module = "classifier"
        else:
            pooled = g.op("Tanh", [emit_linear(g, self.weights, first, "classifier.dense")])[0]
            module = "classifier.out_proj"
        labels = self.weights.require(module + ".weight").shape[0]
        return self._output("Identity", [emit_linear(g, self.weights, pooled, module)], "classifier", [_BATCH, labels])

    def _masked_lm_logits(self) -> str:
        """[B*S, vocab]: dense + gelu + LayerNorm + decoder (BertOnlyMLMHead, RobertaLMHead). The decoder is
        tied to the word embeddings when the checkpoint has no decoder weight (or the same one), sharing the
        table in the graph instead of storing it twice."""
        if self._mlm_logits is not None:
            return self._mlm_logits
        g, w = self.g, self.weights
        dense, norm, decoder, bias_names = _MLM_MODULES[self.config.family]
        h = g.op("Gelu", [emit_linear(g, w, self.enc.hidden, dense)], domain=MS_DOMAIN)[0]
        gamma = g.const(norm + ".weight", w.require(norm + ".weight"))
        beta = g.const(norm + ".bias", w.require(norm + ".bias"))
        h = g.op("LayerNormalization", [h, gamma, beta], axis=-1, epsilon=float(self.config.layer_norm_eps))[0]
        table = w.get(decoder + ".weight")
        if table is None or np.array_equal(table, w.require("embeddings.word_embeddings.weight")):
            table_name = self.enc.word_embeddings
        else:
            table_name = g.const(decoder + ".weight", table)
        bias = next((w.require(name) for name in bias_names if name in w), None)
        if bias is None:
            raise ValueError(f"{w.source} has no MLM decoder bias (looked for {bias_names}); is this a *ForMaskedLM?")
        # transB: the [vocab, hidden] table is used as it is stored (the word embeddings' layout)
        self._mlm_logits = g.op("Gemm", [h, table_name, g.const(decoder + ".bias", bias)], transB=1)[0]
        return self._mlm_logits

    def _mask_per_token(self) -> str:
        """The attention mask as float [B, S, 1]."""
        if self._mask_bs1 is None:
            expanded = self.g.op("Unsqueeze", [ATTENTION_MASK, self.g.const("last_axis", i64(2))])[0]
            self._mask_bs1 = self.g.op("Cast", [expanded], to=TensorProto.FLOAT)[0]
        return self._mask_bs1

    def _per_token_shape(self, width: int) -> str:
        """int64 [3]: batch, sequence, width."""
        return self.g.op("Concat", [self.enc.shape_bs, self.g.const("width", i64(width))], axis=0)[0]

    def _reshape_per_token(self, rows: str, width: int) -> str:
        """[B*S, width] -> [B, S, width]."""
        return self.g.op("Reshape", [rows, self._per_token_shape(width)])[0]
