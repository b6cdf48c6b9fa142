"""Turns a resolved model folder into the ONNX file to run: the folder's own prebuilt graph, or the graph built
from safetensors with the requested heads (and quantized for int8), written once to the cache under a key of
everything that shapes it."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import onnx

from sparsebolt._files import atomic_write_bytes, cache_dir

from .config import TransformerConfig
from .files import ModelFiles
from .graph import GRAPH_VERSION, build_graph, check_heads
from .graph.quantize import QUANT_VERSION, calibrate, quantize_int8
from .tokenizer import TextTokenizer, read_max_seq_length
from .weights import load_weights

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_HEADS", "PRECISIONS", "cache_name", "graph_path"]

PRECISIONS = ("fp32", "int8")
DEFAULT_HEADS = ("hidden",)
_CALIBRATION_BATCH = 8
_JOINS = (2, 3, 4, 6, 8)  # passages per joined calibration text: more tokens, contexts and positions


def graph_path(
    files: ModelFiles,
    *,
    heads: Sequence[str] = DEFAULT_HEADS,
    token_type_ids: bool = False,
    precision: str = "fp32",
    cache: str | os.PathLike[str] | None = None,
) -> Path:
    """The ONNX file for ``files``: its prebuilt graph (fp32 only), else the graph that
    :func:`~sparsebolt.engine.graph.build_graph` makes from ``model.safetensors`` + ``config.json`` with ``heads``
    and ``token_type_ids``, at ``precision``, built on first use into ``<cache>/onnx/`` and reused after."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} is not supported; choose one of {PRECISIONS}")
    heads = check_heads(heads)
    if files.onnx is not None:
        if precision != "fp32":
            raise ValueError(
                f"{files.onnx} is a prebuilt ONNX graph; precision={precision!r} needs the safetensors weights "
                "(pass a Hugging Face folder with model.safetensors + config.json instead)"
            )
        return files.onnx

    name = cache_name(files, heads=heads, token_type_ids=token_type_ids, precision=precision)
    target = cache_dir(cache) / "onnx" / name
    if target.is_file():
        return target

    logger.info("building the %s ONNX graph %s for %s into %s", precision, list(heads), files.folder, target)
    config = TransformerConfig.from_file(files.config)
    model = build_graph(config, load_weights(files.safetensors, config), heads, token_type_ids=token_type_ids)
    if precision == "int8":
        model = quantize_int8(model, calibrate(model, _calibration_batches(files, model)))
    atomic_write_bytes(target, model.SerializeToString())
    return target


def cache_name(
    files: ModelFiles, *, heads: Sequence[str] = DEFAULT_HEADS, token_type_ids: bool = False, precision: str = "fp32"
) -> str:
    """``<key>-g<GRAPH_VERSION>[q<QUANT_VERSION>]-<precision>.onnx``, the key being the sha256 of the weights'
    sha256, ``config.json``, for int8 the calibration corpus, and the heads (in order) and token-type input. The
    heads part is hashed only where it departs from the builder's default, the hidden state without token types:
    that graph's key is weights + config alone, the key dense graphs already in users' caches are stored under."""
    heads = check_heads(heads)
    key = hashlib.sha256()
    key.update(_sha256_file(files.safetensors).encode())
    key.update(files.config.read_bytes())
    if precision == "int8":
        key.update(_calibration_corpus().read_bytes())
    if heads != DEFAULT_HEADS or token_type_ids:
        key.update(json.dumps({"heads": list(heads), "token_type_ids": token_type_ids}).encode())
    recipe = f"g{GRAPH_VERSION}" + (f"q{QUANT_VERSION}" if precision == "int8" else "")
    return f"{key.hexdigest()[:32]}-{recipe}-{precision}.onnx"


def _sha256_file(path: Path, *, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _calibration_batches(files: ModelFiles, model: onnx.ModelProto) -> Iterator[dict[str, np.ndarray]]:
    """The package's demo corpus (60 CC0 passages written for sparsebolt, sparsebolt/data), tokenized as the
    encoder tokenizes: each passage alone, then runs of consecutive passages joined into texts of up to
    max_seq_length word pieces, so that long inputs and late positions are calibrated too. Each batch holds the
    inputs ``model`` declares (single texts: token type 0 throughout)."""
    with open(_calibration_corpus(), encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in handle if line.strip()]
    joined = [" ".join(texts[i : i + n]) for n in _JOINS for i in range(0, len(texts), n)]
    tokenizer = TextTokenizer(files.tokenizer, max_length=read_max_seq_length(files.folder))
    ids = tokenizer.encode_ids(texts + joined)
    inputs = [declared.name for declared in model.graph.input]
    for start in range(0, len(ids), _CALIBRATION_BATCH):
        feeds = tokenizer.pad(ids[start : start + _CALIBRATION_BATCH])
        yield {name: feeds[name] for name in inputs}


def _calibration_corpus() -> Path:
    from sparsebolt.data import demo_corpus_path

    return demo_corpus_path()
