"""Generates the BERT WordPiece tokenizer's Unicode tables from this interpreter's ``unicodedata``.

What the Hugging Face ``tokenizers`` BertNormalizer and BertPreTokenizer ask of a code point, each from Python:
  control     general category Cc, Cf, Co or Cs (not Cn): dropped by clean_text (the code skips \\t \\n \\r)
  whitespace  the White_Space property (Rust ``char::is_whitespace``): ``str.isspace()`` less U+001C..U+001F,
              which Python counts as space (bidi class B/S) and White_Space does not
  punctuation general category P*, or ASCII punctuation (Rust ``is_ascii_punctuation``: also $+<=>^`|~)
  nonspacing  general category Mn, dropped by strip_accents after NFD
  ccc         the canonical combining class, for NFD's canonical reordering
  lowercase   the full lowercase mapping of the single code point (``chr(c).lower()``, SpecialCasing's
              unconditional rules, as Rust ``char::to_lowercase``), e.g. U+0130 -> U+0069 U+0307
  nfd         the full canonical decomposition (``unicodedata.normalize("NFD", chr(c))``); Hangul syllables are
              left to the algorithm in the C++ code
Python 3.11 carries Unicode 14.0, and the Rust crates behind ``tokenizers`` other versions. Their differences on
code points that Unicode 14.0 assigns are listed below (TOKENIZERS_DIFFERENCES, NOT_DECOMPOSED, NO_COMBINING_CLASS)
and applied, so the tables follow ``tokenizers``; what remains differs only on code points unassigned in 14.0
(docs/dense.md).

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

# tokenizers takes control / punctuation / nonspacing from the unicode_categories crate (0.1.1), whose tables are
# Unicode 8.0's: these code points, assigned or recategorised since, it classes as 8.0 did. Each entry toggles
# one flag against Unicode 14.0 (found by comparing every code point with tokenizers 0.23.3;
# tests/unit/test_wordpiece.py checks them all). Ranges are inclusive, in hex.
TOKENIZERS_DIFFERENCES = {
    # Cf since 8.0: not a control there, so clean_text keeps them
    "control": "890-891 8E2 110CD 13430-13438",
    # P* since 8.0 (U+166D: Po in 8.0, So now; U+111C9: Po in 8.0, Mn now)
    "punctuation": "61D 9FD A76 C77 C84 166D 1B7D-1B7E 2E43-2E4F 2E52-2E5D 10EAD 10F55-10F59 10F86-10F89 111C9 "
    "1144B-1144F 1145A-1145B 1145D 11660-1166C 116B9 1183B 11944-11946 119E2 11A3F-11A46 11A9A-11A9C 11A9E-11AA2 "
    "11C41-11C45 11C70-11C71 11EF7-11EF8 11FFF 12FF1-12FF2 16E97-16E9A 16FE2 1E95E-1E95F",
    # Mn since 8.0, so strip_accents keeps them (U+1734: Mn in 8.0, Mc now)
    "nonspacing": "7FD 898-89F 8CA-8E1 9FE AFA-AFF B55 C04 C3C D00 D3B-D3C D81 EBA 1734 180F 1885-1886 1ABF-1ACE "
    "1DF6-1DFB A82C A8C5 A8FF A9BD 10D24-10D27 10EAB-10EAC 10F46-10F50 10F82-10F85 11070 11073-11074 110C2 111C9 "
    "111CF 1123E 1133B 11438-1143F 11442-11444 11446 1145E 1182F-11837 11839-1183A 1193B-1193C 1193E 11943 "
    "119D4-119D7 119DA-119DB 119E0 11A01-11A0A 11A33-11A38 11A3B-11A3E 11A47 11A51-11A56 11A59-11A5B 11A8A-11A96 "
    "11A98-11A99 11C30-11C36 11C38-11C3D 11C3F 11C92-11CA7 11CAA-11CB0 11CB2-11CB3 11CB5-11CB6 11D31-11D36 11D3A "
    "11D3C-11D3D 11D3F-11D45 11D47 11D90-11D91 11D95 11D97 11EF3-11EF4 16F4F 16FE4 1CF00-1CF2D 1CF30-1CF46 "
    "1E000-1E006 1E008-1E018 1E01B-1E021 1E023-1E024 1E026-1E02A 1E130-1E136 1E2AE 1E2EC-1E2EF 1E944-1E94A",
}
# Canonical decompositions added after the normalisation crate's (unicode-normalization-alignments) Unicode version.
NOT_DECOMPOSED = frozenset([0x11938])
# Marks whose combining class that crate does not know (0 there, so NFD never reorders them); only marks that
# strip_accents keeps matter, and these are those (found against tokenizers 0.23.3 with U+1D165, class 216).
NO_COMBINING_CLASS = (
    "7FD 898-89F 8CA-8D3 9FE C3C D3B-D3C EBA 1715 1ABF-1ACE 1DF6-1DFA A82C 10D24-10D27 10EAB-10EAC 10F46-10F50 "
    "10F82-10F85 11070 1133B 1145E 11839-1183A 1193D-1193E 11943 119E0 11A34 11A47 11A99 11D42 11D44-11D45 11D97 "
    "16FF0-16FF1 1E130-1E136 1E2AE 1E2EC-1E2EF"
)


def code_points(ranges: str) -> frozenset[int]:
    points: set[int] = set()
    for part in ranges.split():
        first, _, last = part.partition("-")
        points.update(range(int(first, 16), int(last or first, 16) + 1))
    return frozenset(points)


TOGGLES = {name: code_points(ranges) for name, ranges in TOKENIZERS_DIFFERENCES.items()}
CLASS_ZERO = code_points(NO_COMBINING_CLASS)


def flags_of(code_point: int) -> int:
    char = chr(code_point)
    category = unicodedata.category(char)
    flags = 0
    if category in ("Cc", "Cf", "Co", "Cs"):  # unicode_categories' is_other: Cn (unassigned) is not in it
        flags |= CONTROL
    if char.isspace() and code_point not in NOT_WHITE_SPACE:
        flags |= WHITESPACE
    if category.startswith("P") or (code_point < 0x80 and 0x21 <= code_point <= 0x7E and not char.isalnum()):
        flags |= PUNCTUATION
    if category == "Mn":
        flags |= NONSPACING
    for name, flag in (("control", CONTROL), ("punctuation", PUNCTUATION), ("nonspacing", NONSPACING)):
        if code_point in TOGGLES[name]:
            flags ^= flag
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
                algorithmic = HANGUL_FIRST <= cp <= HANGUL_LAST or cp in NOT_DECOMPOSED
                nfd = (0, 0) if algorithmic else slice_of(
                    mapping(cp, unicodedata.normalize("NFD", char))
                )
                ccc = 0 if cp in CLASS_ZERO else unicodedata.combining(char)
                record = (flags, ccc, lower[0], lower[1], nfd[0], nfd[1])
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
