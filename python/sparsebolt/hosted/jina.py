"""Jina AI embeddings (``POST {base_url}/embeddings``) with ``pymilvus.model.dense.JinaEmbeddingFunction``'s shape."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from sparsebolt.hosted.base import HostedEmbeddingFunction, Vector

__all__ = ["JinaEmbeddingFunction"]


class JinaEmbeddingFunction(HostedEmbeddingFunction):
    """Embeddings from the Jina AI API as float32 vectors.

    Queries are sent with ``task="retrieval.query"``, documents with ``"retrieval.passage"`` and ``__call__`` with
    ``task``, as pymilvus does. ``dimensions`` is the API's Matryoshka option. The key comes from ``api_key``, else
    ``JINAAI_API_KEY`` or ``JINA_API_KEY``; the base URL from ``base_url``, else ``JINAAI_BASE_URL``.
    """

    vendor = "Jina"
    key_env = ("JINAAI_API_KEY", "JINA_API_KEY")
    url_env = ("JINAAI_BASE_URL",)
    default_base_url = "https://api.jina.ai/v1"
    path = "/embeddings"
    max_batch_size = 2048
    document_input_type = "retrieval.passage"
    query_input_type = "retrieval.query"
    known_dims: Mapping[str, int] = {
        "jina-embeddings-v3": 1024,
        "jina-embeddings-v2-base-en": 768,
        "jina-embeddings-v2-small-en": 512,
    }

    def __init__(
        self,
        model_name: str = "jina-embeddings-v3",
        api_key: Optional[str] = None,
        task: str = "retrieval.passage",
        dimensions: Optional[int] = None,
        late_chunking: Optional[bool] = False,
        *,
        base_url: Optional[str] = None,
        batch_size: Optional[int] = None,
        timeout: float = 60.0,
        max_retries: int = 3,
    ) -> None:
        super().__init__(
            model_name, api_key, base_url=base_url, timeout=timeout, max_retries=max_retries,
            batch_size=batch_size, dimensions=dimensions,
        )
        self.task = task
        self.late_chunking = late_chunking

    @property
    def default_input_type(self) -> Optional[str]:
        return self.task

    def splits_batches(self) -> bool:
        # Late chunking embeds the inputs of one request in one shared context: splitting would change the vectors.
        return not self.late_chunking

    def _payload(self, texts: List[str], input_type: Optional[str]) -> Dict[str, Any]:
        payload: Dict[str, Any] = {
            "input": texts,
            "model": self.model_name,
            "task": input_type,
            "late_chunking": self.late_chunking,
        }
        if self._requested_dim is not None:
            payload["dimensions"] = self._requested_dim
        return payload

    def _parse(self, body: Any, n_texts: int) -> List[Vector]:
        items = self._indexed_items(body, "data", n_texts)
        return self._stack_floats([item.get("embedding") for item in items], "data[].embedding")
