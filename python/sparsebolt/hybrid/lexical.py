"""BGE-M3's lexical weights as CSR rows, vectorised over whole batches: per text, the largest weight of each
token id over its positions, special tokens and zero weights dropped (FlagEmbedding's
``_process_token_weights``), then the batches' rows put back in input order."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["LexicalRows", "assemble_csr", "lexical_rows"]

LexicalRows = tuple[np.ndarray, np.ndarray, np.ndarray]  # (entries per row, token ids, weights)


def lexical_rows(
    weights: np.ndarray, input_ids: np.ndarray, attention_mask: np.ndarray, dropped: np.ndarray, vocab: int
) -> LexicalRows:
    """For a padded batch (``weights``, ``input_ids``, ``attention_mask`` all [B, S]): per row, the sorted
    token ids that occur at a real position with a weight above 0 and are not in ``dropped``, each with its
    largest weight. Returns ``(counts [B], indices, values)`` with the rows' entries one after another."""
    keep = (attention_mask > 0) & (weights > 0) & ~np.isin(input_ids, dropped)
    rows = np.nonzero(keep)[0]
    keys = rows * np.int64(vocab) + input_ids[keep]  # one key per (row, token id), in row-major order
    values = weights[keep].astype(np.float32, copy=False)
    order = np.lexsort((values, keys))  # by key, and within a key by weight: the last of each run is its max
    keys, values = keys[order], values[order]
    last = np.ones(keys.size, dtype=bool)
    last[:-1] = keys[1:] != keys[:-1]
    keys, values = keys[last], values[last]
    counts = np.bincount(keys // vocab, minlength=weights.shape[0])
    return counts, (keys % vocab).astype(np.int32), values


def assemble_csr(
    batches: Sequence[tuple[np.ndarray, LexicalRows]], n_rows: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(data, indices, indptr)`` of ``n_rows`` rows from per-batch :func:`lexical_rows` results, each paired
    with the input positions of its rows. ``indices`` and ``indptr`` are int32, as scipy keeps them without a
    copy."""
    if not batches:
        return np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(n_rows + 1, np.int32)
    positions = np.concatenate([rows for rows, _ in batches])
    counts = np.concatenate([found[0] for _, found in batches])
    indices = np.concatenate([found[1] for _, found in batches])
    values = np.concatenate([found[2] for _, found in batches])
    entry_rows = np.repeat(positions, counts)
    order = np.argsort(entry_rows, kind="stable")  # rows into input order; ids stay sorted within a row
    per_row = np.bincount(positions, weights=counts, minlength=n_rows).astype(np.int64)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(per_row, out=indptr[1:])
    if indptr[-1] >= np.iinfo(np.int32).max:
        return values[order], indices[order].astype(np.int64), indptr
    return values[order], indices[order], indptr.astype(np.int32)
