"""A tiny randomly initialised BERT saved as a sentence-transformers folder, and a float64 numpy forward
pass of BERT written from the paper's equations: the independent reference for the ONNX graph builder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy.special import erf

TINY_CONFIG = {
    "model_type": "bert",
    "vocab_size": 64,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 64,
    "max_position_embeddings": 24,
    "type_vocab_size": 2,
    "layer_norm_eps": 1e-12,
    "hidden_act": "gelu",
}
WORDS = ["the", "cat", "sat", "on", "mat", "dog", "ran", "far", "away", "red", "blue", "sky", "sea", "##s", "##ing"]


def tiny_weights(config: dict = TINY_CONFIG, seed: int = 0, prefix: str = "") -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    h, f = config["hidden_size"], config["intermediate_size"]

    def normal(*shape: int, scale: float = 0.2) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    w = {
        "embeddings.word_embeddings.weight": normal(config["vocab_size"], h, scale=1.0),
        "embeddings.position_embeddings.weight": normal(config["max_position_embeddings"], h),
        "embeddings.token_type_embeddings.weight": normal(config["type_vocab_size"], h),
        "embeddings.LayerNorm.weight": 1 + normal(h, scale=0.1),
        "embeddings.LayerNorm.bias": normal(h, scale=0.1),
    }
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        for name, (out_dim, in_dim) in {
            "attention.self.query": (h, h),
            "attention.self.key": (h, h),
            "attention.self.value": (h, h),
            "attention.output.dense": (h, h),
            "intermediate.dense": (f, h),
            "output.dense": (h, f),
        }.items():
            w[p + name + ".weight"] = normal(out_dim, in_dim)
            w[p + name + ".bias"] = normal(out_dim, scale=0.05)
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            w[p + ln + ".weight"] = 1 + normal(h, scale=0.1)
            w[p + ln + ".bias"] = normal(h, scale=0.1)
    return {prefix + k: v for k, v in w.items()}


def write_tokenizer(path: Path, *, truncation: int = 8, fixed_padding: int = 16) -> dict[str, int]:
    """A BERT WordPiece tokenizer.json over WORDS, saved with (wrong on purpose) fixed padding and truncation."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, **{w: i + 4 for i, w in enumerate(WORDS)}}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tok.enable_truncation(truncation)
    tok.enable_padding(pad_id=0, pad_token="[PAD]", length=fixed_padding)
    tok.save(str(path))
    return vocab


def make_tiny_model(folder: Path, *, seed: int = 0, max_seq_length: int = 20, pooling: str = "mean") -> Path:
    """A sentence-transformers folder: config.json, model.safetensors, tokenizer.json, pooling and normalize."""
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(TINY_CONFIG))
    save_file(tiny_weights(seed=seed), str(folder / "model.safetensors"))
    write_tokenizer(folder / "tokenizer.json")
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": max_seq_length}))
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling").mkdir(exist_ok=True)
    keys = {"mean": "pooling_mode_mean_tokens", "cls": "pooling_mode_cls_token", "max": "pooling_mode_max_tokens"}
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({k: k == keys[pooling] for k in keys.values()}))
    return folder


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def bert_forward(w: dict[str, np.ndarray], config: dict, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """last_hidden_state of BERT (Devlin et al. 2019) in float64: post-LN blocks, exact-erf GELU."""
    w = {k: v.astype(np.float64) for k, v in w.items()}
    batch, seq = ids.shape
    heads, eps = config["num_attention_heads"], config["layer_norm_eps"]
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:seq]
        + w["embeddings.token_type_embeddings.weight"][0]
    )
    x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    hidden = x.shape[-1]
    size = hidden // heads
    key_bias = np.where(mask[:, None, None, :] > 0, 0.0, -np.inf)
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}."

        def linear(name: str, v: np.ndarray, p: str = p) -> np.ndarray:
            return v @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        q, k, v = (
            linear(f"attention.self.{n}", x).reshape(batch, seq, heads, size).transpose(0, 2, 1, 3)
            for n in ("query", "key", "value")
        )
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(size) + key_bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        probs = scores / scores.sum(-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, seq, hidden)
        x = _layer_norm(
            linear("attention.output.dense", context) + x,
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
            eps,
        )
        h = linear("intermediate.dense", x)
        h = 0.5 * h * (1 + erf(h / np.sqrt(2)))
        x = _layer_norm(
            linear("output.dense", h) + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps
        )
    return x
