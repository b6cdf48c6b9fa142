"""Reads a tokenizer.json into sparsebolt's native BERT WordPiece tokenizer (``_core.WordPieceTokenizer``,
csrc/tokenizer/), or says why the file's pipeline is not one it reproduces exactly.

Reproduced: a ``BertNormalizer`` (any clean_text / handle_chinese_chars / strip_accents / lowercase), a
``BertPreTokenizer``, a ``WordPiece`` model whose unk_token is in its vocabulary, and added tokens matched in the
raw text (``normalized: false`` with no ``single_word`` / ``lstrip`` / ``rstrip``, as BERT's [CLS] [SEP] [MASK]
[PAD] [UNK]). The post-processor adds nothing without special tokens, so any BERT-style one is accepted; truncation
and padding are the caller's. Anything else (BPE, Unigram, another normalizer, a Sequence) is refused: the caller
keeps the ``tokenizers`` library for it.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Tuple, Union

from sparsebolt import _core

__all__ = ["native_wordpiece", "unsupported_reason"]

_NORMALIZER_KEYS = {"type", "clean_text", "handle_chinese_chars", "strip_accents", "lowercase"}
_MODEL_KEYS = {"type", "unk_token", "continuing_subword_prefix", "max_input_chars_per_word", "vocab"}
# Without special tokens these add no ids (TemplateProcessing, BertProcessing) or change only offsets.
_POST_PROCESSORS = (None, "TemplateProcessing", "BertProcessing", "RobertaProcessing")


def _type(part: Any) -> Optional[str]:
    return part.get("type") if isinstance(part, dict) else None


def unsupported_reason(config: Dict[str, Any]) -> Optional[str]:
    """Why the parsed tokenizer.json ``config`` is not a pipeline the native tokenizer reproduces; None if it is."""
    normalizer: Any = config.get("normalizer")
    pre_tokenizer: Any = config.get("pre_tokenizer")
    model: Any = config.get("model")
    if _type(normalizer) != "BertNormalizer" or set(normalizer) - _NORMALIZER_KEYS:
        return f"normalizer is {_type(normalizer) or normalizer!r}, not a BertNormalizer"
    if not all(isinstance(normalizer.get(k, True), bool) for k in ("clean_text", "handle_chinese_chars", "lowercase")):
        return "BertNormalizer options are not booleans"
    if normalizer.get("strip_accents") not in (None, True, False):
        return "BertNormalizer strip_accents is not a boolean or null"
    if _type(pre_tokenizer) != "BertPreTokenizer":
        return f"pre_tokenizer is {_type(pre_tokenizer) or pre_tokenizer!r}, not a BertPreTokenizer"
    if _type(model) != "WordPiece" or set(model) - _MODEL_KEYS:
        return f"model is {_type(model)!r}, not a WordPiece model"
    vocab = model.get("vocab")
    if not isinstance(vocab, dict) or not vocab or model.get("unk_token") not in vocab:
        return "the WordPiece vocabulary is empty or lacks its unk_token"
    if not isinstance(model.get("continuing_subword_prefix", "##"), str):
        return "continuing_subword_prefix is not a str"
    limit = model.get("max_input_chars_per_word", 100)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        return "max_input_chars_per_word is not a non-negative int"
    if _type(config.get("post_processor")) not in _POST_PROCESSORS:
        return f"post_processor {_type(config.get('post_processor'))!r} may add ids"
    for token in config.get("added_tokens") or []:
        if not isinstance(token, dict) or not isinstance(token.get("content"), str) or not token["content"]:
            return "an added token has no content"
        if token.get("normalized") or token.get("single_word") or token.get("lstrip") or token.get("rstrip"):
            return f"added token {token['content']!r} is normalized / single_word / lstrip / rstrip"
        if isinstance(token.get("id"), bool) or not isinstance(token.get("id"), int) or token["id"] < 0:
            return f"added token {token['content']!r} has no id"
    return None


def _parsed(tokenizer_json: Union[str, Dict[str, Any]]) -> Dict[str, Any]:
    return json.loads(tokenizer_json) if isinstance(tokenizer_json, str) else tokenizer_json


def native_wordpiece(tokenizer_json: Union[str, Dict[str, Any]]) -> Tuple[Optional[_core.WordPieceTokenizer], str]:
    """The native tokenizer for a tokenizer.json (its text or parsed object) and "native"; or None and the reason
    it is not reproduced. The ids equal ``tokenizers``' ``encode_batch(texts, add_special_tokens=False)``."""
    config = _parsed(tokenizer_json)
    reason = unsupported_reason(config)
    if reason is not None:
        return None, reason
    normalizer, model = config["normalizer"], config["model"]
    lowercase = normalizer.get("lowercase", True)
    strip_accents = normalizer.get("strip_accents")
    tokenizer = _core.WordPieceTokenizer(
        model["vocab"],
        unk_token=model["unk_token"],
        clean_text=normalizer.get("clean_text", True),
        handle_chinese_chars=normalizer.get("handle_chinese_chars", True),
        strip_accents=lowercase if strip_accents is None else strip_accents,
        lowercase=lowercase,
        continuing_subword_prefix=model.get("continuing_subword_prefix", "##"),
        max_input_chars_per_word=model.get("max_input_chars_per_word", 100),
        added_tokens=[(token["content"], token["id"]) for token in config.get("added_tokens") or []],
    )
    return tokenizer, "native"
