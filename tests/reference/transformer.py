"""A float64 numpy transformer written from the papers' equations (BERT, RoBERTa/XLM-R, their MLM and
classification heads, SPLADE, BGE-M3's token-weight and ColBERT heads): the independent oracle for every ONNX graph.
Also tiny random configs and weights under the real Hugging Face tensor names, and folders saved from them."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import erf

Arrays = dict[str, np.ndarray]

BERT_TINY: dict[str, Any] = {
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
# XLM-R numbers positions from padding_idx + 1, so its table has pad + 1 more rows than the longest input.
XLMR_TINY: dict[str, Any] = {
    **BERT_TINY,
    "model_type": "xlm-roberta",
    "max_position_embeddings": 26,
    "type_vocab_size": 1,
    "layer_norm_eps": 1e-5,
    "pad_token_id": 1,
    "bos_token_id": 0,
    "eos_token_id": 2,
}
ARCHITECTURES = ("base", "masked_lm", "sequence_classification")
_BASE_PREFIX = {"bert": "bert.", "roberta": "roberta.", "xlm-roberta": "roberta."}
_CLASS_NAMES = {
    ("bert", "base"): "BertModel",
    ("bert", "masked_lm"): "BertForMaskedLM",
    ("bert", "sequence_classification"): "BertForSequenceClassification",
    ("xlm-roberta", "base"): "XLMRobertaModel",
    ("xlm-roberta", "masked_lm"): "XLMRobertaForMaskedLM",
    ("xlm-roberta", "sequence_classification"): "XLMRobertaForSequenceClassification",
}
WORDS = ["the", "cat", "sat", "on", "mat", "dog", "ran", "far", "away", "red", "blue", "sky", "sea", "##s", "##ing"]


# -- tiny random checkpoints -------------------------------------------------------------------------------------------

def random_weights(
    config: Mapping[str, Any],
    *,
    seed: int = 0,
    architecture: str = "base",
    tied: bool = True,
    num_labels: int = 1,
) -> Arrays:
    """Random float32 tensors named as ``save_pretrained`` of the Hugging Face class for ``architecture`` names
    them: a base model without prefix, a model with a head under ``bert.`` / ``roberta.``. A tied MLM decoder is
    left out of the checkpoint, as transformers saves it (it is the word embedding table)."""
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture {architecture!r}; choose from {ARCHITECTURES}")
    rng = np.random.default_rng(seed)
    h, f, vocab = config["hidden_size"], config["intermediate_size"], config["vocab_size"]

    def normal(*shape: int, scale: float = 0.2) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    base = {
        "embeddings.word_embeddings.weight": normal(vocab, h, scale=1.0),
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
            base[p + name + ".weight"] = normal(out_dim, in_dim)
            base[p + name + ".bias"] = normal(out_dim, scale=0.05)
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            base[p + ln + ".weight"] = 1 + normal(h, scale=0.1)
            base[p + ln + ".bias"] = normal(h, scale=0.1)
    if architecture == "base":
        return base

    bert = config["model_type"] == "bert"
    weights = {_BASE_PREFIX[config["model_type"]] + k: v for k, v in base.items()}
    if architecture == "masked_lm":
        head = "cls.predictions." if bert else "lm_head."
        dense, norm = ("transform.dense", "transform.LayerNorm") if bert else ("dense", "layer_norm")
        weights[head + dense + ".weight"] = normal(h, h)
        weights[head + dense + ".bias"] = normal(h, scale=0.05)
        weights[head + norm + ".weight"] = 1 + normal(h, scale=0.1)
        weights[head + norm + ".bias"] = normal(h, scale=0.1)
        weights[head + "bias"] = normal(vocab, scale=0.5)
        if not tied:
            weights[head + "decoder.weight"] = normal(vocab, h, scale=1.0)
    elif bert:
        weights["bert.pooler.dense.weight"] = normal(h, h, scale=0.5)
        weights["bert.pooler.dense.bias"] = normal(h, scale=0.1)
        weights["classifier.weight"] = normal(num_labels, h, scale=0.5)
        weights["classifier.bias"] = normal(num_labels, scale=0.1)
    else:
        weights["classifier.dense.weight"] = normal(h, h, scale=0.5)
        weights["classifier.dense.bias"] = normal(h, scale=0.1)
        weights["classifier.out_proj.weight"] = normal(num_labels, h, scale=0.5)
        weights["classifier.out_proj.bias"] = normal(num_labels, scale=0.1)
    return weights


def random_bge_m3_heads(config: Mapping[str, Any], *, seed: int = 0) -> dict[str, Arrays]:
    """BGE-M3's separately saved heads as their state dicts: ``sparse_linear`` (hidden -> 1) and
    ``colbert_linear`` (hidden -> hidden), as in sparse_linear.pt and colbert_linear.pt."""
    rng = np.random.default_rng(seed)
    h = config["hidden_size"]
    return {
        "sparse_linear": {"weight": (rng.standard_normal((1, h)) * 0.3).astype(np.float32),
                          "bias": np.array([0.1], dtype=np.float32)},
        "colbert_linear": {"weight": (rng.standard_normal((h, h)) * 0.3).astype(np.float32),
                           "bias": (rng.standard_normal(h) * 0.05).astype(np.float32)},
    }


def with_heads(weights: Mapping[str, np.ndarray], heads: Mapping[str, Mapping[str, np.ndarray]]) -> Arrays:
    """``weights`` plus separately saved heads under their module names (``sparse_linear.weight`` ...)."""
    return {**weights, **{f"{module}.{k}": v for module, sd in heads.items() for k, v in sd.items()}}


# -- the forward pass --------------------------------------------------------------------------------------------------

def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def gelu(x: np.ndarray) -> np.ndarray:
    """GELU (Hendrycks & Gimpel, 2016): x * Phi(x), with the exact normal CDF."""
    return 0.5 * x * (1 + erf(x / np.sqrt(2)))


def position_ids(config: Mapping[str, Any], input_ids: np.ndarray) -> np.ndarray:
    """BERT: 0..S-1. RoBERTa/XLM-R: real tokens count from padding_idx + 1 and pad tokens sit at padding_idx
    (fairseq's make_positions, kept by Hugging Face's create_position_ids_from_input_ids)."""
    batch, seq = input_ids.shape
    if config["model_type"] == "bert":
        return np.broadcast_to(np.arange(seq), (batch, seq))
    pad = config["pad_token_id"]
    real = (input_ids != pad).astype(np.int64)
    return np.cumsum(real, axis=1) * real + pad


def _base_model_names(config: Mapping[str, Any], weights: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    prefix = _BASE_PREFIX[config["model_type"]]
    return {(k[len(prefix):] if k.startswith(prefix) else k): np.asarray(v, dtype=np.float64)
            for k, v in weights.items()}


def encode(
    config: Mapping[str, Any],
    w: Mapping[str, np.ndarray],
    input_ids: np.ndarray,
    attention_mask: np.ndarray,
    token_type_ids: np.ndarray | None = None,
) -> np.ndarray:
    """The last hidden state [B, S, H] of a post-LN transformer encoder (Vaswani et al., 2017; BERT, Devlin
    et al., 2019): embeddings + LayerNorm, then per layer softmax(QK^T / sqrt(d)) V over the unmasked keys,
    residual + LayerNorm, GELU feed-forward, residual + LayerNorm. ``w`` has base-model names, float64."""
    batch, seq = input_ids.shape
    heads, eps = config["num_attention_heads"], config["layer_norm_eps"]
    types = np.zeros_like(input_ids) if token_type_ids is None else token_type_ids
    x = (
        w["embeddings.word_embeddings.weight"][input_ids]
        + w["embeddings.position_embeddings.weight"][position_ids(config, input_ids)]
        + w["embeddings.token_type_embeddings.weight"][types]
    )
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    hidden = x.shape[-1]
    size = hidden // heads
    key_bias = np.where(attention_mask[:, None, None, :] > 0, 0.0, -np.inf)
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
        x = layer_norm(
            linear("attention.output.dense", context) + x,
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
            eps,
        )
        x = layer_norm(
            linear("output.dense", gelu(linear("intermediate.dense", x))) + x,
            w[p + "output.LayerNorm.weight"],
            w[p + "output.LayerNorm.bias"],
            eps,
        )
    return x


def _linear(w: Mapping[str, np.ndarray], module: str, x: np.ndarray) -> np.ndarray:
    return x @ w[module + ".weight"].T + w[module + ".bias"]


def mlm_logits(config: Mapping[str, Any], w: Mapping[str, np.ndarray], hidden: np.ndarray) -> np.ndarray:
    """BERT's masked-LM head (Devlin et al., 2019, appendix A.1): LayerNorm(gelu(dense(h))) E^T + b, with E the
    decoder weight or, tied, the word embeddings; RoBERTa's lm_head is the same function."""
    bert = config["model_type"] == "bert"
    head = "cls.predictions." if bert else "lm_head."
    dense, norm = ("transform.dense", "transform.LayerNorm") if bert else ("dense", "layer_norm")
    t = gelu(_linear(w, head + dense, hidden))
    t = layer_norm(t, w[head + norm + ".weight"], w[head + norm + ".bias"], config["layer_norm_eps"])
    decoder = w.get(head + "decoder.weight", w["embeddings.word_embeddings.weight"])
    bias = w[head + "bias"] if head + "bias" in w else w[head + "decoder.bias"]
    return t @ decoder.T + bias


