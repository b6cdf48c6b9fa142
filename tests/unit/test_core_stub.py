"""The hand-written stub python/sparsebolt/_core.pyi against the compiled module, checked by mypy's stubtest:
a binding added, renamed or re-signatured in csrc/bindings.cpp without the stub fails here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ALLOWLIST = Path(__file__).resolve().parents[1] / "stubtest_allowlist.txt"


def test_stub_matches_the_compiled_core():
    pytest.importorskip("mypy.stubtest")
    done = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "sparsebolt._core", "--allowlist", str(ALLOWLIST)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
