"""Mistral AI embeddings (``POST {base_url}/v1/embeddings``) with
``pymilvus.model.dense.MistralAIEmbeddingFunction``'s shape."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from sparsebolt.hosted.base import HostedEmbeddingFunction, Vector

__all__ = ["MistralAIEmbeddingFunction"]

# Request fields pymilvus forwards from **kwargs to ``Mistral.embeddings.create``; the SDK's argument names are the
# JSON names. Integer output dtypes (codestral-embed) are left out: the result here is always float32.
_OPTIONS = ("output_dimension", "encoding_format", "output_dtype")
_ENCODINGS = ("float", "base64")


class MistralAIEmbeddingFunction(HostedEmbeddingFunction):
    """Embeddings from the Mistral AI API as float32 vectors.

    ``api_key`` is required positionally, as in pymilvus, and may be None: the key then comes from
    ``MISTRALAI_API_KEY`` (pymilvus' name) or ``MISTRAL_API_KEY`` (the Mistral SDK's). Extra keyword arguments are
    request fields, as pymilvus passes them to the SDK: ``output_dimension`` (codestral-embed; ``dim`` follows it),
    ``encoding_format`` (``"float"`` or ``"base64"``) and ``output_dtype="float"``. Documents, queries and
    ``__call__`` are embedded alike (mistral-embed has no input type). Requests carry at most 16,000 tokens (a
    UTF-8 byte count bounds them here) and ``batch_size`` inputs. The base URL comes from ``base_url``, else
    ``MISTRAL_SERVER_URL``, else ``https://api.mistral.ai``.
    """

    vendor = "Mistral"
    key_env = ("MISTRALAI_API_KEY", "MISTRAL_API_KEY")
    url_env = ("MISTRAL_SERVER_URL",)
    default_base_url = "https://api.mistral.ai"
    path = "/v1/embeddings"
    # The API documents no input count per request (the token total binds first, see max_batch_tokens); 512 keeps a
    # request of many short texts modest.
    max_batch_size = 512
    known_dims: Mapping[str, int] = {"mistral-embed": 1024, "codestral-embed": 1536}

    def __init__(
        self,
        api_key: Optional[str],
        model_name: str = "mistral-embed",
        *,
        base_url: Optional[str] = None,
        batch_size: Optional[int] = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        **kwargs: Any,
    ) -> None:
        unknown = sorted(set(kwargs) - set(_OPTIONS))
        if unknown:
            raise ValueError(
                f"Mistral: unknown option(s) {unknown}; the request options are {list(_OPTIONS)} (model and inputs "
                "are set by the call itself)"
            )
        encoding = kwargs.get("encoding_format", "float")
        if encoding not in _ENCODINGS:
            raise ValueError(f"Mistral: encoding_format must be one of {_ENCODINGS}, got {encoding!r}")
        if kwargs.get("output_dtype", "float") != "float":
            raise ValueError(
                f"Mistral: output_dtype={kwargs['output_dtype']!r} is not supported; embeddings here are float32, so "
                "leave it unset or pass 'float'"
            )
        super().__init__(
            model_name, api_key, base_url=base_url, timeout=timeout, max_retries=max_retries,
            batch_size=batch_size, dimensions=kwargs.get("output_dimension"),
        )
        self._options: Dict[str, Any] = dict(kwargs)

    def max_batch_tokens(self) -> Optional[int]:
        # The API page states no per-request total; 16,000 is the per-request bound LangChain's Mistral client
        # batches to (its MAX_TOKENS), which the service is known to accept.
        return 16_000

    def _payload(self, texts: List[str], input_type: Optional[str]) -> Dict[str, Any]:
        payload: Dict[str, Any] = {"model": self.model_name, "input": texts}
        payload.update(self._options)
        return payload

    def _parse(self, body: Any, n_texts: int) -> List[Vector]:
        items = self._indexed_items(body, "data", n_texts)
        return self._stack_floats([item.get("embedding") for item in items], "data[].embedding")
