"""OpenAI embeddings (``POST {base_url}/embeddings``) with ``pymilvus.model.dense.OpenAIEmbeddingFunction``'s shape.

Works with any OpenAI-compatible server through ``base_url`` (or ``OPENAI_BASE_URL``, as the OpenAI SDK reads it).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from sparsebolt.hosted.base import HostedEmbeddingFunction, Vector

__all__ = ["OpenAIEmbeddingFunction"]

_ENCODINGS = ("base64", "float")


class OpenAIEmbeddingFunction(HostedEmbeddingFunction):
    """Embeddings from the OpenAI API as float32 vectors.

    ``dimensions`` is the API's option for text-embedding-3 models (``dim`` follows it). Requests carry at most 2048
    inputs and a bounded 300k tokens (the documented limits); ``batch_size`` lowers the first. The key comes from
    ``api_key``, else ``OPENAI_API_KEY``. ``encoding_format="base64"`` (the OpenAI SDK's own wire default) moves a
    quarter of the bytes of JSON floats and decodes without a float parser; ``"float"`` suits servers that lack it.
    """

    vendor = "OpenAI"
    key_env = ("OPENAI_API_KEY",)
    url_env = ("OPENAI_BASE_URL",)
    default_base_url = "https://api.openai.com/v1"
    path = "/embeddings"
    max_batch_size = 2048
    known_dims: Mapping[str, int] = {
        "text-embedding-3-small": 1536,
        "text-embedding-3-large": 3072,
        "text-embedding-ada-002": 1536,
    }

    def __init__(
        self,
        model_name: str = "text-embedding-ada-002",
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        dimensions: Optional[int] = None,
        *,
        encoding_format: str = "base64",
        batch_size: Optional[int] = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        user: Optional[str] = None,
    ) -> None:
        if encoding_format not in _ENCODINGS:
            raise ValueError(f"encoding_format must be one of {_ENCODINGS}, got {encoding_format!r}")
        super().__init__(
            model_name, api_key, base_url=base_url, timeout=timeout, max_retries=max_retries,
            batch_size=batch_size, dimensions=dimensions,
        )
        self.encoding_format = encoding_format
        self.user = user

    def max_batch_tokens(self) -> Optional[int]:
        return 300_000

    def _payload(self, texts: List[str], input_type: Optional[str]) -> Dict[str, Any]:
        payload: Dict[str, Any] = {"input": texts, "model": self.model_name, "encoding_format": self.encoding_format}
        if self._requested_dim is not None:
            payload["dimensions"] = self._requested_dim
        if self.user is not None:
            payload["user"] = self.user
        return payload

    def _parse(self, body: Any, n_texts: int) -> List[Vector]:
        items = self._indexed_items(body, "data", n_texts)
        return self._stack_floats([item.get("embedding") for item in items], "data[].embedding")
