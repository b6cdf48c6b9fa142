"""Gemini API embeddings (``POST {base_url}/v1beta/models/{model}:batchEmbedContents``) with
``pymilvus.model.dense.GeminiEmbeddingFunction``'s shape."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from sparsebolt.hosted.base import HostedEmbeddingFunction, Vector

__all__ = ["GeminiEmbeddingFunction"]

TASK_TYPES = (
    "TASK_TYPE_UNSPECIFIED", "RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT", "SEMANTIC_SIMILARITY", "CLASSIFICATION",
    "CLUSTERING", "QUESTION_ANSWERING", "FACT_VERIFICATION", "CODE_RETRIEVAL_QUERY",
)
# EmbedContentConfig fields -> the request field each becomes on the Gemini API (the genai SDK's mapping).
_CONFIG_FIELDS = {"task_type": "taskType", "title": "title", "output_dimensionality": "outputDimensionality"}
# Fields the genai SDK refuses for the Gemini API (they exist for Vertex AI only).
_VERTEX_ONLY = ("mime_type", "auto_truncate")
_HTTP_OPTIONS = ("base_url", "api_version", "timeout")


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _fields(value: Any, what: str) -> Dict[str, Any]:
    """The set fields of a genai options object (``types.EmbedContentConfig``/``HttpOptions``, a pydantic model)
    or of a dict with snake_case or camelCase keys, as snake_case names."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        items = dict(value)
    elif hasattr(value, "model_dump"):  # a genai pydantic model, if the SDK is installed
        items = value.model_dump(exclude_none=True)
    elif hasattr(value, "__dict__"):
        items = dict(vars(value))
    else:
        raise TypeError(f"Gemini: {what} must be a dict or a google.genai.types object, got {type(value).__name__}")
    return {_snake(str(key)): item for key, item in items.items() if item is not None}


class GeminiEmbeddingFunction(HostedEmbeddingFunction):
    """Embeddings from the Gemini API as float32 vectors.

    ``config`` is a ``google.genai.types.EmbedContentConfig`` or a dict of its fields: ``task_type`` (e.g.
    ``"RETRIEVAL_DOCUMENT"``), ``title`` and ``output_dimensionality`` (``dim`` follows it). As in pymilvus,
    documents, queries and ``__call__`` all use the one ``config``: pass a config per role to embed queries with
    ``RETRIEVAL_QUERY``. Requests carry at most 100 texts, the documented ``batchEmbedContents`` limit, so a long
    list is split where the SDK would send one refused request. The key comes from ``api_key``, else
    ``GOOGLE_API_KEY`` or ``GEMINI_API_KEY`` (the genai SDK's order), and travels in the ``x-goog-api-key`` header;
    the base URL from ``base_url``, ``http_options={"base_url": ...}``, else ``GOOGLE_GEMINI_BASE_URL``, else
    ``https://generativelanguage.googleapis.com``; ``http_options`` also takes ``api_version`` (``"v1beta"``) and
    ``timeout`` in milliseconds. Vertex AI (``vertexai=True``) needs Google Cloud credentials and is not offered.
    """

    vendor = "Gemini"
    key_env = ("GOOGLE_API_KEY", "GEMINI_API_KEY")
    url_env = ("GOOGLE_GEMINI_BASE_URL",)
    default_base_url = "https://generativelanguage.googleapis.com"
    auth_header = "x-goog-api-key"
    max_batch_size = 100
    known_dims: Mapping[str, int] = {
        "gemini-embedding-exp-03-07": 3072,
        "gemini-embedding-001": 3072,
        "embedding-001": 768,
        "text-embedding-004": 768,
    }

    def __init__(
        self,
        model_name: str = "gemini-embedding-exp-03-07",
        api_key: Optional[str] = None,
        config: Optional[Any] = None,
        *,
        base_url: Optional[str] = None,
        batch_size: Optional[int] = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        **kwargs: Any,
    ) -> None:
        http_options = _fields(kwargs.pop("http_options", None), "http_options")
        if kwargs.pop("vertexai", None):
            raise ValueError(
                "Gemini: vertexai=True needs Google Cloud credentials, which sparsebolt does not handle; use a Gemini "
                "API key (GOOGLE_API_KEY), or pymilvus.model with google-genai for Vertex AI"
            )
        if kwargs:
            raise ValueError(
                f"Gemini: unsupported client option(s) {sorted(kwargs)}; sparsebolt reaches the Gemini API with an "
                "API key and takes http_options={'base_url', 'api_version', 'timeout'}"
            )
        unknown = sorted(set(http_options) - set(_HTTP_OPTIONS))
        if unknown:
            raise ValueError(f"Gemini: unsupported http_options {unknown}; supported are {list(_HTTP_OPTIONS)}")
        if "timeout" in http_options:
            timeout = float(http_options["timeout"]) / 1000.0  # genai's HttpOptions.timeout is in milliseconds
        self.api_version = str(http_options.get("api_version", "v1beta"))
        self.request_fields = self._request_fields(config)
        super().__init__(
            model_name, api_key, base_url=base_url or http_options.get("base_url"), timeout=timeout,
            max_retries=max_retries, batch_size=batch_size,
            dimensions=self.request_fields.get("outputDimensionality"),
        )
        self.config = config
        # The SDK accepts "text-embedding-004" and "models/text-embedding-004" alike; the URL needs the resource name.
        self.model_resource = model_name if "/" in model_name else f"models/{model_name}"
        self.path = f"/{self.api_version}/{self.model_resource}:batchEmbedContents"

    @property
    def dim(self) -> int:
        """``config.output_dimensionality``, else the model's documented size, else what the API returned."""
        if self._requested_dim is None and self.model_name.startswith("models/"):
            known = self.known_dims.get(self.model_name[len("models/"):])
            if known is not None:
                return known
        return super().dim

    @staticmethod
    def _request_fields(config: Any) -> Dict[str, Any]:
        fields = _fields(config, "config")
        refused = [name for name in _VERTEX_ONLY if name in fields]
        if refused:
            raise ValueError(f"Gemini: config {refused} are Vertex AI options, not supported by the Gemini API")
        unknown = sorted(set(fields) - set(_CONFIG_FIELDS))
        if unknown:
            raise ValueError(f"Gemini: unknown config field(s) {unknown}; supported are {sorted(_CONFIG_FIELDS)}")
        out = {_CONFIG_FIELDS[name]: value for name, value in fields.items() if name in _CONFIG_FIELDS}
        if "taskType" in out:
            task = str(getattr(out["taskType"], "value", out["taskType"])).upper()
            if task not in TASK_TYPES:
                raise ValueError(f"Gemini: task_type must be one of {TASK_TYPES}, got {out['taskType']!r}")
            out["taskType"] = task
        return out

    def _payload(self, texts: List[str], input_type: Optional[str]) -> Dict[str, Any]:
        requests = [
            dict({"model": self.model_resource, "content": {"parts": [{"text": text}]}}, **self.request_fields)
            for text in texts
        ]
        return {"requests": requests}

    def _parse(self, body: Any, n_texts: int) -> List[Vector]:
        embeddings = body.get("embeddings") if isinstance(body, Mapping) else None
        if not isinstance(embeddings, list):
            raise self._client.malformed("expected a JSON object with an 'embeddings' list of {values}")
        if len(embeddings) != n_texts:
            raise self._client.malformed(f"{len(embeddings)} embeddings came back for {n_texts} inputs")
        values = [item.get("values") if isinstance(item, Mapping) else None for item in embeddings]
        return self._stack_floats(values, "embeddings[].values")
