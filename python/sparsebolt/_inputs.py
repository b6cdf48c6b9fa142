"""The one input contract of every encoder and reranker: what a list of texts is, and what integer options accept.

Wrong types raise TypeError, out-of-range values ValueError, each naming the argument and what to pass instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, List, Optional

import numpy as np

__all__ = ["positive_int", "texts_arg", "texts_stream", "top_k_arg"]


def texts_arg(value: Any, *, name: str = "texts", single_text: bool = False, check_items: bool = True) -> List[str]:
    """``value`` as a list of str: a list (returned as is, not copied), a tuple or any other iterable of str
    (a generator is read once), or a 1-D numpy array of str.

    A bare ``str`` is a TypeError that says to pass ``[text]`` (iterating its characters, as pymilvus.model's
    BM25 and ONNX encoders do, is never what was meant) unless ``single_text``, where it becomes ``[text]``:
    the hosted embedding APIs, whose pymilvus.model classes forward a str to an API that embeds it as one text.
    ``bytes``, None and non-iterables are TypeErrors; an item that is not a str is a TypeError naming its index
    and type. ``check_items=False`` leaves the item check to a caller that makes it anyway (the C++ core,
    with the same message). An empty input gives ``[]``: each caller returns an empty result of its shape.
    """
    if type(value) is list:  # the fast path: no copy, one C-level pass over the items
        texts = value
    elif isinstance(value, str) and single_text:
        return [value]
    else:
        source = texts_stream(value, name=name)
        texts = source if type(source) is list else list(source)
    if check_items and not all(map(str.__instancecheck__, texts)):
        raise _bad_item(texts, name)
    return texts


def texts_stream(value: Any, *, name: str = "texts") -> Iterable[Any]:
    """``texts_arg``'s checks of the container alone, for inputs streamed in batches (``fit`` over a generator
    larger than memory): an iterator is returned unread, and its items are checked as they are counted."""
    if isinstance(value, str):
        raise TypeError(f"{name} must be a list of str, not a single string; pass [text] for one text")
    if value is None:
        raise TypeError(f"{name} must be a list of str, got None")
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{name} must be a list of str, got {type(value).__name__}; decode it and pass [text]")
    if isinstance(value, np.ndarray):
        if value.ndim != 1:
            raise TypeError(f"{name} must be a list of str, got a {value.ndim}-D numpy array; pass a 1-D one")
        return value.tolist()  # plain str items (np.str_ would otherwise travel on)
    if isinstance(value, (list, tuple)):
        return value
    if not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a list of str, got {type(value).__name__}")
    return value


def _bad_item(texts: List[Any], name: str) -> TypeError:
    for position, text in enumerate(texts):
        if not isinstance(text, str):
            kind = "None" if text is None else f"of type {type(text).__name__}"
            return TypeError(f"{name}[{position}] is {kind}, expected str")
    raise AssertionError("unreachable: every item is a str")


def positive_int(value: Any, *, name: str, maximum: Optional[int] = None, hint: str = "") -> int:
    """``value`` as an int in ``[1, maximum]``: TypeError for a non-integer (bool and float included),
    ValueError out of range. ``hint`` is added to the range error (say, where ``maximum`` comes from)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < 1 or (maximum is not None and value > maximum):
        bound = "a positive int" if maximum is None else f"an int in [1, {maximum}]"
        raise ValueError(f"{name} must be {bound}{hint}, got {value!r}")
    return int(value)


def top_k_arg(top_k: Any) -> Optional[int]:
    """A reranker's ``top_k`` as how many results to keep, None for all: None and 0 keep every document, as
    pymilvus.model's local rerankers do (``if top_k:``); a negative int is a ValueError."""
    if top_k is None or (type(top_k) is int and top_k == 0):
        return None
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)):
        raise TypeError(f"top_k must be an int (or None/0 for all documents), got {type(top_k).__name__} {top_k!r}")
    if top_k < 0:
        raise ValueError(f"top_k must be a positive int (or None/0 for all documents), got {top_k!r}")
    return int(top_k) or None
