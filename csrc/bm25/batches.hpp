// Internal: how a batch is cut into per-thread chunks of documents, and the size hints each chunk reserves.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <vector>

#include "bm25/statistics.hpp"
#include "parallel.hpp"

namespace sparsebolt::detail {

// Below this much text per thread, starting a thread costs more than it saves.
inline constexpr std::size_t kMinBytesPerThread = 1 << 16;
inline constexpr std::size_t kMinTokensPerThread = 1 << 13;

inline std::size_t thread_count(std::size_t requested, std::size_t work, std::size_t min_work_per_thread) {
  const std::size_t useful = std::max<std::size_t>(1, work / min_work_per_thread);
  return std::max<std::size_t>(1, std::min(requested, useful));
}

inline std::size_t document_count(const TextBatch& batch) { return batch.texts.size(); }
inline std::size_t document_count(const TokenBatch& batch) { return batch.offsets.size() - 1; }

// Chunk boundaries: chunk k holds documents [bounds[k], bounds[k + 1]).
inline std::vector<std::size_t> chunk_bounds(const TextBatch& batch, std::size_t requested) {
  std::size_t bytes = 0;
  for (std::string_view text : batch.texts) bytes += text.size();
  const std::size_t threads = thread_count(requested, bytes, kMinBytesPerThread);
  return split_by_weight(batch.texts.size(), threads, [&](std::size_t d) { return batch.texts[d].size(); });
}

inline std::vector<std::size_t> chunk_bounds(const TokenBatch& batch, std::size_t requested) {
  const std::size_t threads = thread_count(requested, batch.tokens.size(), kMinTokensPerThread);
  return split_by_weight(document_count(batch), threads,
                         [&](std::size_t d) { return batch.offsets[d + 1] - batch.offsets[d]; });
}

// The non-zeros to reserve for documents [begin, end). About one distinct term per 8 bytes of text bounds
// typical rows; untouched capacity costs no memory.
inline std::size_t expected_nonzeros(const TextBatch& batch, std::size_t begin, std::size_t end) {
  std::size_t bytes = 0;
  for (std::size_t doc = begin; doc < end; ++doc) bytes += batch.texts[doc].size();
  return bytes / 8;
}

inline std::size_t expected_nonzeros(const TokenBatch& batch, std::size_t begin, std::size_t end) {
  return batch.offsets[end] - batch.offsets[begin];
}

// The term ids to reserve when keeping documents [begin, end)'s terms: known for token lists only.
inline std::size_t expected_terms(const TextBatch&, std::size_t, std::size_t) { return 0; }
inline std::size_t expected_terms(const TokenBatch& batch, std::size_t begin, std::size_t end) {
  return batch.offsets[end] - batch.offsets[begin];
}

}  // namespace sparsebolt::detail
