"""The native Snowball English stemmer (sparsebolt._core.stem_english_words) must equal
PyStemmer's Stemmer.Stemmer('english').stemWord on every word: corpus tokens, a large English
word list, random strings over the letters the algorithm reacts to, and hand-picked cases."""
import json
import pathlib
import random
import re

import pytest

Stemmer = pytest.importorskip("Stemmer")

REPO = pathlib.Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
CORPORA = (SHARED_DATA / "cranfield" / "corpus.jsonl", SHARED_DATA / "msmarco-5k" / "corpus.jsonl")

# Debian's largest American English list (~660k entries): `apt-get install -y wamerican-insane`.
WORD_LIST = pathlib.Path("/usr/share/dict/american-english-insane")
WORD_LIST_INSTALL = "apt-get update && apt-get install -y wamerican-insane"

# The analyzer's token: a maximal run of Unicode letters/digits, taken after lowercasing.
TOKEN = re.compile(r"[^\W_]+")

TRICKY_WORDS = (
    # exception1: special forms and invariants, and near misses that must go through the steps
    "skis", "skies", "sky", "skied", "skiing", "skys", "dying", "lying", "tying", "dyings",
    "idly", "gently", "ugly", "early", "only", "singly", "idle", "gentle", "uglier", "earlier",
    "news", "howe", "atlas", "cosmos", "bias", "andes", "atlases", "biases", "newsy", "howes",
    # Step_1b's special forms (Snowball's former exception2)
    "inning", "innings", "outing", "outings", "canning", "cannings", "herring", "herrings",
    "earring", "earrings", "evening", "evenings", "beginning", "tinning", "scouting",
    "proceed", "proceeds", "proceeded", "proceeding", "proceedings", "exceed", "exceeds",
    "exceeded", "exceeding", "exceedingly", "succeed", "succeeds", "succeeded", "succeeding",
    "agreed", "agreedly", "feed", "bleed", "freed", "speed", "speedily",
    # 'ying' after a single non-vowel, and other -ying
    "xying", "pying", "ying", "yying", "flying", "buying", "saying", "studying", "éying",
    # R1 prefixes (gener, commun, arsen and Snowball 3's emerg, inter, later, organ, past, univers)
    "generate", "generates", "generated", "generating", "general", "generally", "generic",
    "generous", "generously", "generation", "communism", "communist", "community",
    "communication", "arsenic", "arsenal", "arsenals", "emergency", "emergent", "emerge",
    "international", "internal", "interval", "intern", "interest", "later", "lateral",
    "laterally", "organ", "organic", "organization", "organism", "past", "pasted", "pasting",
    "pastes", "pastry", "university", "universities", "universal", "universe",
    # 'y' as a consonant: first letter, after vowels, runs of y
    "y", "yy", "yyy", "yyyy", "ay", "aya", "ayy", "yes", "yesterday", "youth", "yearly",
    "toy", "toys", "toying", "enjoy", "enjoyed", "enjoyable", "employment", "played",
    "player", "playing", "sayings", "obeyed", "conveying", "cry", "cries", "cried", "crying",
    "by", "say", "happy", "happiness", "happily", "dryly", "shyly", "goodbye", "ayes",
    # Step_1a
    "caresses", "ponies", "ties", "tied", "ied", "pies", "pied", "cries", "gas", "gaps",
    "this", "us", "bus", "focus", "class", "classes", "kiwis", "ss", "s", "is",
    # Step_1b/1c
    "luxuriated", "luxuriating", "conflated", "troubled", "sized", "hopping", "hopped",
    "hoped", "hoping", "tanned", "falling", "hissing", "fizzed", "failing", "filing", "added",
    "egged", "erred", "ebbing", "odder", "inned", "bed", "sing", "hope", "tiled",
    # Step_2 .. Step_5
    "relational", "conditional", "rational", "valenci", "hesitanci", "digitizer",
    "conformabli", "radicalli", "differentli", "vileli", "analogousli", "vietnamization",
    "predication", "operator", "feudalism", "decisiveness", "hopefulness", "callousness",
    "formaliti", "sensitiviti", "sensibiliti", "geology", "apology", "archaeologist",
    "biologist", "fully", "carefully", "hopelessly", "triplicate", "formative", "formalize",
    "electriciti", "electrical", "hopeful", "goodness", "revival", "allowance", "inference",
    "airliner", "gyroscopic", "adjustable", "defensible", "irritant", "replacement",
    "adjustment", "dependent", "adoption", "champion", "homologou", "communism",
    "activate", "angulariti", "homologous", "effective", "bowdlerize", "probate", "rate",
    "cease", "controll", "roll", "controlling",
    # digits and non-ASCII: counted in characters, non-ASCII letters are non-vowels
    "1990s", "2nd", "3rd", "10th", "a1", "x86", "mp3s", "covid19", "h2o",
    "naïve", "naïvely", "café", "cafés", "résumé", "résumés", "straße", "straßes", "ÿes",
    "façade", "façades", "über", "übers", "jalapeño", "jalapeños", "señor", "señores",
    "élan", "éclairs", "fiancée", "fiancées", "coöperate", "déjà", "ëy", "éy", "aéy",
    "βιβλίο", "αβγ", "москва", "книги", "словами", "東京", "日本語", "中文字", "한국어",
    "ﬁnally", "a\u0301s", "ǆs", "ıes", "ıed", "ııs", "ñies", "ñs", "añs", "éas",
    "ńing", "ćed", "ßat", "aßl", "øbl", "ǯed", "ıbbed", "ıtion", "😀ing", "😀😀s",
)


