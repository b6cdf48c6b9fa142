// The Snowball runtime's among lookups, replacements and UTF-8 conversion (see snowball_env.hpp).
#include "analysis/snowball_env.hpp"

#include <algorithm>

#include "analysis/unicode.hpp"

namespace sparsebolt::snowball {
namespace {

// Invalid UTF-8 bytes (all >= 0x80) travel as U+DC80..U+DCFF: lone surrogates, which valid UTF-8 never decodes to.
constexpr char32_t kEscapeBase = 0xDC00;
constexpr char32_t kEscapeFirst = 0xDC80;
constexpr char32_t kEscapeLast = 0xDCFF;

}  // namespace

void Env::set_current_utf8(std::string_view word) {
  current.clear();
  std::size_t pos = 0;
  while (pos < word.size()) {
    const auto byte = static_cast<unsigned char>(word[pos]);
    if (byte < 0x80) {
      current.push_back(byte);
      ++pos;
      continue;
    }
    const unicode::Decoded decoded = unicode::decode_utf8(word.data(), word.size(), pos);
    current.push_back(decoded.code_point == unicode::kInvalid ? kEscapeBase + byte : decoded.code_point);
    pos += decoded.length;
  }
  cursor = 0;
  limit = static_cast<int>(current.size());
  limit_backward = 0;
  bra = cursor;
  ket = limit;
}

void Env::get_current_utf8(std::string& out) const {
  out.clear();
  for (const char32_t c : current) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c >= kEscapeFirst && c <= kEscapeLast) {
      out.push_back(static_cast<char>(c - kEscapeBase));
    } else {
      unicode::append_utf8(out, c);
    }
  }
}

// A binary search over the table sorted by string, remembering how much of the word each bound already matched,
// then a walk up the substring links to the longest entry that matches (and whose routine, if any, holds).
int Env::find_among(const Among* v, int size) {
  int i = 0;
  int j = size;
  const int c = cursor;
  const int l = limit;
  int common_i = 0;
  int common_j = 0;
  bool first_key_inspected = false;
  while (true) {
    const int k = i + ((j - i) >> 1);
    int diff = 0;
    int common = std::min(common_i, common_j);
    const Among& w = v[k];
    for (int i2 = common; i2 < static_cast<int>(w.s.size()); ++i2) {
      if (c + common == l) {
        diff = -1;
        break;
      }
      diff = static_cast<int>(current[c + common]) - static_cast<int>(w.s[i2]);
      if (diff != 0) break;
      ++common;
    }
    if (diff < 0) {
      j = k;
      common_j = common;
    } else {
      i = k;
      common_i = common;
    }
    if (j - i <= 1) {
      if (i > 0) break;
      if (j == i) break;
      if (first_key_inspected) break;
      first_key_inspected = true;
    }
  }
  while (true) {
    const Among& w = v[i];
    if (common_i >= static_cast<int>(w.s.size())) {
      cursor = c + static_cast<int>(w.s.size());
      if (w.method == nullptr) return w.result;
      if (w.method(*this)) {
        cursor = c + static_cast<int>(w.s.size());
        return w.result;
      }
    }
    i = w.substring_i;
    if (i < 0) return 0;
  }
}

int Env::find_among_b(const Among* v, int size) {
  int i = 0;
  int j = size;
  const int c = cursor;
  const int lb = limit_backward;
  int common_i = 0;
  int common_j = 0;
  bool first_key_inspected = false;
  while (true) {
    const int k = i + ((j - i) >> 1);
    int diff = 0;
    int common = std::min(common_i, common_j);
    const Among& w = v[k];
    for (int i2 = static_cast<int>(w.s.size()) - 1 - common; i2 >= 0; --i2) {
      if (c - common == lb) {
        diff = -1;
        break;
      }
      diff = static_cast<int>(current[c - 1 - common]) - static_cast<int>(w.s[i2]);
      if (diff != 0) break;
      ++common;
    }
    if (diff < 0) {
      j = k;
      common_j = common;
    } else {
      i = k;
      common_i = common;
    }
    if (j - i <= 1) {
      if (i > 0) break;
      if (j == i) break;
      if (first_key_inspected) break;
      first_key_inspected = true;
    }
  }
  while (true) {
    const Among& w = v[i];
    if (common_i >= static_cast<int>(w.s.size())) {
      cursor = c - static_cast<int>(w.s.size());
      if (w.method == nullptr) return w.result;
      if (w.method(*this)) {
        cursor = c - static_cast<int>(w.s.size());
        return w.result;
      }
    }
    i = w.substring_i;
    if (i < 0) return 0;
  }
}

int Env::replace_s(int c_bra, int c_ket, std::u32string_view s) {
  const int adjustment = static_cast<int>(s.size()) - (c_ket - c_bra);
  current.replace(static_cast<std::size_t>(c_bra), static_cast<std::size_t>(c_ket - c_bra), s.data(), s.size());
  limit += adjustment;
  if (cursor >= c_ket) {
    cursor += adjustment;
  } else if (cursor > c_bra) {
    cursor = c_bra;
  }
  return adjustment;
}

void Env::insert(int c_bra, int c_ket, std::u32string_view s) {
  const int adjustment = replace_s(c_bra, c_ket, s);
  if (c_bra <= bra) bra += adjustment;
  if (c_bra <= ket) ket += adjustment;
}

}  // namespace sparsebolt::snowball
