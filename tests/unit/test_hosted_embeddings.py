"""OpenAI, Jina, Voyage and Cohere embedding functions against local servers implementing each published contract."""

from __future__ import annotations

import inspect
import struct
from typing import Any, Callable, Dict, Iterator, List

import numpy as np
import pytest

from sparsebolt.hosted import (
    CohereEmbeddingFunction,
    JinaEmbeddingFunction,
    OpenAIEmbeddingFunction,
    VoyageEmbeddingFunction,
)
from sparsebolt.hosted.base import iter_batches
from sparsebolt.http import AuthenticationError, BadRequestError, MalformedResponseError
from sparsebolt.model import dense as model_dense
from sparsebolt.testing.vendor_servers import API_KEY, VendorServer, fake_embedding, json_fault

TEXTS = ["Artificial intelligence was founded in 1956.", "Alan Turing", "Maida Vale, London", "", "ünïcödé — 東京"]
NONEMPTY = [t for t in TEXTS if t]

# vendor -> factory(url, **options) for a model whose native width the local server decides (32)
FACTORIES: Dict[str, Callable[..., Any]] = {
    "openai": lambda url, **kw: OpenAIEmbeddingFunction("local-embedder", API_KEY, url, **kw),
    "jina": lambda url, **kw: JinaEmbeddingFunction("jina-local", API_KEY, base_url=url, **kw),
    "voyage": lambda url, **kw: VoyageEmbeddingFunction("voyage-local", API_KEY, base_url=url, **kw),
    "cohere": lambda url, **kw: CohereEmbeddingFunction("embed-local", API_KEY, base_url=url, **kw),
}
# The input-type tag each vendor's request carries for documents and queries (the local model mixes it in).
DOC_TAG = {"openai": None, "jina": "retrieval.passage", "voyage": "document", "cohere": "search_document"}
QUERY_TAG = {"openai": None, "jina": "retrieval.query", "voyage": "query", "cohere": "search_query"}


def reference(vendor: str, texts: List[str], tag: Any, dim: int = 32) -> np.ndarray:
    if vendor == "openai":
        return np.stack([fake_embedding(t, dim) for t in texts])
    return np.stack([fake_embedding(f"{tag}|{t}", dim) for t in texts])


