"""An OpenVINO compiled model behind the slice of ``onnxruntime.InferenceSession`` the engine uses
(``get_inputs``, ``get_outputs``, ``get_providers``, ``run``), so the runner, the encoders and their checks stay
the same whichever runtime a precision picked (engine/precision.py)."""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

__all__ = ["OpenVinoSession", "PortInfo"]

# OpenVINO element types as onnxruntime names them, for the inputs and outputs the engine inspects.
_TYPE_NAMES = {"i64": "tensor(int64)", "i32": "tensor(int32)", "f32": "tensor(float)", "f16": "tensor(float16)"}


@dataclass(frozen=True)
class PortInfo:
    """What ``onnxruntime.NodeArg`` tells about an input or output: its name, type and shape (None: dynamic)."""

    name: str
    type: str
    shape: list[Optional[int]]


# A batch shape gets a model compiled for it once the dynamic model has spent this many times the compile's
# cost on it (about 0.2-0.3 s for MiniLM; the last compile's time is the estimate): the ~10% it saves then pays
# for the compile within the job, and a shape met a few times (a query's, one of many lengths) never waits.
STATIC_AFTER_COMPILES = 5
_FIRST_COMPILE_ESTIMATE = 0.3
# Only batches this large (rows x sequence length) are worth one: below, the dynamic model is as fast.
STATIC_MIN_TOKENS = 2048
# Memory the static copies may take together (each holds the weights in bf16 and its own activations).
STATIC_BUDGET_BYTES = 1 << 30
MAX_STATIC = 4


