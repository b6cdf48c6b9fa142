// The language, stemmer and segmenter tables. Adding a language is one row in languages() plus its
// stemmer (a row in stemmers()) and its stopword file, where those are new.
#include "analysis/languages.hpp"

#include <stdexcept>

#include "analysis/stemmer_english.hpp"

namespace sparsebolt {
namespace {

template <class Row, class Name>
std::string quoted_names(const std::vector<Row>& rows, Name&& name_of) {
  std::string out;
  for (const Row& row : rows) {
    if (!out.empty()) out += ", ";
    out += "'" + std::string(name_of(row)) + "'";
  }
  return out;
}

}  // namespace

const std::vector<Language>& languages() {
  static const std::vector<Language> table = {
      // code, aliases, stemmer, stopwords, segmenter
      {"en", {"english"}, "english", "english", "letters_digits"},
  };
  return table;
}

const Language& find_language(std::string_view name) {
  for (const Language& language : languages()) {
    if (language.code == name) return language;
    for (std::string_view alias : language.aliases)
      if (alias == name) return language;
  }
  std::string known;
  for (const Language& language : languages()) {
    if (!known.empty()) known += ", ";
    known += "'" + std::string(language.code) + "'";
    for (std::string_view alias : language.aliases) known += " or '" + std::string(alias) + "'";
  }
  throw std::invalid_argument("no default analyzer for language '" + std::string(name) + "'; available: " + known);
}

const std::vector<Stemmer>& stemmers() {
  static const std::vector<Stemmer> table = {
      {"english", StemmerKind::kEnglish, &stem_english},  // Snowball English (Porter2), stemmer_english.cpp
      {"none", StemmerKind::kNone, nullptr},
  };
  return table;
}

const Stemmer& find_stemmer(std::string_view name) {
  for (const Stemmer& stemmer : stemmers())
    if (stemmer.name == name) return stemmer;
  throw std::invalid_argument("unknown stemmer '" + std::string(name) + "'; choose one of " +
                              quoted_names(stemmers(), [](const Stemmer& s) { return s.name; }));
}

const Stemmer& stemmer_of(StemmerKind kind) noexcept {
  for (const Stemmer& stemmer : stemmers())
    if (stemmer.kind == kind) return stemmer;
  return stemmers().back();  // unreachable: every kind has a row
}

const std::vector<Segmenter>& segmenters() {
  static const std::vector<Segmenter> table = {
      {"letters_digits", SegmenterKind::kLettersDigits,
       "maximal runs of Unicode letters and digits (str.isalnum(), [^\\W_]+)"},
      {"external", SegmenterKind::kExternal, "token lists from the caller (a Python segmenter)"},
  };
  return table;
}

const Segmenter& find_segmenter(std::string_view name) {
  for (const Segmenter& segmenter : segmenters())
    if (segmenter.name == name) return segmenter;
  throw std::invalid_argument("unknown segmenter '" + std::string(name) + "'; choose one of " +
                              quoted_names(segmenters(), [](const Segmenter& s) { return s.name; }));
}

const Segmenter& segmenter_of(SegmenterKind kind) noexcept {
  for (const Segmenter& segmenter : segmenters())
    if (segmenter.kind == kind) return segmenter;
  return segmenters().front();  // unreachable: every kind has a row
}

}  // namespace sparsebolt
