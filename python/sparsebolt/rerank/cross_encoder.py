"""CrossEncoderRerankFunction: a local cross-encoder folder (model.onnx + tokenizer.json) on ONNX Runtime.

Owns pair tokenisation, length-sorted batching, the session run and the activation; the call shape is
``pymilvus.model.reranker.CrossEncoderRerankFunction``'s, without PyTorch or sentence-transformers.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from sparsebolt._inputs import positive_int
from sparsebolt.dense.tokenize import HEAD_CHARS_PER_TOKEN, final_tokens, grow_head, valid_text
from sparsebolt.rerank.result import BaseRerankFunction, RerankResult, check_rerank_input

logger = logging.getLogger(__name__)

__all__ = ["CrossEncoderRerankFunction", "identity", "resolve_model_dir", "sigmoid"]

Activation = Callable[[np.ndarray], np.ndarray]
_MODEL_FILES = ("model.onnx", "onnx/model.onnx")
# tokenizer_config.json stores "no limit" as a huge sentinel (int(1e30)); treat anything above this as unset.
_NO_LIMIT = 1_000_000


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, split by sign so that exp never overflows."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))
    exp_x = np.exp(x[~positive])
    out[~positive] = exp_x / (1.0 + exp_x)
    return out


def identity(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


_ACTIVATIONS: Dict[str, Activation] = {"sigmoid": sigmoid, "identity": identity}


def _activation(activation_fct: Any) -> Activation:
    """None: sigmoid (sentence-transformers' default for a one-logit model); a name; a torch.nn Sigmoid/Identity
    instance (what pymilvus users pass), recognised by class name; or any callable on a numpy array."""
    if activation_fct is None:
        return sigmoid
    if isinstance(activation_fct, str):
        if activation_fct.lower() not in _ACTIVATIONS:
            raise ValueError(f"activation_fct {activation_fct!r} is not one of {sorted(_ACTIVATIONS)} or a callable")
        return _ACTIVATIONS[activation_fct.lower()]
    torch_name = type(activation_fct).__name__.lower()
    if type(activation_fct).__module__.startswith("torch") and torch_name in _ACTIVATIONS:
        return _ACTIVATIONS[torch_name]
    if callable(activation_fct):
        return lambda x: np.asarray(activation_fct(x), dtype=np.float64)
    raise ValueError(f"activation_fct must be None, 'sigmoid', 'identity' or a callable, got {activation_fct!r}")


def resolve_model_dir(model_name: Union[str, Path]) -> Path:
    """A folder holding model.onnx (or onnx/model.onnx) and tokenizer.json: a local path, else a Hugging Face repo id
    already in the local cache (never downloaded here)."""
    if not model_name:
        raise ValueError("model_name is required: a folder with model.onnx and tokenizer.json")
    path = Path(model_name).expanduser()
    if path.is_dir():
        return path
    try:
        from huggingface_hub import snapshot_download

        cached = Path(snapshot_download(str(model_name), local_files_only=True))
    except Exception as exc:  # noqa: BLE001 - any failure means "not available offline"
        raise ValueError(
            f"{model_name!r} is neither a local folder nor a Hugging Face repo in the local cache "
            f"({type(exc).__name__}). "
            "Pass a folder that holds model.onnx and tokenizer.json (export one with `optimum-cli export onnx`)."
        ) from None
    return cached


def _read_json(path: Path) -> Dict[str, Any]:
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as handle:
        data = json.load(handle)
    return data if isinstance(data, dict) else {}


class CrossEncoderRerankFunction(BaseRerankFunction):
    """Score (query, document) pairs with a local cross-encoder and return RerankResult best first.

    ``model_name`` is a folder with ``model.onnx`` (or ``onnx/model.onnx``) and ``tokenizer.json``. Pairs are
    tokenised together (``[CLS] query [SEP] document [SEP]``, longest-first truncation to ``max_length``), sorted by
    length and run ``batch_size`` at a time, each batch padded to its own longest pair. The model must emit one logit
    per pair; ``activation_fct`` (default sigmoid, as sentence-transformers for one label) turns it into the score.
    """

    def __init__(
        self,
        model_name: str = "",
        device: str = "",
        batch_size: int = 32,
        activation_fct: Any = None,
        *,
        max_length: Optional[int] = None,
        providers: Optional[Sequence[Any]] = None,
        threads: Optional[int] = None,
    ) -> None:
        from tokenizers import Tokenizer

        from sparsebolt.dense.session import create_session

        self.batch_size = positive_int(batch_size, name="batch_size")
        self.model_name = model_name
        self.device = device
        self.activation_fct = activation_fct
        self._activate = _activation(activation_fct)
        folder = resolve_model_dir(model_name)
        model_path = next((folder / name for name in _MODEL_FILES if (folder / name).is_file()), None)
        if model_path is None:
            raise ValueError(f"{folder} has no model.onnx (or onnx/model.onnx)")
        if not (folder / "tokenizer.json").is_file():
            raise ValueError(f"{folder} has no tokenizer.json; save the model's fast tokenizer there")

        self.max_length = self._max_length(folder, max_length)
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # Truncate pairs here; pad per batch below (not to a fixed length a saved tokenizer.json may ask for).
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self.max_length, strategy="longest_first")
        self._pad_id = self._pad_token_id(folder)
        self._pair_budget = self.max_length - self._tokenizer.num_special_tokens_to_add(True)
        self._counter: Any = None  # an untruncated copy of the tokenizer, made for the first very long text

        # The dense encoder's session: same device/provider checks (CUDA without onnxruntime-gpu is an error, not
        # a silent CPU run), thread option and graph optimizations.
        self._session = create_session(model_path, device=device or "cpu", providers=providers, threads=threads)
        self.providers = self._session.get_providers()
        self._inputs = {i.name: (np.int32 if i.type == "tensor(int32)" else np.int64)
                        for i in self._session.get_inputs()}
        unknown = set(self._inputs) - {"input_ids", "attention_mask", "token_type_ids"}
        if "input_ids" not in self._inputs or unknown:
            raise ValueError(
                f"{model_path.name} declares inputs {sorted(self._inputs)}; a BERT-style cross-encoder takes input_ids "
                "and optionally attention_mask and token_type_ids"
            )
        self._output = self._session.get_outputs()[0].name

    def __repr__(self) -> str:
        return f"CrossEncoderRerankFunction(model_name={str(self.model_name)!r}, providers={self.providers!r})"

    @staticmethod
    def _max_length(folder: Path, max_length: Optional[int]) -> int:
        if max_length is not None:
            if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 4:
                raise ValueError(f"max_length must be an int >= 4, got {max_length!r}")
            return max_length
        limit = _read_json(folder / "tokenizer_config.json").get("model_max_length")
        if isinstance(limit, (int, float)) and 0 < limit < _NO_LIMIT:
            return int(limit)
        positions = _read_json(folder / "config.json").get("max_position_embeddings")
        return int(positions) if isinstance(positions, int) and positions > 0 else 512

    def _pad_token_id(self, folder: Path) -> int:
        saved = _read_json(folder / "tokenizer.json").get("padding") or {}
        if isinstance(saved.get("pad_id"), int):
            return int(saved["pad_id"])
        for token in ("[PAD]", "<pad>"):
            token_id = self._tokenizer.token_to_id(token)
            if token_id is not None:
                return token_id
        return 0

    def predict(self, pairs: Sequence[Tuple[str, str]]) -> np.ndarray:
        """Activated scores (float64) of (query, document) pairs, in input order."""
        if not pairs:
            return np.empty(0, dtype=np.float64)
        encodings = self._tokenizer.encode_batch(self._tokenizable(pairs))
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        # Longest first: each batch pads to its own longest pair, so sorting by length wastes the least compute.
        order = np.argsort(-lengths, kind="stable")
        logits = np.empty(len(pairs), dtype=np.float64)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            logits[rows] = self._run([encodings[i] for i in rows], int(lengths[rows].max()))
        return self._activate(logits)

    def _tokenizable(self, pairs: Sequence[Tuple[str, str]]) -> List[Tuple[str, str]]:
        """The pairs as the tokenizer can take them: lone surrogates replaced by U+FFFD, and a side longer than
        ``max_length * HEAD_CHARS_PER_TOKEN`` characters replaced by a head that truncates to the same ids."""
        limit = self.max_length * HEAD_CHARS_PER_TOKEN
        heads: Dict[Tuple[str, str], str] = {}  # (long side, other side): a query is usually shared by all pairs
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
                heads[long_side, other] = self._head(long_side, other, limit)
            head = heads[long_side, other]
            out.append((other, head) if long_doc else (head, other))
        return out

    def _head(self, text: str, other: str, limit: int) -> str:
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
        need = max(self._pair_budget, len(self._counter.encode(other, add_special_tokens=False).ids))

        def enough(head: str) -> bool:
            return final_tokens(self._counter.encode(head, add_special_tokens=False).word_ids) > need

        return grow_head(text, limit, enough)

    def _run(self, encodings: List[Any], width: int) -> np.ndarray:
        n = len(encodings)
        ids = np.full((n, width), self._pad_id, dtype=np.int64)
        mask = np.zeros((n, width), dtype=np.int64)
        types = np.zeros((n, width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            length = len(enc.ids)
            ids[row, :length] = enc.ids
            mask[row, :length] = 1
            types[row, :length] = enc.type_ids
        arrays = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        feed = {name: arrays[name].astype(dtype, copy=False) for name, dtype in self._inputs.items()}
        out = np.asarray(self._session.run([self._output], feed)[0])
        if out.ndim == 2 and out.shape[1] == 1:
            out = out[:, 0]
        if out.shape != (n,):
            raise ValueError(
                f"the model returned {self._output!r} of shape {out.shape} for {n} pairs; a reranker needs one "
                "relevance logit per pair (num_labels=1)"
            )
        return out.astype(np.float64)

    def __call__(self, query: str, documents: List[str], top_k: Optional[int] = 5) -> List[RerankResult]:
        documents, keep = check_rerank_input(query, documents, top_k)
        scores = self.predict([(query, doc) for doc in documents])
        # Stable: equal scores keep document order, as pymilvus' sorted(..., reverse=True) does.
        ranked = sorted(range(len(documents)), key=lambda i: -scores[i])
        if keep is not None:
            ranked = ranked[:keep]
        return [RerankResult(text=documents[i], score=float(scores[i]), index=i) for i in ranked]
