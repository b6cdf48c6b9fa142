"""Encoders on Ray workers: how each is shipped and built once per worker, and the ``encode_documents`` stage.
Dense and learned sparse encoders (SPLADE, BGE-M3) travel as factories (a class or zero-arg callable), one given as
both as one factory; BM25 travels as its analyzer and statistics."""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional

from sparsebolt.ray._ray import actor_pool, require_ray
from sparsebolt.ray.documents import TEXT

logger = logging.getLogger(__name__)

__all__ = ["encode_documents", "dense_factory", "encoder_factory", "SparseRecipe", "WorkerEncoders",
           "arrow_columns", "DENSE", "SPARSE_INDICES", "SPARSE_VALUES"]

DENSE, SPARSE_INDICES, SPARSE_VALUES = "dense", "sparse_indices", "sparse_values"
_SPARSE = "sparse"
_INT32_INDEX_LIMIT = 2**31  # indices below this fit Arrow int32, as every BM25 vocabulary does

_FACTORY_ADVICE = {
    DENSE: "encoders are built once on each Ray worker: pass a class or a zero-argument factory, e.g. "
           "dense=DefaultEmbeddingFunction or dense=functools.partial(OnnxEmbeddingFunction, 'all-MiniLM-L6-v2', "
           "precision='int8')",
    _SPARSE: "sparse takes a sparsebolt BM25EmbeddingFunction (shipped with its statistics) or, since encoders are "
             "built once on each Ray worker, a learned sparse encoder's class or zero-argument factory, e.g. "
             "sparse=functools.partial(SpladeEmbeddingFunction, model_path=...)",
}


def dense_factory(dense: Any) -> Optional[Callable[[], Any]]:
    """``dense`` as a zero-argument factory that Ray can ship: a class or callable as is, an encoder
    instance only when it pickles (an ONNX session does not: pass its class or a partial instead)."""
    return encoder_factory(dense, DENSE)


def encoder_factory(encoder: Any, what: str) -> Optional[Callable[[], Any]]:
    """:func:`dense_factory` for the encoder of field ``what`` (``"dense"``, or ``"sparse"`` for a learned sparse
    encoder such as ``functools.partial(SpladeEmbeddingFunction, model_path=...)``)."""
    if encoder is None:
        return None
    advice = _FACTORY_ADVICE.get(what, _FACTORY_ADVICE[DENSE])
    if isinstance(encoder, type) or (callable(encoder) and not hasattr(encoder, "encode_documents")):
        return encoder
    if not hasattr(encoder, "encode_documents"):
        raise TypeError(f"{what} must be an encoder factory; got {type(encoder).__name__}. {advice}")
    try:
        payload = pickle.dumps(encoder)
    except Exception as exc:  # noqa: BLE001 - any pickling failure means the same advice
        raise TypeError(f"this {type(encoder).__name__} instance cannot be shipped to workers ({exc}); "
                        f"{advice}") from exc
    return _Unpickle(payload)


def is_bm25(encoder: Any) -> bool:
    """sparsebolt's BM25 encoder (shipped as its analyzer and statistics, fitted on the driver)."""
    return encoder is not None and not isinstance(encoder, type) and hasattr(encoder, "new_statistics")


@dataclass(frozen=True)
class _Unpickle:
    payload: bytes

    def __call__(self) -> Any:
        return pickle.loads(self.payload)


