"""The transformer config: the fields of a Hugging Face ``config.json`` that shape a BERT or XLM-RoBERTa encoder,
with each family's position rule, pad id and weight-name prefix, checked against what the graph builder can build."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["FAMILIES", "SUPPORTED_MODEL_TYPES", "TransformerConfig"]

# model_type -> family: RoBERTa and XLM-RoBERTa share one architecture (Liu et al., 2019; Conneau et al., 2020);
# XLM-R differs only in vocabulary and size.
FAMILIES = {"bert": "bert", "roberta": "roberta", "xlm-roberta": "roberta"}
SUPPORTED_MODEL_TYPES = tuple(FAMILIES)
# The base model's prefix in checkpoints saved with a head (BertForMaskedLM: ``bert.encoder...``); base models
# (BertModel, XLMRobertaModel, sentence-transformers folders) are saved without it.
_PREFIXES = {"bert": "bert.", "roberta": "roberta."}
# Hugging Face's "gelu" is the exact erf form, which is what the graph's Gelu computes.
_SUPPORTED_ACTIVATIONS = ("gelu",)


@dataclasses.dataclass(frozen=True)
class TransformerConfig:
    """A BERT-family encoder's shape. Build it with :meth:`from_dict` / :meth:`from_file`, which validate."""

    model_type: str
    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    hidden_act: str = "gelu"
    pad_token_id: int = 0

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> TransformerConfig:
        model_type = raw.get("model_type", "bert")
        if model_type not in FAMILIES:
            raise ValueError(
                f"config.json has model_type={model_type!r}; the ONNX builder supports {SUPPORTED_MODEL_TYPES}. "
                "Export other architectures to model.onnx yourself and pass that folder as model_path."
            )
        position_type = raw.get("position_embedding_type", "absolute")
        if position_type != "absolute":
            raise ValueError(
                f"position_embedding_type={position_type!r} is not supported; the graph builder has only "
                "'absolute' position embeddings"
            )
        if raw.get("is_decoder") or raw.get("add_cross_attention"):
            raise ValueError("decoder configs (is_decoder / add_cross_attention) are not supported: encoders only")
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in raw.items() if k in names}
        if values.get("pad_token_id") is None:  # config.json may say "pad_token_id": null
            values.pop("pad_token_id", None)
        config = cls(**{**values, "model_type": model_type})
        config._validate()
        return config

    @classmethod
    def from_file(cls, path: str | Path) -> TransformerConfig:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    @property
    def family(self) -> str:
        """``bert`` or ``roberta`` (which XLM-RoBERTa belongs to)."""
        return FAMILIES[self.model_type]

    @property
    def weight_prefix(self) -> str:
        """The base model's tensor-name prefix in checkpoints saved with a head."""
        return _PREFIXES[self.family]

    @property
    def position_offset(self) -> int:
        """The position id of a sequence's first token: RoBERTa numbers positions from ``padding_idx + 1``
        (Hugging Face ``create_position_ids_from_input_ids``), BERT from 0."""
        return self.pad_token_id + 1 if self.family == "roberta" else 0

    @property
    def positions_skip_padding(self) -> bool:
        """True where position ids count only non-pad tokens (a cumulative sum of ``input_ids != pad``) and pad
        tokens get position ``padding_idx``; False where positions are 0..S-1 whatever the tokens."""
        return self.family == "roberta"

    @property
    def max_sequence_length(self) -> int:
        """The longest input the position table covers."""
        return self.max_position_embeddings - self.position_offset

    def _validate(self) -> None:
        if self.hidden_act not in _SUPPORTED_ACTIVATIONS:
            raise ValueError(
                f"hidden_act={self.hidden_act!r} is not supported; expected one of {_SUPPORTED_ACTIVATIONS}"
            )
        for field in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"):
            if not isinstance(getattr(self, field), int) or getattr(self, field) < 1:
                raise ValueError(f"config.json has {field}={getattr(self, field)!r}; expected a positive integer")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size {self.hidden_size} is not a multiple of num_attention_heads {self.num_attention_heads}"
            )
        if self.type_vocab_size < 1:
            raise ValueError(f"type_vocab_size={self.type_vocab_size!r}; expected at least 1")
        if not 0 <= self.pad_token_id < self.vocab_size:
            raise ValueError(f"pad_token_id={self.pad_token_id} is outside the vocabulary of {self.vocab_size}")
        if self.max_sequence_length < 1:
            raise ValueError(
                f"max_position_embeddings={self.max_position_embeddings} leaves no positions after the "
                f"{self.model_type} offset {self.position_offset} (padding_idx + 1)"
            )
