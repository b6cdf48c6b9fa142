"""Mergeable statistics: shards counted apart and merged in any order fit exactly like one fit."""

from __future__ import annotations

import itertools
import pickle
import random

import numpy as np
import pytest

from sparsebolt.model.sparse import BM25EmbeddingFunction
from sparsebolt.sparse import Analyzer, BM25Statistics
from tests.unit.test_bm25 import make_corpus

CORPUS = make_corpus(900, seed=21) + ["Ünïcödé wörds and résumé", "", "the of and"] + make_corpus(300, seed=22)
SPLITS = [0, 1, 4, 250, 251, 700, len(CORPUS)]  # uneven shards, one of them empty


def shards(ef: BM25EmbeddingFunction) -> list[BM25Statistics]:
    return [ef.new_statistics(shard=i).update(CORPUS[a:b]) for i, (a, b) in enumerate(zip(SPLITS, SPLITS[1:]))]


def assert_same_model(a: BM25EmbeddingFunction, b: BM25EmbeddingFunction) -> None:
    assert list(a.idf.items()) == list(b.idf.items())
    assert (a.corpus_size, a.avgdl) == (b.corpus_size, b.avgdl)
    da, db = a.encode_documents(CORPUS), b.encode_documents(CORPUS)
    assert np.array_equal(da.indices, db.indices) and np.array_equal(da.data, db.data)
    qa, qb = a.encode_queries(CORPUS[:50]), b.encode_queries(CORPUS[:50])
    assert np.array_equal(qa.indices, qb.indices) and np.array_equal(qa.data, qb.data)


@pytest.mark.parametrize("analyzer", [None, str.split], ids=["native", "python"])
def test_shards_merged_in_any_order_fit_like_one_fit(analyzer):
    whole = BM25EmbeddingFunction(analyzer=analyzer).fit(CORPUS)
    ef = BM25EmbeddingFunction(analyzer=analyzer)
    rng = random.Random(5)
    for _ in range(6):
        parts = shards(ef)
        rng.shuffle(parts)
        merged = ef.new_statistics().merge(parts[0]) if rng.random() < 0.5 else parts[0]
        for part in parts[1:]:
            merged.merge(part)
        assert_same_model(BM25EmbeddingFunction(analyzer=analyzer).fit_statistics(merged), whole)


def test_merge_is_associative():
    ef = BM25EmbeddingFunction()
    a, b, c, d, e, f = shards(ef)
    left = ef.new_statistics().merge(a).merge(b).merge(c).merge(d).merge(e).merge(f)
    a, b, c, d, e, f = shards(ef)
    right = f.merge(e.merge(d)).merge(c.merge(b.merge(a)))
    assert_same_model(BM25EmbeddingFunction().fit_statistics(left), BM25EmbeddingFunction().fit_statistics(right))


def test_bytes_and_pickle_round_trip_compactly():
    ef = BM25EmbeddingFunction()
    whole = ef.new_statistics().update(CORPUS)
    data = whole.to_bytes()
    assert len(data) < sum(len(t) for t in CORPUS) / 4  # vocabulary-sized, not corpus-sized
    restored = BM25Statistics.from_bytes(data, ef.analyzer)
    assert restored.document_count == whole.document_count and restored.vocabulary_size == whole.vocabulary_size
    assert_same_model(BM25EmbeddingFunction().fit_statistics(restored), BM25EmbeddingFunction().fit(CORPUS))
    clone = pickle.loads(pickle.dumps(whole))
    assert clone.to_bytes() == data


@pytest.mark.parametrize("cut", [3, 10, 40, -1])
def test_truncated_or_altered_bytes_are_rejected(cut):
    ef = BM25EmbeddingFunction()
    data = ef.new_statistics().update(CORPUS[:50]).to_bytes()
    with pytest.raises(ValueError, match="corrupt|analyzer"):
        BM25Statistics.from_bytes(data[:cut], ef.analyzer)


def test_unknown_format_version_is_named():
    ef = BM25EmbeddingFunction()
    data = bytearray(ef.new_statistics().update(CORPUS[:5]).to_bytes())
    magic_at = data.index(b"SBSTATS")
    data[magic_at + 7] = 9
    with pytest.raises(ValueError, match="format version 9"):
        BM25Statistics.from_bytes(bytes(data), ef.analyzer)


def test_statistics_of_different_analyzers_do_not_mix():
    stemmed = BM25EmbeddingFunction().new_statistics().update(CORPUS[:10])
    plain = BM25EmbeddingFunction(analyzer=Analyzer(stemmer="none")).new_statistics().update(CORPUS[:10])
    with pytest.raises(ValueError, match="different analyzers"):
        stemmed.merge(plain)
    with pytest.raises(ValueError, match="counted with analyzer"):
        BM25Statistics.from_bytes(plain.to_bytes(), BM25EmbeddingFunction().analyzer)
    with pytest.raises(ValueError, match="counted with analyzer"):
        BM25EmbeddingFunction().fit_statistics(plain)


def test_partial_fit_equals_one_fit_over_everything_seen():
    ef = BM25EmbeddingFunction()
    for a, b in itertools.pairwise(SPLITS):
        ef.partial_fit(CORPUS[a:b])
    assert_same_model(ef, BM25EmbeddingFunction().fit(CORPUS))
    grown = BM25EmbeddingFunction().fit(CORPUS[:600]).partial_fit(iter(CORPUS[600:]), batch_size=64)
    assert_same_model(grown, BM25EmbeddingFunction().fit(CORPUS))


def test_partial_fit_with_a_bad_item_changes_nothing():
    ef = BM25EmbeddingFunction().fit(CORPUS[:100])
    before = list(ef.idf.items())
    with pytest.raises(TypeError, match=r"corpus\[120\] is None"):
        ef.partial_fit(iter(CORPUS[100:120] + [None]), batch_size=7)
    assert list(ef.idf.items()) == before and ef.statistics.document_count == 100


def test_partial_fit_after_load_says_why_it_cannot(tmp_path):
    ef = BM25EmbeddingFunction().fit(CORPUS)
    ef.save(tmp_path / "p.json")
    loaded = BM25EmbeddingFunction().load(tmp_path / "p.json")
    assert loaded.statistics is None
    with pytest.raises(ValueError, match="params file does not hold"):
        loaded.partial_fit(["more text"])


def test_bad_shard_numbers_are_rejected():
    with pytest.raises(ValueError, match="shard"):
        BM25EmbeddingFunction().new_statistics(shard=-1)
