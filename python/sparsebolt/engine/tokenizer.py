"""Tokenization from ``tokenizer.json`` for single texts and (query, document) pairs: one max-length rule, one
pad-id rule, truncation without padding, and per-batch right padding into the int64 arrays a graph takes.

Also the text preparation every model shares: lone surrogates become U+FFFD, and a text far longer than the
model reads is tokenized from a head that provably gives the same truncated ids, alone or as one side of a pair.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

__all__ = [
    "HEAD_CHARS_PER_TOKEN",
    "Feeds",
    "TextTokenizer",
    "Tokens",
    "final_tokens",
    "grow_head",
    "pad_tokens",
    "read_max_seq_length",
    "read_pad_id",
    "valid_text",
]

Feeds = dict[str, np.ndarray]

# A text longer than max_length * HEAD_CHARS_PER_TOKEN characters is tokenized from a head of that many
# characters. English WordPiece averages about 4.2 characters per token (spaces included), so the head holds
# roughly 15 times the tokens the model reads and nearly always suffices on the first try; it costs about
# 10 ms to tokenize at max_length 256. Texts under the bound are tokenized whole, exactly as before.
HEAD_CHARS_PER_TOKEN = 64
# A head that falls short (huge whitespace runs, words of hundreds of characters) grows by this factor, so
# the characters tokenized stay within 4/3 of those of the last head tried, or of the whole text.
_HEAD_GROWTH = 4
# Tokens before a head's last word that final_tokens still distrusts (see there).
_CUT_MARGIN = 8
# Saved configs write "no limit" as a huge sentinel (tokenizer_config.json: int(1e30)); a length at or above
# this is no real limit, as no encoder has a million positions.
_NO_LIMIT = 1_000_000
# Where a model folder states how many tokens the model reads, most specific first.
_MAX_LENGTH_KEYS = (
    ("sentence_bert_config.json", "max_seq_length"),  # what sentence-transformers encodes up to
    ("tokenizer_config.json", "model_max_length"),  # what transformers truncates to
    ("config.json", "max_position_embeddings"),  # what the model can read at all
)
_DEFAULT_MAX_LENGTH = 512
_OFFSET_POSITIONS = ("roberta", "xlm-roberta", "camembert")
# BERT's pad token, then XLM-RoBERTa's: a RoBERTa-family graph derives position ids from the pad id, so a
# wrong one shifts positions, not just padding.
_PAD_TOKENS = ("[PAD]", "<pad>")
_SURROGATE = re.compile("[\ud800-\udfff]")


def read_max_seq_length(folder: Path) -> int:
    """How many tokens a model reads, from the first of: ``sentence_bert_config.json`` ``max_seq_length``,
    ``tokenizer_config.json`` ``model_max_length``, ``config.json`` ``max_position_embeddings`` (less a
    RoBERTa-family position offset); else 512.

    The shipped ``tokenizer.json`` of all-MiniLM-L6-v2 truncates at 128 and pads to a fixed 128, but
    sentence-transformers encodes up to 256 word pieces, so the tokenizer's own setting is never used.
    """
    for name, key in _MAX_LENGTH_KEYS:
        saved = _read_json(folder / name)
        limit = _real_limit(_readable_positions(saved) if key == "max_position_embeddings" else saved.get(key))
        if limit is not None:
            return limit
    return _DEFAULT_MAX_LENGTH


def _readable_positions(config: dict[str, Any]) -> object:
    """``max_position_embeddings`` as a number of input tokens: RoBERTa-family position ids start at
    ``pad_token_id + 1`` (Hugging Face ``create_position_ids_from_input_ids``), so XLM-R's 514 rows hold 512."""
    positions = config.get("max_position_embeddings")
    if config.get("model_type") not in _OFFSET_POSITIONS or not isinstance(positions, int):
        return positions
    pad = config.get("pad_token_id")
    return positions - (pad if isinstance(pad, int) else 1) - 1


