"""The language table (sparsebolt._core.languages()) and the default analyzers it builds: every code and alias,
the stopword lists it names, and tokens equal to pymilvus.model's analyzers (its own filters, NLTK's stopword lists
and stemmers) and to PyStemmer with the same lists."""
import pytest

from sparsebolt import _core
from sparsebolt.sparse.analyzer import build_default_analyzer
from sparsebolt.sparse.stopwords import stopword_lists, stopwords
from tests.parity.reference_bm25 import TOKEN, TOKEN_PATTERNS, simple_lower

Stemmer = pytest.importorskip("Stemmer")

# Library segmenters run in Python or, for the dictionary segmenters, natively on the library's data.
LIBRARY_SEGMENTERS = _core.python_segmenters() + _core.dictionary_segmenters()
NATIVE = [entry for entry in _core.languages() if entry.segmenter not in LIBRARY_SEGMENTERS]
SEGMENTED_BY_A_LIBRARY = [entry for entry in _core.languages() if entry.segmenter in LIBRARY_SEGMENTERS]

# A few sentences per language pymilvus.model speaks natively (its lang.yaml: en de fr ru sp it pt), and some
# other Snowball languages.
SENTENCES = {
    "en": ["The children were playing in the large garden behind the old houses and laughing happily.",
           "Databases index documents; the searching engines rank them by their relevance."],
    "de": ["Die Kinder spielten gestern im großen Garten hinter den alten Häusern und lachten fröhlich.",
           "Datenbanken speichern Dokumente, und Suchmaschinen ordnen sie nach ihrer Bedeutung."],
    "fr": ["Les enfants jouaient hier dans le grand jardin derrière les anciennes maisons et riaient joyeusement.",
           "Les bases de données conservent des documents que les moteurs de recherche classent."],
    "ru": ["Дети вчера играли в большом саду за старыми домами и весело смеялись.",
           "Базы данных хранят документы, а поисковые системы упорядочивают их по значимости."],
    "es": ["Los niños jugaban ayer en el gran jardín detrás de las casas antiguas y se reían alegremente.",
           "¿Las bases de datos guardan documentos que los buscadores ordenan por relevancia? ¡Sí!"],
    "it": ["I bambini giocavano ieri nel grande giardino dietro le vecchie case e ridevano allegramente.",
           "Le basi di dati conservano documenti che i motori di ricerca ordinano per rilevanza."],
    "pt": ["As crianças brincavam ontem no grande jardim atrás das casas antigas e riam alegremente.",
           "Os bancos de dados guardam documentos que os motores de busca ordenam por relevância."],
    "nl": ["De kinderen speelden gisteren in de grote tuin achter de oude huizen en lachten vrolijk."],
    "sv": ["Barnen lekte igår i den stora trädgården bakom de gamla husen och skrattade glatt."],
    "fi": ["Lapset leikkivät eilen suuressa puutarhassa vanhojen talojen takana ja nauroivat iloisesti."],
    "tr": ["Çocuklar dün eski evlerin arkasındaki büyük bahçede oynadılar ve neşeyle güldüler."],
    "el": ["Τα παιδιά έπαιζαν χθες στον μεγάλο κήπο πίσω από τα παλιά σπίτια και γελούσαν χαρούμενα."],
    # Scripts whose words hold combining marks (vowel signs, viramas, harakat) and joiners
    "hi": ["बच्चे कल पुराने घरों के पीछे बड़े बगीचे में खेल रहे थे और खुशी से हँस रहे थे।"],
    "ne": ["बालबालिकाहरू हिजो पुराना घरहरूको पछाडि ठूलो बगैंचामा खेलिरहेका थिए र खुसीले हाँसे।"],
    "ta": ["குழந்தைகள் நேற்று பழைய வீடுகளுக்குப் பின்னால் உள்ள பெரிய தோட்டத்தில் விளையாடினார்கள், அது மகிழ்ச்சி."],
    "ar": ["لَعِبَ الأَطْفَالُ أَمْسِ فِي الحَدِيقَةِ الكَبِيرَةِ خَلْفَ البُيُوتِ القَدِيمَةِ وَضَحِكُوا بِسَعَادَةٍ."],
    "fa": ["بچه\u200cها دیروز در باغ بزرگ پشت خانه\u200cهای قدیمی بازی می\u200cکردند و با خوشحالی می\u200cخندیدند."],
}
PYMILVUS_CODES = {"en": "en", "de": "de", "fr": "fr", "ru": "ru", "es": "sp", "it": "it", "pt": "pt"}


