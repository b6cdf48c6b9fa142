"""Turns a resolved model folder into the ONNX file to run: the folder's own ``model.onnx``, or the graph
built from safetensors (and quantized for int8), written once to the cache under the weights' sha256."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from sparsebolt.engine.config import TransformerConfig
from sparsebolt.engine.files import ModelFiles
from sparsebolt.engine.graph import GRAPH_VERSION, build_graph
from sparsebolt.engine.graph.quantize import QUANT_VERSION, calibrate, quantize_int8
from sparsebolt.engine.tokenizer import TextTokenizer, read_max_seq_length
from sparsebolt.engine.weights import load_weights

from .cache import atomic_write_bytes, cache_dir, sha256_file

logger = logging.getLogger(__name__)

__all__ = ["PRECISIONS", "graph_path"]

PRECISIONS = ("fp32", "int8")
_CALIBRATION_BATCH = 8
_JOINS = (2, 3, 4, 6, 8)  # passages per joined calibration text: more tokens, contexts and positions


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
    if precision == "int8":
        key.update(_calibration_corpus().read_bytes())
    recipe = f"g{GRAPH_VERSION}" + (f"q{QUANT_VERSION}" if precision == "int8" else "")
    target = cache_dir(cache) / "onnx" / f"{key.hexdigest()[:32]}-{recipe}-{precision}.onnx"
    if target.is_file():
        return target

    logger.info("building the %s ONNX graph for %s into %s", precision, files.folder, target)
    config = TransformerConfig.from_file(files.config)
    model = build_graph(config, load_weights(files.safetensors, config))
    if precision == "int8":
        model = quantize_int8(model, calibrate(model, _calibration_batches(files)))
    atomic_write_bytes(target, model.SerializeToString())
    return target


def _calibration_batches(files: ModelFiles) -> Iterator[dict[str, np.ndarray]]:
    """The package's demo corpus (60 CC0 passages written for sparsebolt, sparsebolt/data), tokenized as the
    encoder tokenizes: each passage alone, then runs of consecutive passages joined into texts of up to
    max_seq_length word pieces, so that long inputs and late positions are calibrated too."""
    with open(_calibration_corpus(), encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in handle if line.strip()]
    joined = [" ".join(texts[i : i + n]) for n in _JOINS for i in range(0, len(texts), n)]
    tokenizer = TextTokenizer(files.tokenizer, max_length=read_max_seq_length(files.folder))
    ids = tokenizer.encode_ids(texts + joined)
    for start in range(0, len(ids), _CALIBRATION_BATCH):
        feeds = tokenizer.pad(ids[start : start + _CALIBRATION_BATCH])
        yield {"input_ids": feeds["input_ids"], "attention_mask": feeds["attention_mask"]}


def _calibration_corpus() -> Path:
    from sparsebolt.data import demo_corpus_path

    return demo_corpus_path()
