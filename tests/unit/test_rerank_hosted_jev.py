"""JevRerankFunction against a local stand-in of TypeSafe's systemone API, with pymilvus.model's own class as the
reference for what is sent and what comes back."""

from __future__ import annotations

import inspect
from typing import Any, Dict, Iterator, List

import pytest

from sparsebolt.http import AuthenticationError, MalformedResponseError
from sparsebolt.model import reranker as model_reranker
from sparsebolt.rerank.hosted import JevRerankFunction
from sparsebolt.rerank.result import RerankResult
from sparsebolt.testing.vendor_servers import API_KEY, VendorServer, json_fault, overlap_score

QUERY = "the dartmouth conference founded artificial intelligence"
DOCUMENTS = [
    "Alan Turing proposed the imitation game in 1950.",
    "The Dartmouth conference of 1956 founded artificial intelligence as a field.",
    "Chess programs appeared in the early 1950s.",
    "",
    "Artificial intelligence conference proceedings — published later.",
    "Das Wetter in Dartmouth ist heute schön.",
]


def expected(top_k: Any) -> List[RerankResult]:
    order = sorted(range(len(DOCUMENTS)), key=lambda i: -overlap_score(QUERY, DOCUMENTS[i]))
    if top_k:
        order = order[:top_k]
    return [RerankResult(DOCUMENTS[i], overlap_score(QUERY, DOCUMENTS[i]), i) for i in order]


@pytest.fixture
def server() -> Iterator[VendorServer]:
    with VendorServer("jev") as srv:
        yield srv


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TYPESAFE_API_KEY", raising=False)


@pytest.mark.parametrize("top_k", [1, 3, 5, 6, 50, None, 0])
def test_results_are_the_answers_best_first(server: VendorServer, top_k: Any) -> None:
    with JevRerankFunction(api_key=API_KEY, base_url=server.url) as rf:
        assert rf(QUERY, DOCUMENTS, top_k=top_k) == expected(top_k)
    (request,) = server.requests
    assert request.path == "/v1/systemone" and request.headers["authorization"] == f"Bearer {API_KEY}"


def test_same_request_and_results_as_pymilvus(server: VendorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    jev = pytest.importorskip("pymilvus.model.reranker.jev", reason="pymilvus-model is the reference")
    monkeypatch.setattr(jev, "API_URL", server.url + "/systemone")
    theirs = jev.JevRerankFunction(api_key=API_KEY)(QUERY, DOCUMENTS, top_k=4)
    ours = JevRerankFunction(api_key=API_KEY, base_url=server.url)(QUERY, DOCUMENTS, top_k=4)
    assert [r.to_dict() for r in ours] == [r.to_dict() for r in theirs]
    their_request, our_request = server.requests
    assert our_request.body == their_request.body
    assert our_request.body["model"] == "jev-latest" and set(our_request.body["questions"]) == {
        f"d{i}" for i in range(len(DOCUMENTS))}


def test_unanswered_documents_are_left_out_as_in_pymilvus(server: VendorServer) -> None:
    server.fail_next(json_fault(200, {"answers": {"d0": {"noul": 0.25}, "d2": {"noul": None}, "d3": {"noul": 0.75},
                                                  "d9": {"noul": 1.0}}}))
    results = JevRerankFunction(api_key=API_KEY, base_url=server.url)(QUERY, DOCUMENTS[:4], top_k=None)
    assert results == [RerankResult(DOCUMENTS[3], 0.75, 3), RerankResult(DOCUMENTS[0], 0.25, 0)]


def test_requests_are_split_and_indices_kept(server: VendorServer) -> None:
    rf = JevRerankFunction(api_key=API_KEY, base_url=server.url, max_documents_per_request=4)
    assert rf(QUERY, DOCUMENTS, top_k=None) == expected(None)
    assert [sorted(r.body["questions"]) for r in server.requests] == [["d0", "d1", "d2", "d3"], ["d0", "d1"]]


def test_empty_documents_send_nothing(server: VendorServer) -> None:
    assert JevRerankFunction(api_key=API_KEY, base_url=server.url)(QUERY, []) == []
    assert server.requests == []


@pytest.mark.parametrize("query, documents, error, message", [
    (QUERY, "one document", TypeError, "not a single string"),
    (QUERY, ["ok", 3], TypeError, r"documents\[1\]"),
    (None, ["ok"], TypeError, "query must be a str"),
])
def test_bad_input_raises_before_any_request(server: VendorServer, query: Any, documents: Any, error: type,
                                             message: str) -> None:
    with pytest.raises(error, match=message):
        JevRerankFunction(api_key=API_KEY, base_url=server.url)(query, documents)
    assert server.requests == []


@pytest.mark.parametrize("body, message", [
    ({"result": {}}, "an 'answers' object"),
    ({"answers": [0.5]}, "an 'answers' object"),
    ({"answers": {"d0": 0.5}}, "answers.d0 is not an object"),
    ({"answers": {"d0": {"noul": "yes"}}}, "is not a probability"),
    ({"answers": {"d0": {"noul": 1.5}}}, "is not a probability"),
    ({"answers": {"d0": {"noul": True}}}, "is not a probability"),
])
def test_undocumented_responses_raise_malformed(server: VendorServer, body: Dict[str, Any], message: str) -> None:
    server.fail_next(json_fault(200, body))
    with pytest.raises(MalformedResponseError, match=message):
        JevRerankFunction(api_key=API_KEY, base_url=server.url)(QUERY, DOCUMENTS[:2])


def test_wrong_key_is_redacted(server: VendorServer) -> None:
    server.api_key = "another-key-entirely-0000000000"
    with pytest.raises(AuthenticationError) as info:
        JevRerankFunction(api_key=API_KEY, base_url=server.url)(QUERY, DOCUMENTS)
    assert API_KEY not in str(info.value) and info.value.status == 401


def test_key_from_the_environment_and_missing_key(server: VendorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="TYPESAFE_API_KEY"):
        JevRerankFunction()
    monkeypatch.setenv("TYPESAFE_API_KEY", API_KEY)
    assert JevRerankFunction(base_url=server.url)(QUERY, DOCUMENTS, top_k=2) == expected(2)
    assert JevRerankFunction().base_url == "https://api.typesafe.ai/v1"


def test_constructor_and_call_match_pymilvus() -> None:
    theirs = pytest.importorskip("pymilvus.model.reranker", reason="pymilvus-model is the reference signature")
    ours = model_reranker.JevRerankFunction
    assert ours is JevRerankFunction
    for mine, their in ((ours, theirs.JevRerankFunction), (ours.__call__, theirs.JevRerankFunction.__call__)):
        their_params = list(inspect.signature(their).parameters.values())
        our_params = list(inspect.signature(mine).parameters.values())[: len(their_params)]
        assert [(p.name, p.default) for p in our_params] == [(p.name, p.default) for p in their_params]
