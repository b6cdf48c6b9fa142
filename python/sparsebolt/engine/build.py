"""Turns a resolved model folder into the ONNX file to run: the folder's own prebuilt graph, or the graph built
from its checkpoint with the requested heads (and quantized for int8), written once to the cache under a key of
everything that shapes it. A graph too large for one protobuf message keeps its tensors in ``<name>.data``."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import onnx

from sparsebolt._files import atomic_write_bytes, cache_dir

from .config import TransformerConfig
from .files import CheckpointFamily, ModelFiles
from .graph import GRAPH_VERSION, build_graph, check_heads
from .graph.quantize import QUANT_VERSION, calibrate, quantize_int8
from .precision import int8_weight_type
from .tokenizer import TextTokenizer, read_max_seq_length
from .torch_zip import read_state_dict
from .weights import Weights, load_weights, normalize_names

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_HEADS",
    "PRECISIONS",
    "SINGLE_FILE_LIMIT",
    "HeadTensors",
    "cache_name",
    "checkpoint_file",
    "data_file",
    "graph_path",
    "save_graph",
]

PRECISIONS = ("fp32", "int8")
DEFAULT_HEADS = ("hidden",)
# A graph of this many bytes or more is saved with its tensors apart: protobuf refuses to serialize a message
# of 2 GiB or more (XLM-R large in fp32 is 2.3 GB), and every graph under it stays the one file it always was.
SINGLE_FILE_LIMIT = onnx.checker.MAXIMUM_PROTOBUF
# Tensors under this many bytes stay inside an externally saved graph (shapes, scalars): as onnx's default.
_INLINE_TENSOR_BYTES = 1024
# head tensors saved apart from the checkpoint, by module: {"sparse_linear": {"weight": ..., "bias": ...}}
HeadTensors = Mapping[str, Mapping[str, np.ndarray]]
_CALIBRATION_BATCH = 8
_JOINS = (2, 3, 4, 6, 8)  # passages per joined calibration text: more tokens, contexts and positions


def graph_path(
    files: ModelFiles,
    *,
    heads: Sequence[str] = DEFAULT_HEADS,
    token_type_ids: bool = False,
    precision: str = "fp32",
    cache: str | os.PathLike[str] | None = None,
    head_tensors: HeadTensors | None = None,
    attention: str = "onnx",
) -> Path:
    """The ONNX file for ``files``: its prebuilt graph (fp32 only), else the graph that
    :func:`~sparsebolt.engine.graph.build_graph` makes from the checkpoint (:func:`checkpoint_file`) +
    ``config.json`` with ``heads`` and ``token_type_ids``, at ``precision``, built on first use into
    ``<cache>/onnx/`` and reused after. ``head_tensors`` are heads saved apart from the checkpoint, added under
    their module names (see :meth:`~sparsebolt.engine.weights.Weights.with_tensors`) and part of the key.
    ``attention`` is how the graph writes attention (``"matmul"`` for OpenVINO); a prebuilt graph is used as it is.

    A graph of :data:`SINGLE_FILE_LIMIT` bytes or more is cached as ``<name>.onnx`` + ``<name>.onnx.data``
    (:func:`save_graph`); the path returned is always the ``.onnx`` one, which onnxruntime loads either way."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} is not supported; choose one of {PRECISIONS}")
    heads = check_heads(heads)
    if files.onnx is not None:
        if precision != "fp32":
            raise ValueError(
                f"{files.onnx} is a prebuilt ONNX graph; precision={precision!r} needs the safetensors weights "
                "(pass a Hugging Face folder with model.safetensors + config.json instead)"
            )
        if head_tensors:
            raise ValueError(
                f"{files.onnx} is a prebuilt ONNX graph, which cannot take the heads {sorted(head_tensors)}; pass a "
                "folder without a prebuilt graph so that the graph is built from the checkpoint with them"
            )
        return files.onnx

    if precision == "int8" and attention != "onnx":
        raise ValueError("the int8 graph runs on ONNX Runtime, with attention='onnx'")
    name = cache_name(
        files,
        heads=heads,
        token_type_ids=token_type_ids,
        precision=precision,
        head_tensors=head_tensors,
        attention=attention,
    )
    target = cache_dir(cache) / "onnx" / name
    if target.is_file():  # saved last, after its data (see save_graph)
        return target

    logger.info("building the %s ONNX graph %s for %s into %s", precision, list(heads), files.folder, target)
    config = TransformerConfig.from_file(files.config)
    weights = _load_checkpoint(checkpoint_file(files), config)
    for module, tensors in (head_tensors or {}).items():
        weights = weights.with_tensors(module, tensors)
    model = build_graph(config, weights, heads, token_type_ids=token_type_ids, attention=attention)
    del weights  # the graph holds its own copies; at XLM-R large size these are 2 GB less at the peak
    if precision == "int8":
        calibration = calibrate(model, _calibration_batches(files, model))
        model = quantize_int8(model, calibration, weight_type=int8_weight_type())
    save_graph(model, target)
    return target


