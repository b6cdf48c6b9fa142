"""The encoders a collection was made with, recorded beside it: per vector field, the encoder's recipe (registry
name and config, see :mod:`sparsebolt.encoders`) and the output it takes. Written on create, compared on open."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping, Optional

from sparsebolt.encoders import Recipe, build_encoder, recipe_of
from sparsebolt.milvus import stats
from sparsebolt.milvus.retry import RetryPolicy
from sparsebolt.milvus.schema import CollectionSpec, SchemaMismatchError

__all__ = ["FieldRecipe", "RECIPES_KIND", "recipes_of", "save_recipes", "load_recipes", "check_recipes",
           "with_recorded_outputs", "build_recorded"]

RECIPES_KIND = "encoders"
_FORMAT = 1


@dataclass(frozen=True)
class FieldRecipe:
    """What fills one vector field: the encoder's ``recipe`` and which of its outputs (None: its only one)."""

    recipe: Recipe
    output: Optional[str] = None


def recipes_of(spec: CollectionSpec, encoders: Mapping[str, Any]) -> dict[str, FieldRecipe]:
    """The recipe of each field of ``spec`` that has an encoder in ``encoders`` (a Milvus BM25 field: its
    ``MilvusBM25``)."""
    out = {}
    for entry in spec.vector_fields:
        encoder = encoders.get(entry.name)
        if encoder is not None:
            out[entry.name] = FieldRecipe(recipe_of(encoder), entry.output)
    return out


def save_recipes(client: Any, collection: str, recipes: Mapping[str, FieldRecipe], *,
                 retry: RetryPolicy = RetryPolicy()) -> None:
    document = {"format": _FORMAT, "fields": {name: {"output": fr.output, "encoder": fr.recipe.to_dict()}
                                              for name, fr in recipes.items()}}
    stats.save_blob(client, collection, RECIPES_KIND, json.dumps(document, sort_keys=True).encode("utf-8"),
                    retry=retry)


def load_recipes(client: Any, collection: str, *,
                 retry: RetryPolicy = RetryPolicy()) -> Optional[dict[str, FieldRecipe]]:
    """The recorded recipes, or None for a collection made before encoders were recorded."""
    data = stats.load_blob(client, collection, RECIPES_KIND, retry=retry)
    if data is None:
        return None
    try:
        document = json.loads(data.decode("utf-8"))
        if document.get("format") != _FORMAT:
            raise ValueError(f"format {document.get('format')!r}")
        return {name: FieldRecipe(Recipe.from_dict(entry["encoder"]), entry.get("output"))
                for name, entry in document["fields"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise RuntimeError(f"the encoders recorded with collection {collection!r} cannot be read ({exc}); "
                           f"a newer sparsebolt may have written them") from exc


def check_recipes(collection: str, recorded: Optional[Mapping[str, FieldRecipe]],
                  given: Mapping[str, FieldRecipe]) -> None:
    """SchemaMismatchError when an encoder given for a field is not the one recorded for it. Nothing recorded
    (an older collection), or nothing recorded for that field: nothing to compare."""
    if not recorded:
        return
    problems = []
    for name, mine in given.items():
        theirs = recorded.get(name)
        if theirs is None:
            continue
        differences = theirs.recipe.differences(mine.recipe)
        if theirs.output != mine.output:
            differences.append(f"output: {theirs.output!r} vs {mine.output!r}")
        if differences:
            problems.append(f"field {name!r} was filled by {theirs.recipe.describe()}, the encoder given is "
                            f"{mine.recipe.describe()} (recorded vs given: {'; '.join(differences)})")
    if problems:
        raise SchemaMismatchError(
            f"collection {collection!r} was made with other encoders than those given: " + "; ".join(problems)
            + ". Open it with the recorded encoders (sparsebolt.milvus.recipes.build_recorded builds them; the "
            "command lines do so by themselves), or recreate it (drop_existing=True, CLI --drop) and ingest again."
        )


def with_recorded_outputs(spec: CollectionSpec, recorded: Optional[Mapping[str, FieldRecipe]]) -> CollectionSpec:
    """``spec`` (read back from Milvus, which knows no encoder outputs) with the recorded output of each field."""
    if not recorded:
        return spec
    fields = [replace(f, output=recorded[f.name].output) if f.name in recorded and not f.server_side else f
              for f in spec.vector_fields]
    return spec.with_vector_fields(fields)


def build_recorded(recorded: Mapping[str, FieldRecipe], *, fields: Optional[Iterable[str]] = None,
                   **runtime: Any) -> dict[str, Any]:
    """Encoders built from the recorded recipes, by field (only ``fields`` when given); fields recorded with the
    same recipe share one encoder, so a model filling two fields loads once. ``runtime``: see
    :func:`sparsebolt.encoders.build_encoder`. ValueError for a recipe that cannot be built again."""
    wanted = set(recorded) if fields is None else set(fields)
    built: dict[str, Any] = {}
    by_recipe: dict[str, Any] = {}
    for name, field_recipe in recorded.items():
        if name not in wanted:
            continue
        key = json.dumps(field_recipe.recipe.to_dict(), sort_keys=True)
        if key not in by_recipe:
            by_recipe[key] = build_encoder(field_recipe.recipe, **runtime)
        built[name] = by_recipe[key]
    return built
