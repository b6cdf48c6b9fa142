// BM25 corpus statistics: streamed counting over batches, merging across shards, and their binary form.
// No Python here: bindings.cpp turns batches into these views.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/analyzer.hpp"
#include "string_table.hpp"

namespace sparsebolt {

// Documents as UTF-8 texts to analyze.
struct TextBatch {
  std::vector<std::string_view> texts;
};

// Documents already segmented: tokens[offsets[d]:offsets[d + 1]]. Without an analyzer the tokens are the
// terms (a user's Python analyzer made them); with one they are an external segmenter's surface tokens.
struct TokenBatch {
  std::vector<std::string_view> tokens;
  std::vector<std::size_t> offsets{0};
};

// Where a term first appeared: the position of its shard in corpus order, then its rank within that
// shard. Sorting terms by it gives pymilvus-model's term ids (first occurrence over the whole corpus),
// however the shards were merged.
struct FirstSeen {
  std::uint64_t shard = 0;
  std::uint64_t rank = 0;
  bool operator<(const FirstSeen& other) const noexcept {
    return shard != other.shard ? shard < other.shard : rank < other.rank;
  }
};

// What a BM25 fit needs from a corpus, bounded by its vocabulary. Statistics of separate shards merge
// associatively and commutatively into those of the whole corpus.
struct CorpusStatistics {
  std::int64_t document_count = 0;
  std::int64_t total_length = 0;  // analyzed tokens, stopwords excluded
  StringTable terms;
  std::vector<std::int64_t> document_frequency;
  std::vector<FirstSeen> first_seen;  // per term; empty in chunk-local counts
  std::uint64_t shard = 0;            // the shard this object's own documents belong to

  // Adds counts of documents that follow everything this object has counted (same shard).
  void append(const CorpusStatistics& batch);
  // Adds statistics of other shards, in any order and any grouping.
  void merge(const CorpusStatistics& other);
  // Term ids sorted by first occurrence: the vocabulary order of a fit over the whole corpus.
  std::vector<std::int32_t> term_order() const;

  // A compact, versioned binary form (varints), for shipping partial statistics between workers.
  std::string serialize() const;
  // Throws std::invalid_argument when the bytes are not statistics this version wrote.
  static CorpusStatistics deserialize(std::string_view bytes);
};

CorpusStatistics count_texts(const Analyzer& analyzer, const TextBatch& batch, std::size_t threads);
// Tokens that are terms already.
CorpusStatistics count_tokens(const TokenBatch& batch, std::size_t threads);
// An external segmenter's tokens, turned into terms by `analyzer` (lowercase, stopwords, stemming).
CorpusStatistics count_tokens(const Analyzer& analyzer, const TokenBatch& batch, std::size_t threads);

}  // namespace sparsebolt
