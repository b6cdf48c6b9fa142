"""Nomic embeddings (``POST {base_url}/v1/embedding/text``) with ``pymilvus.model.dense.NomicEmbeddingFunction``'s
shape."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from sparsebolt._inputs import positive_int
from sparsebolt.hosted.base import HostedEmbeddingFunction, Vector

__all__ = ["NomicEmbeddingFunction"]

TASK_TYPES = ("search_document", "search_query", "classification", "clustering")
_LONG_TEXT_MODES = ("truncate", "mean")


class NomicEmbeddingFunction(HostedEmbeddingFunction):
    """Embeddings from the Nomic Atlas embedding API as float32 vectors.

    ``dimensions`` is the API's Matryoshka ``dimensionality`` (nomic-embed-text-v1.5: 64 to 768), and ``dim``; a
    ``dimensionality=`` keyword overrides it, as in pymilvus. Queries are sent with ``task_type="search_query"``,
    documents with ``"search_document"`` and ``__call__`` with ``task_type``: what pymilvus' methods ask for (its
    0.3.4 sends ``task_type`` for all three). ``long_text_mode`` (``"truncate"``, the SDK's default, or ``"mean"``)
    is passed on. Requests carry at most 50 texts, the Nomic SDK's request size. The key comes from ``api_key``,
    else ``NOMIC_API_KEY``; the base URL from ``base_url``, else ``ATLAS_API_PATH`` (the SDK's override), else
    ``https://api-atlas.nomic.ai``. Only remote inference is offered: ``inference_mode="local"`` needs GPT4All.
    """

    vendor = "Nomic"
    key_env = ("NOMIC_API_KEY",)
    url_env = ("ATLAS_API_PATH",)
    default_base_url = "https://api-atlas.nomic.ai"
    path = "/v1/embedding/text"
    max_batch_size = 50
    document_input_type = "search_document"
    query_input_type = "search_query"

    def __init__(
        self,
        model_name: str = "nomic-embed-text-v1.5",
        task_type: str = "search_document",
        dimensions: int = 768,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        batch_size: Optional[int] = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        **kwargs: Any,
    ) -> None:
        if task_type not in TASK_TYPES:
            raise ValueError(f"Nomic: task_type must be one of {TASK_TYPES}, got {task_type!r}")
        dimensionality = kwargs.pop("dimensionality", dimensions)
        dimensionality = positive_int(dimensionality, name="Nomic: dimensions")
        long_text_mode = kwargs.pop("long_text_mode", "truncate")
        if long_text_mode not in _LONG_TEXT_MODES:
            raise ValueError(f"Nomic: long_text_mode must be one of {_LONG_TEXT_MODES}, got {long_text_mode!r}")
        inference_mode = kwargs.pop("inference_mode", "remote")
        if inference_mode != "remote":
            raise ValueError(
                f"Nomic: inference_mode={inference_mode!r} runs the model locally through GPT4All, which sparsebolt "
                "does not wrap; use inference_mode='remote' (the Atlas API), or pymilvus.model with nomic[local]"
            )
        if kwargs:
            raise ValueError(
                f"Nomic: unknown option(s) {sorted(kwargs)}; the request options are dimensionality, long_text_mode "
                "and inference_mode='remote'"
            )
        super().__init__(
            model_name, api_key, base_url=base_url, timeout=timeout, max_retries=max_retries,
            batch_size=batch_size, dimensions=dimensionality,
        )
        self.task_type = task_type
        self.dimensionality = dimensionality
        self.long_text_mode = long_text_mode

    @property
    def default_input_type(self) -> Optional[str]:
        return self.task_type

    def _payload(self, texts: List[str], input_type: Optional[str]) -> Dict[str, Any]:
        return {
            "model": self.model_name,
            "texts": texts,
            "task_type": input_type,
            "dimensionality": self.dimensionality,
            "long_text_mode": self.long_text_mode,
        }

    def _parse(self, body: Any, n_texts: int) -> List[Vector]:
        embeddings = body.get("embeddings") if isinstance(body, Mapping) else None
        if not isinstance(embeddings, list):
            raise self._client.malformed("expected a JSON object with an 'embeddings' list")
        if len(embeddings) != n_texts:
            raise self._client.malformed(f"{len(embeddings)} embeddings came back for {n_texts} inputs")
        return self._stack_floats(embeddings, "embeddings")
