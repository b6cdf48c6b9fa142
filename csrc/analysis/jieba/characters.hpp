// The character classes of jieba's default mode, from its regular expressions (jieba/__init__.py re_han_default,
// re_skip_default; jieba/finalseg/__init__.py re_han, re_skip), and the small alphabet the dictionary is keyed by.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sparsebolt::jieba {

// jieba's Han range, [\u4E00-\u9FD5]: the characters its HMM has emission probabilities for.
inline constexpr char32_t kHanFirst = 0x4E00;
inline constexpr char32_t kHanLast = 0x9FD5;
inline constexpr std::size_t kHanCount = kHanLast - kHanFirst + 1;

// A block character (re_han_default, [\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]) as a symbol: ASCII characters keep
// their code, Han characters follow from 128. Dictionary words with any other character can never match.
using Symbol = std::uint16_t;
inline constexpr std::size_t kSymbolCount = 128 + kHanCount;

constexpr bool is_ascii_alnum(char32_t c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

constexpr bool is_block_char(char32_t c) noexcept {
  if (c < 128)
    return is_ascii_alnum(c) || c == '+' || c == '#' || c == '&' || c == '.' || c == '_' || c == '%' || c == '-';
  return c >= kHanFirst && c <= kHanLast;
}

// Requires is_block_char(c).
constexpr Symbol symbol_of(char32_t c) noexcept { return static_cast<Symbol>(c < 128 ? c : 128 + (c - kHanFirst)); }

constexpr bool is_han_symbol(Symbol s) noexcept { return s >= 128; }
constexpr bool is_alnum_symbol(Symbol s) noexcept { return s < 128 && is_ascii_alnum(s); }
constexpr bool is_digit_symbol(Symbol s) noexcept { return s >= '0' && s <= '9'; }

// Python's str.isspace(), which is also re's \s on str: outside a block jieba yields every character alone,
// whitespace included, and the segmenter drops the whitespace ones. The set has not changed since Unicode 6.3
// (tests/unit/test_segmenters_zh.py checks it against every code point).
constexpr bool is_python_space(char32_t c) noexcept {
  if (c < 0x80) return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
  if (c < 0x2000) return c == 0x85 || c == 0xA0 || c == 0x1680;
  return c <= 0x200A || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

}  // namespace sparsebolt::jieba