def names_of(entry):
    return [entry.code, *entry.aliases]


def test_table_covers_pymilvus_model_codes_and_iso_codes():
    codes = {name for entry in _core.languages() for name in names_of(entry)}
    assert {"en", "de", "fr", "ru", "sp", "it", "pt", "zh", "jp", "kr"} <= codes  # pymilvus.model's lang.yaml
    assert {"es", "ja", "ko", "nl", "sv", "no", "da", "fi", "hu", "ro", "tr", "ar", "el", "ta"} <= codes
    assert len(codes) == sum(len(names_of(entry)) for entry in _core.languages()), "a name names two languages"
    for entry in _core.languages():
        assert entry.stemmer in _core.stemmers()
        assert entry.segmenter in _core.segmenters() + _core.python_segmenters()
        assert entry.stopwords == "" or entry.stopwords in stopword_lists()


def test_cjk_rows_are_segmented_by_a_library():
    rows = {entry.code: entry for entry in SEGMENTED_BY_A_LIBRARY}
    assert set(rows) == {"zh", "ja", "ko"}
    assert (rows["zh"].aliases, rows["zh"].segmenter, rows["zh"].stopwords) == (["chinese", "cn"], "jieba", "chinese")
    assert (rows["ja"].aliases, rows["ja"].segmenter, rows["ja"].stopwords) == (["jp", "japanese"], "mecab", "japanese")
    assert (rows["ko"].aliases, rows["ko"].segmenter, rows["ko"].stopwords) == (["kr", "korean"], "mecab_ko", "korean")
    assert all(entry.stemmer == "none" for entry in SEGMENTED_BY_A_LIBRARY)
    assert {"jieba", "mecab", "mecab_ko"} <= set(_core.dictionary_segmenters())
    assert _core.language("jp") == _core.language("ja") or _core.language("jp").code == "ja"


def test_a_native_analyzer_for_a_python_segmenter_refuses_text_with_advice():
    # The core never runs jieba/mecab/kiwi itself: it takes their token lists and says so for text.
    native = _core.Analyzer(lowercase=True, stopwords=["은"], stemmer="none", segmenter="kiwi")
    assert native.segmenter == "kiwi"
    assert native.analyze_tokens(["데이터베이스", "은"]) == ["데이터베이스"]
    with pytest.raises(ValueError, match="segmenter 'kiwi' runs outside the core .*token lists"):
        native.analyze("데이터베이스입니다")


@pytest.mark.parametrize("entry", NATIVE, ids=lambda entry: entry.code)
def test_every_code_and_alias_builds_the_same_analyzer(entry):
    words = stopwords(entry.stopwords) if entry.stopwords else []
    for name in names_of(entry):
        analyzer = build_default_analyzer(language=name)
        assert (analyzer.stemmer, analyzer.lowercase, analyzer.stopwords) == (entry.stemmer, True, words)
        assert analyzer.segments_natively and analyzer.segmenter == entry.segmenter
        assert analyzer.name == name and f"stemmer={entry.stemmer!r}" in repr(analyzer)


def test_unknown_language_names_the_valid_ones():
    with pytest.raises(ValueError, match=r"no default analyzer for language 'xx'; available: 'en' or 'english', "
                                         r"'de' or 'german'.*'es' or 'sp' or 'spanish'.*'ko' or 'kr' or 'korean'"):
        build_default_analyzer(language="xx")
    with pytest.raises(TypeError, match="language must be a str"):
        build_default_analyzer(language=None)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted({entry.stopwords for entry in NATIVE if entry.stopwords}))
def test_stopword_lists_are_clean_lowercase_words(name):
    words = stopwords(name)
    assert len(words) > 20 and all(word == word.strip() and word and not word.startswith("#") for word in words)
    assert all(simple_lower(word) == word for word in words)
    assert stopwords(name) == words  # a new list each call, same content


def test_a_missing_stopword_list_is_a_clear_error():
    with pytest.raises(ValueError, match="no stopword list for 'klingon'; available: .*'german'"):
        stopwords("klingon")


