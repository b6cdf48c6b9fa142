"""``pymilvus.model.sparse.utils``: ``stack_sparse_embeddings``, defined in :mod:`sparsebolt.model.utils`."""

from __future__ import annotations

from sparsebolt.model.utils import stack_sparse_embeddings

__all__ = ["stack_sparse_embeddings"]
