"""Mistral, Nomic, Gemini and TEI embedding functions against local servers implementing each published contract."""

from __future__ import annotations

import inspect
import logging
import types
from typing import Any, Callable, Dict, Iterator, List, Optional

import numpy as np
import pytest

from sparsebolt.hosted import (
    GeminiEmbeddingFunction,
    MistralAIEmbeddingFunction,
    NomicEmbeddingFunction,
    TEIEmbeddingFunction,
)
from sparsebolt.http import APIError, AuthenticationError, BadRequestError, MalformedResponseError
from sparsebolt.model import dense as model_dense
from sparsebolt.testing.vendor_embeddings import TEI_MAX_INPUT_WORDS
from sparsebolt.testing.vendor_servers import API_KEY, Fault, VendorServer, fake_embedding, json_fault

TEXTS = ["Artificial intelligence was founded in 1956.", "Alan Turing", "Maida Vale, London", "", "ünïcödé — 東京"]

# vendor -> factory(url, **options) for a model whose width the local server decides
FACTORIES: Dict[str, Callable[..., Any]] = {
    "mistral": lambda url, **kw: MistralAIEmbeddingFunction(API_KEY, "mistral-local", base_url=url, **kw),
    "nomic": lambda url, **kw: NomicEmbeddingFunction("nomic-embed-text-v1.5", dimensions=64, api_key=API_KEY,
                                                      base_url=url, **kw),
    "gemini": lambda url, **kw: GeminiEmbeddingFunction("gemini-local", API_KEY, base_url=url, **kw),
    "tei": lambda url, **kw: TEIEmbeddingFunction(url, api_key=API_KEY, **kw),
}
WIDTH = {"mistral": 32, "nomic": 64, "gemini": 32, "tei": 32}
# Where each request carries its texts, and each vendor's documented texts per request.
TEXTS_OF: Dict[str, Callable[[Any], List[str]]] = {
    "mistral": lambda body: body["input"],
    "nomic": lambda body: body["texts"],
    "gemini": lambda body: [r["content"]["parts"][0]["text"] for r in body["requests"]],
    "tei": lambda body: body["inputs"],
}
LIMIT = {"mistral": 512, "nomic": 50, "gemini": 100, "tei": 32}


def reference(vendor: str, texts: List[str], role: str = "document", **extra: Any) -> np.ndarray:
    """What the local 'model' returns for these texts, computed from the vendor's contract, not from the client."""
    if vendor == "nomic":
        task = {"document": "search_document", "query": "search_query"}[role]
        return np.stack([fake_embedding(f"{task}|{t}", WIDTH["nomic"]) for t in texts])
    if vendor == "gemini":
        task, title = extra.get("task"), extra.get("title")
        return np.stack([fake_embedding(f"{task}|{title}|{t}", extra.get("dim", 32)) for t in texts])
    return np.stack([fake_embedding(t, extra.get("dim", 32)) for t in texts])


