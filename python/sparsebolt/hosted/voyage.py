"""Voyage AI embeddings (``POST {base_url}/embeddings``) with
``pymilvus.model.dense.VoyageEmbeddingFunction``'s shape."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

import numpy as np

from sparsebolt.hosted.base import HostedEmbeddingFunction, Vector

__all__ = ["VoyageEmbeddingFunction"]

# model -> output dimensions it accepts, default first (Voyage docs, "Models and specifics").
_DIMS: Mapping[str, Tuple[int, ...]] = {
    "voyage-3.5": (1024, 256, 512, 2048),
    "voyage-3.5-lite": (1024, 256, 512, 2048),
    "voyage-3-large": (1024, 256, 512, 2048),
    "voyage-code-3": (1024, 256, 512, 2048),
    "voyage-3": (1024,),
    "voyage-3-lite": (512,),
    "voyage-finance-2": (1024,),
    "voyage-multilingual-2": (1024,),
    "voyage-law-2": (1024,),
    "voyage-large-2": (1536,),
    "voyage-code-2": (1536,),
    "voyage-2": (1024,),
    "voyage-lite-02-instruct": (1024,),
}
# Models that return binary / ubinary output; the others return float only.
_QUANTIZABLE = frozenset({"voyage-3.5", "voyage-3.5-lite", "voyage-3-large", "voyage-code-3"})
# Documented total tokens per request; unknown models get the smallest.
_TOKEN_LIMITS: Mapping[str, int] = {"voyage-3.5-lite": 1_000_000, "voyage-3-lite": 1_000_000, "voyage-3.5": 320_000,
                                    "voyage-3": 320_000, "voyage-2": 320_000}
_DEFAULT_TOKEN_LIMIT = 120_000


class VoyageEmbeddingFunction(HostedEmbeddingFunction):
    """Embeddings from the Voyage AI API.

    ``embedding_type`` None or ``"float"`` gives float32 vectors; ``"binary"`` and ``"ubinary"`` give bool vectors of
    ``dim`` bits, unpacked as pymilvus does. ``dimension`` is the API's ``output_dimension``. Requests carry at most
    1000 inputs and the model's documented token total. The key comes from ``api_key``, else ``VOYAGE_API_KEY``; the
    base URL from ``base_url``, else ``VOYAGE_BASE_URL``.
    """

    vendor = "Voyage"
    key_env = ("VOYAGE_API_KEY",)
    url_env = ("VOYAGE_BASE_URL",)
    default_base_url = "https://api.voyageai.com/v1"
    path = "/embeddings"
    max_batch_size = 1000
    document_input_type = "document"
    query_input_type = "query"
    known_dims: Mapping[str, int] = {model: dims[0] for model, dims in _DIMS.items()}

    def __init__(
        self,
        model_name: str = "voyage-3-large",
        api_key: Optional[str] = None,
        embedding_type: Optional[str] = None,
        truncate: Optional[bool] = None,
        dimension: Optional[int] = None,
        *,
        base_url: Optional[str] = None,
        batch_size: Optional[int] = None,
        timeout: float = 60.0,
        max_retries: int = 3,
    ) -> None:
        allowed = _DIMS.get(model_name)
        if dimension is not None and allowed is not None and dimension not in allowed:
            raise ValueError(
                f"The provided dimension ({dimension}) is not supported by {model_name}; it accepts {list(allowed)}. "
                "Leave it unset for the model's default (https://docs.voyageai.com/docs/embeddings)."
            )
        if embedding_type in ("int8", "uint8"):
            raise ValueError("embedding_type int8/uint8 is not supported (as in pymilvus.model); use float or binary")
        if embedding_type not in (None, "float", "binary", "ubinary"):
            raise ValueError(f"embedding_type must be None, 'float', 'binary' or 'ubinary', got {embedding_type!r}")
        if embedding_type in ("binary", "ubinary") and model_name not in _QUANTIZABLE:
            raise ValueError(
                f"{model_name} returns float embeddings only; binary output needs one of {sorted(_QUANTIZABLE)}"
            )
        super().__init__(
            model_name, api_key, base_url=base_url, timeout=timeout, max_retries=max_retries,
            batch_size=batch_size, dimensions=dimension,
        )
        self.embedding_type = embedding_type
        self.truncate = truncate
        self.dimension = dimension

    def max_batch_tokens(self) -> Optional[int]:
        return _TOKEN_LIMITS.get(self.model_name, _DEFAULT_TOKEN_LIMIT)

    def _payload(self, texts: List[str], input_type: Optional[str]) -> Dict[str, Any]:
        payload: Dict[str, Any] = {"input": texts, "model": self.model_name, "input_type": input_type}
        if self.truncate is not None:
            payload["truncation"] = self.truncate
        if self.dimension is not None:
            payload["output_dimension"] = self.dimension
        if self.embedding_type is not None:
            payload["output_dtype"] = self.embedding_type
        return payload

    def _parse(self, body: Any, n_texts: int) -> List[Vector]:
        items = self._indexed_items(body, "data", n_texts)
        values = [item.get("embedding") for item in items]
        if self.embedding_type in (None, "float"):
            return self._stack_floats(values, "data[].embedding")
        signed = self.embedding_type == "binary"
        low, high = (-128, 127) if signed else (0, 255)
        out: List[Vector] = []
        for i, value in enumerate(values):
            if not isinstance(value, list) or not value or not all(
                isinstance(x, int) and not isinstance(x, bool) and low <= x <= high for x in value
            ):
                raise self._client.malformed(f"data[{i}].embedding is not a list of {self.embedding_type} bytes")
            packed = np.asarray(value, dtype=np.int16)
            # "binary" is offset binary: int8 = packed byte - 128 (Voyage docs, quantization).
            out.append(np.unpackbits((packed + 128 if signed else packed).astype(np.uint8)).astype(bool))
            self._note_width(len(value) * 8)
        return out
