"""Which numeric precision an encoder runs at, and on which runtime, chosen from what the CPU has.

- ``"fp32"`` (the default): the exact graph on ONNX Runtime.
- ``"int8"``: the quantized graph on ONNX Runtime (MatMulIntegerToFloat on uint8 activations; int8 weights on
  CPUs with VNNI, uint8 weights elsewhere: :func:`int8_weight_type`).
- ``"bf16"``: the fp32 graph compiled by OpenVINO's CPU plugin with bfloat16 inference precision, which runs its
  matrix products on AMX tiles or AVX-512 BF16 (through oneDNN). ONNX Runtime's CPU provider has no bf16 kernels
  on x86, so this is the runtime that uses those instructions; it needs ``pip install 'sparsebolt[openvino]'``.
- ``"auto"``: the fastest of these whose fidelity docs/dense.md documents, on this machine: bf16 where the CPU
  has bf16 instructions and OpenVINO is installed, else int8 where it has VNNI, else fp32.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BF16_FLAGS",
    "PRECISIONS",
    "VNNI_FLAGS",
    "RunPrecision",
    "cpu_flags",
    "int8_weight_type",
    "openvino_installed",
    "resolve_precision",
]

PRECISIONS = ("fp32", "int8", "bf16", "auto")
# /proc/cpuinfo flags of the instructions each fast path uses (either one suffices).
BF16_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})
VNNI_FLAGS = frozenset({"amx_int8", "avx512_vnni", "avx_vnni"})


@dataclass(frozen=True)
class RunPrecision:
    """What a requested precision resolved to: the graph to build and the runtime to run it on."""

    name: str  # "fp32", "int8" or "bf16"
    graph: str  # the graph precision engine.build makes: "fp32" or "int8"
    runtime: str  # "onnxruntime" or "openvino"
    attention: str = "onnx"  # how the graph writes attention (engine/graph/encoder.py, ATTENTIONS)


_RESOLVED = {
    "fp32": RunPrecision("fp32", "fp32", "onnxruntime"),
    "int8": RunPrecision("int8", "int8", "onnxruntime"),
    # OpenVINO fuses the written-out attention into its own kernel: 1.1x at 256-512 word pieces in bf16
    "bf16": RunPrecision("bf16", "fp32", "openvino", attention="matmul"),
}


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The instruction-set flags the kernel reports for this CPU (empty where /proc/cpuinfo is not readable,
    as on macOS and Windows: there ``"auto"`` picks fp32)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def int8_weight_type(flags: Collection[str] | None = None) -> str:
    """The integer type of an int8 graph's weights for a CPU with ``flags`` (default: this one's): ``"int8"``
    where it has VNNI, else ``"uint8"`` (zero point 128).

    Without VNNI (AVX2, AVX-512BW, or flags unknown), ONNX Runtime's uint8 x int8 kernels add each pair of
    products in int16 with saturation (vpmaddubsw), which overflows on large activations: all-MiniLM-L6-v2's
    vectors measured mean cosine 0.9969 against sentence-transformers on an AVX2-only AMD EPYC. Its uint8 x uint8
    kernels widen to int16 first and accumulate exactly: 0.9992 there, at the same speed. With VNNI, uint8 x
    int8 products accumulate exactly in int32 (vpdpbusd).
    """
    flags = cpu_flags() if flags is None else frozenset(flags)
    return "int8" if flags & VNNI_FLAGS else "uint8"


def openvino_installed() -> bool:
    return importlib.util.find_spec("openvino") is not None


def resolve_precision(
    precision: str,
    *,
    device: str = "cpu",
    int8: bool = True,
    flags: Collection[str] | None = None,
    has_openvino: bool | None = None,
) -> RunPrecision:
    """``precision`` (one of PRECISIONS) as the graph and runtime to use for ``device``; ``int8=False`` for an
    encoder without a measured int8 graph (then ``"int8"`` is a ValueError and ``"auto"`` never picks it).

    ``flags`` and ``has_openvino`` default to this machine's. An explicit ``"bf16"`` on a CPU without bf16
    instructions, on a GPU, or without OpenVINO is a ValueError/ImportError that says what to do instead, rather
    than a silent slowdown.
    """
    if not isinstance(precision, str) or precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} is not supported; choose one of {PRECISIONS}")
    on_cpu = str(device).lower().startswith("cpu")
    flags = cpu_flags() if flags is None else frozenset(flags)
    has_openvino = openvino_installed() if has_openvino is None else has_openvino
    if precision == "int8" and not int8:
        raise ValueError(
            "precision='int8' is built and measured for the dense sentence encoders only; this encoder runs "
            "'fp32', 'bf16' or 'auto'"
        )
    if precision == "auto":
        if not on_cpu:
            return _RESOLVED["fp32"]
        if has_openvino and flags & BF16_FLAGS:
            return _RESOLVED["bf16"]
        return _RESOLVED["int8" if int8 and flags & VNNI_FLAGS else "fp32"]
    if precision == "bf16":
        if not on_cpu:
            raise ValueError(
                f"precision='bf16' runs on the CPU (OpenVINO); device {device!r} runs fp32 or int8 graphs on "
                "ONNX Runtime"
            )
        if not flags & BF16_FLAGS:
            raise ValueError(
                "precision='bf16' needs a CPU with AMX-BF16 or AVX-512 BF16 (/proc/cpuinfo flags amx_bf16 or "
                "avx512_bf16), which this one lacks: it would run slower than fp32. Use precision='auto' to pick "
                "the fastest precision this CPU has"
            )
        if not has_openvino:
            raise ImportError(
                "precision='bf16' runs on OpenVINO, which is not installed: pip install 'sparsebolt[openvino]' "
                "(or pip install openvino)"
            )
    return _RESOLVED[precision]
