"""SPLADE and BGE-M3 in a TextCollection on embedded Milvus Lite, with tiny random models: one BGE-M3 object given
as dense= and sparse= fills both fields from one forward pass per batch (and one per search), SPLADE fills a sparse
IP field and keeps no statistics, both are recorded by the encoder registry and rebuilt from their recipes, and
searches return the top documents computed here with numpy from the encoders' own vectors."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sparsebolt.encoders import DEFAULT_MODELS, build_encoder, make_recipe, recipe_of
from sparsebolt.hybrid import BGEM3EmbeddingFunction
from sparsebolt.milvus import stats
from sparsebolt.milvus.collection import TextCollection
from sparsebolt.milvus.fields import VectorField
from sparsebolt.milvus.recipes import build_recorded
from sparsebolt.milvus.schema import SchemaMismatchError
from sparsebolt.sparse.splade import SpladeEmbeddingFunction
from tests.reference.transformer import BERT_TINY, random_weights, save_hf_folder
from tests.unit.test_bge_m3 import make_bge_m3_folder

pytest.importorskip("milvus_lite")

DOCS = ["the cat sat on the mat", "dog ran far away", "the red sky and the blue sea", "blue dogs sat on red mats",
        "sky sea sky sea", "the cat ran away", "far blue sky", "red red red"]
BATCH = 3  # documents per ingestion batch: 8 documents are 3 batches


class CountingM3(BGEM3EmbeddingFunction):
    """BGE-M3 counting its forward passes (each encode_* call is one, whatever outputs it returns)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.documents_calls = self.queries_calls = 0

    def encode_documents(self, documents: Any) -> dict[str, Any]:
        self.documents_calls += 1
        return super().encode_documents(documents)

    def encode_queries(self, queries: Any) -> dict[str, Any]:
        self.queries_calls += 1
        return super().encode_queries(queries)


class CountingSplade(SpladeEmbeddingFunction):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.documents_calls = self.queries_calls = 0

    def encode_documents(self, documents: Any) -> Any:
        self.documents_calls += 1
        return super().encode_documents(documents)

    def encode_queries(self, queries: Any) -> Any:
        self.queries_calls += 1
        return super().encode_queries(queries)


@pytest.fixture(scope="module")
def m3_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_bge_m3_folder(tmp_path_factory.mktemp("m3") / "bge-m3", seed=3)


@pytest.fixture(scope="module")
def splade_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    weights = random_weights(BERT_TINY, seed=5, architecture="masked_lm")
    return save_hf_folder(tmp_path_factory.mktemp("splade") / "splade", BERT_TINY, weights, architecture="masked_lm")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("graphs")


def make_m3(folder: Path, cache: Path, **options: Any) -> CountingM3:
    return CountingM3(model_path=folder, device="cpu", threads=1, cache_dir=cache, batch_size=2, **options)


def make_splade(folder: Path, cache: Path, **options: Any) -> CountingSplade:
    return CountingSplade(model_path=folder, threads=1, cache_dir=cache, batch_size=2, **options)


def records() -> list[dict[str, str]]:
    return [{"id": f"d{i}", "text": text} for i, text in enumerate(DOCS)]


def unique_top(scores: np.ndarray) -> int:
    """The best document of one query's exact scores, checked to be ahead by a margin float32 cannot blur."""
    order = np.argsort(-scores, kind="stable")
    assert scores[order[0]] - scores[order[1]] > 1e-4 * max(1.0, abs(float(scores[order[0]]))), scores
    return int(order[0])


def exact_tops(encoder: Any, queries: list[str]) -> dict[str, list[int]]:
    """Per mode, each query's top document by exact inner products of the encoder's own vectors (numpy)."""
    docs, asked = encoder.encode_documents(DOCS), encoder.encode_queries(queries)
    if isinstance(docs, dict):
        dense = np.stack(asked["dense"]) @ np.stack(docs["dense"]).T
        sparse = (asked["sparse"] @ docs["sparse"].T).toarray()
        return {"dense": [unique_top(row) for row in dense], "sparse": [unique_top(row) for row in sparse]}
    return {"sparse": [unique_top(row) for row in (asked @ docs.T).toarray()]}


