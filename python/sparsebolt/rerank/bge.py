"""BGERerankFunction: pymilvus.model's BGE reranker (``BAAI/bge-reranker-v2-m3``, an XLM-RoBERTa sequence
classifier) on the local cross-encoder's ONNX path, with FlagEmbedding's pair truncation and its sigmoid.

Owns what BGE does differently from a sentence-transformers cross-encoder: the query and the passage are cut
separately before they are joined (:class:`BgePairTokenizer`), and ``normalize`` picks the sigmoid. The model
folder, graph, session and batching are :class:`~sparsebolt.rerank.cross_encoder.CrossEncoderRerankFunction`'s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple, Union

from sparsebolt._inputs import positive_int
from sparsebolt.engine.tokenizer import HEAD_CHARS_PER_TOKEN, Tokens, final_tokens, grow_head, valid_text
from sparsebolt.rerank.cross_encoder import CrossEncoderRerankFunction

__all__ = ["BGERerankFunction", "BgePairTokenizer"]

# pymilvus.model's BGERerankFunction options beyond its named ones that sparsebolt serves, for the error message.
_OWN_OPTIONS = ("devices", "providers", "threads")


class BgePairTokenizer:
    """FlagEmbedding's pair tokenisation (``BaseReranker.compute_score_single_gpu``): the query's first
    ``query_max_length`` tokens and the passage's first ``max_length`` tokens, both without special tokens, joined
    with the tokenizer's pair template and then cut from the passage's end to ``max_length`` ("only_second")."""

    def __init__(self, path: Path, *, query_max_length: int, max_length: int) -> None:
        from tokenizers import Tokenizer

        base = Tokenizer.from_file(str(path))
        base.no_padding()
        base.no_truncation()
        specials = base.num_special_tokens_to_add(True)
        if query_max_length + specials >= max_length:
            raise ValueError(
                f"query_max_length ({query_max_length}) leaves no room for the passage in max_length ({max_length}) "
                f"with the pair's {specials} special tokens; use a query_max_length below {max_length - specials}"
            )
        self.query_max_length = query_max_length
        self.max_length = max_length
        self._counter = base  # untruncated: how many whole tokens a head of a long text holds
        self._query = _truncating(base, query_max_length)
        self._passage = _truncating(base, max_length)
        self._pair = _truncating(base, max_length, strategy="only_second")

    def encode_pairs(self, pairs: Sequence[Tuple[str, str]]) -> Tokens:
        """Token and segment ids per (query, passage) pair, for the batch runner."""
        # One query is usually shared by every pair: tokenise each distinct query once.
        distinct = list(dict.fromkeys(query for query, _ in pairs))
        query_encodings = dict(zip(distinct, self._side(self._query, distinct, self.query_max_length)))
        passages = self._side(self._passage, [passage for _, passage in pairs], self.max_length)
        joined = [
            self._pair.post_process(query_encodings[query], passage) for (query, _), passage in zip(pairs, passages)
        ]
        return Tokens([e.ids for e in joined], [e.type_ids for e in joined])

    def _side(self, tokenizer: Any, texts: List[str], keep: int) -> List[Any]:
        """Each text's first ``keep`` tokens, without special tokens. A text too long to tokenise whole cheaply is
        tokenised from a head holding more than ``keep`` complete tokens, which gives the same first tokens."""
        limit = keep * HEAD_CHARS_PER_TOKEN

        def enough(head: str) -> bool:
            return final_tokens(self._counter.encode(head, add_special_tokens=False).word_ids) > keep

        heads = [valid_text(text) if len(text) <= limit else grow_head(text, limit, enough) for text in texts]
        return list(tokenizer.encode_batch(heads, add_special_tokens=False))


def _truncating(base: Any, max_length: int, *, strategy: str = "longest_first") -> Any:
    from tokenizers import Tokenizer

    copy = Tokenizer.from_str(base.to_str())
    copy.no_padding()
    copy.enable_truncation(max_length, strategy=strategy)
    return copy


class BGERerankFunction(CrossEncoderRerankFunction):
    """pymilvus.model's ``BGERerankFunction`` constructor, served by ONNX Runtime instead of FlagEmbedding.

    ``model_name`` is a bge-reranker folder (``model.safetensors`` + ``config.json`` + ``tokenizer.json``, or an
    ONNX export) or a hub id found locally, as :class:`CrossEncoderRerankFunction` finds it (it never downloads).
    ``normalize=True`` maps each logit through the sigmoid, as FlagEmbedding; ``normalize=False`` returns the raw
    logit. Pairs are cut as FlagEmbedding cuts them (:class:`BgePairTokenizer`). ``device`` is ``"cpu"`` (the
    default when None), ``"cuda"`` or ``"cuda:N"``; a list (FlagEmbedding's ``devices``) must name one device.
    ``use_fp16`` is accepted and the graph runs in float32 (FlagEmbedding, too, runs float32 on the CPU).
    sparsebolt's own keyword options: ``providers`` and ``threads``, as for the cross-encoder.
    """

    def __init__(
        self,
        model_name: str = "BAAI/bge-reranker-v2-m3",
        use_fp16: bool = True,
        batch_size: int = 32,
        normalize: bool = True,
        device: Optional[Union[str, List[str]]] = None,
        query_max_length: int = 256,
        max_length: int = 512,
        **kwargs: Any,
    ) -> None:
        unknown = sorted(set(kwargs) - set(_OWN_OPTIONS))
        if unknown:
            raise TypeError(
                f"BGERerankFunction got unexpected options {unknown}; besides its named parameters it takes "
                f"{', '.join(_OWN_OPTIONS)}"
            )
        if "devices" in kwargs:  # pymilvus.model forwards FlagEmbedding's name over device
            device = kwargs.pop("devices")
        self.use_fp16 = use_fp16
        self.normalize = normalize
        self.query_max_length = positive_int(query_max_length, name="query_max_length")
        super().__init__(
            model_name,
            _one_device(device),
            batch_size,
            "sigmoid" if normalize else "identity",
            max_length=positive_int(max_length, name="max_length"),
            **kwargs,
        )
        self.pair_tokenizer = BgePairTokenizer(
            self.files.tokenizer, query_max_length=self.query_max_length, max_length=self.max_length
        )
        self._runner.tokenize = self.pair_tokenizer.encode_pairs

    def __repr__(self) -> str:
        return (
            f"BGERerankFunction(model_name={str(self.model_name)!r}, normalize={self.normalize}, "
            f"query_max_length={self.query_max_length}, max_length={self.max_length}, providers={self.providers!r})"
        )


def _one_device(device: Union[str, Sequence[str], None]) -> str:
    """FlagEmbedding's ``device``/``devices`` as the one device string the session takes."""
    if device is None:
        return "cpu"
    if isinstance(device, str):
        return device
    devices = list(device)
    if len(devices) == 1 and str(devices[0]).isdigit():  # FlagEmbedding's [0] or ["0"]: the first GPU
        return f"cuda:{devices[0]}"
    if len(devices) != 1:
        raise ValueError(
            f"BGERerankFunction runs on one device, got {devices!r}; pass one, e.g. device='cuda:0', and one "
            "reranker per device for more"
        )
    return str(devices[0])
