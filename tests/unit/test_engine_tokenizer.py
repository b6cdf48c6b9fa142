"""Tokenization for single texts and pairs: truncation without the file's padding, per-batch padding, and the
max-length and pad-id rules every model shares."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sparsebolt.engine.tokenizer import TextTokenizer, pad_tokens, read_max_seq_length, read_pad_id
from tests.unit.dense_tiny import make_tiny_model, write_tokenizer


# tokenization --------------------------------------------------------------------------------------------
def test_tokenizer_overrides_the_files_truncation_and_fixed_padding(tmp_path) -> None:
    vocab = write_tokenizer(tmp_path / "tokenizer.json", truncation=8, fixed_padding=16)
    tok = TextTokenizer(tmp_path / "tokenizer.json", max_length=12)
    ids = tok.encode_ids(["the cat", "the cat sat on the mat the dog ran far away the red sky", ""])
    assert ids[0] == [vocab["[CLS]"], vocab["the"], vocab["cat"], vocab["[SEP]"]]  # no padding to 16
    assert len(ids[1]) == 12 and ids[1][-1] == vocab["[SEP]"]  # truncated at 12, not 8, [SEP] kept
    assert ids[2] == [vocab["[CLS]"], vocab["[SEP]"]]  # an empty text is [CLS][SEP]


def test_pad_right_to_the_longest_in_the_batch(tmp_path) -> None:
    write_tokenizer(tmp_path / "tokenizer.json")
    tok = TextTokenizer(tmp_path / "tokenizer.json", max_length=20)
    feeds = tok.pad([[2, 5, 3], [2, 3], [2, 5, 6, 7, 3]])
    input_ids, mask = feeds["input_ids"], feeds["attention_mask"]
    assert input_ids.dtype == np.int64 and mask.dtype == np.int64 and input_ids.shape == (3, 5)
    np.testing.assert_array_equal(mask.sum(1), [3, 2, 5])
    np.testing.assert_array_equal(input_ids[1], [2, 3, 0, 0, 0])
    assert feeds["token_type_ids"].dtype == np.int64 and not feeds["token_type_ids"].any()  # one segment


def test_max_seq_length_prefers_sentence_bert_config(tmp_path) -> None:
    assert read_max_seq_length(make_tiny_model(tmp_path / "m", max_seq_length=20)) == 20
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "tokenizer_config.json").write_text(json.dumps({"model_max_length": int(1e30)}))
    (tmp_path / "bare" / "config.json").write_text(json.dumps({"max_position_embeddings": 128}))
    assert read_max_seq_length(tmp_path / "bare") == 128  # tokenizer_config's "no limit" sentinel is skipped


def test_tokenizer_rejects_max_length_below_two(tmp_path) -> None:
    write_tokenizer(tmp_path / "tokenizer.json")
    with pytest.raises(ValueError, match="at least 2"):
        TextTokenizer(tmp_path / "tokenizer.json", max_length=1)




# the max-length rule ------------------------------------------------------------------------------------------------
def _folder(tmp_path: Path, **files: dict) -> Path:
    folder = tmp_path / "f"
    folder.mkdir(exist_ok=True)
    for name, content in files.items():
        (folder / f"{name}.json").write_text(json.dumps(content))
    return folder


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({}, 512),
        ({"config": {"max_position_embeddings": 514}}, 514),
        ({"config": {"max_position_embeddings": 514}, "tokenizer_config": {"model_max_length": 512}}, 512),
        ({"tokenizer_config": {"model_max_length": 512}, "sentence_bert_config": {"max_seq_length": 256}}, 256),
        # "no limit" sentinels and junk are skipped, whichever file holds them
        ({"tokenizer_config": {"model_max_length": int(1e30)}, "config": {"max_position_embeddings": 128}}, 128),
        ({"tokenizer_config": {"model_max_length": 1e30}, "config": {"max_position_embeddings": 128}}, 128),
        ({"sentence_bert_config": {"max_seq_length": None}, "tokenizer_config": {"model_max_length": 8192}}, 8192),
        ({"sentence_bert_config": {"max_seq_length": True}, "config": {"max_position_embeddings": 40}}, 40),
        ({"sentence_bert_config": {"max_seq_length": 0}, "config": {"max_position_embeddings": 40}}, 40),
        ({"tokenizer_config": {"model_max_length": 1_000_000}}, 512),
        ({"tokenizer_config": {"model_max_length": 999_999.0}}, 999_999),
        ({"tokenizer_config": {"model_max_length": 100.5}}, 512),
        # RoBERTa-family position tables start at pad_token_id + 1
        ({"config": {"model_type": "xlm-roberta", "max_position_embeddings": 514, "pad_token_id": 1}}, 512),
        ({"config": {"model_type": "roberta", "max_position_embeddings": 26}}, 24),
        ({"config": {"model_type": "bert", "max_position_embeddings": 26, "pad_token_id": 1}}, 26),
    ],
)
def test_one_max_length_rule(tmp_path, files: dict, expected: int) -> None:
    assert read_max_seq_length(_folder(tmp_path, **files)) == expected


# the pad-id rule ----------------------------------------------------------------------------------------------------
def write_xlmr_style_tokenizer(path, *, saved_pad_id: int | None = None) -> dict[str, int]:
    """A RoBERTa/XLM-R layout: ``<s>`` 0, ``<pad>`` 1, ``</s>`` 2, no ``[PAD]``; pairs as ``<s> A </s></s> B </s>``."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "the": 4, "cat": 5, "sat": 6, "dog": 7}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    if saved_pad_id is not None:
        tok.enable_padding(pad_id=saved_pad_id, pad_token="<unk>")
    tok.save(str(path))
    return vocab