@dataclass(frozen=True)
class SparseRecipe:
    """What a worker needs to rebuild a sparsebolt BM25 encoder: its analyzer, parameters and (when fitted)
    its statistics or saved parameters. Without either, the worker gets an unfitted encoder (which a
    ``TextCollection`` then loads from the statistics saved with the collection)."""

    analyzer: Any
    k1: float
    b: float
    epsilon: float
    statistics: Optional[bytes] = None
    params: Optional[bytes] = None
    num_threads: int = 1

    @classmethod
    def of(cls, encoder: Any, *, fitted: bool = True, num_threads: int = 1) -> "SparseRecipe":
        if not hasattr(encoder, "new_statistics"):
            raise TypeError(
                f"the Ray integration ships sparsebolt's BM25EmbeddingFunction to workers, got {type(encoder).__name__}"
            )
        statistics = params = None
        if fitted and encoder.dim > 0:
            if encoder.statistics is not None:
                statistics = encoder.statistics.to_bytes()
            else:  # loaded from a params file: no statistics, ship the file's contents
                from sparsebolt.milvus.stats import encoder_state  # noqa: PLC0415

                params = encoder_state(encoder)
        return cls(encoder.analyzer, encoder.k1, encoder.b, encoder.epsilon, statistics, params, num_threads)

    def build(self) -> Any:
        from sparsebolt.sparse import BM25EmbeddingFunction, BM25Statistics  # noqa: PLC0415

        encoder = BM25EmbeddingFunction(self.analyzer, k1=self.k1, b=self.b, epsilon=self.epsilon,
                                        num_workers=self.num_threads)
        if self.statistics is not None:
            encoder.fit_statistics(BM25Statistics.from_bytes(self.statistics, self.analyzer))
        elif self.params is not None:
            from sparsebolt.milvus.stats import restore_encoder  # noqa: PLC0415

            restore_encoder(encoder, self.params)
        return encoder


@dataclass(frozen=True)
class WorkerEncoders:
    """What each Ray worker builds its encoders from, once: a ``dense`` factory, and for the sparse field a BM25
    recipe (``bm25``), a factory of a learned sparse encoder (``sparse``), or the dense encoder itself
    (``shared``: BGE-M3 filling both fields, one model and one pass per batch)."""

    dense: Optional[Callable[[], Any]] = None
    bm25: Optional[SparseRecipe] = None
    sparse: Optional[Callable[[], Any]] = None
    shared: bool = False

    @classmethod
    def of(cls, dense: Any, sparse: Any, *, fitted: bool = True, num_threads: int = 1) -> "WorkerEncoders":
        """``dense`` (see :func:`dense_factory`) and ``sparse``: a sparsebolt BM25 encoder (shipped with its
        statistics when ``fitted``), a learned sparse encoder's factory, or ``dense`` itself. TypeError, with
        advice, for what cannot be shipped."""
        make_dense = dense_factory(dense)
        if sparse is None:
            return cls(make_dense)
        if sparse is dense:
            return cls(make_dense, shared=True)
        if is_bm25(sparse):
            return cls(make_dense, bm25=SparseRecipe.of(sparse, fitted=fitted, num_threads=num_threads))
        return cls(make_dense, sparse=encoder_factory(sparse, _SPARSE))

    def build(self) -> tuple[Any, Any]:
        """(dense encoder, sparse encoder), either None when not shipped; the same object when ``shared``."""
        dense = self.dense() if self.dense is not None else None
        if self.shared:
            return dense, dense
        if self.sparse is not None:
            return dense, self.sparse()
        return dense, None if self.bm25 is None else self.bm25.build()


def encode_documents(
    documents: Any,
    *,
    dense: Any = None,
    sparse: Any = None,
    text_column: str = TEXT,
    batch_size: int = 256,
    workers: Optional[int] = None,
    num_cpus: float = 1,
    num_gpus: float = 0,
) -> Any:
    """The dataset with vector columns added: ``dense`` (fixed-size list of float32) and/or
    ``sparse_indices``/``sparse_values`` (a CSR row per document: term ids and weights).

    ``dense`` is an encoder factory (see :func:`dense_factory`); ``sparse`` a fitted sparsebolt
    ``BM25EmbeddingFunction`` (e.g. from :func:`~sparsebolt.ray.fit_bm25`), a factory of a learned sparse encoder
    (``functools.partial(SpladeEmbeddingFunction, model_path=...)``), or the same factory as ``dense`` for a model
    with both outputs (BGE-M3: one model per worker, one pass per batch). Each of ``workers`` actors
    (None: Ray autoscales) builds its encoders once and encodes ``batch_size`` rows per call with
    ``num_cpus`` threads; set ``num_gpus`` for a CUDA encoder.
    """
    require_ray()
    if dense is None and sparse is None:
        raise ValueError("pass dense= and/or sparse=: there is nothing to encode")
    if is_bm25(sparse) and getattr(sparse, "dim", 0) <= 0:
        raise ValueError("the sparse encoder is not fitted: fit it first (sparsebolt.ray.fit_bm25)")
    shipped = WorkerEncoders.of(dense, sparse, num_threads=_threads(num_cpus))
    return documents.map_batches(
        _EncodeBatches,
        fn_constructor_kwargs={"encoders": shipped, "text_column": text_column, "threads": _threads(num_cpus)},
        batch_size=batch_size,
        batch_format="pyarrow",
        compute=actor_pool(workers),
        num_cpus=num_cpus,
        num_gpus=num_gpus,
    )


