"""An OpenVINO compiled model behind the slice of ``onnxruntime.InferenceSession`` the engine uses
(``get_inputs``, ``get_outputs``, ``get_providers``, ``run``), so the runner, the encoders and their checks stay
the same whichever runtime a precision picked (engine/precision.py)."""

from __future__ import annotations

import threading
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


class OpenVinoSession:
    """``graph`` compiled for the CPU at ``inference_precision`` (``"bf16"`` or ``"f32"``) with ``threads`` threads.

    ``run`` may be called from several threads: each gets its own infer request, as an ORT session's ``run`` is
    safe to share.
    """

    def __init__(self, graph: Union[Path, bytes], *, inference_precision: str = "bf16", threads: int | None = None):
        import openvino as ov

        if threads is not None and (not isinstance(threads, int) or threads < 1):
            raise ValueError(f"threads must be a positive integer or None, got {threads!r}")
        core = ov.Core()
        model = core.read_model(str(graph)) if isinstance(graph, Path) else core.read_model(graph, b"")
        config: dict[str, Any] = {
            "INFERENCE_PRECISION_HINT": inference_precision,
            # Batches arrive one after another from one caller: latency mode runs each on all the threads.
            "PERFORMANCE_HINT": "LATENCY",
        }
        if threads is not None:
            config["INFERENCE_NUM_THREADS"] = threads
        self.inference_precision = inference_precision
        self._compiled = core.compile_model(model, "CPU", config)
        self._inputs = [_port_info(port) for port in self._compiled.inputs]
        self._outputs = [_port_info(port) for port in self._compiled.outputs]
        self._ports = {info.name: port for info, port in zip(self._outputs, self._compiled.outputs)}
        self._local = threading.local()

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
        unknown = [name for name in names if name not in self._ports]
        if unknown:
            raise ValueError(f"the graph has no outputs {unknown}; it declares {list(self._ports)}")
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self._compiled.create_infer_request()
        results = request.infer(dict(feed))
        return [np.array(results[self._ports[name]], copy=True) for name in names]


def _port_info(port: Any) -> PortInfo:
    shape = [None if dim.is_dynamic else dim.get_length() for dim in port.get_partial_shape()]
    element = port.get_element_type().get_type_name()
    return PortInfo(name=port.get_any_name(), type=_TYPE_NAMES.get(element, f"tensor({element})"), shape=shape)
