// BM25 statistics (streamed, mergeable), the fitted model, and batch encoding into CSR pieces.
// No Python here: bindings.cpp turns batches into these views and the pieces into numpy arrays.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer.hpp"
#include "bm25_scorer.hpp"
#include "string_table.hpp"

namespace sparsebolt {

// Documents as UTF-8 texts to analyze.
struct TextBatch {
  std::vector<std::string_view> texts;
};

// Documents already turned into terms (by a user's Python analyzer): tokens[offsets[d]:offsets[d + 1]].
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
CorpusStatistics count_tokens(const TokenBatch& batch, std::size_t threads);

class Bm25Model {
 public:
  // Finalizes statistics: idf per term, negative idf floored at epsilon * average idf.
  static Bm25Model from_statistics(const CorpusStatistics& stats, Bm25Parameters params);
  // Restores a saved model; throws std::invalid_argument on duplicate terms or mismatched lengths.
  static Bm25Model from_saved(const std::vector<std::string>& terms, std::vector<double> idf,
                              std::int64_t document_count, double average_length, Bm25Parameters params);

  std::size_t dim() const noexcept { return idf_.size(); }
  const StringTable& terms() const noexcept { return terms_; }
  const std::vector<double>& idf() const noexcept { return idf_; }
  const Bm25Parameters& parameters() const noexcept { return params_; }
  std::int64_t document_count() const noexcept { return document_count_; }
  double average_length() const noexcept { return average_length_; }

 private:
  StringTable terms_;
  std::vector<double> idf_;
  Bm25Parameters params_;
  std::int64_t document_count_ = 0;
  double average_length_ = 0;
};

enum class EncodeSide { kDocument, kQuery };

// One contiguous run of rows of the output matrix, indices sorted and unique within each row.
struct CsrPiece {
  std::vector<std::int32_t> indices;
  std::vector<float> data;
  std::vector<std::int64_t> row_nnz;
};

std::vector<CsrPiece> encode_texts(const Bm25Model& model, const Analyzer& analyzer, const TextBatch& batch,
                                   EncodeSide side, std::size_t threads);
std::vector<CsrPiece> encode_tokens(const Bm25Model& model, const TokenBatch& batch, EncodeSide side,
                                    std::size_t threads);

// fit followed by encode_texts(kDocument) of the same batch, analyzing each text once: the analyzed terms of
// the first pass are kept (as chunk-local ids, 4 bytes per token) and scored once the model exists.
// `stats` gains the batch's counts, as CorpusStatistics::append(count_texts(...)) would add them.
struct FitEncoded {
  Bm25Model model;
  std::vector<CsrPiece> pieces;
};
FitEncoded fit_encode_texts(const Analyzer& analyzer, const TextBatch& batch, CorpusStatistics& stats,
                            Bm25Parameters params, std::size_t threads);
FitEncoded fit_encode_tokens(const TokenBatch& batch, CorpusStatistics& stats, Bm25Parameters params,
                             std::size_t threads);

// The single-query fast path: (term id, weight) pairs sorted by id, no threads, no cache.
void encode_query_text(const Bm25Model& model, const Analyzer& analyzer, std::string_view text,
                       std::vector<std::pair<std::int32_t, float>>& out);

}  // namespace sparsebolt
