// Internal: how each document becomes term ids, for counting (ids in the statistics being built) and for
// encoding (model ids): the analyzer's term_of step behind a per-chunk cache of surface tokens.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/analyzer.hpp"
#include "bm25/model.hpp"
#include "bm25/statistics.hpp"
#include "string_table.hpp"

namespace sparsebolt::detail {

inline constexpr std::int32_t kStopword = -2;  // a surface the analyzer drops: not a term, not counted in length
inline constexpr std::int32_t kUnknown = -1;   // an analyzed term outside the vocabulary: counted in length only

// A vocabulary maps a term to its id. Counting adds each new term to the statistics being built.
inline auto counting_vocabulary(CorpusStatistics& stats) {
  return [&terms = stats.terms](std::string_view term) { return terms.insert(term).first; };
}

// Encoding looks terms up in the model; a term it lacks is kUnknown.
inline auto model_vocabulary(const Bm25Model& model) {
  return [&terms = model.terms()](std::string_view term) {
    const std::int32_t id = terms.find(term);
    return id == StringTable::kMissing ? kUnknown : id;
  };
}

// The one step from a surface token to a term id, for statistics counting, encoding and queries alike:
// kStopword for a stopword, else the vocabulary's id for the stemmed term (`term` is scratch space).
template <class Vocabulary>
std::int32_t term_id_of(const Analyzer& analyzer, std::string_view surface, std::string& term, Vocabulary& vocabulary) {
  return analyzer.term_of(surface, term) ? vocabulary(std::string_view(term)) : kStopword;
}

// Remembers what each distinct surface token resolved to, so stopword lookup and stemming run once.
class SurfaceCache {
 public:
  template <class Resolve>
  std::int32_t get(std::string_view surface, Resolve&& resolve) {
    const StringTable::Probe probe = StringTable::probe(surface);
    const std::int32_t slot = surfaces_.find(probe);
    if (slot != StringTable::kMissing) return values_[static_cast<std::size_t>(slot)];
    const std::int32_t value = resolve(surface);
    surfaces_.insert(probe);
    values_.push_back(value);
    return value;
  }

 private:
  StringTable surfaces_;
  std::vector<std::int32_t> values_;
};

// Term sources: for_document(doc, on_term) calls on_term(id) for each term of document `doc` in order,
// stopwords left out; ids are what the vocabulary gives (kUnknown included). One source per chunk and thread.

// Texts, segmented by the analyzer's native segmenter.
template <class Vocabulary>
class TextTerms {
 public:
  TextTerms(const Analyzer& analyzer, const TextBatch& batch, Vocabulary vocabulary)
      : analyzer_(analyzer), batch_(batch), vocabulary_(std::move(vocabulary)) {}

  template <class OnTerm>
  void for_document(std::size_t doc, OnTerm&& on_term) {
    analyzer_.for_each_surface_token(batch_.texts[doc], scratch_, [&](std::string_view surface) {
      const std::int32_t id =
          cache_.get(surface, [&](std::string_view s) { return term_id_of(analyzer_, s, term_, vocabulary_); });
      if (id != kStopword) on_term(id);
    });
  }

 private:
  const Analyzer& analyzer_;
  const TextBatch& batch_;
  Vocabulary vocabulary_;
  SurfaceCache cache_;
  std::string scratch_, term_;
};

// An external segmenter's tokens: lowercased as the analyzer says, then the same term_of step. Empty
// tokens are no words (a native segmenter never makes one) and are skipped.
template <class Vocabulary>
class SegmentedTerms {
 public:
  SegmentedTerms(const Analyzer& analyzer, const TokenBatch& batch, Vocabulary vocabulary)
      : analyzer_(analyzer), batch_(batch), vocabulary_(std::move(vocabulary)) {}

  template <class OnTerm>
  void for_document(std::size_t doc, OnTerm&& on_term) {
    for (std::size_t t = batch_.offsets[doc]; t < batch_.offsets[doc + 1]; ++t) {
      const std::string_view token = batch_.tokens[t];
      if (token.empty()) continue;
      const std::int32_t id = cache_.get(token, [&](std::string_view raw) {
        return term_id_of(analyzer_, analyzer_.surface_of(raw, lowered_), term_, vocabulary_);
      });
      if (id != kStopword) on_term(id);
    }
  }

 private:
  const Analyzer& analyzer_;
  const TokenBatch& batch_;
  Vocabulary vocabulary_;
  SurfaceCache cache_;
  std::string lowered_, term_;
};

// Tokens that are terms already (a user's Python analyzer made them), every one counted.
template <class Vocabulary>
class VerbatimTerms {
 public:
  VerbatimTerms(const TokenBatch& batch, Vocabulary vocabulary) : batch_(batch), vocabulary_(std::move(vocabulary)) {}

  template <class OnTerm>
  void for_document(std::size_t doc, OnTerm&& on_term) {
    for (std::size_t t = batch_.offsets[doc]; t < batch_.offsets[doc + 1]; ++t) on_term(vocabulary_(batch_.tokens[t]));
  }

 private:
  const TokenBatch& batch_;
  Vocabulary vocabulary_;
};

// Calls use(source) with the term source for `batch`: native segmentation for texts; for token lists,
// the analyzer's path when there is one (an external segmenter), else the tokens as terms.
template <class Vocabulary, class Use>
auto with_terms(const Analyzer* analyzer, const TextBatch& batch, Vocabulary vocabulary, Use&& use) {
  TextTerms<Vocabulary> source(*analyzer, batch, std::move(vocabulary));
  return use(source);
}

template <class Vocabulary, class Use>
auto with_terms(const Analyzer* analyzer, const TokenBatch& batch, Vocabulary vocabulary, Use&& use) {
  if (analyzer != nullptr) {
    SegmentedTerms<Vocabulary> source(*analyzer, batch, std::move(vocabulary));
    return use(source);
  }
  VerbatimTerms<Vocabulary> source(batch, std::move(vocabulary));
  return use(source);
}

}  // namespace sparsebolt::detail
