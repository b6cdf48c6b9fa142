"""Encoders by name: a registry of factories (``minilm``, ``onnx``, ``bm25``, ``milvus-bm25``, ``splade``, ``bge-m3``)
and the recipe of an encoder, its registry name and JSON-safe config, from which the same encoder is built again
anywhere.

A collection records the recipes of the encoders it was made with (see :mod:`sparsebolt.milvus.recipes`), so that
the command lines, a Ray job or an evaluation reopen it with the same model and analyzer. An encoder that no
registered kind describes gets a recipe naming its class, marked as not reconstructible.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

__all__ = ["Recipe", "EncoderKind", "register", "registered", "recipe_of", "build_encoder", "make_recipe",
           "MINILM", "ONNX", "BM25", "MILVUS_BM25", "SPLADE", "BGE_M3", "DEFAULT_MODELS"]

MINILM, ONNX, BM25, MILVUS_BM25, SPLADE, BGE_M3 = "minilm", "onnx", "bm25", "milvus-bm25", "splade", "bge-m3"
DEFAULT_MODELS = {SPLADE: "naver/splade-cocondenser-ensembledistil", BGE_M3: "BAAI/bge-m3"}
"""The model each learned kind loads when its recipe names none (the classes' own defaults, as in pymilvus.model)."""
_MINILM_NAMES = ("sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2")
_RUNTIME = ("threads", "device", "num_workers", "precision")
_LABELS = ("analyzer.language",)
"""Recorded, never compared: a BM25 analyzer's language names it, its other settings decide its terms."""
"""Options that change how fast an encoder runs, never its vectors: given when building, never recorded."""


@dataclass(frozen=True, eq=False)
class Recipe:
    """How to build an encoder again: ``name`` in the registry and its ``config`` (JSON-safe), or, for an
    encoder no registered kind describes, ``name`` None and only ``class_path`` (not reconstructible).

    Two recipes are equal when they build the same encoder: a BM25 analyzer recorded before languages were
    equals the English one written out, and the analyzer's language is a label ("custom" and "en" analyzers
    with the same settings are the same)."""

    name: Optional[str]
    config: Mapping[str, Any] = field(default_factory=dict)
    class_path: str = ""

    @property
    def reconstructible(self) -> bool:
        return self.name is not None and self.name in _REGISTRY

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "config": dict(self.config), "class": self.class_path}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Recipe":
        if not isinstance(data, Mapping) or not isinstance(data.get("config", {}), Mapping):
            raise ValueError(f"not an encoder recipe: {data!r}")
        return cls(data.get("name"), _normal_config(data.get("name"), dict(data.get("config") or {})),
                   str(data.get("class") or ""))

    def differences(self, other: "Recipe") -> list[str]:
        """What differs between this recipe and ``other``, one ``what: this vs other`` per difference."""
        if self.name != other.name:
            return [f"encoder: {self.describe()} vs {other.describe()}"]
        if self.name is None and self.class_path != other.class_path:
            return [f"encoder class: {self.class_path} vs {other.class_path}"]
        return _diff(_normal_config(self.name, self.config), _normal_config(other.name, other.config), "")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Recipe):
            return NotImplemented
        return self.class_path == other.class_path and not self.differences(other)

    __hash__ = None  # type: ignore[assignment]  # a config is a dict

    def describe(self) -> str:
        """One line for messages: ``bm25(k1=1.5, ...)``, or the class of an unregistered encoder."""
        analyzer = self.config.get("analyzer")
        segmenter = analyzer.get("segmenter") if isinstance(analyzer, Mapping) else None
        if self.name is None and isinstance(segmenter, str) and segmenter.startswith("python:"):
            return (f"{self.class_path or 'an encoder'} whose analyzer segments with the Python callable "
                    f"{segmenter[len('python:'):]} (only library segmenters are built again from a recipe)")
        if self.name is None:
            return f"{self.class_path or 'an encoder'} (not in sparsebolt.encoders' registry)"
        return f"{self.name}({', '.join(f'{k}={_short(v)}' for k, v in self.config.items())})"


