"""Checkpoint tensors for the graph builder: safetensors read as float32 numpy arrays, names normalized by the
family's prefix table, and lookups whose errors name the missing tensor."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from .config import TransformerConfig

__all__ = ["Weights", "load_weights", "normalize_names"]

_LEGACY_LAYER_NORM = re.compile(r"(?<=LayerNorm\.)(gamma|beta)$")
_LEGACY_NAMES = {"gamma": "weight", "beta": "bias"}


def normalize_names(tensors: Mapping[str, np.ndarray], config: TransformerConfig) -> dict[str, np.ndarray]:
    """Tensors under the base model's own names: ``bert.encoder.layer.0...`` -> ``encoder.layer.0...`` (and
    ``roberta.`` for RoBERTa/XLM-R); head tensors (``cls.``, ``lm_head.``, ``classifier.``) keep their names.
    LayerNorm tensors of checkpoints converted from TensorFlow, ``LayerNorm.gamma`` / ``LayerNorm.beta``, become
    ``LayerNorm.weight`` / ``LayerNorm.bias``, as transformers renames them on loading.
    Floating tensors become float32; others (an int64 ``position_ids`` buffer) are kept as they are."""
    prefix = config.weight_prefix
    out: dict[str, np.ndarray] = {}
    for name, value in tensors.items():
        key = name[len(prefix) :] if name.startswith(prefix) else name
        key = _LEGACY_LAYER_NORM.sub(lambda found: _LEGACY_NAMES[found.group(1)], key)
        array = np.asarray(value)
        out[key] = array.astype(np.float32) if np.issubdtype(array.dtype, np.floating) else array
    return out


def load_weights(path: str | Path, config: TransformerConfig) -> Weights:
    """A safetensors checkpoint as :class:`Weights`."""
    from safetensors.numpy import load_file

    return Weights(normalize_names(load_file(str(path)), config), source=str(path))


class Weights:
    """Named float32 tensors of one checkpoint. :meth:`require` raises a ValueError naming the tensor (and where
    it was looked for) instead of a bare KeyError deep inside the graph builder."""

    def __init__(self, tensors: Mapping[str, np.ndarray], *, source: str = "the checkpoint") -> None:
        self._tensors = dict(tensors)
        self.source = source

    @classmethod
    def of(cls, tensors: Mapping[str, np.ndarray] | Weights, config: TransformerConfig) -> Weights:
        """``tensors`` as Weights: a Weights is kept, a mapping (Hugging Face names, with or without the base
        model's prefix) is normalized."""
        if isinstance(tensors, Weights):
            return tensors
        return cls(normalize_names(tensors, config))

    def with_tensors(self, module: str, tensors: Mapping[str, np.ndarray]) -> Weights:
        """These weights plus ``tensors`` under ``module.``: a head saved on its own (BGE-M3's
        ``sparse_linear.pt`` holds ``weight`` and ``bias``) joins as ``sparse_linear.weight`` and
        ``sparse_linear.bias``."""
        added = {f"{module}.{name}": np.asarray(value, dtype=np.float32) for name, value in tensors.items()}
        return Weights({**self._tensors, **added}, source=self.source)

    def require(self, name: str, *, hint: str = "is this a model saved by transformers?") -> np.ndarray:
        try:
            return self._tensors[name]
        except KeyError:
            raise ValueError(f"{self.source} has no tensor {name!r}; {hint}") from None

    def get(self, name: str) -> np.ndarray | None:
        return self._tensors.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._tensors

    def __iter__(self) -> Iterator[str]:
        return iter(self._tensors)

    def __len__(self) -> int:
        return len(self._tensors)
