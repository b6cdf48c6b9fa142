// The analyzer's non-template parts: option handling, stemming dispatch, and the inspection path.
#include "analyzer.hpp"

#include "stemmer_english.hpp"

namespace sparsebolt {

Analyzer::Analyzer(AnalyzerOptions options) : options_(std::move(options)) {
  stopwords_.reserve(options_.stopwords.size());
  for (const std::string& word : options_.stopwords) stopwords_.insert(word);
  for (unsigned byte = 0; byte < 256; ++byte) {
    if (byte >= 0x80) {
      byte_class_[byte] = kByteNonAscii;
    } else if (!unicode::is_token_char(byte)) {
      byte_class_[byte] = kByteSeparator;
    } else {
      const bool changes = options_.lowercase && unicode::simple_lowercase(byte) != byte;
      byte_class_[byte] = changes ? kByteChange : kByteKeep;
    }
  }
}

std::size_t Analyzer::continue_token(const char* text, std::size_t size, std::size_t pos, std::string& scratch) const {
  const bool lowercase = options_.lowercase;
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
    if (decoded.code_point == unicode::kInvalid || !unicode::is_token_char(decoded.code_point)) return pos;
    unicode::append_utf8(scratch, lowercase ? unicode::simple_lowercase(decoded.code_point) : decoded.code_point);
  }
  return pos;
}

void Analyzer::normalize(std::string& surface) const {
  if (options_.stemmer == StemmerKind::kEnglish) stem_english(surface);
}

std::vector<std::string> Analyzer::analyze(std::string_view text) const {
  std::vector<std::string> terms;
  std::string scratch;
  for_each_surface_token(text, scratch, [&](std::string_view surface) {
    if (is_stopword(surface)) return;
    std::string term(surface);
    normalize(term);
    terms.push_back(std::move(term));
  });
  return terms;
}

}  // namespace sparsebolt
