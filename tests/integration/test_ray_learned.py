"""The Ray job with learned encoders on a local 2-CPU cluster against a `milvus-lite server`: BGE-M3 filling both
fields from one factory, and SPLADE alone; each stores every id once, and searches return the top documents of the
model's exact scores (the tiny random models of tests/unit/test_learned_sparse_collection.py)."""

from __future__ import annotations

import functools
import json

import pytest

from tests.integration.ray_helpers import (  # noqa: F401 - ray_local is a fixture
    IGNORE_RAY_DEPRECATIONS,
    ray_local,
    stored_ids,
)
from tests.unit import test_learned_sparse_collection as learned
from tests.unit.test_learned_sparse_collection import DOCS, exact_tops, records

pytestmark = [pytest.mark.integration, IGNORE_RAY_DEPRECATIONS]
pytest.importorskip("pyarrow")

from sparsebolt.hybrid import BGEM3EmbeddingFunction  # noqa: E402
from sparsebolt.milvus.collection import TextCollection  # noqa: E402
from sparsebolt.ray import ingest  # noqa: E402
from sparsebolt.sparse.splade import SpladeEmbeddingFunction  # noqa: E402

m3_folder, splade_folder, cache = learned.m3_folder, learned.splade_folder, learned.cache
QUERIES = [DOCS[2], "blue sky", "cat ran"]


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records()))
    return path


def _tops(uri: str, collection: str, mode: str, **encoders: object) -> list[int]:
    with TextCollection(uri, collection, create=False, **encoders) as col:
        assert col.count() == len(DOCS)
        return [int(hits[0].id[1:]) for hits in col.search(QUERIES, mode=mode, limit=3)]


def test_bge_m3_fills_both_fields_on_the_workers(ray_local, lite_server, corpus, m3_folder, cache):
    factory = functools.partial(BGEM3EmbeddingFunction, str(m3_folder), device="cpu", threads=1, cache_dir=str(cache))
    summary = ingest(corpus, uri=lite_server.uri, collection="ray_m3", dense=factory, sparse=factory, workers=1,
                     rows_per_call=4, batch_size=2)
    assert (summary.inserted, summary.skipped) == (len(DOCS), 0)
    assert sorted(stored_ids(lite_server.uri, "ray_m3")) == sorted(r["id"] for r in records())
    m3 = factory()
    want = exact_tops(m3, QUERIES)
    for mode in ("dense", "sparse"):
        assert _tops(lite_server.uri, "ray_m3", mode, dense=m3, sparse=m3) == want[mode], mode
    again = ingest(corpus, uri=lite_server.uri, collection="ray_m3", dense=factory, sparse=factory, workers=1)
    assert (again.inserted, again.skipped) == (0, len(DOCS))


def test_splade_alone_on_the_workers(ray_local, lite_server, corpus, splade_folder, cache):
    factory = functools.partial(SpladeEmbeddingFunction, model_path=str(splade_folder), threads=1,
                                cache_dir=str(cache))
    summary = ingest(corpus, uri=lite_server.uri, collection="ray_splade", sparse=factory, workers=1,
                     rows_per_call=4, batch_size=2)
    assert summary.inserted == len(DOCS)
    splade = factory()
    assert _tops(lite_server.uri, "ray_splade", "sparse", sparse=splade) == exact_tops(splade, QUERIES)["sparse"]
