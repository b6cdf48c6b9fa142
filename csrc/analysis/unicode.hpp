// UTF-8 decoding and the per-code-point facts the analyzer needs (token character, simple lowercase).
// Tables are generated at build time from Python's unicodedata (csrc/analysis/gen_unicode_tables.py).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace sparsebolt::unicode {

// A decoded code point, or kInvalid for a byte that starts no well-formed UTF-8 sequence
// (overlong forms, surrogates, truncated sequences, values past U+10FFFF). Invalid bytes are
// consumed one at a time, so malformed input degrades to separators and never stops the scan.
inline constexpr char32_t kInvalid = 0xFFFFFFFF;

struct Decoded {
  char32_t code_point;
  std::size_t length;  // bytes consumed, at least 1
};

// Decodes the sequence starting at text[pos]; requires pos < size.
Decoded decode_utf8(const char* text, std::size_t size, std::size_t pos) noexcept;

// True for letters and digits: what Python's str.isalnum() accepts.
bool is_token_char(char32_t code_point) noexcept;

// True for what belongs to the word it follows without being a letter: combining marks (Mn, Mc, Me: Indic
// vowel signs and viramas, Arabic harakat, combining accents) and the zero-width (non-)joiners U+200C/U+200D.
bool is_word_extender(char32_t code_point) noexcept;

// The Unicode simple lowercase mapping (one code point to one code point).
char32_t simple_lowercase(char32_t code_point) noexcept;

// Appends the UTF-8 encoding of a valid code point.
void append_utf8(std::string& out, char32_t code_point);

// The Unicode version the tables were generated from.
const char* tables_version() noexcept;

}  // namespace sparsebolt::unicode