def cache_name(
    files: ModelFiles,
    *,
    heads: Sequence[str] = DEFAULT_HEADS,
    token_type_ids: bool = False,
    precision: str = "fp32",
    head_tensors: HeadTensors | None = None,
    attention: str = "onnx",
) -> str:
    """``<key>-g<GRAPH_VERSION>[q<QUANT_VERSION>[u]]-<precision>.onnx`` (``u``: uint8 weights), the key being the
    sha256 of the checkpoint's sha256, ``config.json``, for int8 the calibration corpus, the heads (in order) and
    token-type input, and the ``head_tensors`` (names, dtypes, shapes and values). The heads part is hashed only
    where it departs from the builder's default, the hidden state without token types, and the head tensors and
    attention only where they depart from none and ``"onnx"``: that graph's key is weights + config alone, the key
    dense graphs already in users' caches are stored under."""
    heads = check_heads(heads)
    key = hashlib.sha256()
    key.update(_sha256_file(checkpoint_file(files)).encode())
    key.update(files.config.read_bytes())
    if precision == "int8":
        key.update(_calibration_corpus().read_bytes())
    if heads != DEFAULT_HEADS or token_type_ids:
        key.update(json.dumps({"heads": list(heads), "token_type_ids": token_type_ids}).encode())
    for block in _tensor_blocks(head_tensors or {}):
        key.update(block)
    if attention != "onnx":
        key.update(json.dumps({"attention": attention}).encode())
    recipe = f"g{GRAPH_VERSION}"
    if precision == "int8":  # uint8 weights where the CPU lacks VNNI ("u"); int8 graphs cached before keep their name
        recipe += f"q{QUANT_VERSION}" + ("u" if int8_weight_type() == "uint8" else "")
    return f"{key.hexdigest()[:32]}-{recipe}-{precision}.onnx"


def checkpoint_file(files: ModelFiles) -> Path:
    """The weights a graph of ``files`` is built from: for a checkpoint family the first of its
    :attr:`~sparsebolt.engine.files.CheckpointFamily.weights` present (BGE-M3: ``model.safetensors``, else
    ``pytorch_model.bin``), else ``model.safetensors``."""
    family = files.family
    if not isinstance(family, CheckpointFamily):
        return files.safetensors
    found = family.weights_file(files.folder)
    if found is None:
        raise ValueError(
            f"{files.folder} has no {' or '.join(family.weights)}; a {family.name} folder needs {family.needs()}"
        )
    return found


def save_graph(model: onnx.ModelProto, target: Path, *, single_file_limit: int | None = None) -> None:
    """``model`` as ``target``, written so that a concurrent reader never sees half a graph and two builders
    racing on one key write identical files.

    Under ``single_file_limit`` bytes (default :data:`SINGLE_FILE_LIMIT`) it is one file, renamed into place.
    Otherwise its tensors go to :func:`data_file` (``target.name + '.data'``, which the graph names relative to
    itself): both are written in a staging folder beside ``target`` and renamed into place data first, so a
    reader that finds the graph finds its data complete. Saving this way moves ``model``'s tensors out of it."""
    limit = SINGLE_FILE_LIMIT if single_file_limit is None else single_file_limit
    if _serialized_size(model) < limit:
        atomic_write_bytes(target, model.SerializeToString())
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    data = data_file(target)
    try:
        onnx.save_model(
            model,
            str(staging / target.name),
            save_as_external_data=True,
            all_tensors_to_one_file=True,
            location=data.name,
            size_threshold=_INLINE_TENSOR_BYTES,
        )
        for staged in (staging / data.name, staging / target.name):
            _fsync(staged)
        os.replace(staging / data.name, data)
        os.replace(staging / target.name, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _serialized_size(model: onnx.ModelProto) -> int:
    """``model.ByteSize()``, or protobuf's 2 GiB limit for a model over it, where protobuf refuses to compute it."""
    from google.protobuf.message import EncodeError

    try:
        return int(model.ByteSize())
    except EncodeError:
        return onnx.checker.MAXIMUM_PROTOBUF


def data_file(graph: Path) -> Path:
    """Where :func:`save_graph` keeps the tensors of a graph too large for one file: ``<graph name>.data``."""
    return graph.with_name(graph.name + ".data")


def _load_checkpoint(path: Path, config: TransformerConfig) -> Weights:
    """``model.safetensors``, or a ``torch.save`` checkpoint (``pytorch_model.bin``) read without torch."""
    if path.suffix == ".safetensors":
        return load_weights(path, config)
    return Weights(normalize_names(read_state_dict(path), config), source=str(path))


def _tensor_blocks(head_tensors: HeadTensors) -> Iterator[bytes]:
    """What a key hashes of head tensors: per tensor its module, name, dtype and shape, then its bytes, in sorted
    order, so that the same tensors give the same key whatever file or mapping order they came from."""
    for module in sorted(head_tensors):
        for name in sorted(head_tensors[module]):
            array = np.ascontiguousarray(head_tensors[module][name])
            header = {"module": module, "name": name, "dtype": array.dtype.str, "shape": list(array.shape)}
            yield json.dumps(header).encode()
            yield array.tobytes()


def _fsync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


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
