"""The default BM25 parameters pymilvus-model publishes (fitted on MS MARCO), fetched once into the cache.

``BM25EmbeddingFunction().load()`` with no path uses them, as pymilvus-model does; unlike it, the file
goes to the user cache (not the working directory) and a failed download says how to proceed offline.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from sparsebolt._files import atomic_write_bytes, cache_dir

__all__ = ["DEFAULT_PARAMS_URL", "default_params_path"]

DEFAULT_PARAMS_URL = "https://github.com/milvus-io/pymilvus-assets/releases/download/v0.1-bm25v1/bm25_msmarco_v1.json"
_FILENAME = "bm25_msmarco_v1.json"


def default_params_path(timeout: float = 30.0) -> Path:
    """The cached default params file, downloading it on first use."""
    target = cache_dir() / _FILENAME
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(DEFAULT_PARAMS_URL, timeout=timeout) as response:
            payload = response.read()
    except (urllib.error.URLError, OSError) as error:
        raise RuntimeError(
            f"could not download the default BM25 params from {DEFAULT_PARAMS_URL} ({error}). "
            f"Offline, either fit on your corpus (fit(corpus)), load a params file you saved (load(path)), "
            f"or place {_FILENAME} at {target}"
        ) from error
    atomic_write_bytes(target, payload)
    return target
