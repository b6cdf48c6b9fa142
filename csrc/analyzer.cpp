// The analyzer's non-template parts: option handling, stemming dispatch, and the inspection path.
#include "analyzer.hpp"

#include "stemmer_english.hpp"

namespace sparsebolt {

Analyzer::Analyzer(AnalyzerOptions options) : options_(std::move(options)) {
  stopwords_.reserve(options_.stopwords.size());
  for (const std::string& word : options_.stopwords) stopwords_.insert(word);
}

void Analyzer::normalize(std::string& surface) const {
  if (options_.stemmer == StemmerKind::kEnglish) stem_english(surface);
}

std::vector<std::string> Analyzer::analyze(std::string_view text) const {
  std::vector<std::string> terms;
  std::string token;
  for_each_surface_token(text, token, [&](std::string& surface) {
    if (is_stopword(surface)) return;
    normalize(surface);
    terms.push_back(surface);
  });
  return terms;
}

}  // namespace sparsebolt
