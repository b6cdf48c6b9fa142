"""WordPiece tokenization from ``tokenizer.json`` with the sentence-transformers truncation length, and
per-batch padding into the int64 arrays the graph takes. Knows nothing about the model."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

__all__ = ["TextTokenizer", "read_max_seq_length"]


def read_max_seq_length(folder: Path) -> int:
    """``max_seq_length`` from ``sentence_bert_config.json``; else the tokenizer's or the model's limit.

    The shipped ``tokenizer.json`` of all-MiniLM-L6-v2 truncates at 128 and pads to a fixed 128, but
    sentence-transformers encodes up to 256 word pieces, so the tokenizer's own setting is never used.
    """
    for name, key in (
        ("sentence_bert_config.json", "max_seq_length"),
        ("tokenizer_config.json", "model_max_length"),
        ("config.json", "max_position_embeddings"),
    ):
        path = folder / name
        if path.is_file():
            value = json.loads(path.read_text(encoding="utf-8")).get(key)
            # tokenizer_config.json says 1e30 when it has no real limit
            if isinstance(value, int) and 0 < value <= 100_000:
                return value
    return 512


class TextTokenizer:
    """``tokenizers.Tokenizer`` with truncation at ``max_length`` and no padding (batches pad themselves)."""

    def __init__(self, path: Path, *, max_length: int) -> None:
        from tokenizers import Tokenizer

        if max_length < 2:
            raise ValueError(f"max_length must be at least 2 ([CLS] and [SEP]), got {max_length}")
        self.max_length = max_length
        self._tokenizer = Tokenizer.from_file(str(path))
        self.pad_id = _pad_id(self._tokenizer)
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_length)

    def encode_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids per text, [CLS] ... [SEP], at most ``max_length`` long."""
        return [encoding.ids for encoding in self._tokenizer.encode_batch(list(texts))]

    def pad(self, ids: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Right-pad to the longest sequence of this batch: ``(input_ids, attention_mask)``, int64 [n, longest]."""
        longest = max(len(row) for row in ids)
        input_ids = np.full((len(ids), longest), self.pad_id, dtype=np.int64)
        attention_mask = np.zeros((len(ids), longest), dtype=np.int64)
        for i, row in enumerate(ids):
            input_ids[i, : len(row)] = row
            attention_mask[i, : len(row)] = 1
        return input_ids, attention_mask


def _pad_id(tokenizer: object) -> int:
    padding = getattr(tokenizer, "padding", None)
    if padding and "pad_id" in padding:
        return int(padding["pad_id"])
    pad = tokenizer.token_to_id("[PAD]")  # type: ignore[attr-defined]
    return int(pad) if pad is not None else 0
