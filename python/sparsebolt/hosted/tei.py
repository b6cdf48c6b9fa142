"""A Hugging Face text-embeddings-inference server's ``POST {api_url}/embed``, with
``pymilvus.model.dense.TEIEmbeddingFunction``'s shape."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from sparsebolt.hosted.base import HostedEmbeddingFunction, Vector

__all__ = ["TEIEmbeddingFunction"]


class TEIEmbeddingFunction(HostedEmbeddingFunction):
    """Embeddings from a TEI server as float32 vectors.

    ``dimensions`` is the model's width when known (``dim`` then needs no request); without it ``dim`` is probed
    once, as in pymilvus. pymilvus posts to TEI's OpenAI-style ``/v1/embeddings``; this class uses TEI's own
    ``/embed``, which returns the same vectors and takes ``truncate`` (cut inputs longer than the model's maximum
    instead of failing with 413/422) and ``normalize`` (unit length, TEI's default). TEI refuses more than
    ``--max-client-batch-size`` inputs (32 by default), so requests carry at most ``batch_size=32``; raise it for a
    server started with a larger one. ``api_key`` is needed only for a server started with ``--api-key``.
    """

    vendor = "TEI"
    path = "/embed"
    max_batch_size = 32

    def __init__(
        self,
        api_url: str,
        dimensions: Optional[int] = None,
        *,
        api_key: Optional[str] = None,
        truncate: bool = True,
        normalize: bool = True,
        batch_size: Optional[int] = None,
        timeout: float = 60.0,
        max_retries: int = 3,
    ) -> None:
        if not isinstance(api_url, str):
            raise TypeError(f"TEI: api_url must be a str like 'http://localhost:8080', got {type(api_url).__name__}")
        for name, flag in (("truncate", truncate), ("normalize", normalize)):
            if not isinstance(flag, bool):
                raise TypeError(f"TEI: {name} must be a bool, got {type(flag).__name__}")
        if isinstance(batch_size, int) and not isinstance(batch_size, bool) and batch_size > 0:
            # The server's --max-client-batch-size is the real bound, which only the caller knows; 32 is TEI's
            # default and so the default here, not a ceiling.
            self.max_batch_size = batch_size
        super().__init__(
            "tei", api_key, base_url=api_url, timeout=timeout, max_retries=max_retries, batch_size=batch_size,
            dimensions=dimensions, require_key=False,
        )
        self.api_url = self.base_url
        self.truncate = truncate
        self.normalize = normalize

    def __repr__(self) -> str:
        return f"TEIEmbeddingFunction(api_url={self.api_url!r})"

    def _payload(self, texts: List[str], input_type: Optional[str]) -> Dict[str, Any]:
        return {"inputs": texts, "truncate": self.truncate, "normalize": self.normalize}

    def _parse(self, body: Any, n_texts: int) -> List[Vector]:
        # TEI answers a bare JSON list with one list of floats per input, in input order.
        if not isinstance(body, list):
            raise self._client.malformed("expected a JSON list of embeddings (one list of numbers per input)")
        if len(body) != n_texts:
            raise self._client.malformed(f"{len(body)} embeddings came back for {n_texts} inputs")
        return self._stack_floats(body, "embeddings")
