"""Heads on the encoder, selected by name, each with its named graph output: the hidden state, masked-LM logits,
SPLADE pooled inside the graph, BGE-M3's token weights and ColBERT vectors, and sequence classification."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from onnx import TensorProto, ValueInfoProto, helper

from ..config import TransformerConfig
from ..weights import Weights
from .emit import MS_DOMAIN, Emitter, i64
from .encoder import ATTENTION_MASK, Encoded, emit_linear

__all__ = ["HEAD_OUTPUTS", "SPLADE_VOCAB_BLOCK", "HeadEmitter"]

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
# SPLADE's decoder runs this many vocabulary columns at a time (see HeadEmitter._splade_peak_blocked): 1024
# measured as fast as the whole vocabulary at once on splade-tiny, and faster than 512 (more, smaller Gemms).
SPLADE_VOCAB_BLOCK = 1024
# What a pad token's logits are pushed down by: far below any real logit, far from float32's overflow.
_PAD_LOGIT = 1e30
_TOKEN_LINEAR = "sparse_linear"
_COLBERT_LINEAR = "colbert_linear"
_SEPARATE_HEAD_HINT = (
    "BGE-M3 ships it as {module}.pt; read its state dict and add it with Weights.with_tensors({module!r}, tensors)"
)


class HeadEmitter:
    """Emits heads after the encoder; what several heads share (the MLM transform and logits, the float mask) is
    built once. ``heads`` are all the heads the graph will hold: SPLADE pools the full MLM logits when the graph
    outputs them anyway, and blocks of the vocabulary otherwise."""

    def __init__(
        self, g: Emitter, config: TransformerConfig, weights: Weights, encoded: Encoded, heads: Sequence[str] = ()
    ) -> None:
        self.g, self.config, self.weights, self.enc = g, config, weights, encoded
        self.heads = tuple(heads)
        self._mlm_transform: str | None = None
        self._mlm_logits: str | None = None
        self._decoder_table: str | None = None
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
        instead of [B, S, V]. Pad tokens must never win the max (their 0 term in the paper's masked product is
        never above a real token's, which is >= 0): see :meth:`_splade_peak_blocked`."""
        peak = self._splade_peak_shared() if "mlm" in self.heads else self._splade_peak_blocked()
        one = self.g.const("one", np.array(1.0, dtype=np.float32))
        log_input = self.g.op("Add", [self.g.op("Relu", [peak])[0], one])[0]
        return self._output("Log", [log_input], "splade", [_BATCH, self.config.vocab_size])

    def _splade_peak_shared(self) -> str:
        """[B, V]: the max over real tokens of the MLM logits the graph outputs anyway, pad tokens set to -inf."""
        g = self.g
        logits = self._reshape_per_token(self._masked_lm_logits(), self.config.vocab_size)
        real = g.op("Cast", [self._mask_per_token()], to=TensorProto.BOOL)[0]
        masked = g.op("Where", [real, logits, g.const("minus_inf", np.array(-np.inf, dtype=np.float32))])[0]
        return g.op("ReduceMax", [masked, g.const("token_axis", i64(1))], keepdims=0)[0]

    def _splade_peak_blocked(self) -> str:
        """[B, V]: the max over real tokens of the MLM logits, computed :data:`SPLADE_VOCAB_BLOCK` vocabulary
        columns at a time so that only a [B*S, block] slice of the logits is ever alive (4 KB per token, not
        the 122 KB per token of BERT's whole 30,522-word vocabulary).

        The mask rides inside each decoder Gemm instead of a Where pass over the logits: the transformed token
        vectors get one more column, 0 for real tokens and ``-_PAD_LOGIT`` for pad tokens, and the decoder table
        one more column of ones, so a pad token's logits all come out near -1e30 and a real token's are
        unchanged (its extra product is exactly 0). Measured on 32 x 256 tokens of splade-tiny, one thread:
        2.6 s and 5.2 GB peak for the whole [B, S, V] tensor with a Where, 1.1 s and 0.3 GB blocked this way.
        """
        g = self.g
        transformed = self._masked_lm_transform()
        table_name, bias = self._mlm_decoder()
        vocab = self.config.vocab_size
        real = g.op("Reshape", [g.op("Cast", [ATTENTION_MASK], to=TensorProto.FLOAT)[0], g.const("column", i64(-1, 1))])
        offset = g.op("Mul", [g.op("Sub", [real[0], g.const("one", np.array(1.0, dtype=np.float32))])[0],
                              g.const("pad_logit", np.array(_PAD_LOGIT, dtype=np.float32))])[0]
        tokens = g.op("Concat", [transformed, offset], axis=1)[0]  # [B*S, H + 1]
        # built from the stored table in the graph, so the file holds the vocabulary once; onnxruntime folds it
        ones = g.const("ones", np.ones((vocab, 1), dtype=np.float32))
        table = g.op("Concat", [table_name, ones], axis=1)[0]  # [V, H + 1]
        axis, token_axis = g.const("vocab_axis", i64(0)), g.const("token_axis", i64(1))
        peaks = []
        for start in range(0, vocab, SPLADE_VOCAB_BLOCK):
            end = min(start + SPLADE_VOCAB_BLOCK, vocab)
            block = g.op("Slice", [table, g.const("start", i64(start)), g.const("end", i64(end)), axis])[0]
            logits = g.op("Gemm", [tokens, block, g.const("decoder_bias_block", bias[start:end])], transB=1)[0]
            per_token = self._reshape_per_token(logits, end - start)
            peaks.append(g.op("ReduceMax", [per_token, token_axis], keepdims=0)[0])
        return peaks[0] if len(peaks) == 1 else g.op("Concat", peaks, axis=1)[0]

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
        """[B*S, vocab]: the decoder Gemm on :meth:`_masked_lm_transform` (BertOnlyMLMHead, RobertaLMHead)."""
        if self._mlm_logits is None:
            tokens = self._masked_lm_transform()
            table_name, bias = self._mlm_decoder()
            bias_name = self.g.const(_MLM_MODULES[self.config.family][2] + ".bias", bias)
            # transB: the [vocab, hidden] table is used as it is stored (the word embeddings' layout)
            self._mlm_logits = self.g.op("Gemm", [tokens, table_name, bias_name], transB=1)[0]
        return self._mlm_logits

    def _masked_lm_transform(self) -> str:
        """[B*S, hidden]: the MLM head's dense + gelu + LayerNorm, before the decoder."""
        if self._mlm_transform is None:
            g, w = self.g, self.weights
            dense, norm, _, _ = _MLM_MODULES[self.config.family]
            h = g.op("Gelu", [emit_linear(g, w, self.enc.hidden, dense)], domain=MS_DOMAIN)[0]
            gamma = g.const(norm + ".weight", w.require(norm + ".weight"))
            beta = g.const(norm + ".bias", w.require(norm + ".bias"))
            eps = float(self.config.layer_norm_eps)
            self._mlm_transform = g.op("LayerNormalization", [h, gamma, beta], axis=-1, epsilon=eps)[0]
        return self._mlm_transform

    def _mlm_decoder(self) -> tuple[str, np.ndarray]:
        """The decoder's [vocab, hidden] table in the graph, and its [vocab] bias. The table is tied to the word
        embeddings when the checkpoint has no decoder weight (or the same one), sharing the table in the graph
        instead of storing it twice."""
        w = self.weights
        _, _, decoder, bias_names = _MLM_MODULES[self.config.family]
        table = w.get(decoder + ".weight")
        if table is None or np.array_equal(table, w.require("embeddings.word_embeddings.weight")):
            table_name = self.enc.word_embeddings
        elif self._decoder_table is None:
            table_name = self._decoder_table = self.g.const(decoder + ".weight", table)
        else:
            table_name = self._decoder_table
        bias = next((w.require(name) for name in bias_names if name in w), None)
        if bias is None:
            raise ValueError(f"{w.source} has no MLM decoder bias (looked for {bias_names}); is this a *ForMaskedLM?")
        return table_name, bias

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
