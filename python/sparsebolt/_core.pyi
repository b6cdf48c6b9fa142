"""Type stubs for sparsebolt's native core (csrc/bindings.cpp). Private: use sparsebolt.model."""

from typing import Sequence

import numpy as np
import numpy.typing as npt

__version__: str
UNICODE_VERSION: str
SNOWBALL_VERSION: str

class Language:
    @property
    def code(self) -> str: ...
    @property
    def aliases(self) -> list[str]: ...
    @property
    def stemmer(self) -> str: ...
    @property
    def stopwords(self) -> str: ...
    @property
    def segmenter(self) -> str: ...

def languages() -> list[Language]: ...
def language(name: str) -> Language: ...
def stemmers() -> list[str]: ...
def stemmer_source(name: str) -> str: ...
def segmenters() -> list[str]: ...
def python_segmenters() -> list[str]: ...
def dictionary_segmenters() -> list[str]: ...

class DictionarySegmenter:
    @property
    def name(self) -> str: ...
    def segment(self, texts: Sequence[str], *, num_threads: int = 0) -> list[list[str]]: ...

class JiebaSegmenter(DictionarySegmenter):
    HAN_FIRST: int
    HAN_COUNT: int
    def __init__(
        self,
        dictionary: str,
        *,
        start: npt.NDArray[np.float64],
        transition: npt.NDArray[np.float64],
        emission: npt.NDArray[np.float64],
    ) -> None: ...
    @property
    def total(self) -> int: ...

class MecabSegmenter(DictionarySegmenter):
    def __init__(
        self,
        *,
        name: str,
        dictionary: str,
        characters_to_space: Sequence[str] = ...,
        keep_pos: Sequence[str] = ...,
        split_at_whitespace: bool = False,
    ) -> None: ...
    @property
    def dictionary(self) -> str: ...
    @property
    def characters_to_space(self) -> list[str]: ...
    @property
    def keep_pos(self) -> list[str]: ...
    @property
    def split_at_whitespace(self) -> bool: ...

class Analyzer:
    def __init__(
        self,
        *,
        lowercase: bool,
        stopwords: Sequence[str],
        stemmer: str,
        segmenter: str = "letters_digits",
        dictionary: DictionarySegmenter | None = None,
    ) -> None: ...
    def analyze(self, text: str | bytes) -> list[str]: ...
    def analyze_tokens(self, tokens: Sequence[str]) -> list[str]: ...
    @property
    def lowercase(self) -> bool: ...
    @property
    def stopwords(self) -> list[str]: ...
    @property
    def stemmer(self) -> str: ...
    @property
    def segmenter(self) -> str: ...

class CorpusStatistics:
    def __init__(self, *, shard: int = 0) -> None: ...
    def add_texts(
        self, analyzer: Analyzer, texts: Sequence[str], *, num_threads: int = 0, position_offset: int = 0
    ) -> None: ...
    def add_token_lists(
        self,
        token_lists: Sequence[Sequence[str]],
        *,
        analyzer: Analyzer | None = None,
        num_threads: int = 0,
        position_offset: int = 0,
    ) -> None: ...
    def merge(self, other: CorpusStatistics) -> None: ...
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(data: bytes) -> CorpusStatistics: ...
    @property
    def shard(self) -> int: ...
    @property
    def document_count(self) -> int: ...
    @property
    def total_length(self) -> int: ...
    @property
    def vocabulary_size(self) -> int: ...

CsrBuffers = tuple[npt.NDArray[np.float32], npt.NDArray[np.int32 | np.int64], npt.NDArray[np.int32 | np.int64]]

class Bm25Model:
    @staticmethod
    def from_statistics(statistics: CorpusStatistics, *, k1: float, b: float, epsilon: float) -> Bm25Model: ...
    @staticmethod
    def from_saved(
        terms: Sequence[str],
        idf: npt.NDArray[np.float64],
        *,
        document_count: int,
        average_length: float,
        k1: float,
        b: float,
        epsilon: float,
    ) -> Bm25Model: ...
    @staticmethod
    def fit_encode_texts(
        statistics: CorpusStatistics,
        analyzer: Analyzer,
        texts: Sequence[str],
        *,
        k1: float,
        b: float,
        epsilon: float,
        num_threads: int = 0,
    ) -> tuple[Bm25Model, CsrBuffers]: ...
    @staticmethod
    def fit_encode_token_lists(
        statistics: CorpusStatistics,
        token_lists: Sequence[Sequence[str]],
        *,
        analyzer: Analyzer | None = None,
        k1: float,
        b: float,
        epsilon: float,
        num_threads: int = 0,
    ) -> tuple[Bm25Model, CsrBuffers]: ...
    @property
    def dim(self) -> int: ...
    @property
    def document_count(self) -> int: ...
    @property
    def average_length(self) -> float: ...
    @property
    def k1(self) -> float: ...
    @property
    def b(self) -> float: ...
    @property
    def epsilon(self) -> float: ...
    def terms(self) -> list[str]: ...
    def idf(self) -> npt.NDArray[np.float64]: ...
    def encode_texts(
        self, analyzer: Analyzer, texts: Sequence[str], *, query: bool, num_threads: int = 0
    ) -> CsrBuffers: ...
    def encode_token_lists(
        self,
        token_lists: Sequence[Sequence[str]],
        *,
        analyzer: Analyzer | None = None,
        query: bool,
        num_threads: int = 0,
    ) -> CsrBuffers: ...
    def encode_query_as_dict(self, analyzer: Analyzer, text: str) -> dict[int, float]: ...

def stem_words(stemmer: str, words: Sequence[str]) -> list[str]: ...
def snowball_algorithms() -> list[str]: ...
def snowball_stem_words(algorithm: str, words: Sequence[str]) -> list[str]: ...
def stem_english_words(words: Sequence[str]) -> list[str]: ...

class StaticEmbedding:
    def __init__(
        self,
        matrix: npt.NDArray[np.float32],
        *,
        vocab_size: int,
        token_rows: npt.NDArray[np.int64] | None = None,
        token_weights: npt.NDArray[np.float32] | None = None,
    ) -> None: ...
    def mean_pool(
        self,
        ids: npt.NDArray[np.int32],
        offsets: npt.NDArray[np.int64],
        *,
        skip_id: int = -1,
        normalize: bool = False,
        num_threads: int = 0,
    ) -> npt.NDArray[np.float32]: ...
    @property
    def dim(self) -> int: ...
    @property
    def row_count(self) -> int: ...
    @property
    def vocab_size(self) -> int: ...

class WordPieceTokenizer:
    def __init__(
        self,
        vocab: dict[str, int] | Sequence[str],
        *,
        unk_token: str,
        clean_text: bool = True,
        handle_chinese_chars: bool = True,
        strip_accents: bool = True,
        lowercase: bool = True,
        continuing_subword_prefix: str = "##",
        max_input_chars_per_word: int = 100,
        added_tokens: Sequence[tuple[str, int]] = ...,
    ) -> None: ...
    def encode_batch(
        self, texts: Sequence[str], *, max_length: int | None = None, num_threads: int = 0
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]]: ...
    def encode(self, text: str) -> list[int]: ...
    def normalize(self, text: str) -> str: ...
    def pre_tokenize(self, text: str) -> list[str]: ...
    @property
    def unk_id(self) -> int: ...
    @property
    def vocab_size(self) -> int: ...