def test_pad_id_is_pad_for_an_xlmr_style_tokenizer(tmp_path) -> None:
    vocab = write_xlmr_style_tokenizer(tmp_path / "tokenizer.json")
    tok = TextTokenizer(tmp_path / "tokenizer.json", max_length=16)
    assert tok.pad_id == vocab["<pad>"] == 1
    feeds = tok.pad(tok.encode_ids(["the cat sat", "dog"]))
    np.testing.assert_array_equal(feeds["input_ids"][1], [0, 7, 2, 1, 1])  # <s> dog </s> <pad> <pad>


def test_pad_id_prefers_saved_padding_then_bert_pad(tmp_path) -> None:
    from tokenizers import Tokenizer

    write_xlmr_style_tokenizer(tmp_path / "saved.json", saved_pad_id=3)
    assert TextTokenizer(tmp_path / "saved.json", max_length=8).pad_id == 3
    write_tokenizer(tmp_path / "bert.json", fixed_padding=16)  # saved padding says [PAD] = 0
    assert TextTokenizer(tmp_path / "bert.json", max_length=8).pad_id == 0
    bert = Tokenizer.from_file(str(tmp_path / "bert.json"))
    bert.no_padding()
    bert.add_tokens(["<pad>"])  # both present, nothing saved: BERT's [PAD] first
    assert read_pad_id(bert) == bert.token_to_id("[PAD]") == 0


def test_pad_id_is_zero_without_any_pad_token(tmp_path) -> None:
    from tokenizers import Tokenizer, models

    assert read_pad_id(Tokenizer(models.WordLevel({"a": 0, "b": 1, "<unk>": 2}, unk_token="<unk>"))) == 0


# pairs --------------------------------------------------------------------------------------------------------------
def test_pairs_truncate_longest_first_with_segment_ids(tmp_path) -> None:
    from tokenizers import Tokenizer

    vocab = write_tokenizer(tmp_path / "tokenizer.json", truncation=4, fixed_padding=30)
    tok = TextTokenizer(tmp_path / "tokenizer.json", max_length=10)
    pairs = [("the cat", "sat on the mat the dog ran far away"), ("", ""), ("red sky", "blue")]
    got = tok.encode_pairs(pairs)
    reference = Tokenizer.from_file(str(tmp_path / "tokenizer.json"))
    reference.no_padding()
    reference.enable_truncation(10, strategy="longest_first")
    want = reference.encode_batch(pairs)
    assert got.ids == [e.ids for e in want] and got.type_ids == [e.type_ids for e in want]
    assert len(got.ids[0]) == 10 and got.ids[1] == [vocab["[CLS]"], vocab["[SEP]"], vocab["[SEP]"]]
    assert got.type_ids[2] == [0, 0, 0, 0, 1, 1]  # [CLS] red sky [SEP] | blue [SEP]
    np.testing.assert_array_equal(got.lengths(), [10, 3, 6])


def test_pairs_pad_with_their_segment_ids(tmp_path) -> None:
    write_xlmr_style_tokenizer(tmp_path / "tokenizer.json")
    tok = TextTokenizer(tmp_path / "tokenizer.json", max_length=16)
    tokens = tok.encode_pairs([("the", "cat sat"), ("dog", "")])
    feeds = tok.pad(tokens.ids, tokens.type_ids)
    np.testing.assert_array_equal(feeds["input_ids"], [[0, 4, 2, 2, 5, 6, 2], [0, 7, 2, 2, 2, 1, 1]])
    np.testing.assert_array_equal(feeds["attention_mask"], [[1] * 7, [1] * 5 + [0, 0]])
    np.testing.assert_array_equal(feeds["token_type_ids"], [tokens.type_ids[0], tokens.type_ids[1] + [0, 0]])


def test_pad_tokens_writes_type_ids_only_where_tokens_are() -> None:
    feeds = pad_tokens([[5, 6, 7], [5]], 9, [[0, 1, 1], [1]])
    np.testing.assert_array_equal(feeds["input_ids"], [[5, 6, 7], [5, 9, 9]])
    np.testing.assert_array_equal(feeds["token_type_ids"], [[0, 1, 1], [1, 0, 0]])
