// The default segmenter: a token is a maximal run of letters and digits (Python's str.isalnum()) in UTF-8
// text, lowercased on the way with the Unicode simple case mapping when asked. With word extenders kept (the
// "letters_marks" segmenter), the combining marks and zero-width joiners after a token's first character stay
// in it: Devanagari, Tamil or vocalised Arabic words are runs of letters and marks, which str.isalnum() splits.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "analysis/unicode.hpp"

namespace sparsebolt {

class LettersDigitsSegmenter {
 public:
  LettersDigitsSegmenter(bool lowercase, bool keep_word_extenders);

  // Calls on_token(std::string_view token) for each token in text order, lowercased if configured.
  // A token that needs no change is a view into the text itself; others are built in `scratch`.
  template <class OnToken>
  void for_each_token(std::string_view text, std::string& scratch, OnToken&& on_token) const;

 private:
  // Byte classes for the scan: what an ASCII byte means for a token, and kByteNonAscii for
  // bytes that start or continue a multi-byte sequence.
  static constexpr unsigned char kByteSeparator = 0;
  static constexpr unsigned char kByteKeep = 1;    // a token byte that stays as it is
  static constexpr unsigned char kByteChange = 2;  // an ASCII capital that lowercasing changes
  static constexpr unsigned char kByteNonAscii = 3;

  // The first position from `pos` on whose byte is not kByteKeep (or `size`). Eight bytes per step: a byte
  // loop stalls on each table load and mispredicts where every token ends.
  std::size_t end_of_kept_run(const char* text, std::size_t size, std::size_t pos) const noexcept {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; pos + 8 <= size; pos += 8) {
      std::uint64_t word;
      std::memcpy(&word, text + pos, 8);
      const std::uint64_t stops = non_kept_bytes(word);
      if (stops != 0) return pos + static_cast<std::size_t>(__builtin_ctzll(stops) >> 3);
    }
#endif
    while (pos < size && byte_class_[static_cast<unsigned char>(text[pos])] == kByteKeep) ++pos;
    return pos;
  }

  // The high bit of each byte of `word` whose class is not kByteKeep: bytes outside [a-z0-9] (and [A-Z] when
  // not lowercasing), including every non-ASCII byte. Per-byte compares on the low 7 bits never carry.
  std::uint64_t non_kept_bytes(std::uint64_t word) const noexcept {
    constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
    const std::uint64_t low7 = word & ~kHigh;
    const auto at_least = [low7](unsigned char c) { return (low7 + (0x80u - c) * kOnes) & kHigh; };
    std::uint64_t keep = (at_least('a') & ~at_least('z' + 1)) | (at_least('0') & ~at_least('9' + 1));
    if (!lowercase_) keep |= at_least('A') & ~at_least('Z' + 1);
    return ~(keep & ~word) & kHigh;
  }

  // Continues a token in `scratch` from text[pos] through any letters and digits, lowercasing as
  // configured, and returns the position after the character that ended it.
  std::size_t continue_token(const char* text, std::size_t size, std::size_t pos, std::string& scratch) const;

  bool lowercase_;
  bool keep_word_extenders_;
  unsigned char byte_class_[256];
};

template <class OnToken>
void LettersDigitsSegmenter::for_each_token(std::string_view text, std::string& scratch, OnToken&& on_token) const {
  const char* data = text.data();
  const std::size_t size = text.size();
  std::size_t pos = 0;
  while (pos < size) {
    const unsigned char first = byte_class_[static_cast<unsigned char>(data[pos])];
    if (first == kByteSeparator) {
      ++pos;
      continue;
    }
    // Most tokens are lowercase ASCII followed by an ASCII separator: pass those as views, no copy.
    const std::size_t start = pos;
    unsigned char cls = first;
    if (cls == kByteKeep) {
      pos = end_of_kept_run(data, size, pos + 1);
      if (pos < size) cls = byte_class_[static_cast<unsigned char>(data[pos])];
    }
    if (pos == size || cls == kByteSeparator) {
      on_token(std::string_view(data + start, pos - start));
      continue;
    }
    scratch.assign(data + start, pos - start);
    pos = continue_token(data, size, pos, scratch);
    if (!scratch.empty()) on_token(std::string_view(scratch));
  }
}

}  // namespace sparsebolt
