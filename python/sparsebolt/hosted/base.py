"""The shared flow of the hosted embedding APIs: validate texts, batch to the API's limits, post, decode, stack.

A vendor module fills in the request body and the decoding of one response; batching, float32 output and ``dim``
bookkeeping live here.
"""

from __future__ import annotations

import base64
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from sparsebolt._inputs import positive_int, texts_arg
from sparsebolt.http import ClientOwner, HTTPClient, resolve_api_key, resolve_base_url

__all__ = ["HostedEmbeddingFunction", "iter_batches"]

Vector = Union[np.ndarray, bytes]

# Byte-level BPE and byte-fallback tokenizers emit at most one token per UTF-8 byte, plus a few special tokens;
# so bytes + 2 bounds an input's token count without shipping each vendor's tokenizer.
_SPECIAL_TOKENS = 2


def iter_batches(texts: Sequence[str], max_inputs: int, max_tokens: Optional[int]) -> Iterator[Tuple[int, List[str]]]:
    """Yield ``(start, batch)`` with at most ``max_inputs`` texts and, when ``max_tokens`` is set, a UTF-8 byte bound
    on their tokens that stays within it. A single text over the bound travels alone; the API then judges it."""
    batch: List[str] = []
    budget = 0
    start = 0
    for i, text in enumerate(texts):
        cost = len(text.encode("utf-8")) + _SPECIAL_TOKENS if max_tokens is not None else 0
        if batch and (len(batch) == max_inputs or (max_tokens is not None and budget + cost > max_tokens)):
            yield start, batch
            batch, budget, start = [], 0, i
        batch.append(text)
        budget += cost
    if batch:
        yield start, batch


def _numeric_matrix(value: Any) -> Optional[np.ndarray]:
    """``value`` as a float32 array if numpy reads it as numbers only (not bools, strings or ragged lists)."""
    try:
        array = np.array(value)
    except (ValueError, TypeError):  # ragged rows
        return None
    if array.dtype.kind not in "fiu" or array.size == 0:
        return None
    return array.astype(np.float32, copy=False)


def decode_float_vector(value: Any) -> Optional[np.ndarray]:
    """A JSON list of numbers, or a base64 string of little-endian float32 (``encoding_format="base64"``)."""
    if isinstance(value, str):
        try:
            raw = base64.b64decode(value, validate=True)
        except ValueError:
            return None
        if not raw or len(raw) % 4:
            return None
        return np.frombuffer(raw, dtype="<f4").astype(np.float32, copy=False)
    if isinstance(value, list):
        vector = _numeric_matrix(value)
        return vector if vector is not None and vector.ndim == 1 else None
    return None


