"""Runs an ONNX session over many inputs: tokenized in bounded chunks, sorted by length, padded per batch, one
output fetched by name, results written back in input order. Knows nothing about what the output means."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import numpy as np

from .session import declared_inputs, feed
from .tokenizer import Feeds, Tokens, pad_tokens

__all__ = ["SORT_CHUNK_BATCHES", "BatchRunner"]

T = TypeVar("T")
# Inputs are tokenized and length-sorted in chunks of this many batches: long inputs stream in bounded memory,
# and each chunk is still large enough that neighbours in length order pad little.
SORT_CHUNK_BATCHES = 16


class BatchRunner(Generic[T]):
    """``session`` run on inputs of type ``T`` (texts, pairs) that ``tokenize`` turns into :class:`Tokens`.

    Each batch pads to its own longest sequence with ``pad_id``, so sorting by length wastes the least compute.
    ``longest_first`` sorts each chunk from the longest input down (the first batch is then the largest, so a
    batch too big for memory fails at once); otherwise from the shortest up. Either order gives the same rows
    up to the float rounding of different batch shapes.
    """

    def __init__(
        self,
        session: Any,
        tokenize: Callable[[Sequence[T]], Tokens],
        *,
        pad_id: int,
        output: str,
        longest_first: bool = False,
        graph: str = "the graph",
    ) -> None:
        self.session = session
        self.tokenize = tokenize
        self.pad_id = pad_id
        self.output = output
        self.longest_first = longest_first
        self.inputs = declared_inputs(session, graph=graph)

    def forward(self, feeds: Feeds) -> np.ndarray:
        """The output for one padded batch, fed only the inputs the graph declares."""
        return np.asarray(self.session.run([self.output], feed(self.inputs, feeds))[0])

    def batches(self, items: Sequence[T], batch_size: int) -> Iterator[tuple[np.ndarray, Feeds, np.ndarray]]:
        """``(rows, feeds, output)`` per batch: the input positions of its rows, its padded arrays, the output."""
        chunk = batch_size * SORT_CHUNK_BATCHES
        for start in range(0, len(items), chunk):
            tokens = self.tokenize(items[start : start + chunk])
            lengths = tokens.lengths()
            order = np.argsort(-lengths if self.longest_first else lengths, kind="stable")
            for first in range(0, len(order), batch_size):
                picked = order[first : first + batch_size]
                type_ids = None if tokens.type_ids is None else [tokens.type_ids[i] for i in picked]
                feeds = pad_tokens([tokens.ids[i] for i in picked], self.pad_id, type_ids)
                yield picked + start, feeds, self.forward(feeds)

    def run(
        self,
        items: Sequence[T],
        batch_size: int,
        *,
        finish: Callable[[np.ndarray, Feeds], np.ndarray],
        row_shape: tuple[int, ...] = (),
        dtype: type[np.floating[Any]] = np.float32,
    ) -> np.ndarray:
        """One ``(len(items), *row_shape)`` array, rows in input order: ``finish(output, feeds)`` of each batch
        (pooling, a logit check) gives that batch's rows."""
        out = np.empty((len(items), *row_shape), dtype=dtype)
        for rows, feeds, output in self.batches(items, batch_size):
            out[rows] = finish(output, feeds)
        return out
