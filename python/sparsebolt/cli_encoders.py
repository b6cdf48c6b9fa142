"""Which encoders a command line opens a collection with: the ones recorded with it, else those its flags name.
Shared by ``sparsebolt`` and ``python -m sparsebolt.ray``; encoder flags apply when a collection is created."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any, Mapping, NamedTuple, Optional

from sparsebolt.cli_errors import CliError
from sparsebolt.encoders import DEFAULT_MODELS, Recipe, build_encoder, make_recipe

__all__ = ["add_analyzer_args", "analyzer_options", "add_model_args", "EncoderFlags", "encoder_flags",
           "flag_recipes", "encoder_recipes", "build_for_cli", "recorded_encoders", "default_recipes",
           "search_encoders", "fit_encoder", "check_model_folder", "model_argument", "LEARNED_KINDS"]

DENSE_FIELD, SPARSE_FIELD = "dense", "sparse"
_DENSE_CHOICES = {"minilm": {}, "minilm-int8": {"precision": "int8"}}
LEARNED_KINDS = ("splade", "bge-m3")
"""Encoders loaded from a model named by --dense-model / --sparse-model (or --model for both fields)."""
_BOTH_FIELDS = ("bge-m3",)  # the kinds one model of which fills the dense and the sparse field in one pass
_ENGINE_KINDS = ("minilm", "onnx", *LEARNED_KINDS)  # built on ONNX Runtime: take threads and device
# A Hugging Face hub id ("org/name" or "name"); any other value of a model flag can only be a local folder.
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?")


def add_analyzer_args(parser: argparse.ArgumentParser) -> None:
    """The BM25 analyzer flags; each is None unless given, so a flag left out never conflicts with a recording."""
    from sparsebolt import _core  # noqa: PLC0415
    from sparsebolt.sparse.stopwords import stopword_lists  # noqa: PLC0415

    codes = [entry.code for entry in _core.languages()]
    g = parser.add_argument_group("BM25 analyzer (for a new collection; an existing one uses its recorded analyzer)")
    g.add_argument("--language", choices=[name for entry in _core.languages() for name in (entry.code, *entry.aliases)],
                   default=None, metavar="CODE",
                   help=f"the language's default analyzer: its segmenter, stopwords and stemmer (default: en); "
                        f"one of {', '.join(codes)}, or an alias such as german or kr (zh, ja, ko need the extras "
                        f"sparsebolt[zh], [ja], [ko])")
    g.add_argument("--stemmer", choices=list(_core.stemmers()), default=None, metavar="STEMMER",
                   help=f"a Snowball stemmer, or none (default: the language's); one of {', '.join(_core.stemmers())}")
    g.add_argument("--stopwords", default=None,
                   help=f"a shipped list ({', '.join(stopword_lists())}), 'none', or a text file with one stopword "
                        f"per line (default: the language's)")
    g.add_argument("--no-lowercase", dest="lowercase", action="store_const", const=False, default=None,
                   help="keep case (default: lowercase, except zh and ja, which keep case as pymilvus.model does)")


def analyzer_options(args: argparse.Namespace) -> Optional[dict[str, Any]]:
    """The analyzer settings the flags give (over the language's), or None when no analyzer flag was given."""
    from sparsebolt.sparse.stopwords import stopword_lists  # noqa: PLC0415

    given = {key: getattr(args, key, None) for key in ("language", "stemmer", "stopwords", "lowercase")}
    if all(value is None for value in given.values()):
        return None
    options = {key: given[key] for key in ("language", "stemmer", "lowercase") if given[key] is not None}
    words = given["stopwords"]
    if words is not None:
        if words == "none" or words in stopword_lists():
            options["stopwords"] = words
        else:
            path = Path(words)
            if not path.is_file():
                raise CliError(f"--stopwords takes a list name ({', '.join(stopword_lists())}), 'none' or a file "
                               f"of words; no such file: {words}")
            options["stopwords"] = sorted({w.strip() for w in path.read_text(encoding="utf-8").splitlines()
                                           if w.strip()})
    return options


def add_model_args(parser: argparse.ArgumentParser) -> None:
    """The model flags of the learned encoders (``--dense bge-m3``, ``--sparse splade``/``bge-m3``); each is None
    unless given."""
    parser.add_argument("--precision", choices=["fp32", "int8", "bf16", "auto"], default=None,
                        help="how the ONNX encoders run: fp32 (exact; default), int8 (MiniLM only), bf16 (OpenVINO "
                             "on AMX / AVX-512 BF16: pip install 'sparsebolt[openvino]'), or auto (the fastest this "
                             "CPU has); vectors stay within each precision's measured fidelity of fp32")
    g = parser.add_argument_group("learned models (for a new collection; an existing one uses its recorded models)")
    g.add_argument("--dense-model", metavar="PATH_OR_ID", default=None,
                   help=f"model of --dense bge-m3: a folder in FlagEmbedding's layout or a hub id "
                        f"(default: {DEFAULT_MODELS['bge-m3']})")
    g.add_argument("--sparse-model", metavar="PATH_OR_ID", default=None,
                   help=f"model of --sparse splade: a *ForMaskedLM folder or a hub id (default: "
                        f"{DEFAULT_MODELS['splade']}); of --sparse bge-m3: as --dense-model, whose model it takes "
                        f"when --dense is bge-m3 too")
    g.add_argument("--model", nargs=2, metavar=("KIND", "PATH_OR_ID"), default=None,
                   help="one model for both fields, encoded once per batch: '--model bge-m3 PATH' is short for "
                        "'--dense bge-m3 --sparse bge-m3 --dense-model PATH'")


class EncoderFlags(NamedTuple):
    """The encoder flags of a command line, ``--model`` spelled out: kinds (None: not given) and model names."""

    dense: Optional[str]
    sparse: Optional[str]
    dense_model: Optional[str] = None
    sparse_model: Optional[str] = None


def encoder_flags(args: argparse.Namespace) -> EncoderFlags:
    """``--dense``/``--sparse`` and their model flags, with ``--model KIND PATH`` spelled out; a model flag
    without a learned kind to load, or ``--model`` beside flags it sets, is a CliError."""
    flags = EncoderFlags(getattr(args, "dense", None), getattr(args, "sparse", None),
                         getattr(args, "dense_model", None), getattr(args, "sparse_model", None))
    both = getattr(args, "model", None)
    if both is not None:
        kind, model = both
        if kind not in _BOTH_FIELDS:
            raise CliError(f"--model takes {' or '.join(_BOTH_FIELDS)} (a model that fills both fields), got "
                           f"{kind!r}; for one field use --dense/--sparse with --dense-model/--sparse-model")
        clashing = [f"{flag} {value}" for flag, value in zip(("--dense", "--sparse", "--dense-model",
                                                               "--sparse-model"), flags)
                    if value is not None and value != kind]
        if clashing:
            raise CliError(f"--model {kind} sets both fields; leave out {', '.join(clashing)}")
        flags = EncoderFlags(kind, kind, model, model)
    if flags.dense_model is not None and flags.dense not in LEARNED_KINDS:
        raise CliError(f"--dense-model names the model of --dense bge-m3; --dense {flags.dense or 'minilm'} "
                       f"loads its own")
    if flags.sparse_model is not None and flags.sparse not in LEARNED_KINDS:
        raise CliError(f"--sparse-model names the model of --sparse splade or bge-m3, not of --sparse "
                       f"{flags.sparse or 'bm25'}")
    return flags


def flag_recipes(dense: Optional[str], sparse: Optional[str], analyzer: Optional[Mapping[str, Any]], *,
                 dense_model: Optional[str] = None, sparse_model: Optional[str] = None
                 ) -> dict[str, Optional[Recipe]]:
    """The recipes the flags name, by field, for the flags given (``"none"``: the field is given no encoder).
    A learned kind's model is its model flag, else (``--sparse bge-m3`` beside ``--dense bge-m3``) the dense
    field's, else the kind's default."""
    out: dict[str, Optional[Recipe]] = {}
    if dense is not None:
        if dense == "none":
            out[DENSE_FIELD] = None
        elif dense in LEARNED_KINDS:
            out[DENSE_FIELD] = _learned(dense, dense_model, "--dense-model")
        else:
            out[DENSE_FIELD] = make_recipe("minilm", **_DENSE_CHOICES[dense])
    if analyzer is not None and sparse not in (None, "bm25"):
        raise CliError(f"the analyzer flags (--language, --stemmer, --stopwords, --no-lowercase) apply to client-side "
                       f"BM25 only, not to --sparse {sparse}")
    if sparse in LEARNED_KINDS:
        shared = dense_model if dense == sparse else None
        out[SPARSE_FIELD] = _learned(sparse, sparse_model or shared,
                                     "--sparse-model" if sparse_model or not shared else "--dense-model")
    elif sparse is not None or analyzer is not None:
        choice = sparse or "bm25"
        out[SPARSE_FIELD] = (None if choice == "none" else make_recipe("milvus-bm25") if choice == "milvus-bm25"
                             else _bm25_recipe(analyzer))
    return out


def _bm25_recipe(analyzer: Optional[Mapping[str, Any]]) -> Recipe:
    """The BM25 recipe of the analyzer flags, its segmenter library checked now: a missing one is a CliError
    naming the extra to install, before any collection is touched."""
    from sparsebolt.encoders import build_analyzer  # noqa: PLC0415
    from sparsebolt.sparse.segmenters import MissingSegmenterError, library_segmenters  # noqa: PLC0415

    recipe = make_recipe("bm25", analyzer=dict(analyzer or {}))
    if recipe.config["analyzer"]["segmenter"] in library_segmenters():
        try:
            build_analyzer(recipe.config["analyzer"])
        except MissingSegmenterError as exc:
            language = recipe.config["analyzer"]["language"]
            raise CliError(f"--language {language} segments with a library that is not installed: {exc}") from exc
    return recipe


def _learned(kind: str, model: Optional[str], flag: str) -> Recipe:
    return make_recipe(kind, model_name=DEFAULT_MODELS[kind] if model is None else model_argument(model, flag))


def model_argument(value: str, flag: str) -> str:
    """A model flag's value as recorded with a collection: an existing folder as its absolute path, a hub id as it
    is; anything else (a path that does not exist) is a CliError."""
    path = Path(value).expanduser()
    if path.is_dir():
        return str(path.resolve())
    if path.exists():
        raise CliError(f"{flag} {value}: not a folder; give the model's folder (config.json, the weights, "
                       f"tokenizer.json) or a hub id")
    if not _HUB_ID.fullmatch(value):
        raise CliError(f"{flag} {value}: no such model folder")
    return value


def default_recipes() -> dict[str, Optional[Recipe]]:
    """What a new collection gets when no flag says otherwise: MiniLM and the English BM25."""
    return {DENSE_FIELD: make_recipe("minilm"), SPARSE_FIELD: make_recipe("bm25")}


def recorded_encoders(client: Any, collection: str, retry: Any) -> Optional[dict[str, Any]]:
    """The encoders recorded with ``collection`` (field name -> FieldRecipe), or None: no such collection, or one
    made before encoders were recorded."""
    from sparsebolt.milvus.recipes import load_recipes  # noqa: PLC0415 - imports pymilvus
    from sparsebolt.milvus.retry import call_with_retry  # noqa: PLC0415

    if not call_with_retry(lambda: client.has_collection(collection, timeout=retry.timeout), retry,
                           what=f"checking collection {collection!r}"):
        return None
    return load_recipes(client, collection, retry=retry)


def encoder_recipes(collection: str, recorded: Optional[Mapping[str, Any]],
                    flags: Mapping[str, Optional[Recipe]], defaults: Mapping[str, Optional[Recipe]]
                    ) -> dict[str, Optional[Recipe]]:
    """The recipe to open each field with. ``recorded``: the collection's recorded field recipes (None: a new
    collection, or one made before encoders were recorded, which the flags and ``defaults`` describe).
    A recorded collection uses its recipes; a flag given for it must agree (the collection compares recipes
    when opened), and a flag that leaves out a recorded encoder is refused here."""
    if recorded is None:
        return {**defaults, **flags}
    chosen: dict[str, Optional[Recipe]] = {name: fr.recipe for name, fr in recorded.items()}
    for name, recipe in flags.items():
        if recipe is None and name in recorded:
            flag = "--dense none" if name == DENSE_FIELD else "--sparse none"
            raise CliError(f"collection {collection!r} was made with {recorded[name].recipe.describe()} for its "
                           f"{name!r} field; {flag} conflicts with it: leave the flag out to use the recorded encoder")
        if recipe is not None:
            mine = recorded[name].recipe if name in recorded else None
            # A flag naming the recorded encoder (the settings it states are the recorded ones) means the
            # recorded recipe, settings the flag leaves to the model included, so fields sharing it share it.
            chosen[name] = mine if mine is not None and _states(recipe, mine) else recipe
    return chosen


def _states(flag: Recipe, recorded: Recipe) -> bool:
    return flag.name == recorded.name and all(recorded.config.get(k) == v for k, v in flag.config.items())


def build_for_cli(recipes: Mapping[str, Optional[Recipe]], *, fields: Optional[set[str]] = None,
                  instead: Optional[str] = None, **runtime: Any) -> dict[str, Any]:
    """Encoders built from ``recipes`` (only ``fields`` when given), one per distinct recipe; a recipe the
    command line cannot build is a CliError, saying what to use ``instead``."""
    built: dict[str, Any] = {}
    cache: dict[str, Any] = {}
    for name, recipe in recipes.items():
        if recipe is None or (fields is not None and name not in fields):
            continue
        if not recipe.reconstructible:
            raise CliError(f"field {name!r} was filled by {recipe.describe()}, which the command line cannot build "
                           f"again: use that encoder from Python (or register its kind with "
                           f"sparsebolt.encoders.register)")
        key = repr(recipe.to_dict())
        if key not in cache:
            check_model_folder(name, recipe)
            options = {k: v for k, v in runtime.items() if v is not None and _takes(recipe, k)}
            what = "dense" if recipe.name in ("minilm", "onnx") else str(recipe.name)
            try:
                cache[key] = build_encoder(recipe, **options)
            except ImportError as exc:
                advice = f"; use {instead}" if instead else ""
                raise CliError(f"the {what} encoder is not available ({exc}){advice}") from exc
            except FileNotFoundError as exc:  # the model resolver's ModelNotFoundError lists every place tried
                first = re.sub(r"\s*Tried, in order:$", "", str(exc).splitlines()[0] if str(exc) else "not found")
                raise CliError(f"the {what} model of field {name!r}: {first} (--verbose lists the places "
                               f"searched)") from exc
        built[name] = cache[key]
    return built


def check_model_folder(name: str, recipe: Recipe) -> None:
    """A CliError for a learned encoder recorded with a model folder that is not here, before the model resolver
    takes the path for a hub id."""
    model = recipe.config.get("model_name")
    folder = Path(model) if recipe.name in LEARNED_KINDS and isinstance(model, str) else None
    if folder is not None and folder.is_absolute() and not folder.is_dir():
        raise CliError(f"field {name!r} is filled by {recipe.name} from the model folder {model}, which does not "
                       f"exist here: put the model there, or recreate the collection (--drop) with another model")


def _takes(recipe: Recipe, option: str) -> bool:
    if option == "num_workers":
        return recipe.name == "bm25"
    return recipe.name in _ENGINE_KINDS


def search_encoders(spec: Any, recorded: Optional[Mapping[str, Any]], mode: Optional[str],
                    analyzer: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
    """TextCollection keyword arguments with the encoders a search in ``mode`` needs: the recorded ones (analyzer
    flags must agree with them), or MiniLM and the BM25 of the analyzer flags (English without them) for a
    collection made before encoders were recorded."""
    instead = "--mode sparse" if spec.has_sparse else None
    flags = {} if analyzer is None else flag_recipes(None, None, analyzer)
    if recorded is not None:
        needed = {f.name for f in spec.vector_fields
                  if mode in (None, "hybrid") or (f.kind == "dense") == (mode == "dense")}
        chosen = encoder_recipes(spec.name, recorded, flags, {})
        return {"encoders": build_for_cli(chosen, fields=needed, instead=instead)}
    if flags and spec.sparse_mode != "client":
        raise CliError(f"the analyzer flags (--language, --stemmer, --stopwords, --no-lowercase) apply to client-side "
                       f"BM25 only; collection {spec.name!r} has none")
    wanted = {DENSE_FIELD: spec.has_dense and mode != "sparse",
              SPARSE_FIELD: spec.sparse_mode == "milvus-bm25" or (spec.sparse_mode == "client" and mode != "dense")}
    defaults = {**default_recipes(), SPARSE_FIELD: make_recipe("milvus-bm25") if spec.sparse_mode == "milvus-bm25"
                else flags.get(SPARSE_FIELD) or make_recipe("bm25")}
    built = build_for_cli({name: recipe for name, recipe in defaults.items() if wanted[name]}, instead=instead)
    return {"dense": built.get(DENSE_FIELD), "sparse": built.get(SPARSE_FIELD)}


def fit_encoder(collection: str, recorded: Optional[Mapping[str, Any]],
                analyzer: Optional[Mapping[str, Any]]) -> Any:
    """An unfitted BM25 encoder for ``sparsebolt fit``: the one recorded with ``collection``, else the analyzer
    flags'; flags that contradict the recording are a SchemaMismatchError."""
    from sparsebolt.encoders import recipe_of  # noqa: PLC0415
    from sparsebolt.milvus.recipes import FieldRecipe, check_recipes  # noqa: PLC0415 - imports pymilvus

    chosen = encoder_recipes(collection, recorded, flag_recipes(None, None, analyzer),
                             {SPARSE_FIELD: default_recipes()[SPARSE_FIELD]})
    recipe = chosen.get(SPARSE_FIELD)
    if recipe is None or recipe.name != "bm25":
        raise CliError(f"collection {collection!r} has no client-side BM25 field to fit statistics for")
    encoder = build_for_cli({SPARSE_FIELD: recipe})[SPARSE_FIELD]
    check_recipes(collection, recorded, {SPARSE_FIELD: FieldRecipe(recipe_of(encoder))})
    return encoder
