// The language, stemmer and segmenter tables. Adding a language is one row in languages() plus its
// stemmer (a row in stemmers()) and its stopword file, where those are new.
#include "analysis/languages.hpp"

#include <stdexcept>

#include "analysis/stemmer_english.hpp"
#include "analysis/stemmer_snowball.hpp"

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

std::vector<Stemmer> build_stemmers() {
  // The hand-written English stemmer is "english": it equals Snowball's english and is faster (a stack buffer
  // on bytes, no code point conversion); the generated one is still reachable as snowball_algorithms().
  std::vector<Stemmer> table = {
      {"english", &stem_english, "Snowball english, hand-written (stemmer_english.cpp)"},
      {"none", nullptr, "no stemming"},
  };
  static const std::string source = std::string("Snowball ") + snowball_version();
  for (const SnowballAlgorithm& algorithm : snowball_algorithms())
    if (algorithm.name != "english") table.push_back({algorithm.name, algorithm.stem, source});
  return table;
}

}  // namespace

const std::vector<Language>& languages() {
  // Codes are ISO 639-1; the aliases add pymilvus.model's codes (sp, jp, kr) and the English names. The languages
  // of pymilvus.model's table (en de fr ru es it pt) segment as it does, on str.isalnum().
  static const std::vector<Language> table = {
      // code, aliases, stemmer, stopwords (NLTK's lists), segmenter
      {"en", {"english"}, "english", "english", "letters_digits"},
      {"de", {"german"}, "german", "german", "letters_digits"},
      {"fr", {"french"}, "french", "french", "letters_digits"},
      {"ru", {"russian"}, "russian", "russian", "letters_digits"},
      {"es", {"sp", "spanish"}, "spanish", "spanish", "letters_digits"},
      {"it", {"italian"}, "italian", "italian", "letters_digits"},
      {"pt", {"portuguese"}, "portuguese", "portuguese", "letters_digits"},
      // Languages pymilvus.model does not have: their words keep the combining marks that follow a letter
      // (Devanagari and Tamil vowel signs and viramas, Arabic harakat), which str.isalnum() would split off
      {"nl", {"dutch"}, "dutch", "dutch", "letters_marks"},
      {"sv", {"swedish"}, "swedish", "swedish", "letters_marks"},
      {"no", {"nb", "norwegian"}, "norwegian", "norwegian", "letters_marks"},
      {"da", {"danish"}, "danish", "danish", "letters_marks"},
      {"fi", {"finnish"}, "finnish", "finnish", "letters_marks"},
      {"hu", {"hungarian"}, "hungarian", "hungarian", "letters_marks"},
      {"ro", {"romanian"}, "romanian", "romanian", "letters_marks"},
      {"tr", {"turkish"}, "turkish", "turkish", "letters_marks"},
      {"el", {"greek"}, "greek", "greek", "letters_marks"},
      {"ar", {"arabic"}, "arabic", "arabic", "letters_marks"},
      {"ta", {"tamil"}, "tamil", "tamil", "letters_marks"},
      {"ca", {"catalan"}, "catalan", "catalan", "letters_marks"},
      {"eu", {"basque"}, "basque", "basque", "letters_marks"},
      {"id", {"indonesian"}, "indonesian", "indonesian", "letters_marks"},
      {"ne", {"nepali"}, "nepali", "nepali", "letters_marks"},
      // Snowball stemmers without an NLTK stopword list
      {"hy", {"armenian"}, "armenian", "", "letters_marks"},
      {"cs", {"czech"}, "czech", "", "letters_marks"},
      {"eo", {"esperanto"}, "esperanto", "", "letters_marks"},
      {"et", {"estonian"}, "estonian", "", "letters_marks"},
      {"hi", {"hindi"}, "hindi", "", "letters_marks"},
      {"ga", {"irish"}, "irish", "", "letters_marks"},
      {"lt", {"lithuanian"}, "lithuanian", "", "letters_marks"},
      {"fa", {"persian"}, "persian", "", "letters_marks"},
      {"pl", {"polish"}, "polish", "", "letters_marks"},
      {"sr", {"serbian"}, "serbian", "", "letters_marks"},
      {"st", {"sesotho"}, "sesotho", "", "letters_marks"},
      {"yi", {"yiddish"}, "yiddish", "", "letters_marks"},
      // Segmented by a library segmenter (python/sparsebolt/sparse/segmenters/; natively where its row in
      // segmenters() is kDictionary), then stopped natively; no stemming
      {"zh", {"chinese", "cn"}, "none", "chinese", "jieba"},
      {"ja", {"jp", "japanese"}, "none", "japanese", "mecab"},
      {"ko", {"kr", "korean"}, "none", "korean", "mecab_ko"},
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
  static const std::vector<Stemmer> table = build_stemmers();
  return table;
}

const Stemmer& find_stemmer(std::string_view name) {
  for (const Stemmer& stemmer : stemmers())
    if (stemmer.name == name) return stemmer;
  throw std::invalid_argument("unknown stemmer '" + std::string(name) + "'; choose one of " +
                              quoted_names(stemmers(), [](const Stemmer& s) { return s.name; }));
}

const std::vector<Segmenter>& segmenters() {
  static const std::vector<Segmenter> table = {
      {"letters_digits", SegmenterKind::kLettersDigits,
       "maximal runs of Unicode letters and digits (str.isalnum(), [^\\W_]+)"},
      {"letters_marks", SegmenterKind::kLettersMarks,
       "maximal runs of Unicode letters and digits, with the combining marks and zero-width joiners after them"},
      {"jieba", SegmenterKind::kDictionary,
       "Chinese words, jieba's default mode with HMM, native on jieba's dict.txt and HMM tables"},
      {"mecab", SegmenterKind::kDictionary, "Japanese words, MeCab 0.996's best path on unidic-lite (native)"},
      {"mecab_ko", SegmenterKind::kDictionary,
       "Korean content morphemes, MeCab 0.996's best path on mecab-ko-dic (native)"},
      {"external", SegmenterKind::kExternal, "token lists from the caller (a Python segmenter)"},
      {"kiwi", SegmenterKind::kExternal, "Korean morphemes, Kiwi (a Python segmenter)"},
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