def pystemmer_reference(entry, text):
    """The segmenter's regex tokens, lowercased, stopped with the language's list, stemmed by PyStemmer."""
    stop = set(stopwords(entry.stopwords)) if entry.stopwords else set()
    stemmer = Stemmer.Stemmer(entry.stemmer)
    tokens = TOKEN_PATTERNS[entry.segmenter].findall(text)
    return [stemmer.stemWord(token) for token in map(simple_lower, tokens) if token not in stop]


@pytest.mark.parametrize("code", sorted(SENTENCES))
def test_tokens_equal_pystemmer_with_the_same_stopwords(code):
    entry = _core.language(code)
    analyzer = build_default_analyzer(language=code)
    for text in SENTENCES[code]:
        terms = analyzer(text)
        assert terms == pystemmer_reference(entry, text)
        assert terms, "every sentence has content words"


@pytest.mark.parametrize("code", ["hi", "ne", "ta", "ar", "fa"])
def test_words_of_marked_scripts_stay_whole(code):
    # str.isalnum() splits these words at every vowel sign, virama or haraka, so neither the stemmer nor the
    # stopword list would see a whole word; the languages pymilvus.model does not have segment with "letters_marks".
    entry = _core.language(code)
    assert entry.segmenter == "letters_marks"
    text = SENTENCES[code][0]
    words = TOKEN_PATTERNS["letters_marks"].findall(text)
    assert len(words) < len(TOKEN.findall(text)) and len(words) == len(text.split())


@pytest.mark.parametrize(("code", "stopword"), [("ne", "र"), ("ta", "அது")])
def test_stopwords_with_marks_are_dropped(code, stopword):
    assert stopword in stopwords(_core.language(code).stopwords) and stopword in SENTENCES[code][0].split()
    analyzer = build_default_analyzer(language=code)
    assert analyzer(stopword) == [] and analyzer(stopword + " " + stopword + "x") != []


def test_pymilvus_model_languages_keep_its_tokens():
    # Its regex tokens split a decomposed accent off (NFD text): the languages it has keep that behaviour.
    for code in PYMILVUS_CODES:
        assert _core.language(code).segmenter == "letters_digits"
    assert build_default_analyzer(language="fr")("Cafe\u0301") == build_default_analyzer(language="fr")("Cafe")
    assert build_default_analyzer(language="nl")("Cafe\u0301") == [Stemmer.Stemmer("dutch").stemWord("cafe\u0301")]


@pytest.fixture(scope="module")
def nltk_stopwords_from_our_lists(tmp_path_factory):
    """NLTK's stopwords corpus laid out from the lists shipped here (NLTK's data cannot be downloaded here)."""
    nltk = pytest.importorskip("nltk")
    root = tmp_path_factory.mktemp("nltk_data")
    corpus = root / "corpora" / "stopwords"
    corpus.mkdir(parents=True)
    for name in stopword_lists():
        try:
            corpus.joinpath(name).write_text("\n".join(stopwords(name)) + "\n", encoding="utf-8")
        except ValueError:  # a list named by the table that is not installed (yet)
            continue
    nltk.data.path.insert(0, str(root))
    yield
    nltk.data.path.remove(str(root))


@pytest.mark.parametrize("code", sorted(PYMILVUS_CODES))
def test_tokens_equal_pymilvus_model_filters(code, nltk_stopwords_from_our_lists):
    # pymilvus.model's analyzer for this code is NLTK's word_tokenize, then its lowercase, punctuation, stopword
    # (NLTK's list) and stemming (NLTK's Snowball port) filters in lang.yaml's order. word_tokenize needs NLTK's punkt
    # data, which cannot be had here; on these sentences (no apostrophes, no hyphens) its tokens after the
    # punctuation filter are the regex tokens, so the filters run over those.
    tokenizers = pytest.importorskip("pymilvus.model.sparse.bm25.tokenizers")
    language = _core.language(code).stopwords
    filters = [tokenizers.LowercaseFilter(), tokenizers.PunctuationFilter(extras="¡¿"),
               tokenizers.StopwordFilter(language=language), tokenizers.StemmingFilter(language=language)]
    analyzer = build_default_analyzer(language=PYMILVUS_CODES[code])
    for text in SENTENCES[code]:
        tokens = TOKEN.findall(text)
        for step in filters:
            tokens = step.apply(tokens)
        assert analyzer(text) == tokens