def corpus_tokens():
    """Every distinct token of the shared corpora's titles and texts (empty without ../shared)."""
    words = set()
    for path in CORPORA:
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as f:
            for line in f:
                doc = json.loads(line)
                for field in ("title", "text"):
                    words.update(TOKEN.findall((doc.get(field) or "").lower()))
    return words


def word_list_tokens(path=WORD_LIST):
    """The word list's entries, lowercased, split into tokens the way the analyzer would."""
    words = set()
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            words.update(TOKEN.findall(line.strip().lower()))
    return words


@pytest.fixture(scope="module")
def native():
    from sparsebolt._core import stem_english_words

    return stem_english_words


@pytest.fixture(scope="module")
def reference():
    # Snowball 3 changed the english stemmer (more R1 prefixes such as 'univers', exception2
    # folded into Step_1b, 'ogist'); PyStemmer 2 wraps Snowball 2 and gives other stems.
    version = Stemmer.version() if hasattr(Stemmer, "version") else "0"
    assert int(version.split(".")[0]) >= 3, f"the reference is PyStemmer >= 3, found {version}"
    return Stemmer.Stemmer("english")


def assert_same(native, reference, words):
    words = sorted(words)
    got = native(words)
    want = reference.stemWords(words)
    assert len(got) == len(words)
    bad = [(w, g, r) for w, g, r in zip(words, got, want) if g != r]
    shown = "\n".join(f"{w!r}: native {g!r} != PyStemmer {r!r}" for w, g, r in bad[:50])
    assert not bad, f"{len(bad)} of {len(words)} words differ:\n{shown}"


def test_tricky_words(native, reference):
    assert_same(native, reference, set(TRICKY_WORDS))


def test_stems_never_longer_and_inputs_untouched(native):
    words = sorted(set(TRICKY_WORDS))
    before = list(words)
    stems = native(words)
    assert words == before
    assert all(len(s.encode()) <= len(w.encode()) for w, s in zip(words, stems))


def test_corpus_tokens(native, reference):
    words = corpus_tokens()
    if not words:
        pytest.skip(f"shared corpora not found under {SHARED_DATA}")
    assert_same(native, reference, words)


def test_word_list(native, reference):
    if not WORD_LIST.exists():
        pytest.skip(f"{WORD_LIST} is absent; install it with: {WORD_LIST_INSTALL}")
    words = word_list_tokens()
    assert len(words) > 100_000
    assert_same(native, reference, words)


def test_word_list_entries_with_apostrophes(native, reference):
    # Not analyzer tokens, but they exercise Step_1a's possessive rules and the prelude.
    if not WORD_LIST.exists():
        pytest.skip(f"{WORD_LIST} is absent; install it with: {WORD_LIST_INSTALL}")
    with WORD_LIST.open(encoding="utf-8", errors="replace") as f:
        words = {line.strip().lower() for line in f if "'" in line}
    words.update({"'", "''", "'s", "s'", "'s'", "'y", "'yes", "'tis", "o'clock", "cat's'"})
    assert_same(native, reference, words)


def test_random_strings(native, reference):
    # Random strings over the letters that steer the algorithm (vowels, y, the doubled and
    # valid-li consonants, suffix letters) plus multi-byte letters, digits and an apostrophe.
    alphabet = list("aeiouysltnrdcgbmpzfkhvwx1'") + ["é", "ß", "ı", "ñ", "日", "😀"]
    rng = random.Random(20240611)
    words = {"".join(rng.choices(alphabet, k=rng.randint(1, 11))) for _ in range(60_000)}
    suffixes = ("ing", "ed", "edly", "ingly", "eed", "ies", "ied", "s", "ly", "li", "ation",
                "ational", "iveness", "ement", "ion", "ance", "e", "ll", "y", "ogist", "ogi",
                "ative", "alize", "iciti", "ful", "ness", "bli", "abli", "izer", "ator")
    stems = sorted(words)[:20_000]
    words.update(s + rng.choice(suffixes) for s in stems)
    assert_same(native, reference, words)