@pytest.fixture(params=sorted(FACTORIES))
def vendor(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def server(vendor: str) -> Iterator[VendorServer]:
    with VendorServer(vendor, shuffle=True) as srv:
        yield srv


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "JINAAI_API_KEY", "JINA_API_KEY", "JINAAI_BASE_URL",
                 "VOYAGE_API_KEY", "VOYAGE_BASE_URL", "CO_API_KEY", "COHERE_API_KEY", "CO_API_URL", "COHERE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_documents_and_queries_come_back_in_order_as_float32(vendor: str, server: VendorServer) -> None:
    with FACTORIES[vendor](server.url) as ef:
        docs = ef.encode_documents(NONEMPTY)
        queries = ef.encode_queries(NONEMPTY[:2])
        assert ef.dim == 32  # unknown model: learnt from the responses, no extra request
    assert len(server.requests) == 2
    assert all(isinstance(v, np.ndarray) and v.dtype == np.float32 and v.shape == (32,) for v in docs + queries)
    np.testing.assert_array_equal(np.stack(docs), reference(vendor, NONEMPTY, DOC_TAG[vendor]))
    np.testing.assert_array_equal(np.stack(queries), reference(vendor, NONEMPTY[:2], QUERY_TAG[vendor]))


def test_requests_follow_the_vendor_contract(vendor: str, server: VendorServer) -> None:
    ef = FACTORIES[vendor](server.url)
    ef.encode_documents(["a", "b"])
    ef.encode_queries(["q"])
    ef(["c"])
    docs, queries, plain = (r.body for r in server.requests)
    assert all(r.headers["authorization"] == f"Bearer {API_KEY}" for r in server.requests)
    if vendor == "openai":
        assert [r.path for r in server.requests] == ["/v1/embeddings"] * 3
        assert docs == {"input": ["a", "b"], "model": "local-embedder", "encoding_format": "base64"}
        assert queries["input"] == ["q"] and plain["input"] == ["c"]
    elif vendor == "jina":
        assert [r.path for r in server.requests] == ["/v1/embeddings"] * 3
        assert docs == {"input": ["a", "b"], "model": "jina-local", "task": "retrieval.passage", "late_chunking": False}
        assert queries["task"] == "retrieval.query" and plain["task"] == "retrieval.passage"  # __call__ uses `task`
    elif vendor == "voyage":
        assert [r.path for r in server.requests] == ["/v1/embeddings"] * 3
        assert docs == {"input": ["a", "b"], "model": "voyage-local", "input_type": "document"}
        assert queries["input_type"] == "query" and plain["input_type"] is None
    else:
        assert [r.path for r in server.requests] == ["/v2/embed"] * 3
        assert docs == {"model": "embed-local", "texts": ["a", "b"], "input_type": "search_document",
                        "embedding_types": ["float"]}
        assert queries["input_type"] == "search_query" and plain["input_type"] == "search_document"


def test_batches_respect_batch_size_and_keep_order(vendor: str, server: VendorServer) -> None:
    texts = [f"text number {i}" for i in range(11)]
    vectors = FACTORIES[vendor](server.url, batch_size=4).encode_documents(texts)
    sizes = [len(r.body.get("input", r.body.get("texts"))) for r in server.requests]
    assert sizes == [4, 4, 3]
    np.testing.assert_array_equal(np.stack(vectors), reference(vendor, texts, DOC_TAG[vendor]))


def test_default_batches_are_the_documented_input_limits() -> None:
    limits = {"openai": 2048, "jina": 2048, "voyage": 1000, "cohere": 96}
    for vendor, limit in limits.items():
        with VendorServer(vendor) as server:
            FACTORIES[vendor](server.url).encode_documents([f"t{i}" for i in range(limit + 1)])
        assert [len(r.body.get("input", r.body.get("texts"))) for r in server.requests] == [limit, 1], vendor
        with pytest.raises(ValueError, match=rf"batch_size must be an int in \[1, {limit}\]"):
            FACTORIES[vendor]("http://127.0.0.1:1", batch_size=limit + 1)


def test_token_budget_splits_long_inputs() -> None:
    # 40 texts of ~10 kB: 400 kB is over OpenAI's 300k-token bound, which the client checks with UTF-8 bytes.
    texts = [("word " * 2000) + str(i) for i in range(40)]
    with VendorServer("openai") as server:
        vectors = FACTORIES["openai"](server.url).encode_documents(texts)
    sizes = [len(r.body["input"]) for r in server.requests]
    assert sum(sizes) == 40 and len(sizes) == 2
    assert all(sum(len(t.encode()) + 2 for t in r.body["input"]) <= 300_000 for r in server.requests)
    np.testing.assert_array_equal(np.stack(vectors), reference("openai", texts, None))


@pytest.mark.parametrize("n, max_inputs, max_tokens, expected", [
    (0, 3, None, []),
    (7, 3, None, [3, 3, 1]),
    (5, 10, 12, [2, 2, 1]),  # each text costs 4 bytes + 2
    (3, 10, 1, [1, 1, 1]),  # a text over the bound travels alone
])
def test_iter_batches(n: int, max_inputs: int, max_tokens: Any, expected: List[int]) -> None:
    texts = [f"t{i:03d}" for i in range(n)]
    batches = list(iter_batches(texts, max_inputs, max_tokens))
    assert [len(b) for _, b in batches] == expected
    assert [s for s, _ in batches] == [sum(expected[:i]) for i in range(len(expected))]
    assert [t for _, b in batches for t in b] == texts


def test_empty_input_sends_nothing_and_a_str_is_one_text(vendor: str, server: VendorServer) -> None:
    ef = FACTORIES[vendor](server.url)
    assert ef.encode_documents([]) == []
    assert server.requests == []
    (vector,) = ef.encode_queries("just one")
    np.testing.assert_array_equal(vector, reference(vendor, ["just one"], QUERY_TAG[vendor])[0])


@pytest.mark.parametrize("texts, message", [(["ok", None], r"documents\[1\] is None, expected str"),
                                            (42, "documents must be a list of str, got int"),
                                            (b"bytes", "documents must be a list of str, got bytes")])
def test_bad_input_raises_before_any_request(vendor: str, server: VendorServer, texts: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        FACTORIES[vendor](server.url).encode_documents(texts)
    assert server.requests == []


def test_dimensions_option(vendor: str, server: VendorServer) -> None:
    dim = {"openai": 16, "jina": 16, "voyage": 256, "cohere": 256}[vendor]
    if vendor == "openai":
        ef = OpenAIEmbeddingFunction("text-embedding-3-small", API_KEY, server.url, dimensions=dim)
    elif vendor == "jina":
        ef = JinaEmbeddingFunction("jina-embeddings-v3", API_KEY, dimensions=dim, base_url=server.url)
    elif vendor == "voyage":
        ef = VoyageEmbeddingFunction("voyage-3-large", API_KEY, dimension=dim, base_url=server.url)
    else:
        ef = CohereEmbeddingFunction("embed-v4.0", API_KEY, dimensions=dim, base_url=server.url)
    assert ef.dim == dim and server.requests == []
    (vector,) = ef.encode_documents(["x"])
    assert vector.shape == (dim,)
    field = {"openai": "dimensions", "jina": "dimensions", "voyage": "output_dimension", "cohere": "output_dimension"}
    assert server.requests[0].body[field[vendor]] == dim


def test_known_models_report_dim_without_a_request() -> None:
    assert OpenAIEmbeddingFunction(api_key=API_KEY).dim == 1536
    assert OpenAIEmbeddingFunction("text-embedding-3-large", api_key=API_KEY).dim == 3072
    assert JinaEmbeddingFunction(api_key=API_KEY).dim == 1024
    assert VoyageEmbeddingFunction(api_key=API_KEY).dim == 1024
    assert VoyageEmbeddingFunction("voyage-3-lite", api_key=API_KEY).dim == 512
    assert CohereEmbeddingFunction(api_key=API_KEY).dim == 384
    assert CohereEmbeddingFunction("embed-english-v3.0", api_key=API_KEY).dim == 1024


def test_unknown_model_dim_is_probed_once(vendor: str, server: VendorServer) -> None:
    ef = FACTORIES[vendor](server.url)
    assert ef.dim == 32 and ef.dim == 32
    assert len(server.requests) == 1


def test_a_width_other_than_requested_is_malformed() -> None:
    with VendorServer("openai") as server:
        server.fail_next(json_fault(200, {"object": "list", "data": [{"index": 0, "embedding": [0.5] * 8}]}))
        ef = OpenAIEmbeddingFunction("text-embedding-3-small", API_KEY, server.url, dimensions=16)
        with pytest.raises(MalformedResponseError, match="asked for 16 dimensions, got 8"):
            ef.encode_documents(["x"])


def test_float_encoding_format_for_servers_without_base64() -> None:
    with VendorServer("openai") as server:
        ef = OpenAIEmbeddingFunction("m", API_KEY, server.url, encoding_format="float")
        (vector,) = ef.encode_documents(["x"])
    assert server.requests[0].body["encoding_format"] == "float"
    np.testing.assert_array_equal(vector, fake_embedding("x", 32))
    with pytest.raises(ValueError, match="encoding_format"):
        OpenAIEmbeddingFunction("m", API_KEY, encoding_format="int8")


def test_openai_error_message_reaches_the_user() -> None:
    with VendorServer("openai") as server:
        ef = OpenAIEmbeddingFunction("text-embedding-ada-002", API_KEY, server.url, dimensions=64)
        with pytest.raises(BadRequestError, match="This model does not support specifying dimensions"):
            ef.encode_documents(["x"])
        with pytest.raises(BadRequestError, match="empty strings are not allowed"):
            OpenAIEmbeddingFunction("m", API_KEY, server.url).encode_documents(["a", ""])


@pytest.mark.parametrize(
    "body, message",
    [
        ({"object": "list"}, "expected a JSON object"),
        ({"data": [{"index": 0, "embedding": [0.1, 0.2]}]}, "1 embeddings came back for 2"),
        ({"data": [{"index": 0, "embedding": [0.1]}, {"index": 0, "embedding": [0.1]}]}, "no fresh index"),
        ({"data": [{"index": 0, "embedding": [0.1]}, {"index": 1, "embedding": "not base64!"}]},
         "not a list of numbers"),
        ({"data": [{"index": 0, "embedding": [0.1]}, {"index": 1, "embedding": [0.1, 0.2]}]}, "different lengths"),
        ({"data": [{"index": 0, "embedding": [0.1]}, {"index": 1, "embedding": ["0.1"]}]}, "not a list of numbers"),
        ({"data": [{"index": 0, "embedding": [True]}, {"index": 1, "embedding": [False]}]}, "not a list of numbers"),
        ({"data": [{"index": 0, "embedding": []}, {"index": 1, "embedding": []}]}, "not a list of numbers"),
        ({"data": [{"index": 0, "embedding": [0.1]}, {"index": 1, "embedding": [float("nan")]}]}, "NaN"),
    ],
)
def test_undocumented_embedding_responses_raise_malformed(body: Dict[str, Any], message: str) -> None:
    with VendorServer("voyage") as server:
        server.fail_next(json_fault(200, body))
        with pytest.raises(MalformedResponseError, match=message):
            FACTORIES["voyage"](server.url).encode_documents(["a", "b"])


def test_cohere_undocumented_response_raises_malformed() -> None:
    with VendorServer("cohere") as server:
        server.fail_next(json_fault(200, {"embeddings": {"int8": [[1]]}}))
        with pytest.raises(MalformedResponseError, match=r"embeddings\.float"):
            FACTORIES["cohere"](server.url).encode_documents(["a"])
        server.fail_next(json_fault(200, {"embeddings": {"float": [[0.1], [0.2]]}}))
        with pytest.raises(MalformedResponseError, match="2 embeddings came back for 1"):
            FACTORIES["cohere"](server.url).encode_documents(["a"])


def test_wrong_key_raises_authentication_error(vendor: str, server: VendorServer) -> None:
    server.api_key = "another-key-entirely-0000000000"
    with pytest.raises(AuthenticationError) as info:
        FACTORIES[vendor](server.url).encode_documents(["a"])
    assert API_KEY not in str(info.value) and info.value.status == 401


@pytest.mark.parametrize("kind", ["binary", "ubinary"])
def test_voyage_binary_output_unpacks_like_pymilvus(kind: str) -> None:
    with VendorServer("voyage") as server:
        ef = VoyageEmbeddingFunction("voyage-3-large", API_KEY, embedding_type=kind, dimension=256,
                                     base_url=server.url)
        (bits,) = ef.encode_documents(["x"])
    assert server.requests[0].body["output_dtype"] == kind
    assert bits.dtype == bool and bits.shape == (256,)
    # the server packed the signs of its float vector; unpacking must give them back
    np.testing.assert_array_equal(bits, fake_embedding("document|x", 256) > 0)


@pytest.mark.parametrize("kind, fmt", [("binary", "b"), ("ubinary", "B")])
def test_cohere_binary_output_is_the_packed_bytes_like_pymilvus(kind: str, fmt: str) -> None:
    with VendorServer("cohere") as server:
        ef = CohereEmbeddingFunction("embed-local", API_KEY, embedding_types=[kind], base_url=server.url)
        (packed,) = ef.encode_documents(["x"])
    assert server.requests[0].body["embedding_types"] == [kind]
    bits = np.packbits(fake_embedding("search_document|x", 32) > 0).astype(int)
    values = (bits - 128).tolist() if kind == "binary" else bits.tolist()
    assert packed == struct.pack(fmt * len(values), *values)


@pytest.mark.parametrize(
    "factory, message",
    [
        (lambda: VoyageEmbeddingFunction("voyage-3", API_KEY, dimension=256), "not supported by voyage-3"),
        (lambda: VoyageEmbeddingFunction("voyage-3", API_KEY, embedding_type="binary"), "float embeddings only"),
        (lambda: VoyageEmbeddingFunction(api_key=API_KEY, embedding_type="int8"), "int8/uint8"),
        (lambda: CohereEmbeddingFunction(api_key=API_KEY, embedding_types=["float", "binary"]), "exactly one"),
        (lambda: CohereEmbeddingFunction(api_key=API_KEY, embedding_types=["uint8"]), "int8/uint8"),
        (lambda: CohereEmbeddingFunction(api_key=API_KEY, truncate="MIDDLE"), "truncate"),
        (lambda: OpenAIEmbeddingFunction(api_key=API_KEY, dimensions=0), "dimensions"),
        (lambda: OpenAIEmbeddingFunction(api_key=API_KEY, base_url="api.openai.com"), "must look like"),
        (lambda: JinaEmbeddingFunction(""), "model_name"),
    ],
)
def test_bad_options_raise_value_error(factory: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        factory()


@pytest.mark.parametrize("cls, variable", [(OpenAIEmbeddingFunction, "OPENAI_API_KEY"),
                                           (JinaEmbeddingFunction, "JINAAI_API_KEY"),
                                           (VoyageEmbeddingFunction, "VOYAGE_API_KEY"),
                                           (CohereEmbeddingFunction, "CO_API_KEY")])
def test_missing_key_names_the_variable(cls: Any, variable: str) -> None:
    with pytest.raises(ValueError, match=variable):
        cls()


def test_base_url_and_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with VendorServer("openai") as server:
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        (vector,) = OpenAIEmbeddingFunction("m").encode_queries(["q"])
    np.testing.assert_array_equal(vector, fake_embedding("q", 32))


def test_jina_late_chunking_keeps_one_request() -> None:
    with VendorServer("jina") as server:
        ef = JinaEmbeddingFunction("jina-embeddings-v3", API_KEY, late_chunking=True, base_url=server.url,
                                   batch_size=2)
        assert len(ef.encode_documents(["a", "b", "c", "d", "e"])) == 5
    assert [len(r.body["input"]) for r in server.requests] == [5]
    assert server.requests[0].body["late_chunking"] is True


@pytest.mark.parametrize("name", ["OpenAIEmbeddingFunction", "JinaEmbeddingFunction", "VoyageEmbeddingFunction",
                                  "CohereEmbeddingFunction"])
def test_constructor_matches_pymilvus_positional_parameters(name: str) -> None:
    theirs = pytest.importorskip("pymilvus.model.dense", reason="pymilvus-model is the reference signature")
    ours = getattr(model_dense, name)
    ours_params = list(inspect.signature(ours).parameters.values())
    their_params = [p for p in inspect.signature(getattr(theirs, name)).parameters.values()
                    if p.kind is not p.VAR_KEYWORD]
    for mine, their in zip(ours_params, their_params):
        assert (mine.name, mine.default) == (their.name, their.default)
    for method in ("encode_documents", "encode_queries", "__call__"):
        assert callable(getattr(ours, method))
    assert isinstance(inspect.getattr_static(ours, "dim"), property)