def test_learned_kinds_record_what_changes_vectors_and_rebuild(m3_folder, splade_folder, cache):
    m3 = make_m3(m3_folder, cache)
    recipe = recipe_of(m3)
    assert recipe.name == "bge-m3" and recipe.reconstructible
    assert recipe.config == {"model_name": str(m3_folder.resolve()), "max_length": 24, "normalize_embeddings": True}
    rebuilt = build_encoder(recipe, threads=1, device="cpu")
    assert recipe_of(rebuilt).differences(recipe) == []
    np.testing.assert_allclose(np.stack(rebuilt.encode_documents(DOCS)["dense"]),
                               np.stack(m3.encode_documents(DOCS)["dense"]), atol=1e-6)
    splade = make_splade(splade_folder, cache, k_tokens_query=4, query_instruction="blue ")
    recipe = recipe_of(splade)
    assert recipe.name == "splade" and recipe.config == {
        "model_name": str(splade_folder.resolve()), "max_length": 24, "k_tokens_query": 4, "k_tokens_document": None,
        "query_instruction": "blue ", "doc_instruction": ""}
    rebuilt = build_encoder(recipe, threads=1)
    assert recipe_of(rebuilt).differences(recipe) == []
    assert (rebuilt.encode_queries(DOCS) != splade.encode_queries(DOCS)).nnz == 0
    # recipes made by name state the classes' defaults (batch size, threads, device and outputs are never recorded)
    for kind, cls in (("splade", SpladeEmbeddingFunction), ("bge-m3", BGEM3EmbeddingFunction)):
        defaults = inspect.signature(cls).parameters
        assert DEFAULT_MODELS[kind] == defaults["model_name"].default
        made = make_recipe(kind, model_name=str(m3_folder))
        assert all(defaults[key].default == value for key, value in made.config.items() if key != "model_name")
        assert not {"batch_size", "threads", "device", "return_sparse"} & set(made.config)


def test_one_bge_m3_fills_both_fields_from_one_pass_per_batch(m3_folder, cache, tmp_path):
    m3 = make_m3(m3_folder, cache)
    uri = str(tmp_path / "x.db")
    with TextCollection(uri, "m3", dense=m3, sparse=m3) as col:
        assert col.spec.vector_fields == (VectorField("dense", "dense", dim=32, output="dense"),
                                          VectorField("sparse", "sparse", output="sparse"))
        assert {name: (fr.recipe, fr.output) for name, fr in (col.recorded or {}).items()} == {
            "dense": (recipe_of(m3), "dense"), "sparse": (recipe_of(m3), "sparse")}
        summary = col.ingest(records(), batch_size=BATCH)
        assert (summary.inserted, m3.documents_calls, m3.queries_calls) == (len(DOCS), 3, 0)  # 3 batches, 3 passes
        assert col.count() == len(DOCS)
        queries = [DOCS[2], "blue sky", "cat ran"]
        want = exact_tops(m3, queries)
        for mode in ("dense", "sparse", "hybrid"):
            before = m3.queries_calls
            hits = col.search(queries, mode=mode, limit=3)
            assert m3.queries_calls == before + 1, mode  # every query and field from one encode_queries call
            tops = [int(h[0].id[1:]) for h in hits]
            if mode == "hybrid":  # where both routes rank the same document first, RRF must too
                agreed = [i for i, (d, s) in enumerate(zip(want["dense"], want["sparse"])) if d == s]
                assert agreed and [tops[i] for i in agreed] == [want["dense"][i] for i in agreed]
            else:
                assert tops == want[mode], mode
        assert stats.load_blob(col.client, "m3", stats.BM25_KIND) is None  # nothing fitted, nothing kept


def test_a_bge_m3_collection_reopens_with_its_recorded_model_and_refuses_another(m3_folder, cache, tmp_path):
    uri = str(tmp_path / "x.db")
    m3 = make_m3(m3_folder, cache)
    with TextCollection(uri, "m3", dense=m3, sparse=m3) as col:
        col.ingest(records(), batch_size=BATCH)
        want = [(h.id, round(h.score, 5)) for h in col.search("blue sky", mode="hybrid", limit=4)]
        recorded = col.recorded
    built = build_recorded(recorded or {}, threads=1, device="cpu")
    assert built["dense"] is built["sparse"]  # one model for the two fields
    with TextCollection(uri, "m3", encoders=built, create=False) as col:
        assert [(h.id, round(h.score, 5)) for h in col.search("blue sky", mode="hybrid", limit=4)] == want
        assert col.ingest(records()).skipped == len(DOCS)
    with pytest.raises(SchemaMismatchError, match=r"max_length: 24 vs 16"):
        TextCollection(uri, "m3", dense=make_m3(m3_folder, cache, max_length=16), create=False)


def test_splade_fills_a_sparse_ip_field_and_keeps_no_statistics(splade_folder, cache, tmp_path):
    splade = make_splade(splade_folder, cache)
    with TextCollection(str(tmp_path / "x.db"), "splade", sparse=splade) as col:
        assert col.spec.vector_fields == (VectorField("sparse", "sparse", metric="IP"),)
        assert col.recorded is not None and col.recorded["sparse"].recipe == recipe_of(splade)
        summary = col.ingest(records(), batch_size=BATCH)
        assert (summary.inserted, splade.documents_calls, col.count()) == (len(DOCS), 3, len(DOCS))
        assert stats.load_blob(col.client, "splade", stats.BM25_KIND) is None
        queries = [DOCS[2], "blue sky", "cat ran", DOCS[7]]
        hits = col.search(queries, mode="sparse", limit=3)
        assert splade.queries_calls == 1  # the queries in one call
        assert [int(h[0].id[1:]) for h in hits] == exact_tops(splade, queries)["sparse"]
        assert col.modes == ("sparse",)
