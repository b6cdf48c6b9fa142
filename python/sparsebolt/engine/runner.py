"""Runs an ONNX session over many inputs: tokenized in bounded chunks, sorted by length, padded per batch, one
output or several fetched by name, results written back in input order. Knows nothing about what the outputs
mean."""

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

    ``output`` is the output :meth:`forward`, :meth:`batches` and :meth:`run` fetch; a model read through
    several outputs of one pass (BGE-M3's dense, lexical and ColBERT heads) names them to :meth:`named_batches`
    instead, and may leave ``output`` None. Every name must be one the graph declares.
    """

    def __init__(
        self,
        session: Any,
        tokenize: Callable[[Sequence[T]], Tokens],
        *,
        pad_id: int,
        output: str | None = None,
        longest_first: bool = False,
        graph: str = "the graph",
    ) -> None:
        self.session = session
        self.tokenize = tokenize
        self.pad_id = pad_id
        self.longest_first = longest_first
        self.graph = graph
        self.inputs = declared_inputs(session, graph=graph)
        self.outputs = tuple(declared.name for declared in session.get_outputs())
        if output is not None:
            self._check_outputs([output])
        self.output = output

    # one output --------------------------------------------------------------------------------------------
    def forward(self, feeds: Feeds) -> np.ndarray:
        """The output for one padded batch, fed only the inputs the graph declares."""
        return np.asarray(self.session.run([self._single_output()], feed(self.inputs, feeds))[0])

    def batches(self, items: Sequence[T], batch_size: int) -> Iterator[tuple[np.ndarray, Feeds, np.ndarray]]:
        """``(rows, feeds, output)`` per batch: the input positions of its rows, its padded arrays, the output."""
        self._single_output()  # before anything is tokenized
        return ((rows, feeds, self.forward(feeds)) for rows, feeds in self.padded(items, batch_size))

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

    # several outputs ---------------------------------------------------------------------------------------
    def fetch(self, feeds: Feeds, outputs: Sequence[str]) -> dict[str, np.ndarray]:
        """``outputs`` of one padded batch by name, from one run of the session."""
        fetched = self.session.run(list(outputs), feed(self.inputs, feeds))
        return {name: np.asarray(value) for name, value in zip(outputs, fetched)}

    def named_batches(
        self, items: Sequence[T], batch_size: int, outputs: Sequence[str]
    ) -> Iterator[tuple[np.ndarray, Feeds, dict[str, np.ndarray]]]:
        """``(rows, feeds, {name: output})`` per batch, as :meth:`batches` gives, with each of ``outputs``
        fetched from the same run. The names are checked before anything is tokenized."""
        if isinstance(outputs, str):
            raise TypeError(f"outputs must be a sequence of output names; pass [{outputs!r}]")
        names = list(outputs)
        if not names:
            raise ValueError(f"outputs is empty; name at least one of {list(self.outputs)}")
        self._check_outputs(names)
        return ((rows, feeds, self.fetch(feeds, names)) for rows, feeds in self.padded(items, batch_size))

    # batching ----------------------------------------------------------------------------------------------
    def padded(self, items: Sequence[T], batch_size: int) -> Iterator[tuple[np.ndarray, Feeds]]:
        """``(rows, feeds)`` per batch, not yet run: the input positions of its rows and its padded arrays."""
        chunk = batch_size * SORT_CHUNK_BATCHES
        for start in range(0, len(items), chunk):
            tokens = self.tokenize(items[start : start + chunk])
            lengths = tokens.lengths()
            order = np.argsort(-lengths if self.longest_first else lengths, kind="stable")
            for first in range(0, len(order), batch_size):
                picked = order[first : first + batch_size]
                type_ids = None if tokens.type_ids is None else [tokens.type_ids[i] for i in picked]
                feeds = pad_tokens([tokens.ids[i] for i in picked], self.pad_id, type_ids)
                yield picked + start, feeds

    def _single_output(self) -> str:
        if self.output is None:
            raise ValueError("this BatchRunner was made without output=; fetch outputs by name with named_batches()")
        return self.output

    def _check_outputs(self, names: Sequence[str]) -> None:
        unknown = [name for name in names if name not in self.outputs]
        if unknown:
            raise ValueError(f"{self.graph} has no output {unknown[0]!r}; it declares {list(self.outputs)}")
