"""Test doubles shipped with sparsebolt: local HTTP stand-ins of the hosted vendor APIs (``vendor_servers``).

Used by the package's tests and by bench/bench_hosted.py; nothing here is imported by sparsebolt itself.
"""

from __future__ import annotations

__all__: list[str] = []
