"""Jina, Cohere, Voyage and TEI rerankers against local servers that implement each vendor's published contract."""

from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, Iterator, List

import pytest

from sparsebolt.http import AuthenticationError, BadRequestError, MalformedResponseError, RateLimitError
from sparsebolt.model import reranker as model_reranker
from sparsebolt.rerank import (
    CohereRerankFunction,
    JinaRerankFunction,
    RerankResult,
    TEIRerankFunction,
    VoyageRerankFunction,
)
from sparsebolt.testing.vendor_servers import API_KEY, Fault, VendorServer, json_fault, overlap_score

QUERY = "when was the dartmouth conference on artificial intelligence"
DOCUMENTS = [
    "Alan Turing proposed the imitation game in 1950.",
    "The Dartmouth conference of 1956 founded artificial intelligence as a field.",
    "Chess programs appeared in the early 1950s.",
    "The Logic Theorist was written in 1955.",
    "Artificial intelligence conference proceedings were published later.",
    "",
    "Das Wetter in Dartmouth ist heute schön.",
]

# vendor -> (factory(url, **options), name of the top-k field in its request)
FACTORIES: Dict[str, Callable[..., Any]] = {
    "jina": lambda url, **kw: JinaRerankFunction("jina-reranker-v1-base-en", API_KEY, base_url=url, **kw),
    "cohere": lambda url, **kw: CohereRerankFunction("rerank-english-v3.0", API_KEY, base_url=url, **kw),
    "voyage": lambda url, **kw: VoyageRerankFunction("rerank-2", API_KEY, base_url=url, **kw),
    "tei": lambda url, **kw: TEIRerankFunction(url, api_key=API_KEY, **kw),
}
TOP_FIELD = {"jina": "top_n", "cohere": "top_n", "voyage": "top_k", "tei": None}


def expected(top_k: Any) -> List[RerankResult]:
    """The reference ranking: the server's scorer applied to every document, best first, stable on ties."""
    order = sorted(range(len(DOCUMENTS)), key=lambda i: -overlap_score(QUERY, DOCUMENTS[i]))
    if top_k:
        order = order[:top_k]
    return [RerankResult(DOCUMENTS[i], overlap_score(QUERY, DOCUMENTS[i]), i) for i in order]


