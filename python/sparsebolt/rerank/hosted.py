"""Rerankers behind hosted APIs: Jina, Cohere (v2), Voyage, Hugging Face TEI and TypeSafe's Jev, with
pymilvus.model's call shape.

Each one sends the vendor's published request, checks the documented response (index + relevance score), and
builds RerankResult from the documents it was given, so the text is the caller's own string.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from sparsebolt._inputs import positive_int
from sparsebolt.http import ClientOwner, HTTPClient, resolve_api_key, resolve_base_url
from sparsebolt.rerank.result import BaseRerankFunction, RerankResult, check_rerank_input

__all__ = [
    "CohereRerankFunction",
    "JevRerankFunction",
    "JinaRerankFunction",
    "TEIRerankFunction",
    "VoyageRerankFunction",
]


class _HostedReranker(ClientOwner, BaseRerankFunction):
    """Shared flow: split documents into requests of at most ``max_documents_per_request``, merge, sort, cut."""

    vendor = ""
    key_env: Tuple[str, ...] = ()
    url_env: Tuple[str, ...] = ()
    default_base_url = ""
    path = ""
    results_key = "results"
    score_key = "relevance_score"
    default_max_documents = 1000

    def _shape_hint(self) -> str:
        return f"a JSON object with a {self.results_key!r} list of {{index, {self.score_key}}}"

    def __init__(
        self,
        model_name: str,
        api_key: Optional[str],
        *,
        base_url: Optional[str],
        timeout: float,
        max_retries: int,
        max_documents_per_request: Optional[int],
        require_key: bool = True,
    ) -> None:
        if not isinstance(model_name, str):
            raise ValueError(f"{self.vendor}: model_name must be a str, got {type(model_name).__name__}")
        self.model_name = model_name
        key = resolve_api_key(api_key, self.key_env, self.vendor) if require_key or api_key else None
        self.base_url = resolve_base_url(base_url, self.url_env, self.default_base_url)
        limit = self.default_max_documents if max_documents_per_request is None else max_documents_per_request
        self.max_documents_per_request = positive_int(limit, name="max_documents_per_request")
        self._client = HTTPClient(
            self.base_url, vendor=self.vendor, api_key=key, timeout=timeout, max_retries=max_retries
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model_name={self.model_name!r}, base_url={self.base_url!r})"

    def __call__(self, query: str, documents: List[str], top_k: Optional[int] = 5) -> List[RerankResult]:
        documents, keep = check_rerank_input(query, documents, top_k)
        scored: List[Tuple[int, float]] = []
        for start, chunk in self._chunks(documents):
            top_n = None if keep is None else min(keep, len(chunk))
            body = self._client.post_json(self.path, self._payload(query, list(chunk), top_n))
            scored.extend((start + index, score) for index, score in self._parse(body, len(chunk)))
        # Stable sort: equal scores keep the server's order, chunks keep document order.
        scored.sort(key=lambda pair: -pair[1])
        if keep is not None:
            scored = scored[:keep]
        return [RerankResult(text=self._text(documents[i]), score=score, index=i) for i, score in scored]

    def _chunks(self, documents: Sequence[str]) -> Iterator[Tuple[int, Sequence[str]]]:
        step = self.max_documents_per_request
        for start in range(0, len(documents), step):
            yield start, documents[start : start + step]

    def _text(self, document: str) -> str:
        return document

    def _payload(self, query: str, documents: List[str], top_n: Optional[int]) -> Dict[str, Any]:
        raise NotImplementedError

    def _items(self, body: Any) -> Any:
        return body.get(self.results_key) if isinstance(body, Mapping) else None

    def _parse(self, body: Any, n_documents: int) -> List[Tuple[int, float]]:
        """(index, score) pairs from a documented response; anything else is a MalformedResponseError."""
        items = self._items(body)
        if not isinstance(items, list):
            raise self._client.malformed(f"expected {self._shape_hint()}")
        seen = set()
        pairs = []
        for position, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise self._client.malformed(f"{self.results_key}[{position}] is not an object")
            index, score = item.get("index"), item.get(self.score_key)
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n_documents:
                raise self._client.malformed(
                    f"{self.results_key}[{position}].index={index!r} is not an index into the {n_documents} "
                    "documents sent"
                )
            if isinstance(score, bool) or not isinstance(score, (int, float)):
                raise self._client.malformed(f"{self.results_key}[{position}].{self.score_key}={score!r} "
                                             "is not a number")
            if index in seen:
                raise self._client.malformed(f"document index {index} appears twice in {self.results_key}")
            seen.add(index)
            pairs.append((index, float(score)))
        return pairs


class JinaRerankFunction(_HostedReranker):
    """Jina AI rerank API (``POST {base_url}/rerank``), ``pymilvus.model.reranker.JinaRerankFunction``'s shape.

    The key comes from ``api_key``, else ``JINAAI_API_KEY`` (pymilvus' name) or ``JINA_API_KEY``; the base URL from
    ``base_url``, else ``JINAAI_BASE_URL``, else ``https://api.jina.ai/v1``.
    """

    vendor = "Jina"
    key_env = ("JINAAI_API_KEY", "JINA_API_KEY")
    url_env = ("JINAAI_BASE_URL",)
    default_base_url = "https://api.jina.ai/v1"
    path = "/rerank"
    default_max_documents = 1024

    def __init__(
        self,
        model_name: str = "jina-reranker-v2-base-multilingual",
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        max_documents_per_request: Optional[int] = None,
    ) -> None:
        super().__init__(
            model_name, api_key, base_url=base_url, timeout=timeout, max_retries=max_retries,
            max_documents_per_request=max_documents_per_request,
        )

    def _payload(self, query: str, documents: List[str], top_n: Optional[int]) -> Dict[str, Any]:
        payload: Dict[str, Any] = {"model": self.model_name, "query": query, "documents": documents}
        if top_n is not None:
            payload["top_n"] = top_n
        # The text is taken from the caller's list, so the server need not send it back.
        payload["return_documents"] = False
        return payload


class CohereRerankFunction(_HostedReranker):
    """Cohere rerank v2 API (``POST {base_url}/v2/rerank``), ``pymilvus.model.reranker.CohereRerankFunction``'s shape.

    Extra keyword arguments (``max_tokens_per_doc``, ...) go into the request body, as pymilvus passes them to
    ``cohere.ClientV2.rerank``. With ``return_documents=False`` every ``text`` is ``""``, as in pymilvus. The key comes
    from ``api_key``, else ``CO_API_KEY`` (the Cohere SDK's name) or ``COHERE_API_KEY``; the base URL from
    ``base_url``, else ``CO_API_URL`` or ``COHERE_BASE_URL``, else ``https://api.cohere.com``.
    """

    vendor = "Cohere"
    key_env = ("CO_API_KEY", "COHERE_API_KEY")
    url_env = ("CO_API_URL", "COHERE_BASE_URL")
    default_base_url = "https://api.cohere.com"
    path = "/v2/rerank"
    default_max_documents = 1000

    def __init__(
        self,
        model_name: str = "rerank-english-v3.0",
        api_key: Optional[str] = None,
        return_documents: bool = True,
        *,
        base_url: Optional[str] = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        max_documents_per_request: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            model_name, api_key, base_url=base_url, timeout=timeout, max_retries=max_retries,
            max_documents_per_request=max_documents_per_request,
        )
        reserved = {"model", "query", "documents", "top_n"} & kwargs.keys()
        if reserved:
            raise ValueError(f"Cohere: {sorted(reserved)} are set by the call itself; do not pass them as options")
        self.return_documents = return_documents
        self.rerank_config = dict(kwargs)

    def _text(self, document: str) -> str:
        return document if self.return_documents else ""

    def _payload(self, query: str, documents: List[str], top_n: Optional[int]) -> Dict[str, Any]:
        payload: Dict[str, Any] = {"model": self.model_name, "query": query, "documents": documents}
        if top_n is not None:
            payload["top_n"] = top_n
        payload.update(self.rerank_config)
        return payload


class VoyageRerankFunction(_HostedReranker):
    """Voyage AI rerank API (``POST {base_url}/rerank``), ``pymilvus.model.reranker.VoyageRerankFunction``'s shape.

    The key comes from ``api_key``, else ``VOYAGE_API_KEY``; the base URL from ``base_url``, else
    ``VOYAGE_BASE_URL``, else ``https://api.voyageai.com/v1``. At most 1000 documents go in one request (the
    documented limit); ``truncation=True`` is the API's and the SDK's default.
    """

    vendor = "Voyage"
    key_env = ("VOYAGE_API_KEY",)
    url_env = ("VOYAGE_BASE_URL",)
    default_base_url = "https://api.voyageai.com/v1"
    path = "/rerank"
    results_key = "data"
    default_max_documents = 1000

    def __init__(
        self,
        model_name: str = "rerank-2",
        api_key: Optional[str] = None,
        *,
        truncation: bool = True,
        base_url: Optional[str] = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        max_documents_per_request: Optional[int] = None,
    ) -> None:
        super().__init__(
            model_name, api_key, base_url=base_url, timeout=timeout, max_retries=max_retries,
            max_documents_per_request=max_documents_per_request,
        )
        self.truncation = truncation

    def _payload(self, query: str, documents: List[str], top_n: Optional[int]) -> Dict[str, Any]:
        payload: Dict[str, Any] = {"query": query, "documents": documents, "model": self.model_name}
        if top_n is not None:
            payload["top_k"] = top_n
        payload["truncation"] = self.truncation
        payload["return_documents"] = False
        return payload


class TEIRerankFunction(_HostedReranker):
    """A Hugging Face text-embeddings-inference server's ``POST {api_url}/rerank``, pymilvus' TEIRerankFunction shape.

    TEI answers a bare list of ``{"index", "score"}`` for every text; ``top_k`` is applied here (pymilvus always cut at
    5). TEI refuses more than ``--max-client-batch-size`` texts (32 by default), so requests carry at most
    ``max_documents_per_request=32``. ``api_key`` is needed only for a server started with ``--api-key``.
    """

    vendor = "TEI"
    score_key = "score"
    default_max_documents = 32

    def __init__(
        self,
        api_url: str,
        *,
        api_key: Optional[str] = None,
        truncate: bool = True,
        timeout: float = 60.0,
        max_retries: int = 3,
        max_documents_per_request: Optional[int] = None,
    ) -> None:
        self.path = "/rerank"
        super().__init__(
            "", api_key, base_url=api_url, timeout=timeout, max_retries=max_retries,
            max_documents_per_request=max_documents_per_request, require_key=False,
        )
        self.truncate = truncate

    def __repr__(self) -> str:
        return f"TEIRerankFunction(api_url={self.base_url!r})"

    def _payload(self, query: str, documents: List[str], top_n: Optional[int]) -> Dict[str, Any]:
        return {"query": query, "texts": documents, "return_text": False, "truncate": self.truncate}

    def _shape_hint(self) -> str:
        return "a JSON list of {index, score}"

    def _items(self, body: Any) -> Any:
        return body if isinstance(body, list) else None


class JevRerankFunction(_HostedReranker):
    """TypeSafe's Jev model (``POST {base_url}/systemone``), ``pymilvus.model.reranker.JevRerankFunction``'s shape.

    Jev answers yes/no questions with a probability: each document becomes the question pymilvus asks ("does this
    document provide evidence relevant to the claim?", type ``noul``) about the query as the state, and the
    probability is the score. A document the service leaves unanswered (no answer, or a null ``noul``) is left out of
    the results, as in pymilvus. No per-request limit is published; pymilvus sends every document in one request,
    and so does this class up to ``max_documents_per_request=1000``. The key comes from ``api_key``, else
    ``TYPESAFE_API_KEY``; the base URL from ``base_url``, else ``https://api.typesafe.ai/v1`` (pymilvus' fixed one).
    """

    vendor = "Jev"
    key_env = ("TYPESAFE_API_KEY",)
    default_base_url = "https://api.typesafe.ai/v1"
    path = "/systemone"
    default_max_documents = 1000

    def __init__(
        self,
        model_name: str = "jev-latest",
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        max_documents_per_request: Optional[int] = None,
    ) -> None:
        super().__init__(
            model_name, api_key, base_url=base_url, timeout=timeout, max_retries=max_retries,
            max_documents_per_request=max_documents_per_request,
        )

    def _payload(self, query: str, documents: List[str], top_n: Optional[int]) -> Dict[str, Any]:
        # The wording is pymilvus.model 0.3.4's, so that the same documents get the same scores.
        questions = {
            f"d{i}": {
                "type": "noul",
                "instructions": f"Document: {doc} \u2014 Does this document provide evidence relevant to the claim?",
            }
            for i, doc in enumerate(documents)
        }
        return {"state": f"Scientific claim: {query}", "model": self.model_name, "questions": questions}

    def _shape_hint(self) -> str:
        return "a JSON object with an 'answers' object of {d<i>: {noul: probability}}"

    def _parse(self, body: Any, n_documents: int) -> List[Tuple[int, float]]:
        answers = body.get("answers") if isinstance(body, Mapping) else None
        if not isinstance(answers, Mapping):
            raise self._client.malformed(f"expected {self._shape_hint()}")
        pairs = []
        for i in range(n_documents):
            answer = answers.get(f"d{i}")
            if answer is None:
                continue
            if not isinstance(answer, Mapping):
                raise self._client.malformed(f"answers.d{i} is not an object")
            score = answer.get("noul")
            if score is None:
                continue
            if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0.0 <= score <= 1.0:
                raise self._client.malformed(f"answers.d{i}.noul={score!r} is not a probability in [0, 1]")
            pairs.append((i, float(score)))
        return pairs
