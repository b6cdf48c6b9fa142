"""A tiny randomly initialised BERT saved as a sentence-transformers folder, and its float64 forward pass: the
dense tests' view of the reference transformer (tests/reference/transformer.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tests.reference.transformer import (
    BERT_TINY,
    WORDS,
    forward,
    random_weights,
    save_hf_folder,
    write_sentence_transformers_files,
    write_wordpiece_tokenizer,
)

__all__ = ["TINY_CONFIG", "WORDS", "bert_forward", "make_tiny_model", "tiny_weights", "write_tokenizer"]

TINY_CONFIG = BERT_TINY


def tiny_weights(config: dict[str, Any] = TINY_CONFIG, seed: int = 0, prefix: str = "") -> dict[str, np.ndarray]:
    """BertModel tensors (as a sentence-transformers folder saves them), names under ``prefix``."""
    return {prefix + k: v for k, v in random_weights(config, seed=seed).items()}


def write_tokenizer(path: Path, *, truncation: int = 8, fixed_padding: int = 16) -> dict[str, int]:
    """A BERT WordPiece tokenizer.json over WORDS, saved with (wrong on purpose) fixed padding and truncation."""
    return write_wordpiece_tokenizer(path, WORDS, truncation=truncation, fixed_padding=fixed_padding)


def make_tiny_model(folder: Path, *, seed: int = 0, max_seq_length: int = 20, pooling: str = "mean") -> Path:
    """A sentence-transformers folder: config.json, model.safetensors, tokenizer.json, pooling and normalize."""
    save_hf_folder(folder, TINY_CONFIG, tiny_weights(seed=seed), tokenizer=False)
    write_tokenizer(folder / "tokenizer.json")
    write_sentence_transformers_files(folder, max_seq_length=max_seq_length, pooling=pooling)
    return folder


def bert_forward(w: dict[str, np.ndarray], config: dict[str, Any], ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """last_hidden_state of BERT in float64."""
    return forward(config, w, ids, mask)["hidden"]
