// Static (model2vec) sentence embeddings: a text's vector is the mean of its tokens' rows of one matrix.
// Whole batches of token ids in, one row-major float32 [texts, dim] block out; no Python in here.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sparsebolt {

// The embedding matrix and model2vec's optional per-token extras, all borrowed from the caller.
struct StaticEmbeddingTable {
  const float* rows = nullptr;  // [row_count, dim], row-major
  std::size_t row_count = 0;
  std::size_t dim = 0;
  std::size_t vocab_size = 0;                // token ids are in [0, vocab_size)
  const std::int64_t* token_rows = nullptr;  // vocabulary quantization: token id -> row; nullptr: the id is the row
  const float* token_weights = nullptr;      // token id -> weight its row is scaled by; nullptr: every weight is 1
};

// Texts' token ids, flattened: text t owns ids[offsets[t], offsets[t + 1]).
struct TokenIdBatch {
  const std::int32_t* ids = nullptr;
  std::size_t id_count = 0;
  const std::int64_t* offsets = nullptr;  // text_count + 1 entries, offsets[0] == 0, offsets[text_count] == id_count
  std::size_t text_count = 0;
};

struct MeanPoolOptions {
  std::int64_t skip_id = -1;  // the unknown token, dropped before averaging as model2vec does; -1 for none
  bool normalize = false;     // scale each vector to unit length (a zero vector stays zero)
};

// Throws std::invalid_argument when the table cannot serve lookups: no rows, a vocabulary that does not match the
// rows without a mapping, or a mapping entry outside the rows.
void check_table(const StaticEmbeddingTable& table);

// Throws std::invalid_argument when the offsets do not cut ids into text_count texts.
void check_batch(const TokenIdBatch& batch);

// Writes each text's mean row into out[t * dim, (t + 1) * dim): the sum in token order, in float32, divided by the
// number of tokens kept, as numpy's mean does for model2vec; a text without tokens gets zeros. An id outside
// [0, vocab_size) throws std::invalid_argument. Runs on up to `threads` threads.
void mean_pool(const StaticEmbeddingTable& table, const TokenIdBatch& batch, const MeanPoolOptions& options, float* out,
               std::size_t threads);

}  // namespace sparsebolt
