"""ONNX graphs for BERT-family encoders built from ``config.json`` + safetensors with the ``onnx`` package only
(no PyTorch): the encoder, heads selected by name, and the int8 rewrite (quantize.py)."""

from __future__ import annotations

from .builder import GRAPH_VERSION, HEADS, INPUT_NAMES, build_graph, check_heads
from .heads import HEAD_OUTPUTS

__all__ = ["GRAPH_VERSION", "HEADS", "HEAD_OUTPUTS", "INPUT_NAMES", "build_graph", "check_heads"]
