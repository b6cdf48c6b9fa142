// The analyzer's non-template parts: option handling, lowercasing of external tokens, and inspection.
#include "analysis/analyzer.hpp"

#include <stdexcept>

#include "analysis/unicode.hpp"

namespace sparsebolt {

Analyzer::Analyzer(AnalyzerOptions options)
    : options_(std::move(options)),
      segmenter_kind_(find_segmenter(options_.segmenter).kind),
      stem_(find_stemmer(options_.stemmer).stem),
      letters_digits_(options_.lowercase, segmenter_kind_ == SegmenterKind::kLettersMarks) {
  options_.stemmer = find_stemmer(options_.stemmer).name;
  options_.segmenter = find_segmenter(options_.segmenter).name;
  if (segmenter_kind_ == SegmenterKind::kDictionary) {
    if (options_.dictionary == nullptr || options_.dictionary->name() != options_.segmenter)
      throw std::invalid_argument("the segmenter '" + std::string(options_.segmenter) +
                                  "' runs on a loaded dictionary: pass that segmenter's object, not only its name");
  } else if (options_.dictionary != nullptr) {
    throw std::invalid_argument("a dictionary segmenter ('" + std::string(options_.dictionary->name()) +
                                "') was given for the segmenter '" + std::string(options_.segmenter) +
                                "', which takes none");
  }
  stopwords_.reserve(options_.stopwords.size());
  for (const std::string& word : options_.stopwords) stopwords_.insert(word);
}

void Analyzer::throw_not_native(std::string_view segmenter) {
  throw std::invalid_argument("this analyzer's segmenter '" + std::string(segmenter) +
                              "' runs outside the core (in Python): segment the texts first and pass their token "
                              "lists, or build the analyzer with a Python segmenter for it");
}

const std::vector<std::string_view>& Analyzer::dictionary_tokens(std::string_view text) const {
  // Per thread, reused across texts: the worker threads of a batch each segment their own texts.
  thread_local std::string rewritten;
  thread_local std::vector<std::string_view> tokens;
  options_.dictionary->segment(text, rewritten, tokens);
  return tokens;
}

std::string_view Analyzer::surface_of(std::string_view token, std::string& scratch) const {
  if (!options_.lowercase) return token;
  std::size_t pos = 0;
  while (pos < token.size()) {
    const auto byte = static_cast<unsigned char>(token[pos]);
    if (byte >= 0x80 || (byte >= 'A' && byte <= 'Z')) break;
    ++pos;
  }
  if (pos == token.size()) return token;
  // Lowercased code point by code point; bytes that decode to nothing pass through unchanged.
  scratch.assign(token.data(), pos);
  while (pos < token.size()) {
    const unicode::Decoded decoded = unicode::decode_utf8(token.data(), token.size(), pos);
    if (decoded.code_point == unicode::kInvalid) {
      scratch.push_back(token[pos]);
    } else {
      unicode::append_utf8(scratch, unicode::simple_lowercase(decoded.code_point));
    }
    pos += decoded.length;
  }
  return scratch;
}

std::vector<std::string> Analyzer::analyze(std::string_view text) const {
  std::vector<std::string> terms;
  std::string scratch, term;
  for_each_surface_token(text, scratch, [&](std::string_view surface) {
    if (term_of(surface, term)) terms.push_back(term);
  });
  return terms;
}

std::vector<std::string> Analyzer::analyze_tokens(const std::vector<std::string_view>& tokens) const {
  std::vector<std::string> terms;
  std::string scratch, term;
  for (std::string_view token : tokens) {
    if (token.empty()) continue;  // a segmenter's empty token is no word, as the native ones never make one
    if (term_of(surface_of(token, scratch), term)) terms.push_back(term);
  }
  return terms;
}

}  // namespace sparsebolt