class _EncodeBatches:
    """One per Ray actor: builds the encoders once, then adds vector columns to every batch."""

    def __init__(self, encoders: WorkerEncoders, text_column: str, threads: int) -> None:
        from sparsebolt.milvus.fields import VectorField, output_dim, output_named, with_encoder_dim  # noqa: PLC0415

        self.encoders: dict[str, Any] = {}
        self.fields = []
        dense, sparse = encoders.build()
        if dense is not None:
            self.encoders[DENSE] = dense
            self.fields.append(with_encoder_dim(VectorField(DENSE, "dense", output=output_named(dense, DENSE)),
                                                dense))
        if sparse is not None:
            self.encoders[_SPARSE] = sparse
            self.fields.append(VectorField(_SPARSE, "sparse", output=output_named(sparse, _SPARSE)))
        self.dims = {f.name: output_dim(self.encoders[f.name], f.output) for f in self.fields}
        self.text_column = text_column
        logger.debug("encoder worker ready (dense=%s, sparse=%s, %d threads)",
                     type(dense).__name__, type(sparse).__name__, threads)

    def __call__(self, batch: Any) -> Any:
        from sparsebolt.milvus.columns import encode_columns  # noqa: PLC0415

        columns = encode_columns(self.fields, self.encoders, batch.column(self.text_column).to_pylist())
        for name, array in arrow_columns(columns, self.dims).items():
            batch = batch.append_column(name, array)
        return batch


def arrow_columns(columns: Mapping[str, Any], dims: Optional[Mapping[str, int]] = None) -> dict[str, Any]:
    """Checked Milvus columns (:func:`sparsebolt.milvus.columns.encode_columns`) as Arrow arrays: a dense field
    becomes a fixed-size list of float32 named after it; a sparse field ``f`` becomes ``f_indices`` and
    ``f_values``, list columns holding each row's term ids and weights (an empty row stays empty). Term ids are
    int32 when the field's encoder has a dim (``dims[f]``) of at most 2**31, else uint32 (Milvus's own type),
    so one job's batches always share a schema."""
    import pyarrow as pa  # noqa: PLC0415

    from sparsebolt.milvus.vectors import SparseColumn  # noqa: PLC0415

    out: dict[str, Any] = {}
    for name, column in columns.items():
        if not isinstance(column, SparseColumn):
            flat = pa.array(column.reshape(-1), type=pa.float32())
            out[name] = pa.FixedSizeListArray.from_arrays(flat, column.shape[1])
            continue
        dim = (dims or {}).get(name, 0)
        index_type = pa.int32() if 0 < dim <= _INT32_INDEX_LIMIT else pa.uint32()
        offsets = pa.array(column.indptr.astype("int32", copy=False), type=pa.int32())
        indices = pa.array(column.indices.astype(index_type.to_pandas_dtype(), copy=False), type=index_type)
        values = pa.array(column.data, type=pa.float32())
        out[f"{name}_indices"] = pa.ListArray.from_arrays(offsets, indices)
        out[f"{name}_values"] = pa.ListArray.from_arrays(offsets, values)
    return out


def _threads(num_cpus: float) -> int:
    return max(1, int(num_cpus))
