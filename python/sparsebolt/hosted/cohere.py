"""Cohere embeddings (``POST {base_url}/v2/embed``) with ``pymilvus.model.dense.CohereEmbeddingFunction``'s shape."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

import numpy as np

from sparsebolt.hosted.base import HostedEmbeddingFunction, Vector

__all__ = ["CohereEmbeddingFunction"]

_TRUNCATE = (None, "NONE", "START", "END")


class CohereEmbeddingFunction(HostedEmbeddingFunction):
    """Embeddings from the Cohere v2 embed API.

    ``embedding_types`` None or ``["float"]`` gives float32 vectors; ``["binary"]`` / ``["ubinary"]`` give the packed
    bytes, as pymilvus does. ``dimensions`` is the API's ``output_dimension`` (embed-v4.0 and later). Requests carry at
    most 96 texts, the documented limit. The key comes from ``api_key``, else ``CO_API_KEY`` or ``COHERE_API_KEY``;
    the base URL from ``base_url``, else ``CO_API_URL`` or ``COHERE_BASE_URL``, else ``https://api.cohere.com``.
    """

    vendor = "Cohere"
    key_env = ("CO_API_KEY", "COHERE_API_KEY")
    url_env = ("CO_API_URL", "COHERE_BASE_URL")
    default_base_url = "https://api.cohere.com"
    path = "/v2/embed"
    max_batch_size = 96
    document_input_type = "search_document"
    query_input_type = "search_query"
    known_dims: Mapping[str, int] = {
        "embed-v4.0": 1536,
        "embed-english-v3.0": 1024,
        "embed-english-light-v3.0": 384,
        "embed-english-v2.0": 4096,
        "embed-english-light-v2.0": 1024,
        "embed-multilingual-v3.0": 1024,
        "embed-multilingual-light-v3.0": 384,
        "embed-multilingual-v2.0": 768,
    }

    def __init__(
        self,
        model_name: str = "embed-english-light-v3.0",
        api_key: Optional[str] = None,
        input_type: str = "search_document",
        embedding_types: Optional[List[str]] = None,
        truncate: Optional[str] = None,
        *,
        dimensions: Optional[int] = None,
        base_url: Optional[str] = None,
        batch_size: Optional[int] = None,
        timeout: float = 60.0,
        max_retries: int = 3,
    ) -> None:
        if embedding_types is not None:
            if not isinstance(embedding_types, list) or len(embedding_types) != 1:
                raise ValueError("embedding_types must be None or a list of exactly one type, as in pymilvus.model")
            if embedding_types[0] in ("int8", "uint8"):
                raise ValueError("embedding_types int8/uint8 is not supported (as in pymilvus.model)")
            if embedding_types[0] not in ("float", "binary", "ubinary"):
                raise ValueError(f"embedding type must be 'float', 'binary' or 'ubinary', got {embedding_types[0]!r}")
        if truncate not in _TRUNCATE:
            raise ValueError(f"truncate must be one of {_TRUNCATE}, got {truncate!r}")
        super().__init__(
            model_name, api_key, base_url=base_url, timeout=timeout, max_retries=max_retries,
            batch_size=batch_size, dimensions=dimensions,
        )
        self.input_type = input_type
        self.embedding_types = embedding_types
        self.truncate = truncate
        self._type = "float" if embedding_types is None else embedding_types[0]

    @property
    def default_input_type(self) -> Optional[str]:
        return self.input_type

    def _payload(self, texts: List[str], input_type: Optional[str]) -> Dict[str, Any]:
        payload: Dict[str, Any] = {
            "model": self.model_name,
            "texts": texts,
            "input_type": input_type,
            "embedding_types": [self._type],
        }
        if self.truncate is not None:
            payload["truncate"] = self.truncate
        if self._requested_dim is not None:
            payload["output_dimension"] = self._requested_dim
        return payload

    def _parse(self, body: Any, n_texts: int) -> List[Vector]:
        embeddings = body.get("embeddings") if isinstance(body, Mapping) else None
        values = embeddings.get(self._type) if isinstance(embeddings, Mapping) else None
        if not isinstance(values, list):
            raise self._client.malformed(f"expected a JSON object with embeddings.{self._type} (a list of embeddings)")
        if len(values) != n_texts:
            raise self._client.malformed(f"{len(values)} embeddings came back for {n_texts} texts")
        if self._type == "float":
            return self._stack_floats(values, f"embeddings.{self._type}")
        dtype = np.int8 if self._type == "binary" else np.uint8
        info = np.iinfo(dtype)
        out: List[Vector] = []
        for i, value in enumerate(values):
            if not isinstance(value, list) or not value or not all(
                isinstance(x, int) and not isinstance(x, bool) and info.min <= x <= info.max for x in value
            ):
                raise self._client.malformed(f"embeddings.{self._type}[{i}] is not a list of {dtype.__name__} values")
            self._note_width(len(value) * 8)
            # Same bytes as pymilvus' struct.pack("b"/"B" * n, *vector).
            out.append(np.asarray(value, dtype=dtype).tobytes())
        return out
