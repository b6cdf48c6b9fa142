// UTF-8 decoding (strict, per Unicode 3.9 well-formedness) and the generated code point tables.
#include "analysis/unicode.hpp"

namespace sparsebolt::unicode {
namespace {
#include "unicode_tables.inc"

inline std::uint16_t record_index(char32_t code_point) noexcept {
  if (code_point >= 0x110000) return 0;
  const std::uint16_t block = kUnicodeStage1[code_point >> kUnicodeBlockBits];
  return kUnicodeStage2[(static_cast<std::size_t>(block) << kUnicodeBlockBits) |
                        (code_point & ((1u << kUnicodeBlockBits) - 1))];
}

inline bool is_continuation(unsigned char byte) noexcept { return (byte & 0xC0) == 0x80; }
}  // namespace

Decoded decode_utf8(const char* text, std::size_t size, std::size_t pos) noexcept {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text);
  const unsigned char lead = bytes[pos];
  if (lead < 0x80) return {lead, 1};
  const std::size_t left = size - pos;
  // Second-byte ranges exclude overlong forms, UTF-16 surrogates (ED A0..BF) and values past U+10FFFF.
  if (lead >= 0xC2 && lead <= 0xDF) {
    if (left >= 2 && is_continuation(bytes[pos + 1]))
      return {static_cast<char32_t>(((lead & 0x1F) << 6) | (bytes[pos + 1] & 0x3F)), 2};
    return {kInvalid, 1};
  }
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (left < 3) return {kInvalid, 1};
    const unsigned char second = bytes[pos + 1];
    const unsigned char low = lead == 0xE0 ? 0xA0 : 0x80;
    const unsigned char high = lead == 0xED ? 0x9F : 0xBF;
    if (second < low || second > high || !is_continuation(bytes[pos + 2])) return {kInvalid, 1};
    return {static_cast<char32_t>(((lead & 0x0F) << 12) | ((second & 0x3F) << 6) | (bytes[pos + 2] & 0x3F)), 3};
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (left < 4) return {kInvalid, 1};
    const unsigned char second = bytes[pos + 1];
    const unsigned char low = lead == 0xF0 ? 0x90 : 0x80;
    const unsigned char high = lead == 0xF4 ? 0x8F : 0xBF;
    if (second < low || second > high || !is_continuation(bytes[pos + 2]) || !is_continuation(bytes[pos + 3]))
      return {kInvalid, 1};
    return {static_cast<char32_t>(((lead & 0x07) << 18) | ((second & 0x3F) << 12) | ((bytes[pos + 2] & 0x3F) << 6) |
                                  (bytes[pos + 3] & 0x3F)),
            4};
  }
  return {kInvalid, 1};
}

// Record kinds, as gen_unicode_tables.py writes them.
constexpr std::uint8_t kKindToken = 1, kKindWordExtender = 2;

bool is_token_char(char32_t code_point) noexcept { return kUnicodeRecordKind[record_index(code_point)] == kKindToken; }

bool is_word_extender(char32_t code_point) noexcept {
  return kUnicodeRecordKind[record_index(code_point)] == kKindWordExtender;
}

char32_t simple_lowercase(char32_t code_point) noexcept {
  return static_cast<char32_t>(static_cast<std::int32_t>(code_point) +
                               kUnicodeRecordLowerDelta[record_index(code_point)]);
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

const char* tables_version() noexcept { return SPARSEBOLT_UNICODE_VERSION; }

}  // namespace sparsebolt::unicode
