"""ONNX Runtime sessions: which execution providers, how many threads, which graph optimizations, and what is fed.
Validates a requested device against the providers this onnxruntime build has, instead of falling back silently,
and feeds a graph only the inputs it declares, each in its declared integer type."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Union

import numpy as np

logger = logging.getLogger(__name__)

__all__ = [
    "FEEDABLE_INPUTS",
    "ProviderSpec",
    "check_active_providers",
    "create_session",
    "declared_inputs",
    "feed",
    "make_session_options",
    "provider_name",
    "select_providers",
]

ProviderSpec = Union[str, tuple[str, dict[str, Any]]]
CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
# What a tokenizer gives a BERT-family graph; a graph that declares anything else needs a caller that knows it.
FEEDABLE_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_INPUT_TYPES: dict[str, type[np.integer[Any]]] = {"tensor(int64)": np.int64, "tensor(int32)": np.int32}


def provider_name(spec: ProviderSpec) -> str:
    """``"CUDAExecutionProvider"`` for both ``"CUDAExecutionProvider"`` and ``("CUDAExecutionProvider", {...})``."""
    return spec if isinstance(spec, str) else spec[0]


def select_providers(
    device: str = "cpu", providers: Sequence[ProviderSpec] | None = None, *, available: Sequence[str]
) -> list[ProviderSpec]:
    """The provider list for ``device`` (``"cpu"``, ``"cuda"``, ``"cuda:N"``) or an explicit ``providers`` list.

    A provider that this onnxruntime build lacks is a ValueError that says what to install: asking for CUDA
    and silently running on the CPU would turn a 2 ms query into a 20 ms one without anyone noticing.
    """
    if providers is not None:
        chosen = list(providers)
        if not chosen:
            raise ValueError("providers is empty; pass e.g. ['CPUExecutionProvider']")
    else:
        kind, _, index = str(device).lower().partition(":")
        if kind == "cpu":
            chosen = [CPU]
        elif kind in ("cuda", "gpu"):
            if index and not index.isdigit():
                raise ValueError(f"device {device!r}: the CUDA device index must be an integer, like 'cuda:1'")
            chosen = [(CUDA, {"device_id": int(index or 0)}), CPU]
        else:
            raise ValueError(
                f"device {device!r} is not supported; use 'cpu', 'cuda' or 'cuda:N', or pass providers=[...]"
            )
    for spec in chosen:
        name = provider_name(spec)
        if name not in available:
            advice = " Install onnxruntime-gpu (pip install 'sparsebolt[gpu]') to use CUDA." if name == CUDA else ""
            raise ValueError(
                f"execution provider {name!r} is not available in this onnxruntime build "
                f"(available: {list(available)}).{advice} Use device='cpu' to run on the CPU."
            )
    return chosen


def check_active_providers(requested: Sequence[ProviderSpec], active: Sequence[str]) -> None:
    """Log a warning for each requested provider that the session did not keep (ORT drops a provider whose
    libraries fail to load, for example CUDA without cuDNN, and runs those nodes on the CPU)."""
    for spec in requested:
        name = provider_name(spec)
        if name not in active:
            logger.warning("onnxruntime dropped %s (missing libraries?); running on %s instead", name, list(active))


def make_session_options(*, threads: int | None = None) -> Any:
    """``threads`` intra-op threads (None: onnxruntime's default, one per physical core); one inter-op thread."""
    import onnxruntime as ort

    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads must be a positive integer or None, got {threads!r}")
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.inter_op_num_threads = 1
    if threads is not None:
        options.intra_op_num_threads = threads
    options.log_severity_level = 3  # onnxruntime's own warnings go to stderr, outside Python logging
    return options


def create_session(
    model: Path | bytes,
    *,
    device: str = "cpu",
    providers: Sequence[ProviderSpec] | None = None,
    threads: int | None = None,
    runtime: str = "onnxruntime",
) -> Any:
    """An ``onnxruntime.InferenceSession`` for ``model`` (a path or serialized bytes) on the chosen providers, or
    for ``runtime="openvino"`` (precision="bf16", see engine/precision.py) an OpenVINO CPU model in bfloat16 with
    the same interface."""
    if runtime == "openvino":
        if providers is not None:
            raise ValueError("providers= selects onnxruntime execution providers; precision='bf16' runs on OpenVINO")
        from .openvino_session import OpenVinoSession

        return OpenVinoSession(model, inference_precision="bf16", threads=threads)
    if runtime != "onnxruntime":
        raise ValueError(f"runtime {runtime!r} is not supported; choose 'onnxruntime' or 'openvino'")
    import onnxruntime as ort

    chosen = select_providers(device, providers, available=ort.get_available_providers())
    if any(provider_name(spec) == CUDA for spec in chosen):
        _preload_cuda_libraries(ort)
    source = str(model) if isinstance(model, Path) else model
    # BiasGelu (the fusion of Add + Gelu) runs 1.5-2x slower than the two ops it replaces on CPU, measured with
    # onnxruntime 1.32; the int8 graph adds biases after rescaling and would otherwise be fused into it.
    session = ort.InferenceSession(
        source, make_session_options(threads=threads), providers=chosen, disabled_optimizers=["BiasGeluFusion"]
    )
    check_active_providers(chosen, session.get_providers())
    return session


def _preload_cuda_libraries(ort: Any) -> None:
    """Load CUDA/cuDNN from the nvidia-* pip wheels (onnxruntime-gpu's documented step since 1.21): without it
    the CUDA provider finds them only on LD_LIBRARY_PATH or after ``import torch``, and is silently dropped."""
    preload = getattr(ort, "preload_dlls", None)
    if preload is None:
        return
    try:
        preload()
    except (OSError, RuntimeError) as error:  # libraries elsewhere (system CUDA): the session still finds them
        logger.debug("onnxruntime.preload_dlls() failed: %s", error)


def declared_inputs(session: Any, *, graph: str = "the graph") -> dict[str, type[np.integer[Any]]]:
    """The inputs ``session`` declares, by name, with the integer numpy type each wants.

    A ValueError names ``graph`` when it wants an input a tokenizer cannot provide (anything outside
    FEEDABLE_INPUTS, or no ``input_ids``) or a type other than int64/int32, so that a wrong export fails at load
    time rather than at the first batch.
    """
    declared = {i.name: i.type for i in session.get_inputs()}
    unknown = sorted(set(declared) - set(FEEDABLE_INPUTS))
    if "input_ids" not in declared or unknown:
        raise ValueError(
            f"{graph} declares inputs {sorted(declared)}; sparsebolt feeds input_ids and optionally attention_mask "
            "and token_type_ids (a BERT-style export, as `optimum-cli export onnx` writes)"
        )
    wrong = {name: kind for name, kind in declared.items() if kind not in _INPUT_TYPES}
    if wrong:
        raise ValueError(
            f"{graph} declares inputs of types {wrong}; token inputs must be tensor(int64) or tensor(int32)"
        )
    return {name: _INPUT_TYPES[kind] for name, kind in declared.items()}


def feed(inputs: Mapping[str, type[np.integer[Any]]], arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The feed for a session: each of ``inputs`` (from :func:`declared_inputs`) taken from ``arrays`` in its
    declared type, and nothing else (onnxruntime rejects an undeclared input)."""
    return {name: arrays[name].astype(dtype, copy=False) for name, dtype in inputs.items()}
