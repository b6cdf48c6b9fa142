"""WordPiece tokenization from ``tokenizer.json`` with the sentence-transformers truncation length, and
per-batch padding into the int64 arrays the graph takes. Knows nothing about the model.

Also the text preparation the cross-encoder shares: lone surrogates become U+FFFD, and a text far longer than
the model reads is tokenized from a head that provably gives the same truncated ids.
"""

from __future__ import annotations

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
    "TextTokenizer",
    "final_tokens",
    "grow_head",
    "read_max_seq_length",
    "valid_text",
]

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
_SURROGATE = re.compile("[\ud800-\udfff]")


def read_max_seq_length(folder: Path) -> int:
    """``max_seq_length`` from ``sentence_bert_config.json``; else the tokenizer's or the model's limit.

    The shipped ``tokenizer.json`` of all-MiniLM-L6-v2 truncates at 128 and pads to a fixed 128, but
    sentence-transformers encodes up to 256 word pieces, so the tokenizer's own setting is never used.
    """
    for name, key in (
        ("sentence_bert_config.json", "max_seq_length"),
        ("tokenizer_config.json", "model_max_length"),
        ("config.json", "max_position_embeddings"),
    ):
        path = folder / name
        if path.is_file():
            value = json.loads(path.read_text(encoding="utf-8")).get(key)
            # tokenizer_config.json says 1e30 when it has no real limit
            if isinstance(value, int) and 0 < value <= 100_000:
                return value
    return 512


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


class TextTokenizer:
    """``tokenizers.Tokenizer`` with truncation at ``max_length`` and no padding (batches pad themselves).

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
        self.pad_id = _pad_id(self._tokenizer)
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_length)
        self._kept = max_length - self._tokenizer.num_special_tokens_to_add(False)

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

    def _head_suffices(self, head: str) -> bool:
        return self._truncated_exactly(self._tokenizer.encode(head))

    def _truncated_exactly(self, encoding: Any) -> bool:
        """Whether truncation kept only final tokens of a head (see final_tokens), so that the whole text gives
        the same ids. The overflowing pieces hold the rest of the head's tokens, in order."""
        pieces = chain(encoding.word_ids, *(piece.word_ids for piece in encoding.overflowing))
        return final_tokens(pieces) > self._kept

    def pad(self, ids: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Right-pad to the longest sequence of this batch: ``(input_ids, attention_mask)``, int64 [n, longest]."""
        longest = max(len(row) for row in ids)
        input_ids = np.full((len(ids), longest), self.pad_id, dtype=np.int64)
        attention_mask = np.zeros((len(ids), longest), dtype=np.int64)
        for i, row in enumerate(ids):
            input_ids[i, : len(row)] = row
            attention_mask[i, : len(row)] = 1
        return input_ids, attention_mask


def _pad_id(tokenizer: object) -> int:
    padding = getattr(tokenizer, "padding", None)
    if padding and "pad_id" in padding:
        return int(padding["pad_id"])
    pad = tokenizer.token_to_id("[PAD]")  # type: ignore[attr-defined]
    return int(pad) if pad is not None else 0
