"""Test doubles and test data shipped with sparsebolt: local HTTP stand-ins of the hosted vendor APIs
(``vendor_servers``; their embedding routes in ``vendor_embeddings``), a writer of PyTorch ``torch.save`` files for
checkpoints built in tests (``torch_checkpoints``), the fetcher of the splade-tiny model (``splade_tiny``), and
Chinese and Japanese test sentences with pymilvus.model's zh and jp analyzers as references (``cjk_reference``).

Used by the package's tests and by the benchmarks in bench/; nothing here is imported by sparsebolt itself.
"""

from __future__ import annotations

__all__: list[str] = []
