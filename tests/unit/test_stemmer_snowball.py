"""The native Snowball stemmers (sparsebolt._core.stem_words, generated from Snowball 3.1.1) must equal PyStemmer's
Stemmer.Stemmer(algorithm).stemWords on every word: the Debian word list of the language, the words of its
stopword list, and generated strings over the letters the algorithm reacts to. English is held to that by
test_stemmer.py (the hand-written one) and here (the generated one, which it must equal too)."""
import functools
import pathlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparsebolt import _core
from sparsebolt.sparse.stopwords import stopwords

Stemmer = pytest.importorskip("Stemmer")

# The analyzer's token: a maximal run of Unicode letters/digits, taken after lowercasing.
TOKEN = re.compile(r"[^\W_]+")
DICT = pathlib.Path("/usr/share/dict")
# algorithm -> (Debian word list file, its package): `apt-get install -y <package>`. Lists of a few hundred
# thousand words each (wpolish's 4 million would take minutes; generated words cover Polish).
WORD_LISTS = {
    "german": ("ngerman", "wngerman"),
    "french": ("french", "wfrench"),
    "spanish": ("spanish", "wspanish"),
    "italian": ("italian", "witalian"),
    "portuguese": ("portuguese", "wportuguese"),
    "dutch": ("dutch", "wdutch"),
    "dutch_porter": ("dutch", "wdutch"),
    "swedish": ("swedish", "wswedish"),
    "danish": ("danish", "wdanish"),
    "norwegian": ("bokmaal", "wnorwegian"),
    "catalan": ("catalan", "wcatalan"),
    "english": ("american-english-insane", "wamerican-insane"),
    "porter": ("american-english-insane", "wamerican-insane"),
}
# Letters for generated words, per algorithm that has no word list here (and added to those that do): the
# alphabet of the language, its diacritics and the letters its rules name.
ALPHABETS = {
    "arabic": "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأؤإئىةًٌٍَُِّْـ٠١٢٣",
    "armenian": "աբգդեզէըթժիլխծկհձղճմյնշոչպջռսվտրցւփքօֆև",
    "basque": "abcdefghijklmnñoprstuxz",
    "czech": "aábcčdďeéěfghiíjklmnňoóprřsštťuúůvyýzž",
    "esperanto": "abcĉdefgĝhĥijĵklmnoprsŝtuŭvz'-",
    "estonian": "abdefghijklmnoprsšzžtuvõäöüy",
    "finnish": "abcdefghijklmnoprstuvyäöå",
    "greek": "αβγδεζηθικλμνξοπρσςτυφχψωάέήίόύώϊϋΐΰ",
    "hindi": "अआइईउऊएऐओऔकखगघङचछजझञटठडढणतथदधनपफबभमयरलवशषसहािीुूेैोौंःँ्ऋ",
    "hungarian": "aábcdeéfghiíjklmnoóöőpqrstuúüűvwxyz",
    "indonesian": "abcdefghijklmnopqrstuvwxyz",
    "irish": "aábcdeéfghiíjklmnoóprstuúvwxyz'-",
    "lithuanian": "aąbcčdeęėfghiįyjklmnoprsštuųūvzž",
    "nepali": "अआइईउऊएऐओऔकखगघङचछजझञटठडढणतथदधनपफबभमयरलवशषसहािीुूेैोौंःँ्",
    "persian": "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیآأؤئءةيكًٌٍَُِّ\u200c",
    "romanian": "aăâbcdefghiîjklmnopqrsștțuvwxyzşţ",
    "russian": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "serbian": "abcčćdđefghijklmnoprsštuvzžабвгдђежзијклљмнњопрстћуфхцчџш",
    "sesotho": "abcdefghijklmnopqrstuvwxyz",
    "tamil": "அஆஇஈஉஊஎஏஐஒஓஔகஙசஞடணதநபமயரலவழளறனஜஷஸஹாிீுூெேைொோௌ்",
    "turkish": "abcçdefgğhıijklmnoöprsştuüvyz",
    "yiddish": "אבגדהוזחטיכךלמםנןסעפףצץקרשתײױװ",
}


