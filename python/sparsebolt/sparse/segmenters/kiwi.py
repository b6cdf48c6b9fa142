"""Korean with Kiwi (kiwipiepy), keeping content morphemes: the alternative to ``mecab_ko``.

Kiwi analyzes a whole batch on its own worker threads (``Kiwi(num_workers=N).tokenize(texts)``). On
msmarco-ko-dev it scores a little below MeCab + mecab-ko-dic and runs several times slower (docs/bm25.md), so it is
not the default; ``Analyzer("ko", stemmer="none", segmenter=KiwiSegmenter())`` selects it.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from sparsebolt.sparse.segmenters._common import readable_text, require

__all__ = ["KIWI_CONTENT_TAGS", "KiwiSegmenter"]

# Kiwi's tags kept as terms: the same classes as mecab_ko.CONTENT_TAGS (Kiwi has no NNBC).
KIWI_CONTENT_TAGS = frozenset({"NNG", "NNP", "NNB", "NR", "NP", "VV", "VA", "XR", "SL", "SH", "SN", "MAG"})


class KiwiSegmenter:
    """A batch segmenter: ``segmenter(texts) -> one list of content morphemes per text``. Picklable.

    Args:
        num_workers: Kiwi's threads for a batch; 0 (the default) uses every core.
    """

    name = "kiwi"

    def __init__(self, num_workers: int = 0) -> None:
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"num_workers must be an int >= 0 (0: every core), got {num_workers!r}")
        self.num_workers = num_workers
        self._kiwi: Optional[Any] = None

    def load(self) -> "KiwiSegmenter":
        """Imports the library and loads its dictionary now (otherwise on the first batch); returns self.
        ImportError naming the extra to install when the library is missing."""
        self._load()
        return self

    def _load(self) -> Any:
        kiwipiepy = require("kiwipiepy", package="kiwipiepy", extra=None)
        self._kiwi = kiwipiepy.Kiwi(num_workers=self.num_workers or -1)
        return self._kiwi

    def __call__(self, texts: Sequence[str]) -> list[list[str]]:
        kiwi = self._kiwi or self._load()
        analyzed = kiwi.tokenize([readable_text(text) for text in texts])
        return [[token.form for token in tokens if token.tag in KIWI_CONTENT_TAGS] for tokens in analyzed]

    def __getstate__(self) -> dict[str, Any]:
        return {"num_workers": self.num_workers}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.num_workers = int(state["num_workers"])
        self._kiwi = None

    def __repr__(self) -> str:
        return f"kiwi(kiwipiepy, content morphemes, num_workers={self.num_workers})"
