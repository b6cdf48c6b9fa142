"""A FlagEmbedding BGE-M3 folder as one ONNX graph: the XLM-RoBERTa encoder with its lexical (``sparse_linear``)
and multi-vector (``colbert_linear``) heads, which FlagEmbedding saves with torch.save beside the encoder. What
is BGE-M3's own lives here: reading those heads and checking their shapes; the engine builds and caches the graph
(with its weights as external data, since XLM-R large in fp32 is over protobuf's 2 GB limit for one file)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from sparsebolt.engine.build import graph_path
from sparsebolt.engine.config import TransformerConfig
from sparsebolt.engine.files import ModelFiles
from sparsebolt.engine.graph import HEAD_OUTPUTS
from sparsebolt.engine.torch_zip import read_state_dict

__all__ = ["HEADS", "HEAD_FILES", "OUTPUTS", "bge_m3_graph", "read_heads"]

# One pass gives all three: the dense vector is the first token's hidden state.
HEADS = ("hidden", "token_linear", "colbert")
OUTPUTS = {head: HEAD_OUTPUTS[head] for head in HEADS}
# module name in the graph -> the file FlagEmbedding saves its state dict to
HEAD_FILES = {"sparse_linear": "sparse_linear.pt", "colbert_linear": "colbert_linear.pt"}


def bge_m3_graph(files: ModelFiles, *, cache: str | os.PathLike[str] | None = None, attention: str = "onnx") -> Path:
    """The fp32 graph of ``files`` with :data:`HEADS` and both heads of :func:`read_heads`, built on first use
    into ``<cache>/onnx/`` (see :func:`sparsebolt.engine.build.graph_path`) and reused after."""
    heads = read_heads(files, TransformerConfig.from_file(files.config))
    return graph_path(files, heads=HEADS, cache=cache, head_tensors=heads, attention=attention)


def read_heads(files: ModelFiles, config: TransformerConfig) -> dict[str, dict[str, np.ndarray]]:
    """Both heads by module name, each checked to be the ``nn.Linear`` FlagEmbedding saves: ``sparse_linear``
    hidden -> 1, ``colbert_linear`` hidden -> its ColBERT dimension."""
    heads = {}
    for module, name in HEAD_FILES.items():
        tensors = read_state_dict(files.folder / name)
        _check_linear(tensors, files.folder / name, config.hidden_size, out=1 if module == "sparse_linear" else None)
        heads[module] = tensors
    return heads


def _check_linear(tensors: dict[str, np.ndarray], path: Path, hidden: int, *, out: int | None) -> None:
    """A ValueError unless ``tensors`` are an nn.Linear from ``hidden`` (to ``out`` features, when given)."""
    if set(tensors) != {"weight", "bias"}:
        raise ValueError(
            f"{path} holds tensors {sorted(tensors)}; expected the state dict of an nn.Linear (weight and bias), "
            "as FlagEmbedding saves its BGE-M3 heads"
        )
    weight, bias = tensors["weight"], tensors["bias"]
    if weight.ndim != 2 or weight.shape[1] != hidden or bias.shape != (weight.shape[0],):
        raise ValueError(
            f"{path} holds a weight of shape {weight.shape} and a bias of shape {bias.shape}; the encoder's hidden "
            f"size is {hidden}, so expected weight [out, {hidden}] and bias [out]"
        )
    if out is not None and weight.shape[0] != out:
        raise ValueError(f"{path} maps to {weight.shape[0]} features; BGE-M3's lexical head gives one weight a token")