def forward(
    config: Mapping[str, Any],
    weights: Mapping[str, np.ndarray],
    input_ids: np.ndarray,
    attention_mask: np.ndarray,
    *,
    heads: Sequence[str] = ("hidden",),
    token_type_ids: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Each head's output by head name, float64:

    - ``hidden``: the last hidden state [B, S, H];
    - ``mlm``: masked-LM logits [B, S, V];
    - ``splade``: SPLADE max pooling (Formal et al., 2021; SPLADE v2): max_i log(1 + relu(logits_ij)) * mask_i, [B, V];
    - ``token_linear``: BGE-M3 lexical weights (Chen et al., 2024): relu(sparse_linear(h_i)) * mask_i, [B, S, 1];
    - ``colbert``: BGE-M3 multi-vector: colbert_linear(h_i) * mask_i for i >= 1, [B, S - 1, D];
    - ``classifier``: BERT tanh(pooler(h_0)) then classifier; RoBERTa tanh(classifier.dense(h_0)) then
      classifier.out_proj, [B, labels].
    ``weights`` use Hugging Face names, with or without the base model's prefix.
    """
    w = _base_model_names(config, weights)
    input_ids, attention_mask = np.asarray(input_ids), np.asarray(attention_mask)
    hidden = encode(config, w, input_ids, attention_mask, token_type_ids)
    mask = attention_mask.astype(np.float64)[:, :, None]
    out: dict[str, np.ndarray] = {}
    for head in heads:
        if head == "hidden":
            out[head] = hidden
        elif head == "mlm":
            out[head] = mlm_logits(config, w, hidden)
        elif head == "splade":
            out[head] = (np.log1p(np.maximum(mlm_logits(config, w, hidden), 0.0)) * mask).max(axis=1)
        elif head == "token_linear":
            out[head] = np.maximum(_linear(w, "sparse_linear", hidden), 0.0) * mask
        elif head == "colbert":
            out[head] = _linear(w, "colbert_linear", hidden[:, 1:]) * mask[:, 1:]
        elif head == "classifier":
            first = hidden[:, 0]
            if config["model_type"] == "bert":
                out[head] = _linear(w, "classifier", np.tanh(_linear(w, "pooler.dense", first)))
            else:
                out[head] = _linear(w, "classifier.out_proj", np.tanh(_linear(w, "classifier.dense", first)))
        else:
            raise ValueError(f"unknown head {head!r}")
    return out


# -- folders -----------------------------------------------------------------------------------------------------------

def write_wordpiece_tokenizer(
    path: Path, words: Sequence[str] = WORDS, *, truncation: int | None = None, fixed_padding: int | None = None
) -> dict[str, int]:
    """A BERT WordPiece tokenizer.json: [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, then ``words``; single texts as
    ``[CLS] A [SEP]``, pairs as ``[CLS] A [SEP] B [SEP]`` with type ids 0 and 1. Truncation and fixed padding,
    when given, are saved in the file (as some published tokenizer.json files have them)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, **{w: i + 4 for i, w in enumerate(words)}}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    if truncation is not None:
        tok.enable_truncation(truncation)
    if fixed_padding is not None:
        tok.enable_padding(pad_id=0, pad_token="[PAD]", length=fixed_padding)
    tok.save(str(path))
    return vocab


def write_unigram_tokenizer(path: Path, words: Sequence[str] = WORDS) -> dict[str, int]:
    """An XLM-R style SentencePiece-unigram tokenizer.json: <s> 0, <pad> 1, </s> 2, <unk> 3, then ``words`` as
    word-initial pieces; single texts as ``<s> A </s>``, pairs as ``<s> A </s></s> B </s>``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    pieces = specials + [w[2:] if w.startswith("##") else "\u2581" + w for w in words]
    scores = [(p, 0.0) for p in specials] + [(p, -1.0 - i / 100) for i, p in enumerate(pieces[len(specials):])]
    tok = Tokenizer(models.Unigram(scores, unk_id=3))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    tok.save(str(path))
    return {p: i for i, p in enumerate(pieces)}


def save_hf_folder(
    folder: Path,
    config: Mapping[str, Any],
    weights: Mapping[str, np.ndarray],
    *,
    architecture: str = "base",
    tokenizer: bool = True,
) -> Path:
    """A Hugging Face model folder: config.json (with ``architectures``), model.safetensors and, unless
    ``tokenizer=False``, the family's tokenizer.json over :data:`WORDS`."""
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    raw = {"architectures": [_CLASS_NAMES[(config["model_type"], architecture)]], **config}
    (folder / "config.json").write_text(json.dumps(raw))
    save_file({k: np.ascontiguousarray(v) for k, v in weights.items()}, str(folder / "model.safetensors"))
    if tokenizer:
        writer = write_wordpiece_tokenizer if config["model_type"] == "bert" else write_unigram_tokenizer
        writer(folder / "tokenizer.json")
    return folder


def write_sentence_transformers_files(folder: Path, *, max_seq_length: int, pooling: str = "mean") -> None:
    """sentence_bert_config.json, modules.json (Transformer, Pooling, Normalize) and 1_Pooling/config.json."""
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
