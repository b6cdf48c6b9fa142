"""Which encoders a command line opens a collection with: the ones recorded with it, else those its flags name.
Shared by ``sparsebolt`` and ``python -m sparsebolt.ray``; encoder flags apply when a collection is created."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Mapping, Optional

from sparsebolt.cli_errors import CliError
from sparsebolt.encoders import Recipe, build_encoder, make_recipe

__all__ = ["add_analyzer_args", "analyzer_options", "flag_recipes", "encoder_recipes", "build_for_cli",
           "recorded_encoders", "default_recipes", "search_encoders", "fit_encoder"]

DENSE_FIELD, SPARSE_FIELD = "dense", "sparse"
_DENSE_CHOICES = {"minilm": {}, "minilm-int8": {"precision": "int8"}}


def add_analyzer_args(parser: argparse.ArgumentParser) -> None:
    """The BM25 analyzer flags; each is None unless given, so a flag left out never conflicts with a recording."""
    g = parser.add_argument_group("BM25 analyzer (for a new collection; an existing one uses its recorded analyzer)")
    g.add_argument("--language", choices=["en"], default=None,
                   help="the language's default analyzer: its stopwords and stemmer (default: en)")
    g.add_argument("--stemmer", choices=["english", "none"], default=None,
                   help="Snowball English stemmer, or none (default: the language's)")
    g.add_argument("--stopwords", default=None,
                   help="'english', 'none', or a text file with one stopword per line (default: the language's)")
    g.add_argument("--no-lowercase", dest="lowercase", action="store_const", const=False, default=None,
                   help="keep case (default: lowercase)")


def analyzer_options(args: argparse.Namespace) -> Optional[dict[str, Any]]:
    """The analyzer settings the flags give (over the language's), or None when no analyzer flag was given."""
    given = {key: getattr(args, key, None) for key in ("language", "stemmer", "stopwords", "lowercase")}
    if all(value is None for value in given.values()):
        return None
    options: dict[str, Any] = {}  # --language en is the English default: nothing to override
    if given["stemmer"] is not None:
        options["stemmer"] = given["stemmer"]
    if given["lowercase"] is not None:
        options["lowercase"] = given["lowercase"]
    words = given["stopwords"]
    if words is not None:
        if words == "none":
            options["stopwords"] = []
        elif words == "english":
            options["stopwords"] = "english"
        else:
            path = Path(words)
            if not path.is_file():
                raise CliError(f"--stopwords takes 'english', 'none' or a file of words; no such file: {words}")
            options["stopwords"] = sorted({w.strip() for w in path.read_text(encoding="utf-8").splitlines()
                                           if w.strip()})
    return options


def flag_recipes(dense: Optional[str], sparse: Optional[str],
                 analyzer: Optional[Mapping[str, Any]]) -> dict[str, Optional[Recipe]]:
    """The recipes the flags name, by field, for the flags given (``"none"``: the field is given no encoder)."""
    out: dict[str, Optional[Recipe]] = {}
    if dense is not None:
        out[DENSE_FIELD] = None if dense == "none" else make_recipe("minilm", **_DENSE_CHOICES[dense])
    if analyzer is not None and sparse not in (None, "bm25"):
        raise CliError(f"the analyzer flags (--language, --stemmer, --stopwords, --no-lowercase) apply to client-side "
                       f"BM25 only, not to --sparse {sparse}")
    if sparse is not None or analyzer is not None:
        choice = sparse or "bm25"
        out[SPARSE_FIELD] = (None if choice == "none" else make_recipe("milvus-bm25") if choice == "milvus-bm25"
                             else make_recipe("bm25", analyzer=dict(analyzer or {})))
    return out


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
            chosen[name] = recipe
    return chosen


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
            options = {k: v for k, v in runtime.items() if v is not None and _takes(recipe, k)}
            try:
                cache[key] = build_encoder(recipe, **options)
            except ImportError as exc:
                advice = f"; use {instead}" if instead else ""
                what = "dense" if recipe.name in ("minilm", "onnx") else str(recipe.name)
                raise CliError(f"the {what} encoder is not available ({exc}){advice}") from exc
        built[name] = cache[key]
    return built


def _takes(recipe: Recipe, option: str) -> bool:
    if option == "num_workers":
        return recipe.name == "bm25"
    return recipe.name in ("minilm", "onnx")


def search_encoders(spec: Any, recorded: Optional[Mapping[str, Any]], mode: Optional[str]) -> dict[str, Any]:
    """TextCollection keyword arguments with the encoders a search in ``mode`` needs: the recorded ones, or
    MiniLM and the English BM25 for a collection made before encoders were recorded."""
    instead = "--mode sparse" if spec.has_sparse else None
    if recorded is not None:
        needed = {f.name for f in spec.vector_fields
                  if mode in (None, "hybrid") or (f.kind == "dense") == (mode == "dense")}
        return {"encoders": build_for_cli({name: fr.recipe for name, fr in recorded.items()}, fields=needed,
                                          instead=instead)}
    wanted = {DENSE_FIELD: spec.has_dense and mode != "sparse",
              SPARSE_FIELD: spec.sparse_mode == "milvus-bm25" or (spec.sparse_mode == "client" and mode != "dense")}
    defaults = {**default_recipes(), SPARSE_FIELD: make_recipe("milvus-bm25") if spec.sparse_mode == "milvus-bm25"
                else make_recipe("bm25")}
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
