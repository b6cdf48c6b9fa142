// The BM25 formulas, exactly as pymilvus-model computes them (double arithmetic, same operation order),
// so that vectors agree bit for bit after the float32 cast. Robertson et al., "Okapi at TREC-3" (1994).
#pragma once

#include <cmath>
#include <cstdint>

namespace sparsebolt {

struct Bm25Parameters {
  double k1 = 1.5;
  double b = 0.75;
  double epsilon = 0.25;
};

// idf(t) = log(N - df + 0.5) - log(df + 0.5): the Robertson-Sparck Jones weight, negative when t is in
// more than half of the documents (those are later floored at epsilon * mean idf, as rank_bm25 does).
inline double idf_robertson(std::int64_t document_count, std::int64_t document_frequency) {
  return std::log(static_cast<double>(document_count - document_frequency) + 0.5) -
         std::log(static_cast<double>(document_frequency) + 0.5);
}

// The length normalisation shared by every term of one document: k1 * (1 - b + b * dl / avgdl).
inline double length_norm(const Bm25Parameters& p, std::int64_t document_length, double average_length) {
  return p.k1 * (1 - p.b + p.b * static_cast<double>(document_length) / average_length);
}

// The document side, with no idf: tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl)).
inline double tf_saturation(const Bm25Parameters& p, std::int64_t term_frequency, double norm) {
  const auto tf = static_cast<double>(term_frequency);
  return tf * (p.k1 + 1) / (tf + norm);
}

}  // namespace sparsebolt