class OpenVinoSession:
    """``graph`` compiled for the CPU at ``inference_precision`` (``"bf16"`` or ``"f32"``) with ``threads`` threads.

    Batches run on one model compiled for dynamic shapes; a large batch shape that keeps coming back (a bulk
    job's full batches of texts cut at the model's length) gets its own model compiled for that shape, once the
    dynamic model has spent STATIC_AFTER_COMPILES compiles' time on it, and runs as two streams of half the
    threads, each taking half the rows: the same outputs, 1.13x the docs/s of the dynamic model on MiniLM texts
    cut at 256 word pieces (2 threads, batch 32, interleaved runs). At most :data:`MAX_STATIC` such models are made
    (the first shapes to earn one keep it), fewer for large models (:data:`STATIC_BUDGET_BYTES`).

    ``run`` may be called from several threads: each gets its own infer requests, as an ORT session's ``run`` is
    safe to share.
    """

    def __init__(self, graph: Union[Path, bytes], *, inference_precision: str = "bf16", threads: int | None = None):
        import openvino as ov

        if threads is not None and (not isinstance(threads, int) or threads < 1):
            raise ValueError(f"threads must be a positive integer or None, got {threads!r}")
        self._core = core = ov.Core()
        self._model = core.read_model(str(graph)) if isinstance(graph, Path) else core.read_model(graph, b"")
        self._config: dict[str, Any] = {"INFERENCE_PRECISION_HINT": inference_precision}
        if threads is not None:
            self._config["INFERENCE_NUM_THREADS"] = threads
        self.inference_precision = inference_precision
        # Batches arrive one after another from one caller: latency mode runs each on all the threads.
        self._compiled = core.compile_model(self._model, "CPU", {**self._config, "PERFORMANCE_HINT": "LATENCY"})
        self._inputs = [_port_info(port) for port in self._compiled.inputs]
        self._outputs = [_port_info(port) for port in self._compiled.outputs]
        self._local = threading.local()
        self.streams = 2 if (threads or os.cpu_count() or 1) >= 2 else 1
        weights = sum(op.get_byte_size() for op in self._model.get_ops() if op.get_type_name() == "Constant")
        self.max_static = min(MAX_STATIC, STATIC_BUDGET_BYTES // max(1, weights // 2))
        self._static: dict[tuple[tuple[Any, ...], ...], _StaticModel] = {}
        self._dynamic_seconds: dict[tuple[tuple[Any, ...], ...], float] = defaultdict(float)
        self._compile_seconds = _FIRST_COMPILE_ESTIMATE
        self._lock = threading.Lock()

    def get_inputs(self) -> list[PortInfo]:
        return list(self._inputs)

    def get_outputs(self) -> list[PortInfo]:
        return list(self._outputs)

    def get_providers(self) -> list[str]:
        return [f"OpenVINO CPU ({self.inference_precision})"]

    def run(self, output_names: Optional[Sequence[str]], feed: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        """The outputs named (all of them for None), as arrays the caller owns: OpenVINO reuses a request's
        output buffers on its next inference."""
        names = [info.name for info in self._outputs] if output_names is None else list(output_names)
        known = {info.name for info in self._outputs}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ValueError(f"the graph has no outputs {unknown}; it declares {sorted(known)}")
        key = self._static_key(feed)
        static = None if key is None else self._static_for(key, feed)
        if static is not None:
            return self._run_split(static, names, feed)
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self._compiled.create_infer_request()
        started = time.perf_counter()
        results = request.infer(dict(feed))
        if key is not None:
            with self._lock:
                self._dynamic_seconds[key] += time.perf_counter() - started
        return [np.array(results[self._compiled.output(name)], copy=True) for name in names]

    # static shapes -----------------------------------------------------------------------------------------
    def _static_key(self, feed: Mapping[str, np.ndarray]) -> Optional[tuple[tuple[Any, ...], ...]]:
        """The shape key of a batch that may get its own model (large, rows split evenly); None otherwise."""
        arrays = list(feed.values())
        if self.max_static < 1 or not arrays or arrays[0].ndim < 2:
            return None
        rows = arrays[0].shape[0]
        if rows % self.streams or rows * arrays[0].shape[1] < STATIC_MIN_TOKENS:
            return None
        if any(array.shape[0] != rows for array in arrays):
            return None
        return tuple((name, *array.shape) for name, array in sorted(feed.items()))

    def _static_for(self, key: tuple[tuple[Any, ...], ...], feed: Mapping[str, np.ndarray]) -> Optional[_StaticModel]:
        """The model compiled for this shape, compiled now if the dynamic model has spent enough time on it."""
        with self._lock:
            if key in self._static:
                return self._static[key]
            # Full: the shapes compiled stay (replacing them would compile over and over for a corpus of many
            # lengths, each recurring now and then).
            if len(self._static) >= self.max_static:
                return None
            if self._dynamic_seconds[key] < STATIC_AFTER_COMPILES * self._compile_seconds:
                return None
            part = next(iter(feed.values())).shape[0] // self.streams
            started = time.perf_counter()
            compiled = self._compile_static(feed, part)
            self._compile_seconds = time.perf_counter() - started
            del self._dynamic_seconds[key]
            if any(output.get_partial_shape()[0] != part for output in compiled.outputs):
                self.max_static = 0  # an output not batch-first cannot be joined from row slices
                return None
            static = self._static[key] = _StaticModel(compiled, threading.local())
            return static

    def _compile_static(self, feed: Mapping[str, np.ndarray], part: int) -> Any:
        """The model reshaped to ``part`` rows of this batch's shape, for ``streams`` requests at once."""
        model = self._model.clone()
        model.reshape({name: [part, *array.shape[1:]] for name, array in feed.items()})
        config = {**self._config, "PERFORMANCE_HINT": "THROUGHPUT", "NUM_STREAMS": self.streams}
        return self._core.compile_model(model, "CPU", config)

    def _run_split(self, static: _StaticModel, names: list[str], feed: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        """One batch as ``streams`` slices of its rows run at once, the outputs joined back in row order."""
        requests = getattr(static.local, "requests", None)
        if requests is None:
            requests = static.local.requests = [static.compiled.create_infer_request() for _ in range(self.streams)]
        part = next(iter(feed.values())).shape[0] // self.streams
        for index, request in enumerate(requests):
            request.start_async({name: array[index * part : (index + 1) * part] for name, array in feed.items()})
        for request in requests:
            request.wait()
        ports = [static.compiled.output(name) for name in names]
        return [np.concatenate([request.get_tensor(port).data for request in requests]) for port in ports]


@dataclass
class _StaticModel:
    """A model compiled for one batch shape, with each thread's infer requests for it (dropped with it)."""

    compiled: Any
    local: threading.local


def _port_info(port: Any) -> PortInfo:
    shape = [None if dim.is_dynamic else dim.get_length() for dim in port.get_partial_shape()]
    element = port.get_element_type().get_type_name()
    return PortInfo(name=port.get_any_name(), type=_TYPE_NAMES.get(element, f"tensor({element})"), shape=shape)