class HostedEmbeddingFunction(ClientOwner):
    """``encode_documents`` / ``encode_queries`` / ``__call__`` -> list of float32 vectors, and ``dim``."""

    vendor = ""
    key_env: Tuple[str, ...] = ()
    url_env: Tuple[str, ...] = ()
    default_base_url = ""
    path = ""
    auth_header = "Authorization"
    max_batch_size = 128
    known_dims: Mapping[str, int] = {}

    def __init__(
        self,
        model_name: str,
        api_key: Optional[str],
        *,
        base_url: Optional[str],
        timeout: float,
        max_retries: int,
        batch_size: Optional[int],
        dimensions: Optional[int] = None,
        require_key: bool = True,
    ) -> None:
        if not isinstance(model_name, str) or not model_name:
            raise ValueError(f"{self.vendor}: model_name must be a non-empty str, got {model_name!r}")
        if dimensions is not None:
            dimensions = positive_int(dimensions, name=f"{self.vendor}: dimensions", hint=" or None")
        limit = self.max_batch_size if batch_size is None else batch_size
        limit = positive_int(limit, name=f"{self.vendor}: batch_size", maximum=self.max_batch_size,
                             hint=" (the API's limit)")
        self.model_name = model_name
        self.batch_size = limit
        self._requested_dim = dimensions
        self._seen_dim: Optional[int] = None
        # A self-hosted server (TEI) may run without a key; a vendor API always needs one.
        key = resolve_api_key(api_key, self.key_env, self.vendor) if require_key or api_key is not None else None
        self.base_url = resolve_base_url(base_url, self.url_env, self.default_base_url)
        self._client = HTTPClient(self.base_url, vendor=self.vendor, api_key=key, auth_header=self.auth_header,
                                  timeout=timeout, max_retries=max_retries)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model_name={self.model_name!r}, base_url={self.base_url!r})"

    # -- public API, pymilvus.model's names -------------------------------------------------------------------------

    def encode_documents(self, documents: List[str]) -> List[Vector]:
        return self._encode(documents, self.document_input_type, "documents")

    def encode_queries(self, queries: List[str]) -> List[Vector]:
        return self._encode(queries, self.query_input_type, "queries")

    def __call__(self, texts: List[str]) -> List[Vector]:
        return self._encode(texts, self.default_input_type, "texts")

    @property
    def dim(self) -> int:
        """The requested ``dimensions``, else the model's documented size, else what the API returned (probing once)."""
        if self._requested_dim is not None:
            return self._requested_dim
        known = self.known_dims.get(self.model_name)
        if known is not None:
            return known
        if self._seen_dim is None:
            self._encode(["dimension probe"], self.query_input_type)
        assert self._seen_dim is not None
        return self._seen_dim

    # -- vendor hooks -----------------------------------------------------------------------------------------------

    document_input_type: Optional[str] = None
    query_input_type: Optional[str] = None

    @property
    def default_input_type(self) -> Optional[str]:
        return None

    def max_batch_tokens(self) -> Optional[int]:
        """The API's documented token limit per request, or None when it has none to batch against."""
        return None

    def splits_batches(self) -> bool:
        """False when inputs of one call must share one request (their embeddings depend on each other)."""
        return True

    def _payload(self, texts: List[str], input_type: Optional[str]) -> Dict[str, Any]:
        raise NotImplementedError

    def _parse(self, body: Any, n_texts: int) -> List[Vector]:
        raise NotImplementedError

    # -- shared flow ------------------------------------------------------------------------------------------------

    def _encode(self, texts: Any, input_type: Optional[str], name: str = "texts") -> List[Vector]:
        # A bare str is one text here, as pymilvus.model forwards it to APIs that embed it as one.
        items = texts_arg(texts, name=name, single_text=True)
        out: List[Vector] = []
        if not self.splits_batches():
            batches = iter([(0, items)]) if items else iter([])
        else:
            batches = iter_batches(items, self.batch_size, self.max_batch_tokens())
        for _, batch in batches:
            body = self._client.post_json(self.path, self._payload(batch, input_type))
            vectors = self._parse(body, len(batch))
            if len(vectors) != len(batch):
                raise self._client.malformed(f"{len(vectors)} embeddings came back for {len(batch)} inputs")
            out.extend(vectors)
        return out

    def _stack_floats(self, values: Sequence[Any], where: str) -> List[Vector]:
        """Decode float vectors (lists or base64), check one shared width (and the requested one), return rows."""
        if not values:
            return []
        matrix = None
        if all(isinstance(value, list) for value in values):
            # One C-level conversion for the whole response; per-row decoding below only to name a bad row.
            matrix = _numeric_matrix(values)
            if matrix is not None and matrix.ndim != 2:
                matrix = None
        if matrix is None:
            rows = []
            for i, value in enumerate(values):
                vector = decode_float_vector(value)
                if vector is None:
                    raise self._client.malformed(f"{where}[{i}] is not a list of numbers or a base64 float32 string")
                rows.append(vector)
            widths = {row.shape[0] for row in rows}
            if len(widths) > 1:
                raise self._client.malformed(f"embeddings of different lengths {sorted(widths)} in one response")
            matrix = np.vstack(rows)
        self._note_width(matrix.shape[1])
        if not np.isfinite(matrix).all():
            raise self._client.malformed("an embedding contains NaN or infinity")
        return list(matrix)

    def _note_width(self, width: int) -> None:
        if self._requested_dim is not None and width != self._requested_dim:
            raise self._client.malformed(f"asked for {self._requested_dim} dimensions, got {width}")
        if self._seen_dim is not None and width != self._seen_dim:
            raise self._client.malformed(f"embedding length changed from {self._seen_dim} to {width} between calls")
        self._seen_dim = width

    def _indexed_items(self, body: Any, key: str, n_texts: int) -> List[Mapping[str, Any]]:
        """The ``key`` list of OpenAI-style ``{"index": i, "embedding": ...}`` items, ordered by index 0..n-1."""
        items = body.get(key) if isinstance(body, Mapping) else None
        if not isinstance(items, list):
            raise self._client.malformed(f"expected a JSON object with a {key!r} list of embeddings")
        by_index: Dict[int, Mapping[str, Any]] = {}
        for position, item in enumerate(items):
            index = item.get("index") if isinstance(item, Mapping) else None
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n_texts or index in by_index:
                raise self._client.malformed(f"{key}[{position}] has no fresh index in [0, {n_texts})")
            by_index[index] = item
        if len(by_index) != n_texts:
            raise self._client.malformed(f"{len(by_index)} embeddings came back for {n_texts} inputs")
        return [by_index[i] for i in range(n_texts)]
