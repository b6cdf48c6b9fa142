"""Generates the BERT WordPiece tokenizer's Unicode tables from this interpreter's ``unicodedata``.

What the Hugging Face ``tokenizers`` BertNormalizer and BertPreTokenizer ask of a code point, each from Python:
  control     general category C* (Cc, Cf, Cn, Co, Cs): dropped by clean_text (the code skips \\t \\n \\r)
  whitespace  the White_Space property (Rust ``char::is_whitespace``): ``str.isspace()`` less U+001C..U+001F,
              which Python counts as space (bidi class B/S) and White_Space does not
  punctuation general category P*, or ASCII punctuation (Rust ``is_ascii_punctuation``: also $+<=>^`|~)
  nonspacing  general category Mn, dropped by strip_accents after NFD
  ccc         the canonical combining class, for NFD's canonical reordering
  lowercase   the full lowercase mapping of the single code point (``chr(c).lower()``, SpecialCasing's
              unconditional rules, as Rust ``char::to_lowercase``), e.g. U+0130 -> U+0069 U+0307
  nfd         the full canonical decomposition (``unicodedata.normalize("NFD", chr(c))``); Hangul syllables are
              left to the algorithm in the C++ code
Python 3.11 carries Unicode 14.0; where the Rust crates behind ``tokenizers`` use another version the results
differ only for the code points that version assigns differently (docs/dense.md lists them).

Output: a two-stage lookup (blocks of 128 code points, identical blocks shared) into a table of records
(flags, ccc, lowercase and decomposition as slices of one code-point pool).

Usage: python gen_wordpiece_tables.py OUTPUT.inc
"""

from __future__ import annotations

import os
import sys
import unicodedata

MAX_CODE_POINT = 0x110000
BLOCK_BITS = 7
BLOCK_SIZE = 1 << BLOCK_BITS
HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3

CONTROL, WHITESPACE, PUNCTUATION, NONSPACING = 1, 2, 4, 8
# U+001C..U+001F are str.isspace() (bidi B/S) but not White_Space.
NOT_WHITE_SPACE = frozenset(range(0x1C, 0x20))
# White_Space (PropList.txt), stable since Unicode 6.3: the derived set is checked against it.
WHITE_SPACE = frozenset(
    [*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000]
)


def flags_of(code_point: int) -> int:
    char = chr(code_point)
    category = unicodedata.category(char)
    flags = 0
    if category.startswith("C"):
        flags |= CONTROL
    if char.isspace() and code_point not in NOT_WHITE_SPACE:
        flags |= WHITESPACE
    if category.startswith("P") or (code_point < 0x80 and 0x21 <= code_point <= 0x7E and not char.isalnum()):
        flags |= PUNCTUATION
    if category == "Mn":
        flags |= NONSPACING
    return flags


def mapping(code_point: int, mapped: str) -> tuple[int, ...]:
    """``mapped`` as code points, or () where it is the code point itself."""
    points = tuple(ord(c) for c in mapped)
    return () if points == (code_point,) else points


def build_tables() -> tuple[list[int], list[int], list[tuple[int, ...]], list[int]]:
    pool: list[int] = []
    slices: dict[tuple[int, ...], tuple[int, int]] = {(): (0, 0)}

    def slice_of(points: tuple[int, ...]) -> tuple[int, int]:
        if points not in slices:
            slices[points] = (len(pool), len(points))
            pool.extend(points)
        return slices[points]

    records: dict[tuple[int, ...], int] = {}
    blocks: dict[tuple[int, ...], int] = {}
    stage1: list[int] = []
    stage2: list[int] = []
    white = set()
    for block_start in range(0, MAX_CODE_POINT, BLOCK_SIZE):
        block = []
        for cp in range(block_start, block_start + BLOCK_SIZE):
            if 0xD800 <= cp <= 0xDFFF:  # surrogates reach the tokenizer as U+FFFD
                record: tuple[int, ...] = (CONTROL, 0, 0, 0, 0, 0)
            else:
                char = chr(cp)
                flags = flags_of(cp)
                if flags & WHITESPACE:
                    white.add(cp)
                lower = slice_of(mapping(cp, char.lower()))
                nfd = (0, 0) if HANGUL_FIRST <= cp <= HANGUL_LAST else slice_of(
                    mapping(cp, unicodedata.normalize("NFD", char))
                )
                record = (flags, unicodedata.combining(char), lower[0], lower[1], nfd[0], nfd[1])
            block.append(records.setdefault(record, len(records)))
        key = tuple(block)
        if key not in blocks:
            blocks[key] = len(blocks)
            stage2.extend(key)
        stage1.append(blocks[key])
    if white != WHITE_SPACE:
        raise RuntimeError(f"derived White_Space differs from PropList's: {sorted(white ^ WHITE_SPACE)}")
    if len(records) > 0xFFFF or len(pool) > 0xFFFF:
        raise RuntimeError("tables outgrew their 16-bit indices")
    return stage1, stage2, sorted(records, key=records.__getitem__), pool


def format_array(ctype: str, name: str, values: list[int]) -> str:
    rows = [", ".join(str(v) for v in values[i : i + 24]) for i in range(0, len(values), 24)]
    return f"static const {ctype} {name}[{len(values)}] = {{\n  " + ",\n  ".join(rows) + "\n};\n"


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: gen_wordpiece_tables.py OUTPUT.inc")
    stage1, stage2, records, pool = build_tables()
    lines = [
        "// Generated by csrc/tokenizer/gen_wordpiece_tables.py from Python's unicodedata "
        f"(Unicode {unicodedata.unidata_version}); do not edit.\n",
        f"static constexpr int kWordPieceBlockBits = {BLOCK_BITS};\n",
        f'static constexpr const char* kWordPieceUnicodeVersion = "{unicodedata.unidata_version}";\n',
        format_array("std::uint16_t", "kWordPieceStage1", stage1),
        format_array("std::uint16_t", "kWordPieceStage2", stage2),
        "static const WordPieceCharRecord kWordPieceRecords[" + str(len(records)) + "] = {\n  "
        + ",\n  ".join("{" + ", ".join(str(v) for v in r) + "}" for r in records) + "\n};\n",
        format_array("char32_t", "kWordPiecePool", pool or [0]),
    ]
    out = sys.argv[1]
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        f.write("".join(lines))


if __name__ == "__main__":
    main()
