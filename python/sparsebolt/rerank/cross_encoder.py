"""CrossEncoderRerankFunction: a cross-encoder (model.onnx, or model.safetensors + config.json, and tokenizer.json)
on ONNX Runtime.

Owns the activation and the ranking; the model folder, pair tokenisation, length-sorted batching and the session
run are the engine's (sparsebolt.engine). The call shape is ``pymilvus.model.reranker.CrossEncoderRerankFunction``'s,
without PyTorch or sentence-transformers.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from sparsebolt._inputs import positive_int
from sparsebolt.engine.files import CROSS_ENCODER, ModelFiles, resolve_model
from sparsebolt.engine.precision import resolve_precision
from sparsebolt.engine.runner import BatchRunner
from sparsebolt.engine.session import create_session
from sparsebolt.engine.tokenizer import Feeds, TextTokenizer, read_max_seq_length
from sparsebolt.rerank.result import BaseRerankFunction, RerankResult, check_rerank_input

logger = logging.getLogger(__name__)

__all__ = ["CrossEncoderRerankFunction", "identity", "resolve_model_dir", "sigmoid"]

Activation = Callable[[np.ndarray], np.ndarray]


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
    """The cross-encoder folder for ``model_name``: a local folder, else the places of
    :func:`sparsebolt.engine.files.resolve_model` (``$SPARSEBOLT_MODELS_DIR``, the user cache, the Hugging Face
    cache), never downloaded here."""
    return _resolve(model_name).folder


def _resolve(model_name: Union[str, Path]) -> ModelFiles:
    if not model_name:
        raise ValueError("model_name is required: a folder with model.onnx and tokenizer.json")
    return resolve_model(str(model_name), family=CROSS_ENCODER, local_files_only=True)


def _graph(files: ModelFiles, attention: str = "onnx") -> Path:
    """The ONNX graph to run for ``files``: the folder's prebuilt one (``model.onnx`` or ``onnx/model.onnx``), else
    the one built from ``model.safetensors`` + ``config.json`` (a BertForSequenceClassification or
    XLMRobertaForSequenceClassification) with the classifier head, once, into the user cache."""
    if files.onnx is not None:
        return files.onnx
    # Imported here: a prebuilt graph needs neither the builder nor the onnx package.
    from sparsebolt.engine.build import graph_path
    from sparsebolt.engine.config import TransformerConfig

    config = TransformerConfig.from_file(files.config)
    # Pairs tell query from document by token type where the model has two types (BERT); XLM-R has one.
    return graph_path(
        files, heads=("classifier",), token_type_ids=config.type_vocab_size >= 2, attention=attention
    )


class CrossEncoderRerankFunction(BaseRerankFunction):
    """Score (query, document) pairs with a local cross-encoder and return RerankResult best first.

    ``model_name`` is a folder with ``model.onnx`` (or ``onnx/model.onnx``) and ``tokenizer.json``, or a Hugging
    Face folder with ``model.safetensors`` + ``config.json`` of a BERT or XLM-R sequence classifier (its graph is
    built on first load and cached), or a hub id found in ``$SPARSEBOLT_MODELS_DIR``, the user cache or the Hugging
    Face cache (see :func:`resolve_model_dir`).
    Pairs are tokenised together (``[CLS] query [SEP] document [SEP]``, longest-first truncation to
    ``max_length``), sorted by length and run ``batch_size`` at a time, each batch padded to its own longest pair.
    The model must emit one logit per pair; ``activation_fct`` (default sigmoid, as sentence-transformers for one
    label) turns it into the score.
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
        precision: str = "fp32",
    ) -> None:
        self.batch_size = positive_int(batch_size, name="batch_size")
        self.model_name = model_name
        self.device = device
        self.activation_fct = activation_fct
        self._activate = _activation(activation_fct)
        explicit_length = _max_length(max_length)
        self.files = _resolve(model_name)
        self.run_precision = resolve_precision(precision, device=device or "cpu", int8=False)
        graph = _graph(self.files, self.run_precision.attention)
        self.max_length = explicit_length or read_max_seq_length(self.files.folder)
        self.tokenizer = TextTokenizer(self.files.tokenizer, max_length=self.max_length)

        # The dense encoder's session: same device/provider checks (CUDA without onnxruntime-gpu is an error, not
        # a silent CPU run), thread option and graph optimizations.
        self._session = create_session(
            graph, device=device or "cpu", providers=providers, threads=threads, runtime=self.run_precision.runtime
        )
        self.providers = self._session.get_providers()
        # Longest first: the largest batch runs first, so a batch too big for the device fails at once.
        self._runner: BatchRunner[Tuple[str, str]] = BatchRunner(
            self._session,
            self.tokenizer.encode_pairs,
            pad_id=self.tokenizer.pad_id,
            output=self._session.get_outputs()[0].name,
            longest_first=True,
            graph=graph.name if self.files.onnx is not None else f"the graph built from {self.files.safetensors.name}",
        )

    def __repr__(self) -> str:
        return f"CrossEncoderRerankFunction(model_name={str(self.model_name)!r}, providers={self.providers!r})"

    def predict(self, pairs: Sequence[Tuple[str, str]]) -> np.ndarray:
        """Activated scores (float64) of (query, document) pairs, in input order."""
        if not pairs:
            return np.empty(0, dtype=np.float64)
        logits = self._runner.run(pairs, self.batch_size, finish=self._logits, dtype=np.float64)
        return self._activate(logits)

    def _logits(self, output: np.ndarray, feeds: Feeds) -> np.ndarray:
        n = len(feeds["input_ids"])
        if output.ndim == 2 and output.shape[1] == 1:
            output = output[:, 0]
        if output.shape != (n,):
            raise ValueError(
                f"the model returned {self._runner.output!r} of shape {output.shape} for {n} pairs; a reranker "
                "needs one relevance logit per pair (num_labels=1)"
            )
        return output.astype(np.float64)

    def __call__(self, query: str, documents: List[str], top_k: Optional[int] = 5) -> List[RerankResult]:
        documents, keep = check_rerank_input(query, documents, top_k)
        scores = self.predict([(query, doc) for doc in documents])
        # Stable: equal scores keep document order, as pymilvus' sorted(..., reverse=True) does.
        ranked = sorted(range(len(documents)), key=lambda i: -scores[i])
        if keep is not None:
            ranked = ranked[:keep]
        return [RerankResult(text=documents[i], score=float(scores[i]), index=i) for i in ranked]


def _max_length(max_length: Optional[int]) -> Optional[int]:
    """An explicit ``max_length``, checked: a pair needs room for [CLS], [SEP], [SEP] and one token."""
    if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 4):
        raise ValueError(f"max_length must be an int >= 4, got {max_length!r}")
    return max_length
