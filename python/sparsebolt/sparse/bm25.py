"""``BM25EmbeddingFunction``: pymilvus-model's BM25 API and numbers, on the native engine.

Fitting streams the corpus through the C++ core in batches (memory bounded by the vocabulary);
encoding sends a whole list across the boundary and gets CSR buffers back, built into one
``scipy.sparse.csr_array``. The heavy loops run on ``num_workers`` threads without the GIL.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Iterable, Optional, Sequence, Sized, Union

import numpy as np
from scipy.sparse import csr_array

from sparsebolt import _core
from sparsebolt._inputs import positive_int, texts_arg, texts_stream
from sparsebolt.sparse.analyzer import Analyzer, build_default_analyzer
from sparsebolt.sparse.default_params import default_params_path
from sparsebolt.sparse.params_file import (
    Bm25Params,
    PathLike,
    analyzer_record,
    check_analyzer,
    check_parameters,
    read_params,
    write_params,
)
from sparsebolt.sparse.statistics import BM25Statistics, analyzer_signature, segments_in_core, token_lists_for_core

__all__ = ["BM25EmbeddingFunction"]

logger = logging.getLogger(__name__)

TextAnalyzer = Union[Analyzer, Callable[[str], Sequence[str]]]

DEFAULT_FIT_BATCH_SIZE = 50_000


class BM25EmbeddingFunction:
    """BM25 sparse vectors, a drop-in for ``pymilvus.model.sparse.BM25EmbeddingFunction``.

    Document vectors hold ``tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))`` per term (no idf);
    query vectors hold each term's idf, ``log(N - df + 0.5) - log(df + 0.5)``, summed over repeats, with
    negative idf replaced by ``epsilon * mean idf``. Their dot product is the BM25 score. Term ids are
    positions in the vocabulary, in order of first occurrence in the fitted corpus.

    Args:
        analyzer: the default English analyzer when None; any ``sparsebolt`` ``Analyzer`` runs natively (with one
            Python call per batch when its segmenter is a Python callable), and any Python callable
            ``str -> list[str]`` (a ``pymilvus.model`` Analyzer, say) works too, giving exactly
            pymilvus-model's vectors for its tokens.
        corpus: fitted right away when given.
        k1, b, epsilon: the BM25 parameters.
        num_workers: threads for fitting and encoding batches; None uses every core.
    """

    def __init__(
        self,
        analyzer: Optional[TextAnalyzer] = None,
        corpus: Optional[Iterable[str]] = None,
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
        num_workers: Optional[int] = None,
    ) -> None:
        if analyzer is None:
            analyzer = build_default_analyzer(language="en")
        if not callable(analyzer):
            raise TypeError(f"analyzer must be callable (str -> list[str]), got {type(analyzer).__name__}")
        if num_workers is not None:
            num_workers = positive_int(num_workers, name="num_workers", hint=" or None (every core)")
        self.analyzer = analyzer
        self.k1, self.b, self.epsilon = check_parameters(k1, b, epsilon)
        self.num_workers = num_workers
        self._model: Optional[_core.Bm25Model] = None
        self._statistics: Optional[BM25Statistics] = None
        self._fit_lock = threading.Lock()
        if corpus is not None:
            self.fit(corpus)

    # -- fitting -------------------------------------------------------------------------------

    def fit(
        self,
        corpus: Iterable[str],
        *,
        batch_size: int = DEFAULT_FIT_BATCH_SIZE,
        show_progress: bool = False,
    ) -> "BM25EmbeddingFunction":
        """Learns the vocabulary and idf from ``corpus``, any iterable of str (a generator over a file
        larger than memory works: memory stays bounded by the vocabulary). On error nothing changes."""
        corpus = texts_stream(corpus, name="corpus")  # items are checked as they are counted
        batch_size = positive_int(batch_size, name="batch_size")
        statistics = self.new_statistics()
        statistics.update(_with_progress(corpus, show_progress, batch_size), batch_size=batch_size,
                          num_workers=self.num_workers)
        return self.fit_statistics(statistics)

    def fit_encode_documents(self, documents: Sequence[str]) -> csr_array:
        """``fit(documents)`` then ``encode_documents(documents)`` in one pass: each document is analyzed once
        (the first pass keeps its terms), which roughly halves the time of the two calls. Same model, same
        vectors. On error nothing changes."""
        documents = texts_arg(documents, name="documents", check_items=False)  # the core checks items
        statistics = self.new_statistics()
        options: dict[str, Any] = {"k1": self.k1, "b": self.b, "epsilon": self.epsilon, "num_threads": self._threads()}
        if segments_in_core(self.analyzer):
            model, csr = _core.Bm25Model.fit_encode_texts(
                statistics._native, self.analyzer._native, documents, **options
            )
        else:
            token_lists, native = token_lists_for_core(self.analyzer, documents, "documents", 0)
            model, csr = _core.Bm25Model.fit_encode_token_lists(
                statistics._native, token_lists, analyzer=native, **options
            )
        with self._fit_lock:
            self._model, self._statistics = model, statistics
        return _csr_matrix(csr, len(documents), model.dim)

    def partial_fit(self, documents: Iterable[str], *,
                    batch_size: int = DEFAULT_FIT_BATCH_SIZE) -> "BM25EmbeddingFunction":
        """Adds documents to the statistics of everything fitted so far and refits: afterwards the vectors
        are those of one ``fit`` over all the documents seen. Use it when the corpus grows."""
        if self._statistics is None and self._model is not None:
            raise ValueError(
                "partial_fit needs the corpus statistics, which a params file does not hold: "
                "fit on the corpus (or fit_statistics) instead of load()"
            )
        statistics = self._statistics or self.new_statistics()
        staged = self.new_statistics(shard=statistics.shard).merge(statistics)
        staged.update(documents, batch_size=batch_size, num_workers=self.num_workers)
        return self.fit_statistics(staged)

    def new_statistics(self, *, shard: int = 0) -> BM25Statistics:
        """Empty statistics for this function's analyzer: count a shard with ``update``, then ``merge``."""
        return BM25Statistics(self.analyzer, shard=shard)

    def fit_statistics(self, statistics: BM25Statistics) -> "BM25EmbeddingFunction":
        """Fits from (merged) statistics: the same model as ``fit`` over all the documents they counted."""
        if not isinstance(statistics, BM25Statistics):
            raise TypeError(f"expected BM25Statistics, got {type(statistics).__name__}")
        if statistics.signature != analyzer_signature(self.analyzer):
            raise ValueError(f"statistics were counted with analyzer {statistics.signature!r}, not this function's")
        if statistics.document_count == 0:
            raise ValueError("cannot fit BM25 on an empty corpus")
        model = _core.Bm25Model.from_statistics(statistics._native, k1=self.k1, b=self.b, epsilon=self.epsilon)
        with self._fit_lock:
            self._model, self._statistics = model, statistics
        return self

    @property
    def statistics(self) -> Optional[BM25Statistics]:
        """The statistics of the fitted corpus (None after ``load``, whose file holds only idf)."""
        return self._statistics

    # -- encoding ------------------------------------------------------------------------------

    def encode_documents(self, documents: Sequence[str]) -> csr_array:
        """BM25 document vectors, a ``csr_array`` of shape ``(len(documents), dim)``, float32."""
        return self._encode(documents, query=False, what="documents")

    def encode_queries(self, queries: Sequence[str]) -> csr_array:
        """BM25 query vectors (idf weights), a ``csr_array`` of shape ``(len(queries), dim)``, float32."""
        return self._encode(queries, query=True, what="queries")

    def encode_query_as_dict(self, query: str) -> dict[int, float]:
        """One query as ``{term_id: weight}``, which pymilvus accepts as a sparse vector: the lowest-latency path."""
        model = self._fitted_model()
        if segments_in_core(self.analyzer):
            return model.encode_query_as_dict(self.analyzer._native, query)
        matrix = self._encode([query], query=True, what="queries")
        return dict(zip(matrix.indices.tolist(), matrix.data.tolist()))

    def __call__(self, texts: Sequence[str]) -> csr_array:
        raise ValueError(
            "BM25EmbeddingFunction has separate document and query vectors: "
            "call encode_documents(...) or encode_queries(...)"
        )

    def _encode(self, texts: Sequence[str], *, query: bool, what: str) -> csr_array:
        model = self._fitted_model()
        texts = texts_arg(texts, name=what, check_items=False)  # the core checks items
        threads = self._threads()
        if segments_in_core(self.analyzer):
            data, indices, indptr = model.encode_texts(self.analyzer._native, texts, query=query, num_threads=threads)
        else:
            token_lists, native = token_lists_for_core(self.analyzer, texts, what, 0)
            data, indices, indptr = model.encode_token_lists(
                token_lists, analyzer=native, query=query, num_threads=threads
            )
        return _csr_matrix((data, indices, indptr), len(texts), model.dim)

    # -- state ---------------------------------------------------------------------------------

    @property
    def dim(self) -> int:
        """The vocabulary size (0 before ``fit``/``load``, as in pymilvus-model)."""
        return 0 if self._model is None else self._model.dim

    @property
    def corpus_size(self) -> int:
        return 0 if self._model is None else self._model.document_count

    @property
    def avgdl(self) -> float:
        return 0 if self._model is None else self._model.average_length

    @property
    def idf(self) -> dict[str, list]:
        """pymilvus-model's ``{term: [idf, term_id]}`` view, built on demand (costly for large vocabularies)."""
        if self._model is None:
            return {}
        return {term: [value, index]
                for index, (term, value) in enumerate(zip(self._model.terms(), self._model.idf().tolist()))}

    def save(self, path: PathLike) -> None:
        """Writes the fitted parameters as pymilvus-model's v1 JSON (atomically)."""
        model = self._fitted_model()
        write_params(
            path,
            Bm25Params(
                corpus_size=model.document_count,
                avgdl=model.average_length,
                terms=model.terms(),
                idf=model.idf(),
                k1=model.k1,
                b=model.b,
                epsilon=model.epsilon,
                analyzer=analyzer_record(self.analyzer),
            ),
        )

    def load(self, path: Optional[PathLike] = None) -> "BM25EmbeddingFunction":
        """Reads parameters saved by sparsebolt or pymilvus-model. With no path, the MS MARCO parameters
        pymilvus-model publishes are used (downloaded once into the user cache; needs the network once)."""
        source = default_params_path() if path is None else path
        params = read_params(source)
        check_analyzer(params.analyzer, self.analyzer, str(source))
        try:
            model = _core.Bm25Model.from_saved(
                params.terms,
                params.idf,
                document_count=params.corpus_size,
                average_length=params.avgdl,
                k1=params.k1,
                b=params.b,
                epsilon=params.epsilon,
            )
        except ValueError as error:  # the native checks (duplicate terms), told against the file they came from
            raise ValueError(f"BM25 params file {str(source)!r}: {error}") from None
        with self._fit_lock:
            self._model, self._statistics = model, None
            self.k1, self.b, self.epsilon = params.k1, params.b, params.epsilon
        return self

    def __repr__(self) -> str:
        state = f"dim={self.dim}, corpus_size={self.corpus_size}" if self._model is not None else "not fitted"
        return (f"BM25EmbeddingFunction({state}, k1={self.k1}, b={self.b}, epsilon={self.epsilon}, "
                f"analyzer={self.analyzer!r})")

    def __getstate__(self) -> dict[str, Any]:
        # The native model is rebuilt from its parts, so the function pickles (multiprocessing, Ray).
        state = {key: value for key, value in self.__dict__.items()
                 if key not in ("_model", "_fit_lock", "_statistics")}
        model = self._model
        if model is not None:
            state["_model_parts"] = (model.terms(), model.idf(), model.document_count, model.average_length)
        if self._statistics is not None:
            state["_statistics_bytes"] = self._statistics.to_bytes()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        parts = state.pop("_model_parts", None)
        statistics_bytes = state.pop("_statistics_bytes", None)
        self.__dict__.update(state)
        self._fit_lock = threading.Lock()
        self._model = None
        if parts is not None:
            terms, idf, document_count, average_length = parts
            self._model = _core.Bm25Model.from_saved(
                terms, idf, document_count=document_count, average_length=average_length,
                k1=self.k1, b=self.b, epsilon=self.epsilon,
            )
        self._statistics = (None if statistics_bytes is None
                            else BM25Statistics.from_bytes(statistics_bytes, self.analyzer))

    # -- helpers -------------------------------------------------------------------------------

    def _fitted_model(self) -> _core.Bm25Model:
        model = self._model
        if model is None:
            raise ValueError("BM25EmbeddingFunction is not fitted: call fit(corpus) or load(path) first")
        return model

    def _threads(self) -> int:
        return 0 if self.num_workers is None else int(self.num_workers)


def _csr_matrix(buffers: tuple[np.ndarray, np.ndarray, np.ndarray], rows: int, dim: int) -> csr_array:
    matrix = csr_array(buffers, shape=(rows, dim))
    matrix.has_sorted_indices = True  # the core sorts and merges each row's term ids
    return matrix


def _with_progress(corpus: Iterable[Any], show_progress: bool, batch_size: int) -> Iterable[Any]:
    if not show_progress:
        return corpus
    try:
        from tqdm.auto import tqdm
    except ImportError:
        logger.warning("show_progress=True needs tqdm (pip install tqdm)")
        return corpus
    total = len(corpus) if isinstance(corpus, Sized) else None
    return tqdm(corpus, total=total, unit="doc", desc="BM25 fit", disable=None, miniters=batch_size)
