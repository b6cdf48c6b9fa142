// Batch encoding into CSR pieces (document tf saturation or query idf), and the single-query fast path.
// bindings.cpp turns the pieces into numpy arrays.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "analysis/analyzer.hpp"
#include "bm25/model.hpp"
#include "bm25/statistics.hpp"

namespace sparsebolt {

enum class EncodeSide { kDocument, kQuery };

// One contiguous run of rows of the output matrix, indices sorted and unique within each row.
struct CsrPiece {
  std::vector<std::int32_t> indices;
  std::vector<float> data;
  std::vector<std::int64_t> row_nnz;
};

std::vector<CsrPiece> encode_texts(const Bm25Model& model, const Analyzer& analyzer, const TextBatch& batch,
                                   EncodeSide side, std::size_t threads);
// Tokens that are terms already.
std::vector<CsrPiece> encode_tokens(const Bm25Model& model, const TokenBatch& batch, EncodeSide side,
                                    std::size_t threads);
// An external segmenter's tokens, turned into terms by `analyzer`.
std::vector<CsrPiece> encode_tokens(const Bm25Model& model, const Analyzer& analyzer, const TokenBatch& batch,
                                    EncodeSide side, std::size_t threads);

// The single-query fast path: (term id, weight) pairs sorted by id, no threads, no cache.
void encode_query_text(const Bm25Model& model, const Analyzer& analyzer, std::string_view text,
                       std::vector<std::pair<std::int32_t, float>>& out);

}  // namespace sparsebolt
