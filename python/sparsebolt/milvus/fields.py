"""Vector fields: one named Milvus vector field per entry, its kind, dim, metric and index, and which encoder output
fills it. ``output_dim`` reads an encoder's dimension whether it has one output (``dim`` an int) or several (a dict)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Optional

__all__ = ["VectorField", "VECTOR_KINDS", "DENSE", "SPARSE", "MILVUS_BM25", "output_dim", "output_named",
           "check_field_name", "with_encoder_dim"]

DENSE, SPARSE, MILVUS_BM25 = "dense", "sparse", "milvus-bm25"
VECTOR_KINDS = (DENSE, SPARSE, MILVUS_BM25)
DENSE_METRICS = ("IP", "COSINE", "L2")
_METRICS = {DENSE: DENSE_METRICS, SPARSE: ("IP",), MILVUS_BM25: ("BM25",)}
_DEFAULT_INDEX = {DENSE: "AUTOINDEX", SPARSE: "SPARSE_INVERTED_INDEX", MILVUS_BM25: "SPARSE_INVERTED_INDEX"}
# Milvus's limit on field names (common.maxFieldNameLength... is 255 by default on every version we test).
_MAX_NAME = 255
# Milvus's FLOAT_VECTOR limit (proxy.maxDimension).
_MAX_DIM = 32768


def check_field_name(name: Any, what: str = "field name") -> str:
    """``name`` if Milvus accepts it as a field name (letters, digits, '_', starting with a letter or '_')."""
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a str, got {type(name).__name__}")
    if (not name or len(name) > _MAX_NAME or not (name[0].isascii() and (name[0].isalpha() or name[0] == "_"))
            or not all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in name)):
        raise ValueError(f"{what} {name!r} is not valid in Milvus: use ASCII letters, digits and '_', starting "
                         f"with a letter or '_', at most {_MAX_NAME} characters")
    return name


@dataclass(frozen=True)
class VectorField:
    """One vector field of a collection.

    ``kind``: ``"dense"`` (FLOAT_VECTOR of ``dim`` floats), ``"sparse"`` (SPARSE_FLOAT_VECTOR filled by a
    client-side encoder) or ``"milvus-bm25"`` (SPARSE_FLOAT_VECTOR filled by Milvus's BM25 function from the text).
    ``output``: which output of the field's encoder fills it: None for an encoder with one output, a key such as
    ``"dense"`` or ``"sparse"`` for one that returns several (a dict, as BGE-M3 does). ``dim`` is for dense fields
    only; None takes it from the encoder when the collection is created. ``metric`` defaults to IP (BM25 for
    ``"milvus-bm25"``), ``index_type`` to AUTOINDEX (dense) or SPARSE_INVERTED_INDEX.
    """

    name: str
    kind: str
    dim: Optional[int] = None
    metric: Optional[str] = None
    index_type: Optional[str] = None
    index_params: Mapping[str, Any] = field(default_factory=dict)
    output: Optional[str] = None

    def __post_init__(self) -> None:
        check_field_name(self.name, "vector field name")
        if self.kind not in VECTOR_KINDS:
            raise ValueError(f"vector field {self.name!r}: kind must be one of {list(VECTOR_KINDS)}, got {self.kind!r}")
        if self.dim is not None:
            if self.kind != DENSE:
                raise ValueError(f"vector field {self.name!r} is {self.kind}: only dense fields have a dim "
                                 f"(sparse vectors take any index below 2**32-1); leave dim=None")
            if isinstance(self.dim, bool) or not isinstance(self.dim, int):
                raise TypeError(f"vector field {self.name!r}: dim must be an int, got {type(self.dim).__name__}")
            if not 1 <= self.dim <= _MAX_DIM:
                raise ValueError(f"vector field {self.name!r}: dense dim must be positive and at most {_MAX_DIM}, "
                                 f"got {self.dim}")
        metric = (self.metric or _METRICS[self.kind][0]).upper()
        if metric not in _METRICS[self.kind]:
            raise ValueError(f"vector field {self.name!r}: a {self.kind} field's metric must be one of "
                             f"{list(_METRICS[self.kind])}, got {self.metric!r}")
        object.__setattr__(self, "metric", metric)
        object.__setattr__(self, "index_type", self.index_type or _DEFAULT_INDEX[self.kind])
        object.__setattr__(self, "index_params", dict(self.index_params))
        if self.output is not None:
            if self.kind == MILVUS_BM25:
                raise ValueError(f"vector field {self.name!r} is filled by Milvus from the text: it has no encoder "
                                 f"output; leave output=None")
            if not isinstance(self.output, str) or not self.output:
                raise TypeError(f"vector field {self.name!r}: output must be a non-empty str (an encoder output key "
                                f"such as 'dense') or None, got {self.output!r}")

    @property
    def server_side(self) -> bool:
        """Filled by Milvus itself (no client-side encoder)."""
        return self.kind == MILVUS_BM25

    @property
    def is_sparse(self) -> bool:
        return self.kind != DENSE


def output_dim(encoder: Any, output: Optional[str] = None) -> int:
    """The dimension of ``encoder``'s output ``output``: ``encoder.dim`` when it is an int, ``encoder.dim[output]``
    when it is a dict (an encoder with several outputs). 0 when the encoder does not know it (yet): an unfitted BM25
    encoder, or one without ``dim``. ValueError when ``output`` does not fit the encoder's outputs."""
    try:
        dim = encoder.dim
    except Exception:  # noqa: BLE001 - an unfitted encoder may raise instead of answering 0
        return 0
    if isinstance(dim, Mapping):
        if output is None:
            raise ValueError(f"the {type(encoder).__name__} encoder has several outputs ({sorted(dim)}): name the one "
                             f"that fills the field, e.g. VectorField(..., output={sorted(dim)[0]!r})")
        if output not in dim:
            raise ValueError(f"the {type(encoder).__name__} encoder has no output {output!r}; its outputs are "
                             f"{sorted(dim)}")
        dim = dim[output]
    elif output is not None and dim is not None:
        raise ValueError(f"the {type(encoder).__name__} encoder has a single output (dim {dim!r}), not {output!r}: "
                         f"leave output=None")
    if dim is None or isinstance(dim, bool):
        return 0
    try:
        return int(dim)
    except (TypeError, ValueError):
        return 0


def output_named(encoder: Any, name: str) -> Optional[str]:
    """The output of ``encoder`` that fills a field given it as ``dense=`` or ``sparse=`` (``name``): None for an
    encoder with one output, ``name`` for one with several (``dim`` a dict, as BGE-M3's) among which is ``name``.
    So the same BGE-M3 object given as both fills the dense field with its dense output and the sparse field with
    its sparse one. ValueError for a several-output encoder without an output ``name``."""
    try:
        dim = encoder.dim
    except Exception:  # noqa: BLE001 - an unfitted encoder may raise instead of answering 0
        return None
    if not isinstance(dim, Mapping):
        return None
    if name not in dim:
        raise ValueError(f"the {type(encoder).__name__} encoder has several outputs ({sorted(dim)}) and none named "
                         f"{name!r}: name the output of each field with fields=[VectorField(..., output=...)] and "
                         f"encoders={{field name: encoder}}")
    return name


def with_encoder_dim(vector_field: VectorField, encoder: Any) -> VectorField:
    """A dense field whose dim is None gets its encoder's; ValueError when the encoder does not know a dim."""
    if vector_field.kind != DENSE or vector_field.dim is not None:
        return vector_field
    dim = output_dim(encoder, vector_field.output)
    if dim <= 0:
        raise ValueError(f"the dense encoder reports dim {dim}; expected a positive int")
    return replace(vector_field, dim=dim)
