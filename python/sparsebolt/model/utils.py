"""``pymilvus.model.utils``: the helper pymilvus.model users call, ``stack_sparse_embeddings`` (pymilvus.model keeps
it in ``pymilvus.model.sparse.utils``, re-exported from :mod:`sparsebolt.model.sparse.utils`).

pymilvus.model's ``import_*`` functions are not provided: they install packages with pip at run time, which
sparsebolt never does; asking for one raises ImportError saying so.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["stack_sparse_embeddings"]

# pymilvus.model.utils' dependency helpers (pymilvus-model 0.3.4), each a prompt_install of one package.
_IMPORT_HELPERS = (
    "import_openai", "import_sentence_transformers", "import_FlagEmbedding", "import_nltk", "import_transformers",
    "import_jieba", "import_konlpy", "import_kiwi", "import_mecab", "import_scipy", "import_protobuf",
    "import_unidic_lite", "import_cohere", "import_voyageai", "import_torch", "import_huggingface_hub",
    "import_mistralai", "import_nomic", "import_instructor", "import_datasets", "import_model2vec", "import_google",
)
NOT_PROVIDED = {
    name: "it installs a package with pip at run time, which sparsebolt never does; sparsebolt's classes raise "
    "ImportError naming the package (or extra, e.g. pip install 'sparsebolt[zh]') they need"
    for name in _IMPORT_HELPERS
}


def stack_sparse_embeddings(sparse_embs: Iterable[Any]) -> Any:
    """One sparse matrix with each embedding of ``sparse_embs`` as a row, as pymilvus.model's function gives it:
    each embedding is reshaped to one row (a 1-D ``coo_array`` or a ``(1, dim)`` matrix alike) and the rows are
    stacked with ``scipy.sparse.vstack`` (sparse arrays in give a sparse array, ``csr_matrix`` rows a matrix).

    An empty input is a ValueError and an item that is not a scipy sparse matrix or array a TypeError, where
    pymilvus.model's raises scipy's "blocks must be 2-D"."""
    from scipy.sparse import issparse, vstack

    if isinstance(sparse_embs, (str, bytes)) or not isinstance(sparse_embs, Iterable):
        raise TypeError(f"sparse_embs must be a list of scipy sparse rows, got {type(sparse_embs).__name__}")
    rows = list(sparse_embs)
    if not rows:
        raise ValueError("sparse_embs is empty; pass at least one sparse embedding (a csr_array row)")
    for position, row in enumerate(rows):
        if not issparse(row):
            raise TypeError(
                f"sparse_embs[{position}] is {type(row).__name__}, not a scipy sparse matrix or array; pass the "
                "rows an encoder returned (csr_array), or stack dense vectors with numpy.vstack"
            )
    return vstack([row.reshape((1, -1)) for row in rows])


def __getattr__(name: str) -> Any:
    if name in NOT_PROVIDED:
        raise ImportError(f"{name} is not available in sparsebolt.model.utils: {NOT_PROVIDED[name]}")
    raise AttributeError(f"module 'sparsebolt.model.utils' has no attribute {name!r}")
