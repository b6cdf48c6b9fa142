// The letters-and-digits segmenter's byte table and its slow path (non-ASCII and changed characters).
#include "analysis/letters_digits.hpp"

namespace sparsebolt {

LettersDigitsSegmenter::LettersDigitsSegmenter(bool lowercase, bool keep_word_extenders)
    : lowercase_(lowercase), keep_word_extenders_(keep_word_extenders) {
  for (unsigned byte = 0; byte < 256; ++byte) {
    if (byte >= 0x80) {
      byte_class_[byte] = kByteNonAscii;
    } else if (!unicode::is_token_char(byte)) {
      byte_class_[byte] = kByteSeparator;
    } else {
      const bool changes = lowercase_ && unicode::simple_lowercase(byte) != byte;
      byte_class_[byte] = changes ? kByteChange : kByteKeep;
    }
  }
}

std::size_t LettersDigitsSegmenter::continue_token(const char* text, std::size_t size, std::size_t pos,
                                                   std::string& scratch) const {
  while (pos < size) {
    const auto byte = static_cast<unsigned char>(text[pos]);
    const unsigned char cls = byte_class_[byte];
    if (cls == kByteSeparator) return pos + 1;
    if (cls != kByteNonAscii) {
      scratch.push_back(static_cast<char>(cls == kByteChange ? unicode::simple_lowercase(byte) : byte));
      ++pos;
      continue;
    }
    const unicode::Decoded decoded = unicode::decode_utf8(text, size, pos);
    pos += decoded.length;
    if (decoded.code_point == unicode::kInvalid) return pos;
    if (unicode::is_token_char(decoded.code_point)) {
      unicode::append_utf8(scratch, lowercase_ ? unicode::simple_lowercase(decoded.code_point) : decoded.code_point);
    } else if (keep_word_extenders_ && !scratch.empty() && unicode::is_word_extender(decoded.code_point)) {
      unicode::append_utf8(scratch, decoded.code_point);  // marks have no case
    } else {
      return pos;
    }
  }
  return pos;
}

}  // namespace sparsebolt