@dataclass(frozen=True)
class EncoderKind:
    """A registry entry: ``build(config, runtime)`` makes an encoder; ``describe(encoder)`` is its config when
    this kind builds encoders like it, else None."""

    name: str
    build: Callable[[Mapping[str, Any], Mapping[str, Any]], Any]
    describe: Callable[[Any], Optional[dict[str, Any]]]


_REGISTRY: dict[str, EncoderKind] = {}


def register(name: str, build: Callable[[Mapping[str, Any], Mapping[str, Any]], Any],
             describe: Callable[[Any], Optional[dict[str, Any]]]) -> None:
    """Adds (or replaces) encoder kind ``name``. Kinds are asked to describe an encoder in registration order,
    so register a specific kind before a general one. ``describe`` must return JSON-safe values only."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"an encoder kind needs a non-empty name, got {name!r}")
    if not callable(build) or not callable(describe):
        raise TypeError("build and describe must be callables")
    _REGISTRY[name] = EncoderKind(name, build, describe)


def registered() -> tuple[str, ...]:
    """The registered encoder kinds, in the order they describe encoders."""
    return tuple(_REGISTRY)


def recipe_of(encoder: Any) -> Recipe:
    """The recipe of ``encoder``: the first registered kind that describes it, else its class (not
    reconstructible; the config then holds what can be compared: its dim, its analyzer's class)."""
    path = _class_path(encoder)
    for kind in _REGISTRY.values():
        config = kind.describe(encoder)
        if config is not None:
            return Recipe(kind.name, config, path)
    return Recipe(None, _unregistered_config(encoder), path)


def build_encoder(recipe: Recipe, **runtime: Any) -> Any:
    """A new encoder from ``recipe``; ``runtime`` options (``threads``, ``device``, ``num_workers``) only
    change speed. ValueError when the recipe's kind is not registered."""
    unknown = sorted(set(runtime) - set(_RUNTIME))
    if unknown:
        raise TypeError(f"unknown runtime options {unknown}; the options are {list(_RUNTIME)}")
    if not recipe.reconstructible:
        raise ValueError(f"cannot build {recipe.describe()}: only registered encoder kinds "
                         f"({list(_REGISTRY)}) can be built again; pass the encoder itself")
    return _REGISTRY[str(recipe.name)].build(recipe.config, runtime)


def make_recipe(name: str, **options: Any) -> Recipe:
    """The recipe of kind ``name`` with ``options`` over its defaults, as ``recipe_of`` would give it; a BM25
    ``analyzer`` takes its language's defaults (see :func:`analyzer_settings`). Nothing is built or loaded."""
    defaults = _DEFAULTS.get(name)
    if defaults is None:
        raise ValueError(f"unknown encoder kind {name!r}; the kinds are {list(_REGISTRY)}")
    if name == BM25:  # the analyzer's defaults are its language's, not English's
        options = dict(options)
        analyzer = analyzer_settings(options.pop("analyzer", None) or {})
        return Recipe(name, {**_merge(defaults(), options), "analyzer": analyzer}, _CLASS_PATHS[name])
    return Recipe(name, _merge(defaults(), options), _CLASS_PATHS.get(name, ""))


# ---- dense: sparsebolt's ONNX encoders ----------------------------------------------------------------------


def _onnx_class() -> Any:
    module = sys.modules.get("sparsebolt.dense")  # loaded whenever one of its encoders exists
    return getattr(module, "OnnxEmbeddingFunction", None)


def _describe_onnx(encoder: Any) -> Optional[dict[str, Any]]:
    cls = _onnx_class()
    if cls is None or not isinstance(encoder, cls):
        return None
    config: dict[str, Any] = {
        "model_name": str(encoder.model_name),
        "precision": str(encoder.precision),
        "normalize_embeddings": bool(encoder.normalize_embeddings),
        "query_instruction": str(encoder.query_instruction),
        "doc_instruction": str(encoder.doc_instruction),
    }
    max_length = getattr(getattr(encoder, "tokenizer", None), "max_length", None)
    if isinstance(max_length, int):
        config["max_seq_length"] = max_length
    return config


def _describe_minilm(encoder: Any) -> Optional[dict[str, Any]]:
    config = _describe_onnx(encoder)
    if config is None or config["model_name"] not in _MINILM_NAMES:
        return None
    del config["model_name"]
    return config


def _build_onnx(config: Mapping[str, Any], runtime: Mapping[str, Any]) -> Any:
    from sparsebolt.dense import OnnxEmbeddingFunction  # noqa: PLC0415 - loads onnxruntime

    options = {**config, **_engine_runtime(runtime)}  # a precision to run at overrides the recorded one
    model_name = options.pop("model_name", _MINILM_NAMES[0])
    return OnnxEmbeddingFunction(model_name, **options)


def _onnx_defaults() -> dict[str, Any]:
    return {"model_name": _MINILM_NAMES[0], "precision": "fp32", "normalize_embeddings": True,
            "query_instruction": "", "doc_instruction": ""}


def _minilm_defaults() -> dict[str, Any]:
    config = _onnx_defaults()
    del config["model_name"]
    return config


# ---- sparse: sparsebolt's BM25 with its native analyzer -----------------------------------------------------
# The analyzer is recorded as the BM25 params file records it (params_file.analyzer_record), with what that record
# names only for comparison written out so that it can be built again: the language as the table's code, a
# library segmenter by the table's name ("mecab_ko"), a custom stopword list as its words.


def _describe_bm25(encoder: Any) -> Optional[dict[str, Any]]:
    module = sys.modules.get("sparsebolt.sparse")
    cls, analyzer_cls = getattr(module, "BM25EmbeddingFunction", None), getattr(module, "Analyzer", None)
    if cls is None or analyzer_cls is None or not isinstance(encoder, cls) or not isinstance(encoder.analyzer,
                                                                                             analyzer_cls):
        return None  # a Python analyzer cannot be written down: the encoder is then described by its classes
    analyzer = analyzer_config(encoder.analyzer)
    if analyzer is None:
        return None  # a Python segmenter of the user's own: described by its classes too
    return {"k1": float(encoder.k1), "b": float(encoder.b), "epsilon": float(encoder.epsilon), "analyzer": analyzer}


def analyzer_config(analyzer: Any) -> Optional[dict[str, Any]]:
    """A native analyzer's settings, as :func:`analyzer_settings` writes them: ``language`` (the table's code, or
    the analyzer's own label), ``lowercase``, ``stemmer``, ``stopwords`` (a shipped list's name, ``"none"``, or the
    sorted words) and ``segmenter`` (a native or library segmenter's name). None when the analyzer segments with a
    Python callable that is not a library segmenter: a recipe cannot build that again."""
    from sparsebolt.sparse.params_file import analyzer_record  # noqa: PLC0415

    record = analyzer_record(analyzer)
    if record is None:
        return None
    if not isinstance(analyzer.segmenter, str):
        name = _library_segmenter_name(analyzer.segmenter)
        if name is None:
            return None
        record["segmenter"] = name
    record["language"] = _language_code(record["language"])
    if record["stopwords"].startswith("custom:"):  # a digest: enough to compare, not to build the list again
        record["stopwords"] = sorted(set(analyzer.stopwords))
    return record


def analyzer_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` (a recorded or given analyzer config) completed as :func:`analyzer_config` writes it: keys left
    out take the language's defaults, English when no language is given (as recipes recorded before languages
    were); the language as the table's code; no stopwords as ``"none"``. ValueError for an unknown language
    that does not give every setting, or an unknown stopword list."""
    from sparsebolt import _core  # noqa: PLC0415
    from sparsebolt.sparse.params_file import ANALYZER_KEYS  # noqa: PLC0415

    if not isinstance(config, Mapping):
        raise TypeError(f"an analyzer config must be a mapping, got {type(config).__name__}")
    unknown = sorted(set(config) - set(ANALYZER_KEYS), key=str)
    if unknown:
        raise ValueError(f"unknown analyzer settings {unknown}; the settings are {list(ANALYZER_KEYS)}")
    language = config.get("language", "en")
    if not isinstance(language, str):
        raise TypeError(f"analyzer language must be a str such as 'ko', got {type(language).__name__}")
    try:
        entry = _core.language(language)
    except ValueError:
        entry = None  # an analyzer's own label: then it must give every setting
    settings = dict(config) if entry is None else {**_language_defaults(entry), **config, "language": entry.code}
    if entry is None:
        missing = [key for key in ANALYZER_KEYS if key not in config]
        if missing:
            codes = [entry.code for entry in _core.languages()]
            raise ValueError(f"unknown analyzer language {language!r} and no {missing} to build it from; the "
                             f"languages are {codes}")
    words = settings["stopwords"]
    if isinstance(words, (list, tuple)):
        settings["stopwords"] = sorted(set(words)) if words else "none"
    elif not isinstance(words, str):
        raise TypeError(f"stopwords must be a list name such as 'german', 'none' or a list of words, got {words!r}")
    elif words != "none" and words not in _stopword_lists():
        raise ValueError(f"unknown stopword list {words!r}; the lists are {_stopword_lists()} (or 'none')")
    return settings


def _language_defaults(entry: Any) -> dict[str, Any]:
    from sparsebolt.sparse.segmenters import library_segmenter, library_segmenters  # noqa: PLC0415

    library = entry.segmenter in library_segmenters()
    return {"language": entry.code, "lowercase": library_segmenter(entry.segmenter).lowercase if library else True,
            "stemmer": entry.stemmer, "stopwords": entry.stopwords or "none", "segmenter": entry.segmenter}


def _language_code(label: str) -> str:
    from sparsebolt import _core  # noqa: PLC0415

    try:
        return str(_core.language(label).code)
    except ValueError:  # an analyzer's own label ("custom")
        return label


def _library_segmenter_name(segmenter: Any) -> Optional[str]:
    from sparsebolt.sparse.segmenters import library_name  # noqa: PLC0415

    return library_name(segmenter)


def _stopword_lists() -> list[str]:
    from sparsebolt.sparse.stopwords import stopword_lists  # noqa: PLC0415

    return list(stopword_lists())


def _build_bm25(config: Mapping[str, Any], runtime: Mapping[str, Any]) -> Any:
    from sparsebolt.sparse import BM25EmbeddingFunction  # noqa: PLC0415

    options = {k: config[k] for k in ("k1", "b", "epsilon") if k in config}
    return BM25EmbeddingFunction(build_analyzer(config.get("analyzer", {})), **options,
                                 num_workers=runtime.get("num_workers"))


def build_analyzer(config: Mapping[str, Any]) -> Any:
    """The native analyzer of ``config`` (see :func:`analyzer_settings`): the language's default analyzer
    (``build_default_analyzer``) with the settings that differ from it. A library segmenter's missing library
    raises ImportError naming the extra to install; a Python segmenter (``"python:..."``) cannot be built."""
    from sparsebolt import _core  # noqa: PLC0415
    from sparsebolt.sparse import Analyzer, build_default_analyzer  # noqa: PLC0415
    from sparsebolt.sparse.segmenters import library_segmenter, library_segmenters  # noqa: PLC0415
    from sparsebolt.sparse.stopwords import stopwords  # noqa: PLC0415

    settings = analyzer_settings(config)
    language = settings["language"]
    if language in [entry.code for entry in _core.languages()] and settings == analyzer_settings(
            {"language": language}):
        return build_default_analyzer(language)
    segmenter = settings["segmenter"]
    if not isinstance(segmenter, str) or (segmenter not in _core.segmenters()
                                          and segmenter not in library_segmenters()):
        raise ValueError(f"cannot build an analyzer with the segmenter {segmenter!r}: only the native segmenters "
                         f"{_core.segmenters()} and the library segmenters {library_segmenters()} are built from a "
                         f"recipe; pass the encoder with its Python segmenter itself")
    if segmenter in library_segmenters():
        segmenter = library_segmenter(segmenter).build()
    words = settings["stopwords"]
    named = isinstance(words, str) and words != "none"
    return Analyzer(language, lowercase=bool(settings["lowercase"]), stemmer=settings["stemmer"],
                    stopwords=stopwords(words) if named else [] if words == "none" else list(words),
                    segmenter=segmenter, stopword_source=words if named else None)


def _bm25_defaults() -> dict[str, Any]:
    return {"k1": 1.5, "b": 0.75, "epsilon": 0.25, "analyzer": analyzer_settings({})}


# ---- Milvus's own BM25 ------------------------------------------------------------------------------------


def _describe_milvus_bm25(encoder: Any) -> Optional[dict[str, Any]]:
    module = sys.modules.get("sparsebolt.milvus.schema")
    cls = getattr(module, "MilvusBM25", None)
    if cls is None or not isinstance(encoder, cls):
        return None
    params = encoder.analyzer_params
    return {"analyzer_params": None if params is None else dict(params)}


def _build_milvus_bm25(config: Mapping[str, Any], runtime: Mapping[str, Any]) -> Any:
    from sparsebolt.milvus.schema import MilvusBM25  # noqa: PLC0415

    return MilvusBM25(analyzer_params=config.get("analyzer_params"))


# ---- learned models on the ONNX engine: SPLADE and BGE-M3 ------------------------------------------------------
# The recipe holds what changes the vectors: the model (a hub id, or the absolute folder it was loaded from), the
# tokens a text is cut to, instructions, top-k, normalisation. Batch size, threads and device change only speed,
# and which outputs BGE-M3 returns changes no vector: none of them is recorded.


def _class_in(module_name: str, class_name: str) -> Any:
    return getattr(sys.modules.get(module_name), class_name, None)  # loaded whenever one of its encoders exists


def _model_of(encoder: Any) -> str:
    """Where ``encoder``'s model came from: the absolute folder when it was given one, else its canonical hub id
    (found in a cache or downloaded: the same on every machine)."""
    files = encoder.files
    if files.source == "model_path":
        return str(Path(files.folder).expanduser().resolve())
    return str(files.family.canonical_id(encoder.model_name))


def _describe_splade(encoder: Any) -> Optional[dict[str, Any]]:
    cls = _class_in("sparsebolt.sparse.splade", "SpladeEmbeddingFunction")
    if cls is None or not isinstance(encoder, cls):
        return None
    return {"model_name": _model_of(encoder), "max_length": int(encoder.tokenizer.max_length),
            "k_tokens_query": encoder.k_tokens_query, "k_tokens_document": encoder.k_tokens_document,
            "query_instruction": str(encoder.query_instruction), "doc_instruction": str(encoder.doc_instruction)}


def _build_splade(config: Mapping[str, Any], runtime: Mapping[str, Any]) -> Any:
    from sparsebolt.sparse.splade import SpladeEmbeddingFunction  # noqa: PLC0415 - loads onnxruntime

    options = dict(config)
    model = options.pop("model_name", DEFAULT_MODELS[SPLADE])
    return SpladeEmbeddingFunction(model, **options, **_engine_runtime(runtime))


def _splade_defaults() -> dict[str, Any]:
    # max_length is left out: without it the model's own limit applies, which recipe_of then records.
    return {"model_name": DEFAULT_MODELS[SPLADE], "k_tokens_query": None, "k_tokens_document": None,
            "query_instruction": "", "doc_instruction": ""}


def _describe_bge_m3(encoder: Any) -> Optional[dict[str, Any]]:
    cls = _class_in("sparsebolt.hybrid.bge_m3", "BGEM3EmbeddingFunction")
    if cls is None or not isinstance(encoder, cls):
        return None
    return {"model_name": _model_of(encoder), "max_length": int(encoder.max_length),
            "normalize_embeddings": bool(encoder.normalize_embeddings)}


def _build_bge_m3(config: Mapping[str, Any], runtime: Mapping[str, Any]) -> Any:
    from sparsebolt.hybrid import BGEM3EmbeddingFunction  # noqa: PLC0415 - loads onnxruntime

    options = dict(config)
    model = options.pop("model_name", DEFAULT_MODELS[BGE_M3])
    return BGEM3EmbeddingFunction(model, **options, **_engine_runtime(runtime))


def _bge_m3_defaults() -> dict[str, Any]:
    return {"model_name": DEFAULT_MODELS[BGE_M3], "normalize_embeddings": True}


def _engine_runtime(runtime: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in runtime.items() if k in ("threads", "device", "precision")}


# ---- helpers ----------------------------------------------------------------------------------------------


def _unregistered_config(encoder: Any) -> dict[str, Any]:
    config: dict[str, Any] = {}
    fits = callable(getattr(encoder, "fit", None))  # a fitted encoder's dim follows its corpus: not a fact of it
    dim = None if fits else getattr(encoder, "dim", None)
    if isinstance(dim, int) and not isinstance(dim, bool):
        config["dim"] = dim
    elif isinstance(dim, Mapping) and all(isinstance(v, int) for v in dim.values()):
        config["dim"] = {str(k): int(v) for k, v in dim.items()}
    analyzer = getattr(encoder, "analyzer", None)
    if analyzer is not None:
        from sparsebolt.sparse.params_file import analyzer_record  # noqa: PLC0415

        config["analyzer"] = analyzer_record(analyzer) or _class_path(analyzer)  # a record: a Python segmenter
    return config


def _normal_config(name: Optional[str], config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with a BM25 analyzer as :func:`analyzer_config` writes it (a recipe recorded before languages
    were had no language or segmenter), so equal analyzers compare equal; a config it cannot read stays as is."""
    analyzer = config.get("analyzer")
    if name != BM25 or not isinstance(analyzer, Mapping):
        return dict(config)
    try:
        return {**config, "analyzer": analyzer_settings(analyzer)}
    except (TypeError, ValueError):
        return dict(config)


def _class_path(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _merge(base: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in options.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _diff(a: Mapping[str, Any], b: Mapping[str, Any], prefix: str) -> list[str]:
    out = []
    for key in sorted(set(a) | set(b), key=str):
        if f"{prefix}{key}" in _LABELS:
            continue
        left, right = a.get(key), b.get(key)
        if isinstance(left, Mapping) and isinstance(right, Mapping):
            out.extend(_diff(left, right, f"{prefix}{key}."))
        elif left != right:
            out.append(f"{prefix}{key}: {_short(left)} vs {_short(right)}")
    return out


def _short(value: Any) -> str:
    if isinstance(value, (list, tuple)) and len(value) > 6:
        return f"[{len(value)} words: {', '.join(map(repr, value[:3]))}, ...]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}={_short(v)}" for k, v in value.items()) + "}"
    return repr(value)


_DEFAULTS: dict[str, Callable[[], dict[str, Any]]] = {
    MINILM: _minilm_defaults, ONNX: _onnx_defaults, BM25: _bm25_defaults,
    MILVUS_BM25: lambda: {"analyzer_params": None}, SPLADE: _splade_defaults, BGE_M3: _bge_m3_defaults,
}
_CLASS_PATHS = {MINILM: "sparsebolt.dense.encoder.OnnxEmbeddingFunction",
                ONNX: "sparsebolt.dense.encoder.OnnxEmbeddingFunction",
                BM25: "sparsebolt.sparse.bm25.BM25EmbeddingFunction",
                MILVUS_BM25: "sparsebolt.milvus.schema.MilvusBM25",
                SPLADE: "sparsebolt.sparse.splade.SpladeEmbeddingFunction",
                BGE_M3: "sparsebolt.hybrid.bge_m3.BGEM3EmbeddingFunction"}

register(MINILM, _build_onnx, _describe_minilm)
register(ONNX, _build_onnx, _describe_onnx)
register(BM25, _build_bm25, _describe_bm25)
register(MILVUS_BM25, _build_milvus_bm25, _describe_milvus_bm25)
register(SPLADE, _build_splade, _describe_splade)
register(BGE_M3, _build_bge_m3, _describe_bge_m3)
