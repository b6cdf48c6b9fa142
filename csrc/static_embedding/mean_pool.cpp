// Mean pooling of static embedding rows, per text, on threads that split the batch by token count.
// Arithmetic follows model2vec's numpy (StaticModel._encode_batch) so that the vectors agree to the last bits.
#include "static_embedding/mean_pool.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "parallel.hpp"

namespace sparsebolt {
namespace {

// Below this many row additions (tokens x dim) per thread, starting a thread costs more than it saves.
constexpr std::size_t kMinRowAddsPerThread = std::size_t{1} << 18;

// model2vec adds 1e-32 to the norm (in float32) so that a zero vector divides to zero instead of NaN.
constexpr float kNormFloor = 1e-32f;

void normalize_row(float* row, std::size_t dim) {
  double squares = 0.0;
  for (std::size_t d = 0; d < dim; ++d) squares += static_cast<double>(row[d]) * row[d];
  const float norm = static_cast<float>(std::sqrt(squares)) + kNormFloor;
  for (std::size_t d = 0; d < dim; ++d) row[d] /= norm;
}

[[noreturn]] void throw_bad_id(std::int64_t id, std::size_t text, const StaticEmbeddingTable& table) {
  throw std::invalid_argument("token id " + std::to_string(id) + " of text " + std::to_string(text) +
                              " is outside the vocabulary [0, " + std::to_string(table.vocab_size) +
                              "); the tokenizer does not belong to this embedding matrix");
}

void pool_text(const StaticEmbeddingTable& table, const TokenIdBatch& batch, const MeanPoolOptions& options,
               std::size_t text, float* row_out) {
  const std::size_t dim = table.dim;
  std::fill(row_out, row_out + dim, 0.0f);
  std::size_t kept = 0;
  for (auto at = batch.offsets[text]; at < batch.offsets[text + 1]; ++at) {
    const std::int64_t id = batch.ids[at];
    if (id == options.skip_id) continue;
    if (id < 0 || static_cast<std::size_t>(id) >= table.vocab_size) throw_bad_id(id, text, table);
    const std::int64_t row = table.token_rows != nullptr ? table.token_rows[id] : id;
    const float* values = table.rows + static_cast<std::size_t>(row) * dim;
    if (table.token_weights != nullptr) {
      // numpy scales the rows first (embedding[ids] * weights[ids, None]) and then sums them.
      const float weight = table.token_weights[id];
      for (std::size_t d = 0; d < dim; ++d) row_out[d] += values[d] * weight;
    } else {
      for (std::size_t d = 0; d < dim; ++d) row_out[d] += values[d];
    }
    ++kept;
  }
  if (kept == 0) return;
  // numpy's mean divides the float32 sum by an integer count in double, then rounds back to float32.
  const double count = static_cast<double>(kept);
  for (std::size_t d = 0; d < dim; ++d) row_out[d] = static_cast<float>(static_cast<double>(row_out[d]) / count);
  if (options.normalize) normalize_row(row_out, dim);
}

}  // namespace

void check_table(const StaticEmbeddingTable& table) {
  if (table.rows == nullptr || table.row_count == 0 || table.dim == 0)
    throw std::invalid_argument("the embedding matrix is empty; a static model needs a [rows, dim] matrix");
  if (table.token_rows == nullptr && table.vocab_size != table.row_count)
    throw std::invalid_argument("the tokenizer has " + std::to_string(table.vocab_size) +
                                " tokens but the embedding matrix has " + std::to_string(table.row_count) +
                                " rows; without a token mapping they must match");
  if (table.token_rows != nullptr) {
    for (std::size_t id = 0; id < table.vocab_size; ++id) {
      const std::int64_t row = table.token_rows[id];
      if (row < 0 || static_cast<std::size_t>(row) >= table.row_count)
        throw std::invalid_argument("the token mapping sends token " + std::to_string(id) + " to row " +
                                    std::to_string(row) + ", outside the matrix's " + std::to_string(table.row_count) +
                                    " rows");
    }
  }
}

void check_batch(const TokenIdBatch& batch) {
  if (batch.offsets == nullptr || batch.offsets[0] != 0 ||
      batch.offsets[batch.text_count] != static_cast<std::int64_t>(batch.id_count))
    throw std::invalid_argument("offsets must start at 0 and end at the number of ids (" +
                                std::to_string(batch.id_count) + ")");
  for (std::size_t text = 0; text < batch.text_count; ++text)
    if (batch.offsets[text + 1] < batch.offsets[text])
      throw std::invalid_argument("offsets must not decrease (text " + std::to_string(text) + ")");
}

void mean_pool(const StaticEmbeddingTable& table, const TokenIdBatch& batch, const MeanPoolOptions& options, float* out,
               std::size_t threads) {
  check_batch(batch);
  const std::size_t work = batch.id_count * table.dim;
  threads = std::max<std::size_t>(1, std::min(threads, work / kMinRowAddsPerThread));
  const std::vector<std::size_t> bounds = split_by_weight(batch.text_count, threads, [&](std::size_t text) {
    return static_cast<std::size_t>(batch.offsets[text + 1] - batch.offsets[text]);
  });
  run_chunks(bounds.size() - 1, [&](std::size_t chunk) {
    for (std::size_t text = bounds[chunk]; text < bounds[chunk + 1]; ++text)
      pool_text(table, batch, options, text, out + text * table.dim);
  });
}

}  // namespace sparsebolt