@pytest.fixture(params=sorted(FACTORIES))
def vendor(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def server(vendor: str) -> Iterator[VendorServer]:
    with VendorServer(vendor) as srv:
        yield srv


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JINAAI_API_KEY", "JINA_API_KEY", "CO_API_KEY", "COHERE_API_KEY", "VOYAGE_API_KEY",
                 "JINAAI_BASE_URL", "CO_API_URL", "COHERE_BASE_URL", "VOYAGE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("top_k", [1, 3, 5, 7, 50, None, 0])
def test_results_match_the_servers_scores_best_first(vendor: str, server: VendorServer, top_k: Any) -> None:
    with FACTORIES[vendor](server.url) as rf:
        results = rf(QUERY, DOCUMENTS, top_k=top_k)
    assert results == expected(top_k)
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    assert all(isinstance(r.score, float) and isinstance(r.index, int) for r in results)
    field = TOP_FIELD[vendor]
    sent = server.requests[0].body
    if field is not None:
        if top_k:
            assert sent[field] == min(top_k, len(DOCUMENTS))
        else:
            assert field not in sent  # no cut: every document comes back


def test_default_top_k_is_five(vendor: str, server: VendorServer) -> None:
    results = FACTORIES[vendor](server.url)(QUERY, DOCUMENTS)
    assert len(results) == 5 and results == expected(5)


def test_request_follows_the_vendor_contract(vendor: str, server: VendorServer) -> None:
    FACTORIES[vendor](server.url)(QUERY, DOCUMENTS, top_k=2)
    (request,) = server.requests
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["content-type"] == "application/json"
    body = request.body
    if vendor == "jina":
        assert request.path == "/v1/rerank"
        assert body == {"model": "jina-reranker-v1-base-en", "query": QUERY, "documents": DOCUMENTS, "top_n": 2,
                        "return_documents": False}
    elif vendor == "cohere":
        assert request.path == "/v2/rerank"
        assert body == {"model": "rerank-english-v3.0", "query": QUERY, "documents": DOCUMENTS, "top_n": 2}
    elif vendor == "voyage":
        assert request.path == "/v1/rerank"
        assert body == {"query": QUERY, "documents": DOCUMENTS, "model": "rerank-2", "top_k": 2,
                        "truncation": True, "return_documents": False}
    else:
        assert request.path == "/rerank"
        assert body == {"query": QUERY, "texts": DOCUMENTS, "return_text": False, "truncate": True}


def test_documents_split_across_requests_give_the_same_ranking(vendor: str, server: VendorServer) -> None:
    rf = FACTORIES[vendor](server.url, max_documents_per_request=3)
    assert rf(QUERY, DOCUMENTS, top_k=4) == expected(4)
    sent = [r.body.get("documents", r.body.get("texts")) for r in server.requests]
    assert sent == [DOCUMENTS[0:3], DOCUMENTS[3:6], DOCUMENTS[6:7]]


def test_tei_splits_at_its_default_batch_limit_of_32() -> None:
    documents = [f"document {i} about dartmouth" if i % 5 == 0 else f"document {i}" for i in range(70)]
    with VendorServer("tei", api_key="") as server:  # a TEI server started without --api-key
        results = TEIRerankFunction(server.url)(QUERY, documents, top_k=None)
    assert "authorization" not in server.requests[0].headers
    assert [len(r.body["texts"]) for r in server.requests] == [32, 32, 6]
    assert sorted(r.index for r in results) == list(range(70))
    assert results[0].text == documents[results[0].index]


def test_no_documents_means_no_request(vendor: str, server: VendorServer) -> None:
    assert FACTORIES[vendor](server.url)(QUERY, []) == []
    assert server.requests == []


@pytest.mark.parametrize(
    "query, documents, top_k, error, message",
    [
        (QUERY, "a single string", 5, TypeError,
         r"documents must be a list of str, not a single string; pass \[text\]"),
        (QUERY, ["ok", 3], 5, TypeError, r"documents\[1\] is of type int, expected str"),
        (None, ["ok"], 5, TypeError, "query must be a str"),
        (QUERY, ["ok"], -1, ValueError, "top_k must be a positive int"),
        (QUERY, ["ok"], 2.5, TypeError, "top_k must be an int"),
    ],
)
def test_bad_input_raises_before_any_request(
    vendor: str, server: VendorServer, query: Any, documents: Any, top_k: Any, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        FACTORIES[vendor](server.url)(query, documents, top_k=top_k)
    assert server.requests == []


def test_wrong_key_raises_authentication_error_without_the_key(vendor: str, server: VendorServer) -> None:
    server.api_key = "the-right-key-which-the-client-lacks"
    with pytest.raises(AuthenticationError) as info:
        FACTORIES[vendor](server.url)(QUERY, DOCUMENTS)
    assert info.value.status == 401 and API_KEY not in str(info.value) and API_KEY[:8] not in str(info.value)


@pytest.mark.parametrize(
    "body, message",
    [
        ({"something": "else"}, "expected"),
        ({"results": [{"index": 99, "relevance_score": 0.5}], "data": [{"index": 99, "relevance_score": 0.5}]},
         "index=99"),
        ({"results": [{"index": 0, "relevance_score": "high"}], "data": [{"index": 0, "relevance_score": "high"}]},
         "not a number"),
        ({"results": [{"index": 0, "relevance_score": 0.1}, {"index": 0, "relevance_score": 0.2}],
          "data": [{"index": 0, "relevance_score": 0.1}, {"index": 0, "relevance_score": 0.2}]}, "appears twice"),
        ({"results": ["0.5"], "data": ["0.5"]}, "not an object"),
    ],
)
def test_undocumented_response_raises_malformed(
    vendor: str, server: VendorServer, body: Dict[str, Any], message: str
) -> None:
    if vendor == "tei":  # a bare list, scores under "score"
        items = body.get("results", body)
        body = [{("score" if k == "relevance_score" else k): v for k, v in i.items()} if isinstance(i, dict) else i
                for i in items] if isinstance(items, list) else items
    server.fail_next(json_fault(200, body))
    with pytest.raises(MalformedResponseError, match=message) as info:
        FACTORIES[vendor](server.url)(QUERY, DOCUMENTS)
    assert info.value.vendor == {"jina": "Jina", "cohere": "Cohere", "voyage": "Voyage", "tei": "TEI"}[vendor]


def test_rate_limit_then_success_honours_retry_after(vendor: str, server: VendorServer) -> None:
    server.fail_next(Fault(429, server.error_body(429, "Too many requests"), {"Retry-After": "0"}))
    assert FACTORIES[vendor](server.url)(QUERY, DOCUMENTS, top_k=2) == expected(2)
    assert len(server.requests) == 2


def test_rate_limit_that_persists_raises(vendor: str, server: VendorServer) -> None:
    server.fail_next(*[Fault(429, server.error_body(429, "Too many requests"), {"Retry-After": "0"})] * 2)
    with pytest.raises(RateLimitError, match="Too many requests"):
        FACTORIES[vendor](server.url, max_retries=1)(QUERY, DOCUMENTS)


def test_servers_validation_message_reaches_the_user() -> None:
    with VendorServer("voyage") as server:
        with pytest.raises(BadRequestError, match="documents must hold 1 to 1000 items"):
            VoyageRerankFunction(api_key=API_KEY, base_url=server.url, max_documents_per_request=2000)(
                QUERY, ["d"] * 1001
            )
        # the default splits at the documented limit instead
        results = VoyageRerankFunction(api_key=API_KEY, base_url=server.url)(QUERY, ["d"] * 1001, top_k=None)
    assert len(results) == 1001


def test_keys_and_base_urls_come_from_the_documented_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    with VendorServer("jina") as jina, VendorServer("cohere") as cohere, VendorServer("voyage") as voyage:
        monkeypatch.setenv("JINAAI_API_KEY", API_KEY)
        monkeypatch.setenv("JINAAI_BASE_URL", jina.url)
        monkeypatch.setenv("CO_API_KEY", API_KEY)
        monkeypatch.setenv("CO_API_URL", cohere.url)
        monkeypatch.setenv("VOYAGE_API_KEY", API_KEY)
        monkeypatch.setenv("VOYAGE_BASE_URL", voyage.url)
        for rf in (JinaRerankFunction(), CohereRerankFunction(), VoyageRerankFunction()):
            assert rf(QUERY, DOCUMENTS, top_k=1) == expected(1)
        assert [len(s.requests) for s in (jina, cohere, voyage)] == [1, 1, 1]
        assert cohere.requests[0].body["model"] == "rerank-english-v3.0"
        assert jina.requests[0].body["model"] == "jina-reranker-v2-base-multilingual"
        assert voyage.requests[0].body["model"] == "rerank-2"


@pytest.mark.parametrize("cls, variable", [(JinaRerankFunction, "JINAAI_API_KEY"), (CohereRerankFunction, "CO_API_KEY"),
                                           (VoyageRerankFunction, "VOYAGE_API_KEY")])
def test_missing_key_names_the_variable(cls: Any, variable: str) -> None:
    with pytest.raises(ValueError, match=variable):
        cls()


def test_cohere_options_and_return_documents_false() -> None:
    with VendorServer("cohere") as server:
        rf = CohereRerankFunction("rerank-v3.5", API_KEY, False, base_url=server.url, max_tokens_per_doc=512)
        results = rf(QUERY, DOCUMENTS, top_k=2)
    assert [r.text for r in results] == ["", ""]
    assert [r.index for r in results] == [r.index for r in expected(2)]
    assert server.requests[0].body["max_tokens_per_doc"] == 512
    with pytest.raises(ValueError, match="set by the call itself"):
        CohereRerankFunction(api_key=API_KEY, top_n=3)


def test_repr_and_to_dict_match_pymilvus_and_hide_the_key() -> None:
    rf = JinaRerankFunction("jina-reranker-v1-base-en", API_KEY, base_url="http://127.0.0.1:1/v1")
    assert API_KEY not in repr(rf) and "jina-reranker-v1-base-en" in repr(rf)
    result = RerankResult(text="t", score=0.5, index=2)
    assert result.to_dict() == {"text": "t", "score": 0.5, "index": 2}
    assert repr(result) == "RerankResult(text='t', score=0.5, index=2)" == str(result)
    base = pytest.importorskip("pymilvus.model.base", reason="pymilvus-model is the reference for these shapes")
    theirs = base.RerankResult(text="t", score=0.5, index=2)
    assert theirs.to_dict() == result.to_dict() and repr(theirs) == repr(result)


@pytest.mark.parametrize("name", ["JinaRerankFunction", "CohereRerankFunction", "VoyageRerankFunction",
                                  "TEIRerankFunction"])
def test_constructor_matches_pymilvus_positional_parameters(name: str) -> None:
    theirs = pytest.importorskip("pymilvus.model.reranker", reason="pymilvus-model is the reference signature")
    ours_params = list(inspect.signature(getattr(model_reranker, name)).parameters.values())
    their_params = [p for p in inspect.signature(getattr(theirs, name)).parameters.values()
                    if p.kind is not p.VAR_KEYWORD]
    for mine, their in zip(ours_params, their_params):
        assert (mine.name, mine.default) == (their.name, their.default)
    call_ours = inspect.signature(getattr(model_reranker, name).__call__).parameters
    call_theirs = inspect.signature(getattr(theirs, name).__call__).parameters
    assert list(call_ours)[:4] == list(call_theirs)[:4] == ["self", "query", "documents", "top_k"]
    assert call_ours["top_k"].default == call_theirs["top_k"].default == 5


def test_model_reranker_names_unprovided_rerankers_with_advice() -> None:
    assert set(model_reranker.__all__) >= {"JinaRerankFunction", "CohereRerankFunction", "VoyageRerankFunction",
                                          "CrossEncoderRerankFunction", "TEIRerankFunction"}
    with pytest.raises(AttributeError):
        model_reranker.NoSuchReranker  # noqa: B018
