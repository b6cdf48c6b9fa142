"""Turns a resolved model folder into the ONNX file to run: the folder's own ``model.onnx``, or the graph
built from safetensors (and quantized for int8), written once to the cache under the weights' sha256."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from .cache import atomic_write_bytes, cache_dir, sha256_file
from .graph import GRAPH_VERSION, BertConfig, build_bert_graph, load_bert_weights
from .resolve import ModelFiles

logger = logging.getLogger(__name__)

__all__ = ["PRECISIONS", "graph_path"]

PRECISIONS = ("fp32", "int8")


def graph_path(files: ModelFiles, *, precision: str = "fp32", cache: str | os.PathLike[str] | None = None) -> Path:
    """The ONNX file for ``files`` at ``precision``, building and caching it on first use."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} is not supported; choose one of {PRECISIONS}")
    if files.onnx is not None:
        if precision != "fp32":
            raise ValueError(
                f"{files.onnx} is a prebuilt ONNX graph; precision={precision!r} needs the safetensors weights "
                "(pass a Hugging Face folder with model.safetensors + config.json instead)"
            )
        return files.onnx

    key = hashlib.sha256()
    key.update(sha256_file(files.safetensors).encode())
    key.update(files.config.read_bytes())
    target = cache_dir(cache) / "onnx" / f"{key.hexdigest()[:32]}-g{GRAPH_VERSION}-{precision}.onnx"
    if target.is_file():
        return target

    logger.info("building the %s ONNX graph for %s into %s", precision, files.folder, target)
    config = BertConfig.from_file(files.config)
    model = build_bert_graph(config, load_bert_weights(files.safetensors))
    if precision == "int8":
        from .quantize import quantize_int8

        model = quantize_int8(model)
    atomic_write_bytes(target, model.SerializeToString())
    return target
