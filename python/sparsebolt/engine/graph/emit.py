"""The one ONNX node emitter: nodes and initializers under names unique within a graph, used by the graph builder
and by the int8 rewrite. Also the opset and domain every graph here is written for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

__all__ = ["IR_VERSION", "MS_DOMAIN", "OPSET", "Emitter", "i64"]

MS_DOMAIN = "com.microsoft"
# ai.onnx 23 has Attention (onnxruntime >= 1.23 runs it); contrib ops are versioned separately (domain version 1).
OPSET = 23
IR_VERSION = 11


def i64(*values: int) -> np.ndarray:
    """A 1-D int64 array, the type of every ONNX shape, axis and index constant."""
    return np.array(values, dtype=np.int64)


class Emitter:
    """Collects nodes and initializers; a thin layer over ``onnx.helper``.

    Generated names are ``{scope}{stem}_{n}`` with one counter for the whole emitter, so two emitters over the
    same graph stay apart by giving them different scopes (the int8 rewrite uses ``q8/``, which the fp32 builder
    never does). :meth:`named_const` keeps a caller's name (under the scope) for constants derived from names
    that are already unique, such as one per quantized weight.
    """

    def __init__(self, scope: str = "") -> None:
        self.scope = scope
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0
        self._named: set[str] = set()

    def fresh(self, stem: str) -> str:
        self._count += 1
        return f"{self.scope}{stem}_{self._count}"

    def const(self, stem: str, value: np.ndarray) -> str:
        """An initializer under a fresh name; returns the name."""
        return self._add_initializer(self.fresh(stem), value)

    def named_const(self, name: str, value: np.ndarray) -> str:
        """An initializer named ``scope + name``; a name given twice is a ValueError (it would be ambiguous)."""
        full = self.scope + name
        if full in self._named:
            raise ValueError(f"the constant {full!r} was already emitted; constants of one graph need unique names")
        self._named.add(full)
        return self._add_initializer(full, value)

    def op(
        self,
        op_type: str,
        inputs: Sequence[str],
        *,
        outputs: Sequence[str] | None = None,
        n_out: int = 1,
        name: str | None = None,
        domain: str = "",
        **attrs: Any,
    ) -> list[str]:
        """One node; returns its output names (``outputs`` if given, else ``n_out`` fresh ones). An empty input
        name is an omitted optional input, as in ONNX."""
        out = list(outputs) if outputs else [self.fresh(op_type.lower()) for _ in range(n_out)]
        node_name = name or self.fresh(op_type)
        self.nodes.append(helper.make_node(op_type, list(inputs), out, name=node_name, domain=domain or None, **attrs))
        return out

    def _add_initializer(self, name: str, value: np.ndarray) -> str:
        array = np.asarray(value)
        # np.ascontiguousarray makes a 0-d value 1-d; ONNX needs real scalars (CumSum's axis, Gather's index)
        contiguous = np.ascontiguousarray(array) if array.ndim else array
        self.initializers.append(numpy_helper.from_array(contiguous, name))
        return name
