"""Ray Data integration (``pip install 'sparsebolt[ray]'``): distributed BM25 fitting, encoding and Milvus ingestion.

``read_documents`` reads files in parallel chunks, ``fit_bm25`` fits BM25 from merged per-shard statistics
(exactly the single-machine fit), ``encode_documents`` adds vectors with encoders built once per worker,
and ``ingest`` is the whole resumable job from files to a Milvus collection. Importing this package does not
import Ray; each function does, with a clear error when it is missing.
"""

from __future__ import annotations

from sparsebolt._lazy import lazy_exports

_EXPORTS = {
    "read_documents": "sparsebolt.ray.documents",
    "as_documents": "sparsebolt.ray.documents",
    "fit_bm25": "sparsebolt.ray.fit",
    "encode_documents": "sparsebolt.ray.encode",
    "ingest": "sparsebolt.ray.job",
    "require_ray": "sparsebolt.ray._ray",
}

__getattr__, __all__ = lazy_exports("sparsebolt.ray", _EXPORTS)