def _real_limit(value: object) -> int | None:
    """``value`` as a token count, or None for a missing value, junk or a "no limit" sentinel."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if 0 < value < _NO_LIMIT and value == int(value) else None


def read_pad_id(tokenizer: Any) -> int:
    """The padding id a saved tokenizer declares, else the id of ``[PAD]``, else of ``<pad>``, else 0."""
    padding = getattr(tokenizer, "padding", None)
    if padding and isinstance(padding.get("pad_id"), int):
        return int(padding["pad_id"])
    for token in _PAD_TOKENS:
        token_id = tokenizer.token_to_id(token)
        if token_id is not None:
            return int(token_id)
    return 0


def valid_text(text: str) -> str:
    """``text``, with each surrogate code point replaced by U+FFFD if it has any.

    ``tokenizers`` takes only text that encodes to UTF-8 and rejects a whole batch, without saying which
    text, when one holds a lone surrogate (from ``surrogateescape`` decoding or broken JSON). Only text that
    fails to encode is copied; ASCII text is recognised from a flag without reading it.
    """
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def grow_head(text: str, limit: int, enough: Callable[[str], bool]) -> str:
    """The first head of ``text`` (cut near ``limit`` characters, then ``_HEAD_GROWTH`` times more each
    time) for which ``enough(head)`` holds; else the whole ``text``. Heads and text come back valid."""
    while True:
        head = _head(text, limit)
        if len(head) == len(text) or enough(head):
            return head
        limit *= _HEAD_GROWTH


def final_tokens(word_ids: Iterable[int | None]) -> int:
    """How many leading tokens of a head's tokenization the rest of the text cannot change (specials, whose
    word id is None, not counted).

    Normalizers and pre-tokenizers act locally and left to right, so appending text can change only the
    head's last word, which the cut may have split. A literal added token (``<|endoftext|>``) cut in two is
    the exception: its pieces can form a few words before the last one, and the margin discounts them.
    """
    words = [word for word in word_ids if word is not None]
    before_last_word = words.index(words[-1]) if words else 0
    return max(0, before_last_word - _CUT_MARGIN)


def _head(text: str, limit: int) -> str:
    """The valid head of ``text``: all of it up to ``limit`` characters, else cut before a space in the second
    half of ``text[:limit]`` so that the last word is usually whole. Text without spaces (Chinese, Japanese) is
    cut at ``limit``: final_tokens discounts the split word. Surrogates map one to one, so cutting
    first and checking only the head is the same as checking the whole text."""
    if len(text) <= limit:
        return valid_text(text)
    space = text.rfind(" ", limit // 2, limit)
    return valid_text(text[: space if space > 0 else limit])


@dataclasses.dataclass(frozen=True)
class Tokens:
    """Token ids of some inputs, with the segment ids of pairs (None: single texts, all segment 0)."""

    ids: list[list[int]]
    type_ids: list[list[int]] | None = None

    def lengths(self) -> np.ndarray:
        return np.fromiter((len(row) for row in self.ids), dtype=np.int64, count=len(self.ids))


def pad_tokens(ids: Sequence[Sequence[int]], pad_id: int, type_ids: Sequence[Sequence[int]] | None = None) -> Feeds:
    """Right-pad to the longest sequence of this batch: ``input_ids``, ``attention_mask`` and ``token_type_ids``
    (zeros unless ``type_ids`` are given), int64 [n, longest]."""
    longest = max(len(row) for row in ids)
    input_ids = np.full((len(ids), longest), pad_id, dtype=np.int64)
    attention_mask = np.zeros((len(ids), longest), dtype=np.int64)
    token_type_ids = np.zeros((len(ids), longest), dtype=np.int64)
    for i, row in enumerate(ids):
        input_ids[i, : len(row)] = row
        attention_mask[i, : len(row)] = 1
        if type_ids is not None:
            token_type_ids[i, : len(row)] = type_ids[i]
    return {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}


class TextTokenizer:
    """``tokenizers.Tokenizer`` with longest-first truncation at ``max_length`` and no padding (batches pad
    themselves, see :meth:`pad`), for single texts (:meth:`encode_ids`) and pairs (:meth:`encode_pairs`).

    A text longer than ``head_chars`` characters (default ``max_length * HEAD_CHARS_PER_TOKEN``) is tokenized
    from a head, which gives the same ids as the whole text once truncation drops tokens of the head's complete
    words: a 50 MB text costs milliseconds instead of a minute and gigabytes.
    """

    def __init__(self, path: Path, *, max_length: int, head_chars: int | None = None) -> None:
        from tokenizers import Tokenizer

        if max_length < 2:
            raise ValueError(f"max_length must be at least 2 ([CLS] and [SEP]), got {max_length}")
        if head_chars is not None and head_chars < 1:
            raise ValueError(f"head_chars must be a positive number of characters or None, got {head_chars}")
        self.max_length = max_length
        self.head_chars = max_length * HEAD_CHARS_PER_TOKEN if head_chars is None else head_chars
        self._tokenizer = Tokenizer.from_file(str(path))
        self.pad_id = read_pad_id(self._tokenizer)
        # Truncate here and pad per batch, not to the fixed length a saved tokenizer.json may ask for.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
        self._kept = max_length - self._tokenizer.num_special_tokens_to_add(False)
        self._pair_budget = max_length - self._tokenizer.num_special_tokens_to_add(True)
        self._counter: Any = None  # an untruncated copy of the tokenizer, made for the first very long pair side

    # vocabulary --------------------------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        """How many ids the tokenizer can give, added tokens included (transformers' ``len(tokenizer)``)."""
        return int(self._tokenizer.get_vocab_size(with_added_tokens=True))

    def token_to_id(self, token: str) -> int | None:
        """The id of ``token`` (a vocabulary entry or an added token, such as ``<s>``), or None if it has none."""
        found = self._tokenizer.token_to_id(token)
        return None if found is None else int(found)

    # single texts ------------------------------------------------------------------------------------------
    def encode_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids per text, [CLS] ... [SEP], at most ``max_length`` long."""
        heads = [_head(text, self.head_chars) for text in texts]
        encodings = self._tokenizer.encode_batch(heads)
        ids = [encoding.ids for encoding in encodings]
        for i, (text, head) in enumerate(zip(texts, heads)):
            if len(head) < len(text) and not self._truncated_exactly(encodings[i]):
                # Rare (see _HEAD_GROWTH): grow the head one text at a time; the batch above stays parallel.
                head = grow_head(text, self.head_chars * _HEAD_GROWTH, self._head_suffices)
                ids[i] = self._tokenizer.encode(head).ids
        return ids

    def encode(self, texts: Sequence[str]) -> Tokens:
        """:meth:`encode_ids` as :class:`Tokens`, for the batch runner."""
        return Tokens(self.encode_ids(texts))

    def _head_suffices(self, head: str) -> bool:
        return self._truncated_exactly(self._tokenizer.encode(head))

    def _truncated_exactly(self, encoding: Any) -> bool:
        """Whether truncation kept only final tokens of a head (see final_tokens), so that the whole text gives
        the same ids. The overflowing pieces hold the rest of the head's tokens, in order."""
        pieces = chain(encoding.word_ids, *(piece.word_ids for piece in encoding.overflowing))
        return final_tokens(pieces) > self._kept

    # pairs -------------------------------------------------------------------------------------------------
    def encode_pairs(self, pairs: Sequence[tuple[str, str]]) -> Tokens:
        """Token and segment ids per pair, ``[CLS] query [SEP] document [SEP]`` with longest-first truncation to
        ``max_length``."""
        encodings = self._tokenizer.encode_batch(self._tokenizable(pairs))
        return Tokens([e.ids for e in encodings], [e.type_ids for e in encodings])

    def _tokenizable(self, pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """The pairs as the tokenizer can take them: lone surrogates replaced by U+FFFD, and a side longer than
        ``head_chars`` characters replaced by a head that truncates to the same ids."""
        limit = self.head_chars
        heads: dict[tuple[str, str], str] = {}  # (long side, other side): a query is usually shared by all pairs
        out = []
        for query, doc in pairs:
            long_doc = len(doc) > limit
            if (len(query) > limit) == long_doc:
                # Both short, or both long: when both are truncated, which one is longer decides which keeps the
                # odd token, so neither can be cut without tokenizing both in full anyway.
                out.append((valid_text(query), valid_text(doc)))
                continue
            long_side, other = (doc, valid_text(query)) if long_doc else (query, valid_text(doc))
            if (long_side, other) not in heads:
                heads[long_side, other] = self._pair_head(long_side, other, limit)
            head = heads[long_side, other]
            out.append((other, head) if long_doc else (head, other))
        return out

    def _pair_head(self, text: str, other: str, limit: int) -> str:
        """A head of ``text`` that longest-first truncation of the pair treats as the whole ``text``.

        tokenizers' longest-first truncation sets both kept lengths from the shorter side's length and the
        budget, and gives an odd token to the longer side; so the whole ``text`` matters only as the longer side
        and through the tokens kept. A head whose final tokens (see ``final_tokens``) outnumber both the budget
        and the other side's tokens is the longer side too, and only its final tokens are kept.
        """
        if self._counter is None:
            from tokenizers import Tokenizer

            self._counter = Tokenizer.from_str(self._tokenizer.to_str())
            self._counter.no_truncation()
        counter = self._counter
        need = max(self._pair_budget, len(counter.encode(other, add_special_tokens=False).ids))

        def enough(head: str) -> bool:
            return final_tokens(counter.encode(head, add_special_tokens=False).word_ids) > need

        return grow_head(text, limit, enough)

    # padding -----------------------------------------------------------------------------------------------
    def pad(self, ids: Sequence[Sequence[int]], type_ids: Sequence[Sequence[int]] | None = None) -> Feeds:
        """:func:`pad_tokens` with this tokenizer's pad id."""
        return pad_tokens(ids, self.pad_id, type_ids)


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}
