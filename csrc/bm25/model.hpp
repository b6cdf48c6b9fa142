// The fitted BM25 model: vocabulary in first-occurrence order, idf per term, and the parameters.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bm25/scorer.hpp"
#include "bm25/statistics.hpp"
#include "string_table.hpp"

namespace sparsebolt {

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

}  // namespace sparsebolt
