// The text analyzer: Unicode tokenization, simple-case lowercasing, stopwords, stemming.
// A token is a maximal run of letters and digits (Python's str.isalnum()) in UTF-8 text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "string_table.hpp"
#include "unicode.hpp"

namespace sparsebolt {

enum class StemmerKind { kNone, kEnglish };

struct AnalyzerOptions {
  bool lowercase = true;
  std::vector<std::string> stopwords;  // compared with the token after lowercasing, before stemming
  StemmerKind stemmer = StemmerKind::kEnglish;
};

class Analyzer {
 public:
  explicit Analyzer(AnalyzerOptions options);

  const AnalyzerOptions& options() const noexcept { return options_; }

  // Calls on_surface(std::string& token) for each token in text order, lowercased if configured.
  // The buffer is reused between calls; the callback may modify it.
  template <class OnSurface>
  void for_each_surface_token(std::string_view text, std::string& token, OnSurface&& on_surface) const;

  bool is_stopword(std::string_view surface) const noexcept {
    return stopwords_.size() != 0 && stopwords_.find(surface) != StringTable::kMissing;
  }

  // Turns a surface token into its term in place (stemming); call only for non-stopwords.
  void normalize(std::string& surface) const;

  // The whole pipeline for one text, for inspection and tests.
  std::vector<std::string> analyze(std::string_view text) const;

 private:
  AnalyzerOptions options_;
  StringTable stopwords_;
};

template <class OnSurface>
void Analyzer::for_each_surface_token(std::string_view text, std::string& token, OnSurface&& on_surface) const {
  const char* data = text.data();
  const std::size_t size = text.size();
  const bool lowercase = options_.lowercase;
  token.clear();
  std::size_t pos = 0;
  while (pos < size) {
    const auto byte = static_cast<unsigned char>(data[pos]);
    if (byte < 0x80) {
      // ASCII fast path: str.isalnum() on ASCII is exactly [A-Za-z0-9] (checked against the tables in tests).
      const bool upper = byte - 'A' < 26u;
      if (upper || byte - 'a' < 26u || byte - '0' < 10u) {
        token.push_back(static_cast<char>(upper && lowercase ? byte | 0x20 : byte));
      } else if (!token.empty()) {
        on_surface(token);
        token.clear();
      }
      ++pos;
      continue;
    }
    const unicode::Decoded decoded = unicode::decode_utf8(data, size, pos);
    pos += decoded.length;
    if (decoded.code_point != unicode::kInvalid && unicode::is_token_char(decoded.code_point)) {
      unicode::append_utf8(token, lowercase ? unicode::simple_lowercase(decoded.code_point) : decoded.code_point);
    } else if (!token.empty()) {
      on_surface(token);
      token.clear();
    }
  }
  if (!token.empty()) {
    on_surface(token);
    token.clear();
  }
}

}  // namespace sparsebolt