@pytest.fixture(params=sorted(FACTORIES))
def vendor(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def server(vendor: str) -> Iterator[VendorServer]:
    with VendorServer(vendor, shuffle=True) as srv:
        yield srv


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MISTRALAI_API_KEY", "MISTRAL_API_KEY", "MISTRAL_SERVER_URL", "NOMIC_API_KEY", "ATLAS_API_PATH",
                 "GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GEMINI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_documents_and_queries_come_back_in_order_as_float32(vendor: str, server: VendorServer) -> None:
    with FACTORIES[vendor](server.url) as ef:
        docs = ef.encode_documents(TEXTS)
        queries = ef.encode_queries(TEXTS[:2])
        assert ef.dim == WIDTH[vendor]  # documented, requested or learnt from the responses: no extra request
    assert len(server.requests) == 2
    assert all(isinstance(v, np.ndarray) and v.dtype == np.float32 and v.shape == (WIDTH[vendor],)
               for v in docs + queries)
    np.testing.assert_array_equal(np.stack(docs), reference(vendor, TEXTS))
    np.testing.assert_array_equal(np.stack(queries), reference(vendor, TEXTS[:2], "query"))


def test_requests_follow_the_vendor_contract(vendor: str, server: VendorServer) -> None:
    ef = FACTORIES[vendor](server.url)
    ef.encode_documents(["a", "b"])
    ef.encode_queries(["q"])
    ef(["c"])
    docs, queries, plain = (r.body for r in server.requests)
    headers = [r.headers for r in server.requests]
    if vendor == "gemini":
        assert all(h["x-goog-api-key"] == API_KEY and "authorization" not in h for h in headers)
    else:
        assert all(h["authorization"] == f"Bearer {API_KEY}" for h in headers)
    paths = {r.path for r in server.requests}
    if vendor == "mistral":
        assert paths == {"/v1/embeddings"}
        assert docs == {"model": "mistral-local", "input": ["a", "b"]}
        assert queries == {"model": "mistral-local", "input": ["q"]} and plain["input"] == ["c"]
    elif vendor == "nomic":
        assert paths == {"/v1/embedding/text"}
        assert docs == {"model": "nomic-embed-text-v1.5", "texts": ["a", "b"], "task_type": "search_document",
                        "dimensionality": 64, "long_text_mode": "truncate"}
        assert queries["task_type"] == "search_query" and plain["task_type"] == "search_document"
    elif vendor == "gemini":
        assert paths == {"/v1beta/models/gemini-local:batchEmbedContents"}
        assert docs == {"requests": [{"model": "models/gemini-local", "content": {"parts": [{"text": "a"}]}},
                                     {"model": "models/gemini-local", "content": {"parts": [{"text": "b"}]}}]}
    else:
        assert paths == {"/embed"}
        assert docs == {"inputs": ["a", "b"], "truncate": True, "normalize": True}
        assert plain == {"inputs": ["c"], "truncate": True, "normalize": True}


def test_batches_respect_batch_size_and_keep_order(vendor: str, server: VendorServer) -> None:
    texts = [f"text number {i}" for i in range(11)]
    vectors = FACTORIES[vendor](server.url, batch_size=4).encode_documents(texts)
    assert [len(TEXTS_OF[vendor](r.body)) for r in server.requests] == [4, 4, 3]
    np.testing.assert_array_equal(np.stack(vectors), reference(vendor, texts))


def test_default_batches_are_the_documented_limits(vendor: str, server: VendorServer) -> None:
    limit = LIMIT[vendor]
    FACTORIES[vendor](server.url).encode_documents([f"t{i}" for i in range(limit + 1)])
    assert [len(TEXTS_OF[vendor](r.body)) for r in server.requests] == [limit, 1]
    if vendor != "tei":  # TEI's limit is the server's --max-client-batch-size, which only the caller knows
        with pytest.raises(ValueError, match=rf"batch_size must be an int in \[1, {limit}\]"):
            FACTORIES[vendor]("http://127.0.0.1:1", batch_size=limit + 1)


def test_mistral_token_budget_splits_long_inputs() -> None:
    texts = [("word " * 1000) + str(i) for i in range(10)]  # ~5 kB each: three fit under 16,000
    with VendorServer("mistral") as server:
        vectors = FACTORIES["mistral"](server.url).encode_documents(texts)
    sizes = [len(r.body["input"]) for r in server.requests]
    assert sizes == [3, 3, 3, 1]
    assert all(sum(len(t.encode()) + 2 for t in r.body["input"]) <= 16_000 for r in server.requests)
    np.testing.assert_array_equal(np.stack(vectors), reference("mistral", texts))


def test_empty_input_sends_nothing_and_a_str_is_one_text(vendor: str, server: VendorServer) -> None:
    ef = FACTORIES[vendor](server.url)
    assert ef.encode_documents([]) == []
    assert server.requests == []
    (vector,) = ef.encode_queries("just one")
    np.testing.assert_array_equal(vector, reference(vendor, ["just one"], "query")[0])


@pytest.mark.parametrize("texts, message", [(["ok", None], r"documents\[1\] is None, expected str"),
                                            (42, "documents must be a list of str, got int"),
                                            (b"bytes", "documents must be a list of str, got bytes")])
def test_bad_input_raises_before_any_request(vendor: str, server: VendorServer, texts: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        FACTORIES[vendor](server.url).encode_documents(texts)
    assert server.requests == []


def test_wrong_key_is_an_api_error_without_the_key(vendor: str, server: VendorServer) -> None:
    server.api_key = "another-key-entirely-0000000000"
    with pytest.raises(APIError) as info:
        FACTORIES[vendor](server.url).encode_documents(["a"])
    # Gemini answers a wrong key with 400 API_KEY_INVALID; the others with 401.
    expected = BadRequestError if vendor == "gemini" else AuthenticationError
    assert isinstance(info.value, expected) and API_KEY not in str(info.value)
    assert "***" in str(info.value)  # the server echoed the key; the client redacted it


def test_retries_keep_the_key_out_of_the_logs(vendor: str, server: VendorServer,
                                              caplog: pytest.LogCaptureFixture) -> None:
    server.fail_next(json_fault(429, {"message": f"slow down {API_KEY}"}, {"Retry-After": "0"}),
                     Fault(status=503, body=b"{}"))
    with caplog.at_level(logging.DEBUG, logger="sparsebolt.http"):
        (vector,) = FACTORIES[vendor](server.url, max_retries=2).encode_documents(["x"])
    np.testing.assert_array_equal(vector, reference(vendor, ["x"])[0])
    assert len(server.requests) == 3 and "retrying" in caplog.text
    assert API_KEY not in caplog.text and API_KEY[:8] not in caplog.text


@pytest.mark.parametrize("cls, variable", [(lambda: MistralAIEmbeddingFunction(None), "MISTRALAI_API_KEY"),
                                           (lambda: NomicEmbeddingFunction(), "NOMIC_API_KEY"),
                                           (lambda: GeminiEmbeddingFunction(), "GOOGLE_API_KEY")])
def test_missing_key_names_the_variable(cls: Callable[[], Any], variable: str) -> None:
    with pytest.raises(ValueError, match=variable):
        cls()


def test_keys_and_base_urls_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    cases = [("mistral", "MISTRAL_API_KEY", "MISTRAL_SERVER_URL", lambda: MistralAIEmbeddingFunction(None, "m")),
             ("nomic", "NOMIC_API_KEY", "ATLAS_API_PATH", lambda: NomicEmbeddingFunction(dimensions=64)),
             ("gemini", "GEMINI_API_KEY", "GOOGLE_GEMINI_BASE_URL", lambda: GeminiEmbeddingFunction("g"))]
    for vendor, key_var, url_var, make in cases:
        with VendorServer(vendor) as server:
            monkeypatch.setenv(key_var, API_KEY)
            monkeypatch.setenv(url_var, server.url)
            (vector,) = make().encode_documents(["env"])
        np.testing.assert_array_equal(vector, reference(vendor, ["env"])[0])


def test_mistral_without_a_key_argument_is_a_type_error_as_in_pymilvus() -> None:
    with pytest.raises(TypeError):
        MistralAIEmbeddingFunction()  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "vendor, body, message",
    [
        ("mistral", {"object": "list"}, "expected a JSON object with a 'data' list"),
        ("mistral", {"data": [{"index": 0, "embedding": [0.1]}, {"index": 0, "embedding": [0.1]}]}, "no fresh index"),
        ("mistral", {"data": [{"index": 0, "embedding": [0.1]}, {"index": 1, "embedding": ["x"]}]},
         "not a list of numbers"),
        ("nomic", {"usage": {}}, "an 'embeddings' list"),
        ("nomic", {"embeddings": [[0.1, 0.2]]}, "1 embeddings came back for 2"),
        ("nomic", {"embeddings": [[0.1] * 64, [float("inf")] * 64]}, "NaN or infinity"),
        ("gemini", {"embeddings": [{"values": [0.1]}, {"value": [0.2]}]}, r"embeddings\[\]\.values\[1\]"),
        ("gemini", {"embedding": {"values": [0.1]}}, "an 'embeddings' list"),
        ("gemini", {"embeddings": [{"values": [0.1]}, {"values": [0.1, 0.2]}]}, "different lengths"),
        ("tei", {"error": "?"}, "expected a JSON list"),
        ("tei", [[0.1, 0.2], ["0.1", "0.2"]], "not a list of numbers"),
        ("tei", [[0.1]], "1 embeddings came back for 2"),
    ],
)
def test_undocumented_responses_raise_malformed(vendor: str, body: Any, message: str) -> None:
    with VendorServer(vendor) as server:
        server.fail_next(json_fault(200, body))
        with pytest.raises(MalformedResponseError, match=message):
            FACTORIES[vendor](server.url).encode_documents(["a", "b"])


# -- Mistral --------------------------------------------------------------------------------------------------------


def test_mistral_known_models_and_output_dimension() -> None:
    assert MistralAIEmbeddingFunction(API_KEY).dim == 1024
    with VendorServer("mistral") as server:
        ef = MistralAIEmbeddingFunction(API_KEY, "codestral-embed", base_url=server.url, output_dimension=256,
                                        encoding_format="base64")
        assert ef.dim == 256 and server.requests == []
        (vector,) = ef.encode_documents(["def f(): pass"])
    assert server.requests[0].body == {"model": "codestral-embed", "input": ["def f(): pass"],
                                       "output_dimension": 256, "encoding_format": "base64"}
    np.testing.assert_array_equal(vector, fake_embedding("def f(): pass", 256))


def test_mistral_server_message_reaches_the_user() -> None:
    with VendorServer("mistral") as server:
        ef = MistralAIEmbeddingFunction(API_KEY, base_url=server.url, output_dimension=256)
        with pytest.raises(BadRequestError, match="output_dimension is not supported for mistral-embed"):
            ef.encode_documents(["x"])


@pytest.mark.parametrize("options, message", [({"inputs": ["x"]}, "unknown option"),
                                              ({"output_dtype": "int8"}, "output_dtype='int8' is not supported"),
                                              ({"encoding_format": "hex"}, "encoding_format")])
def test_mistral_bad_options(options: Dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MistralAIEmbeddingFunction(API_KEY, **options)


# -- Nomic ----------------------------------------------------------------------------------------------------------


def test_nomic_task_types_and_dimensionality() -> None:
    with VendorServer("nomic") as server:
        ef = NomicEmbeddingFunction("nomic-embed-text-v1.5", "clustering", 768, api_key=API_KEY, base_url=server.url,
                                    dimensionality=128, long_text_mode="mean")
        assert ef.dim == 128  # the dimensionality keyword wins over dimensions, as in pymilvus
        (clustered,) = ef(["x"])
        (document,) = ef.encode_documents(["x"])
    assert server.requests[0].body == {"model": "nomic-embed-text-v1.5", "texts": ["x"], "task_type": "clustering",
                                       "dimensionality": 128, "long_text_mode": "mean"}
    np.testing.assert_array_equal(clustered, fake_embedding("clustering|x", 128))
    np.testing.assert_array_equal(document, fake_embedding("search_document|x", 128))
    assert NomicEmbeddingFunction(api_key=API_KEY).dim == 768


def test_nomic_server_refusals_reach_the_user() -> None:
    with VendorServer("nomic") as server:
        ef = NomicEmbeddingFunction("nomic-embed-text-v1", api_key=API_KEY, base_url=server.url, dimensions=256)
        with pytest.raises(BadRequestError, match="768 for v1"):
            ef.encode_documents(["x"])


@pytest.mark.parametrize("options, message", [({"task_type": "search"}, "task_type must be one of"),
                                              ({"inference_mode": "local"}, "GPT4All"),
                                              ({"long_text_mode": "split"}, "long_text_mode"),
                                              ({"device": "gpu"}, "unknown option"),
                                              ({"dimensions": 0}, "dimensions must be a positive int")])
def test_nomic_bad_options(options: Dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NomicEmbeddingFunction(api_key=API_KEY, **options)


# -- Gemini ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("config", [
    {"task_type": "RETRIEVAL_DOCUMENT", "title": "Turing", "output_dimensionality": 16},
    {"taskType": "retrieval_document", "title": "Turing", "outputDimensionality": 16},  # camelCase, lower-case enum
    types.SimpleNamespace(task_type="RETRIEVAL_DOCUMENT", title="Turing", output_dimensionality=16, mime_type=None),
])
def test_gemini_config_becomes_request_fields(config: Any) -> None:
    with VendorServer("gemini") as server:
        ef = GeminiEmbeddingFunction("gemini-embedding-001", API_KEY, config, base_url=server.url)
        assert ef.dim == 16 and server.requests == []
        vectors = ef.encode_queries(["a", "b"])  # one config for every role, as in pymilvus
    (request,) = server.requests
    assert request.body["requests"][1] == {"model": "models/gemini-embedding-001",
                                           "content": {"parts": [{"text": "b"}]}, "taskType": "RETRIEVAL_DOCUMENT",
                                           "title": "Turing", "outputDimensionality": 16}
    np.testing.assert_array_equal(np.stack(vectors),
                                  reference("gemini", ["a", "b"], task="RETRIEVAL_DOCUMENT", title="Turing", dim=16))


def test_gemini_model_names_dims_and_http_options() -> None:
    assert GeminiEmbeddingFunction(api_key=API_KEY).dim == 3072
    assert GeminiEmbeddingFunction("models/text-embedding-004", API_KEY).dim == 768
    assert GeminiEmbeddingFunction("models/embedding-001", API_KEY).dim == 768
    with VendorServer("gemini") as server:
        ef = GeminiEmbeddingFunction("models/text-embedding-004", API_KEY,
                                     http_options={"base_url": server.url, "api_version": "v1beta", "timeout": 5000})
        (vector,) = ef.encode_documents(["x"])
    assert ef._client.timeout == 5.0
    assert server.requests[0].path == "/v1beta/models/text-embedding-004:batchEmbedContents"
    np.testing.assert_array_equal(vector, fake_embedding("None|None|x", 768))


def test_gemini_long_lists_are_split_at_100() -> None:
    texts = [f"t{i}" for i in range(250)]
    with VendorServer("gemini") as server:
        vectors = GeminiEmbeddingFunction("gemini-local", API_KEY, base_url=server.url).encode_documents(texts)
    assert [len(r.body["requests"]) for r in server.requests] == [100, 100, 50]
    np.testing.assert_array_equal(np.stack(vectors), reference("gemini", texts))


def test_gemini_server_refusal_reaches_the_user() -> None:
    with VendorServer("gemini") as server:
        ef = GeminiEmbeddingFunction("embedding-001", API_KEY, {"output_dimensionality": 8}, base_url=server.url)
        with pytest.raises(BadRequestError, match="Output dimensionality is not supported"):
            ef.encode_documents(["x"])


@pytest.mark.parametrize("kwargs, message", [
    ({"config": {"task_type": "RETRIEVAL"}}, "task_type must be one of"),
    ({"config": {"mime_type": "text/plain"}}, "Vertex AI options"),
    ({"config": {"auto_truncate": False}}, "Vertex AI options"),
    ({"config": {"temperature": 0.5}}, "unknown config field"),
    ({"vertexai": True}, "Google Cloud credentials"),
    ({"project": "p"}, "unsupported client option"),
    ({"http_options": {"headers": {"x": "y"}}}, "unsupported http_options"),
])
def test_gemini_bad_options(kwargs: Dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GeminiEmbeddingFunction(api_key=API_KEY, **kwargs)
    with pytest.raises(TypeError, match="config must be a dict"):
        GeminiEmbeddingFunction(api_key=API_KEY, config=42)


# -- TEI ------------------------------------------------------------------------------------------------------------


def test_tei_needs_no_key_for_an_open_server_and_probes_dim_once() -> None:
    with VendorServer("tei", api_key="") as server:
        ef = TEIEmbeddingFunction(server.url)
        assert ef.dim == 32 and ef.dim == 32
        assert len(server.requests) == 1 and "authorization" not in server.requests[0].headers
        assert TEIEmbeddingFunction(server.url, 32).dim == 32 and len(server.requests) == 1


def test_tei_truncate_and_normalize() -> None:
    long_text = " ".join(f"w{i}" for i in range(TEI_MAX_INPUT_WORDS + 10))
    cut = " ".join(long_text.split()[:TEI_MAX_INPUT_WORDS])
    with VendorServer("tei") as server:
        (vector,) = TEIEmbeddingFunction(server.url, api_key=API_KEY).encode_documents([long_text])
        np.testing.assert_array_equal(vector, fake_embedding(cut, 32))
        with pytest.raises(BadRequestError, match="must have less than 512 tokens"):
            TEIEmbeddingFunction(server.url, api_key=API_KEY, truncate=False).encode_documents([long_text])
        (raw,) = TEIEmbeddingFunction(server.url, api_key=API_KEY, normalize=False).encode_documents(["x"])
    assert server.requests[-1].body == {"inputs": ["x"], "truncate": True, "normalize": False}
    assert np.linalg.norm(raw) == pytest.approx(3.0, rel=1e-6)


def test_tei_batch_size_above_the_default_meets_the_servers_limit() -> None:
    with VendorServer("tei") as server:
        ef = TEIEmbeddingFunction(server.url, api_key=API_KEY, batch_size=40)
        with pytest.raises(BadRequestError, match="maximum allowed batch size 32"):
            ef.encode_documents([f"t{i}" for i in range(40)])
    assert [len(r.body["inputs"]) for r in server.requests] == [40]


def test_tei_dimensions_that_disagree_with_the_server_are_malformed() -> None:
    with VendorServer("tei") as server:
        with pytest.raises(MalformedResponseError, match="asked for 768 dimensions, got 32"):
            TEIEmbeddingFunction(server.url, 768, api_key=API_KEY).encode_documents(["x"])


@pytest.mark.parametrize("factory, error, message", [
    (lambda: TEIEmbeddingFunction(None), TypeError, "api_url must be a str"),  # type: ignore[arg-type]
    (lambda: TEIEmbeddingFunction("localhost:8080"), ValueError, "must look like"),
    (lambda: TEIEmbeddingFunction("http://h", truncate="yes"), TypeError, "truncate must be a bool"),
    (lambda: TEIEmbeddingFunction("http://h", dimensions=0), ValueError, "dimensions"),
])
def test_tei_bad_options(factory: Callable[[], Any], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        factory()


# -- drop-in surface ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["MistralAIEmbeddingFunction", "NomicEmbeddingFunction", "GeminiEmbeddingFunction",
                                  "TEIEmbeddingFunction"])
def test_constructor_matches_pymilvus_positional_parameters(name: str) -> None:
    theirs = pytest.importorskip("pymilvus.model.dense", reason="pymilvus-model is the reference signature")
    ours = getattr(model_dense, name)
    ours_params = list(inspect.signature(ours).parameters.values())
    their_params = [p for p in inspect.signature(getattr(theirs, name)).parameters.values()
                    if p.kind is not p.VAR_KEYWORD]
    assert len(their_params) <= len(ours_params)
    for mine, their in zip(ours_params, their_params):
        assert (mine.name, mine.default, mine.kind) == (their.name, their.default, their.kind)
    for method in ("encode_documents", "encode_queries", "__call__"):
        assert callable(getattr(ours, method))
    assert isinstance(inspect.getattr_static(ours, "dim"), property)


def test_repr_names_the_server_and_not_the_key() -> None:
    ef: Optional[Any] = None
    for ef in (MistralAIEmbeddingFunction(API_KEY), NomicEmbeddingFunction(api_key=API_KEY),
               GeminiEmbeddingFunction(api_key=API_KEY), TEIEmbeddingFunction("http://tei:8080", api_key=API_KEY)):
        assert API_KEY not in repr(ef) and API_KEY[:8] not in repr(ef)
    assert repr(ef) == "TEIEmbeddingFunction(api_url='http://tei:8080')"
