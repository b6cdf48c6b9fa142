"""Chinese: jieba's default mode (accurate, with HMM for unknown words), native on jieba's own data
(``sparsebolt[zh]``).

The core's ``_core.JiebaSegmenter`` runs jieba's algorithm (``jieba.lcut(text)``: the prefix dictionary's best
route, the HMM's Viterbi for runs of unknown characters, jieba's block regexes) against the files the ``jieba``
package ships: ``dict.txt``, read by C++, and finalseg's HMM tables, read here into arrays. jieba's own code is
never imported. Inside an analyzer it runs in the core's batches with the GIL released; called directly it
segments a batch in one call. tests/unit/test_segmenters_zh.py compares its tokens with ``jieba.lcut``.

Whitespace tokens, which jieba emits one per character, are dropped: pymilvus.model's ``zh`` analyzer drops the
ASCII space (its punctuation filter) and nothing is gained by keeping a newline or tab as a term.
"""

from __future__ import annotations

import importlib.util
import pickle
import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import numpy.typing as npt

from sparsebolt import _core
from sparsebolt.sparse.segmenters._common import MissingSegmenterError

__all__ = ["HMM_STATES", "MIN_FLOAT", "JiebaSegmenter", "hmm_arrays", "jieba_folder"]

# finalseg's state order and its log probability for what its tables lack (jieba/finalseg/__init__.py).
HMM_STATES = "BMES"
MIN_FLOAT = -3.14e100

_LOADED: dict[Path, _core.JiebaSegmenter] = {}  # per process, by jieba's folder
_LOADING = threading.Lock()


class JiebaSegmenter:
    """A batch segmenter: ``segmenter(texts) -> one list of jieba tokens per text``. Picklable (it pickles as
    its configuration; each process loads jieba's data once, on first use)."""

    name = "jieba"

    def load(self) -> "JiebaSegmenter":
        """Loads jieba's dictionary and HMM now (otherwise on the first batch); returns self.
        MissingSegmenterError naming the extra to install when jieba is missing."""
        self.native_segmenter()
        return self

    def native_segmenter(self) -> _core.JiebaSegmenter:
        """The loaded native segmenter (one per process), which an ``Analyzer`` runs inside the core."""
        folder = jieba_folder()
        with _LOADING:
            if folder not in _LOADED:
                _LOADED[folder] = _load(folder)
            return _LOADED[folder]

    def __call__(self, texts: Sequence[str]) -> list[list[str]]:
        return self.native_segmenter().segment(list(texts))

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        pass

    def __repr__(self) -> str:
        return "jieba(native C++ on jieba's dict.txt, default mode with HMM)"


def jieba_folder() -> Path:
    """The installed ``jieba`` package's folder, found without importing it (its import loads the HMM tables as
    Python modules and configures its logger); MissingSegmenterError naming the extra when it is missing."""
    try:
        spec = importlib.util.find_spec("jieba")
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    folder = Path(locations[0]) if locations else None
    if folder is None or not (folder / "dict.txt").is_file():
        raise MissingSegmenterError(
            "this segmenter needs 'jieba' (its dictionary and HMM), which is not installed: "
            "pip install 'sparsebolt[zh]' (or pip install jieba)"
        )
    return folder


class _TablesOnly(pickle.Unpickler):
    """Unpickles plain data (dicts of str to float) and refuses anything that would import or call code."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"jieba's HMM tables hold only dicts and floats, not {module}.{name}")


def _table(folder: Path, name: str) -> dict[str, Any]:
    # prob_*.p hold the same dicts as finalseg's prob_*.py modules (the test suite checks it) and read ~10x faster.
    with (folder / "finalseg" / f"{name}.p").open("rb") as file:
        table = _TablesOnly(file).load()
    if not isinstance(table, dict):
        raise ValueError(f"{folder / 'finalseg' / name}.p holds {type(table).__name__}, not jieba's table")
    return table


def hmm_arrays(folder: Path) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """finalseg's start (4,), transition (4, 4) and emission (4, HAN_COUNT) log probabilities as arrays in
    ``HMM_STATES`` order, ``MIN_FLOAT`` where a table has no entry (as its ``.get(x, MIN_FLOAT)``)."""
    start, transition, emit = (_table(folder, name) for name in ("prob_start", "prob_trans", "prob_emit"))
    first, count = _core.JiebaSegmenter.HAN_FIRST, _core.JiebaSegmenter.HAN_COUNT
    start_p = np.array([start[state] for state in HMM_STATES], dtype=np.float64)
    transition_p = np.array(
        [[transition[a].get(b, MIN_FLOAT) for b in HMM_STATES] for a in HMM_STATES], dtype=np.float64
    )
    emission_p = np.full((len(HMM_STATES), count), MIN_FLOAT, dtype=np.float64)
    for row, state in enumerate(HMM_STATES):
        for character, probability in emit[state].items():
            offset = ord(character) - first
            if 0 <= offset < count:  # the HMM only ever sees jieba's Han range
                emission_p[row, offset] = probability
    return start_p, transition_p, emission_p


def _load(folder: Path) -> _core.JiebaSegmenter:
    start, transition, emission = hmm_arrays(folder)
    return _core.JiebaSegmenter(str(folder / "dict.txt"), start=start, transition=transition, emission=emission)
