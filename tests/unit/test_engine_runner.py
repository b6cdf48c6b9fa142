"""The batch runner on a graph that echoes what it is fed: rows back in input order, length-sorted batches in
bounded chunks, each padded to its own longest input, single texts and pairs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from sparsebolt.engine.runner import SORT_CHUNK_BATCHES, BatchRunner
from sparsebolt.engine.session import create_session
from sparsebolt.engine.tokenizer import Feeds, TextTokenizer, Tokens
from tests.unit.dense_tiny import write_tokenizer
from tests.unit.test_engine_session import echo_graph

PAD = 9


@pytest.fixture(scope="module")
def session():
    return create_session(echo_graph(), threads=1)


def seeded_rows(n: int, seed: int = 0) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    return [list(rng.integers(1, 50, size=int(rng.integers(1, 12)))) for _ in range(n)]


class Recorder:
    """A tokenize callable over rows of ids that records the chunks it was asked for."""

    def __init__(self, rows: list[list[int]], *, pairs: bool = False) -> None:
        self.rows, self.pairs, self.chunks = rows, pairs, []

    def __call__(self, items: Sequence[int]) -> Tokens:
        self.chunks.append(list(items))
        ids = [self.rows[i] for i in items]
        return Tokens(ids, [[k % 2 for k in range(len(r))] for r in ids] if self.pairs else None)


def echo(output: np.ndarray, feeds: Feeds) -> np.ndarray:
    return output


@pytest.mark.parametrize("longest_first", [False, True])
@pytest.mark.parametrize("pairs", [False, True])
@pytest.mark.parametrize(("n", "batch_size"), [(0, 4), (1, 4), (7, 3), (70, 2)])
def test_rows_come_back_in_input_order(session, longest_first: bool, pairs: bool, n: int, batch_size: int) -> None:
    rows = seeded_rows(n)
    tokenize = Recorder(rows, pairs=pairs)
    # pad id 0 here, so that padding (id 0, mask 0, segment 0) adds nothing to the echoed sums
    runner = BatchRunner(session, tokenize, pad_id=0, output="sums", longest_first=longest_first)
    got = runner.run(list(range(n)), batch_size, finish=echo, row_shape=(3,))
    segments = [sum(k % 2 for k in range(len(r))) if pairs else 0 for r in rows]
    want = np.array([[sum(r), len(r), s] for r, s in zip(rows, segments)], dtype=np.float32).reshape(n, 3)
    np.testing.assert_array_equal(got, want)
    chunk = batch_size * SORT_CHUNK_BATCHES
    assert [len(c) for c in tokenize.chunks] == [min(chunk, n - start) for start in range(0, n, chunk)]


@pytest.mark.parametrize("longest_first", [False, True])
def test_batches_are_length_sorted_within_chunks_and_padded_to_their_longest(session, longest_first: bool) -> None:
    rows = seeded_rows(100, seed=1)
    runner = BatchRunner(session, Recorder(rows), pad_id=PAD, output="sums", longest_first=longest_first)
    chunk = 3 * SORT_CHUNK_BATCHES
    seen: list[int] = []
    for picked, feeds, _ in runner.batches(list(range(100)), 3):
        lengths = [len(rows[i]) for i in picked]
        assert feeds["input_ids"].shape == (len(picked), max(lengths))
        assert all(np.array_equal(feeds["input_ids"][k, len(rows[i]):], [PAD] * (max(lengths) - len(rows[i])))
                   for k, i in enumerate(picked))
        seen += list(picked)
    assert sorted(seen) == list(range(100))
    for start in range(0, 100, chunk):  # sorted, ties in input order, never across a chunk's bounds
        part = seen[start : start + chunk]
        assert sorted(part) == list(range(start, min(start + chunk, 100)))
        key = [(-len(rows[i]) if longest_first else len(rows[i]), i) for i in part]
        assert key == sorted(key)


def test_real_tokenizer_pairs_and_texts(session, tmp_path) -> None:
    vocab = write_tokenizer(tmp_path / "tokenizer.json")
    tok = TextTokenizer(tmp_path / "tokenizer.json", max_length=8)
    texts = ["the cat sat on the mat the dog ran", "", "sky"]
    runner = BatchRunner(session, tok.encode, pad_id=tok.pad_id, output="sums")
    got = runner.run(texts, 2, finish=echo, row_shape=(3,))
    np.testing.assert_array_equal(got[:, 1], [8, 2, 3])  # truncated to 8; [CLS][SEP]; [CLS] sky [SEP]
    assert got[2, 0] == vocab["[CLS]"] + vocab["sky"] + vocab["[SEP]"]
    pairs = BatchRunner(session, tok.encode_pairs, pad_id=tok.pad_id, output="sums", longest_first=True)
    got = pairs.run([("sky", "sea"), ("the cat", "")], 1, finish=echo, row_shape=(3,))
    np.testing.assert_array_equal(got[:, 1:], [[5, 2], [5, 1]])  # segment 1 is "sea [SEP]", then "[SEP]"


def several_outputs_graph() -> bytes:
    """The echo graph with two more outputs, per token: ``ids`` (input_ids as fed) and ``mask``."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load_from_string(echo_graph())
    model.graph.node.extend([helper.make_node("Identity", ["input_ids"], ["ids"]),
                             helper.make_node("Identity", ["attention_mask"], ["mask"])])
    model.graph.output.extend([helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "sequence"])
                               for name in ("ids", "mask")])
    return model.SerializeToString()