@functools.lru_cache(maxsize=None)
def letters_of(algorithm):
    """The letters generated words use: the algorithm's alphabet, else those of its word list's first entries."""
    if algorithm in ALPHABETS:
        return ALPHABETS[algorithm]
    words = sorted(word_list_tokens(algorithm))[:50_000]
    return "".join(sorted(set("".join(words)))) or "abcdefghijklmnopqrstuvwxyz"


@functools.lru_cache(maxsize=2)
def word_list_tokens(algorithm):
    """The Debian word list's entries, lowercased, split into tokens as the analyzer would (empty without it)."""
    if algorithm not in WORD_LISTS:
        return frozenset()
    path = DICT / WORD_LISTS[algorithm][0]
    if not path.exists():
        return frozenset()
    words = set()
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            words.update(TOKEN.findall(line.strip().lower()))
    return frozenset(words)


def stopword_tokens(algorithm):
    """The words of the stopword list of the language the algorithm is the stemmer of (empty when none)."""
    lists = {entry.stopwords for entry in _core.languages() if entry.stemmer == algorithm and entry.stopwords}
    return {token for name in lists for word in stopwords(name) for token in TOKEN.findall(word)}


def assert_same(algorithm, words, native=_core.stem_words):
    words = sorted(words)
    got = native(algorithm, words)
    want = Stemmer.Stemmer(algorithm).stemWords(words)
    bad = [(w, g, r) for w, g, r in zip(words, got, want) if g != r]
    shown = "\n".join(f"{w!r}: native {g!r} != PyStemmer {r!r}" for w, g, r in bad[:30])
    assert not bad, f"{algorithm}: {len(bad)} of {len(words)} words differ:\n{shown}"


ALGORITHMS = _core.snowball_algorithms()


def test_same_algorithms_and_version_as_pystemmer():
    # Snowball 3.1.1 changed no algorithm from 3.1.0 (PyStemmer 3.1.0's libstemmer_c): same major.minor.
    assert sorted(ALGORITHMS) == sorted(Stemmer.algorithms())
    assert _core.SNOWBALL_VERSION.split(".")[:2] == Stemmer.version().split(".")[:2]
    assert set(ALGORITHMS) <= set(_core.stemmers())


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_word_list_and_stopwords(algorithm):
    words = word_list_tokens(algorithm) | stopword_tokens(algorithm)
    if algorithm in WORD_LISTS and not (DICT / WORD_LISTS[algorithm][0]).exists():
        pytest.skip(f"{DICT / WORD_LISTS[algorithm][0]} is absent; install it with: "
                    f"apt-get install -y {WORD_LISTS[algorithm][1]}")
    if not words:
        pytest.skip(f"no word list or stopword list for {algorithm}; the generated words test covers it")
    assert_same(algorithm, words)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_generated_words(algorithm, data):
    letters = letters_of(algorithm) + "aeiou'1"
    word = st.text(alphabet=st.sampled_from(sorted(set(letters))), min_size=1, max_size=14)
    words = data.draw(st.lists(word, min_size=50, max_size=200))
    assert_same(algorithm, words)


def test_generated_english_equals_the_hand_written_one():
    # "english" is the hand-written stemmer (faster); the generated one must give the same stems.
    words = sorted(word_list_tokens("english") or {"running", "generously", "skies", "dying", "naïvely"})
    assert _core.snowball_stem_words("english", words) == _core.stem_words("english", words)
    assert_same("english", words[:200_000], native=_core.snowball_stem_words)


def test_unknown_names_are_refused():
    assert _core.stem_words("german", ["häuser", ""]) == ["haus", ""]
    with pytest.raises(ValueError, match="unknown stemmer 'klingon'; choose one of .*'german'"):
        _core.stem_words("klingon", ["a"])
    with pytest.raises(ValueError, match="unknown Snowball algorithm 'none'"):
        _core.snowball_stem_words("none", ["a"])
    assert _core.stem_words("none", ["Running"]) == ["Running"]
