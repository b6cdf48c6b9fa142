"""``sparsebolt --version`` and ``sparsebolt.__version__`` name the version pyproject.toml gives the package."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import sparsebolt

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def declared_version() -> str:
    match = re.search(r'^version = "([^"]+)"$', PYPROJECT.read_text(encoding="utf-8"), re.M)
    assert match, "pyproject.toml has no [project] version line"
    return match.group(1)


def test_version_flag_prints_the_declared_version() -> None:
    done = subprocess.run([sys.executable, "-m", "sparsebolt.cli", "--version"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"sparsebolt {declared_version()}"


def test_package_attribute_matches_the_declared_version() -> None:
    assert sparsebolt.__version__ == declared_version()