@pytest.fixture(scope="module")
def several():
    return create_session(several_outputs_graph(), threads=1)


@pytest.mark.parametrize("longest_first", [False, True])
def test_several_outputs_come_from_one_run_of_each_batch(several, longest_first: bool) -> None:
    rows = seeded_rows(40, seed=2)
    runner = BatchRunner(several, Recorder(rows), pad_id=PAD, longest_first=longest_first)
    assert runner.outputs == ("sums", "ids", "mask") and runner.output is None
    single = BatchRunner(several, Recorder(rows), pad_id=PAD, output="sums", longest_first=longest_first)
    named = list(runner.named_batches(list(range(40)), 3, ["mask", "sums", "ids"]))
    plain = list(single.batches(list(range(40)), 3))
    assert len(named) == len(plain) == 14
    for (picked, feeds, outputs), (same_rows, same_feeds, sums) in zip(named, plain):
        np.testing.assert_array_equal(picked, same_rows)  # the same batches as the single-output runner's
        assert all(np.array_equal(feeds[k], same_feeds[k]) for k in feeds)
        assert list(outputs) == ["mask", "sums", "ids"]
        np.testing.assert_array_equal(outputs["sums"], sums)
        np.testing.assert_array_equal(outputs["ids"], feeds["input_ids"])
        np.testing.assert_array_equal(outputs["mask"], feeds["attention_mask"])
        lengths = [len(rows[i]) for i in picked]
        np.testing.assert_array_equal(outputs["mask"].sum(axis=1), lengths)
        for k, i in enumerate(picked):
            np.testing.assert_array_equal(outputs["ids"][k, : lengths[k]], rows[i])
    assert sorted(i for picked, _, _ in named for i in picked) == list(range(40))


def test_output_names_are_checked_against_the_graph(several) -> None:
    tokenize = Recorder(seeded_rows(3))
    declares = r"the test graph has no output 'logits'; it declares \['sums', 'ids', 'mask'\]"
    with pytest.raises(ValueError, match=declares):
        BatchRunner(several, tokenize, pad_id=0, output="logits", graph="the test graph")
    runner = BatchRunner(several, tokenize, pad_id=0)
    with pytest.raises(ValueError, match=r"no output 'colbert'"):
        runner.named_batches([0, 1, 2], 2, ["sums", "colbert"])
    with pytest.raises(ValueError, match="outputs is empty"):
        runner.named_batches([0, 1, 2], 2, [])
    with pytest.raises(TypeError, match=r"pass \['sums'\]"):
        runner.named_batches([0, 1, 2], 2, "sums")
    with pytest.raises(ValueError, match="without output=.*named_batches"):
        runner.run([0, 1, 2], 2, finish=echo, row_shape=(3,))
    assert tokenize.chunks == []  # refused before anything was tokenized
