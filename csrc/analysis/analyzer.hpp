// The text analyzer: segmentation into surface tokens, simple-case lowercasing, stopwords, stemming.
// The segmenter is native (letters and digits, or a dictionary segmenter on loaded data) or external: token
// lists from the caller, which then take the same lowercase -> stopword -> stem path.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/dictionary_segmenter.hpp"
#include "analysis/languages.hpp"
#include "analysis/letters_digits.hpp"
#include "string_table.hpp"

namespace sparsebolt {

struct AnalyzerOptions {
  bool lowercase = true;
  std::vector<std::string> stopwords;  // compared with the token after lowercasing, before stemming
  // Names in stemmers() and segmenters(); the Analyzer resolves them (std::invalid_argument for unknown ones)
  // and keeps the tables' own views, so the caller's strings need not outlive the constructor.
  std::string_view stemmer = "english";
  std::string_view segmenter = "letters_digits";
  // The loaded segmenter for a row of kind kDictionary, whose name() is `segmenter`; null for every other kind.
  std::shared_ptr<const DictionarySegmenter> dictionary;
};

class Analyzer {
 public:
  explicit Analyzer(AnalyzerOptions options);

  const AnalyzerOptions& options() const noexcept { return options_; }

  // Calls on_surface(std::string_view token) for each token of the native segmenter in text order,
  // lowercased if configured. Throws std::invalid_argument for an external segmenter, whose tokens
  // come as lists (surface_of).
  template <class OnSurface>
  void for_each_surface_token(std::string_view text, std::string& scratch, OnSurface&& on_surface) const {
    switch (segmenter_kind_) {
      case SegmenterKind::kLettersDigits:
      case SegmenterKind::kLettersMarks: letters_digits_.for_each_token(text, scratch, on_surface); return;
      case SegmenterKind::kDictionary:
        for (std::string_view token : dictionary_tokens(text))
          if (!token.empty()) on_surface(surface_of(token, scratch));
        return;
      case SegmenterKind::kExternal: break;
    }
    throw_not_native(options_.segmenter);
  }

  // A token from an external segmenter as a native one passes it on: lowercased if configured (a view of
  // `token` itself when that changes nothing, else built in `scratch`).
  std::string_view surface_of(std::string_view token, std::string& scratch) const;

  // The analyzer's step from a surface token to a term: false for a stopword, else `term` holds the
  // token stemmed. Every path (counting, encoding, queries, inspection) goes through here.
  bool term_of(std::string_view surface, std::string& term) const {
    if (stopwords_.size() != 0 && stopwords_.find(surface) != StringTable::kMissing) return false;
    term.assign(surface);
    if (stem_ != nullptr) stem_(term);
    return true;
  }

  // The whole pipeline for one text, or for one external segmenter's tokens, for inspection and tests.
  std::vector<std::string> analyze(std::string_view text) const;
  std::vector<std::string> analyze_tokens(const std::vector<std::string_view>& tokens) const;

 private:
  [[noreturn]] static void throw_not_native(std::string_view segmenter);
  // The dictionary segmenter's tokens of `text`, in this thread's buffers (valid until its next call).
  const std::vector<std::string_view>& dictionary_tokens(std::string_view text) const;

  AnalyzerOptions options_;
  SegmenterKind segmenter_kind_;
  StringTable stopwords_;
  void (*stem_)(std::string&);
  LettersDigitsSegmenter letters_digits_;
};

}  // namespace sparsebolt
