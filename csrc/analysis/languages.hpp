// The language table: per language, its code and aliases, stemmer, default stopword list and segmenter,
// with the tables of the stemmers and segmenters it names. Python reads these through bindings.cpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sparsebolt {

struct Stemmer {
  std::string_view name;
  void (*stem)(std::string& word);  // in place, on a lowercase UTF-8 word; thread-safe; null for "none"
  std::string_view source;          // where the algorithm comes from, for reprs and params files
};

// How text becomes surface tokens. kDictionary: a DictionarySegmenter built from loaded data, which the
// analyzer is given with its name. kExternal: the caller segments (a Python segmenter) and hands the analyzer
// token lists, which still go through lowercasing, stopwords and stemming here.
// kLettersMarks: letters and digits, with the combining marks and joiners that follow them kept in the word.
enum class SegmenterKind { kLettersDigits, kLettersMarks, kDictionary, kExternal };

struct Segmenter {
  std::string_view name;
  SegmenterKind kind;
  std::string_view description;
};

struct Language {
  std::string_view code;                  // ISO 639-1, as pymilvus.model's build_default_analyzer takes it
  std::vector<std::string_view> aliases;  // other names accepted for the code: pymilvus.model's, the English name
  std::string_view stemmer;               // a name in stemmers(); "none" where there is no native stemmer
  std::string_view stopwords;             // a list in python/sparsebolt/sparse/stopwords/ (<name>.txt); "" for none
  std::string_view segmenter;             // a name in segmenters()
};

// Every language with a default analyzer, in table order.
const std::vector<Language>& languages();
// The language whose code or alias is `name`; throws std::invalid_argument listing the known ones.
const Language& find_language(std::string_view name);

// The hand-written English stemmer, "none", then every other Snowball algorithm under its Snowball name.
const std::vector<Stemmer>& stemmers();
// Throws std::invalid_argument listing the known stemmers.
const Stemmer& find_stemmer(std::string_view name);

// Native segmenters first (letters and digits, then the dictionary segmenters), then the external ones:
// "external" (any Python segmenter) and the named segmenters that run in Python (the caller maps names to code).
const std::vector<Segmenter>& segmenters();
// Throws std::invalid_argument listing the known segmenters.
const Segmenter& find_segmenter(std::string_view name);
const Segmenter& segmenter_of(SegmenterKind kind) noexcept;

}  // namespace sparsebolt
