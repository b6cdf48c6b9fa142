// Internal: counting one chunk of documents into chunk-local statistics, shared by count_* and fit_encode_*.
#pragma once

#include <cstdint>
#include <vector>

#include "bm25/statistics.hpp"

namespace sparsebolt::detail {

// Counts documents [begin, end) of `terms` (a term source over counting_vocabulary(stats)) into `stats`.
// record(id) sees each counted term in order and end_document() follows each document (fit_encode keeps
// them; counting alone passes no-ops).
template <class Terms, class Record, class EndDocument>
void count_range(Terms& terms, std::size_t begin, std::size_t end, CorpusStatistics& stats, Record&& record,
                 EndDocument&& end_document) {
  std::vector<std::uint32_t> last_seen;  // per term: 1 + the chunk-local document that last counted it
  for (std::size_t doc = begin; doc < end; ++doc) {
    const auto stamp = static_cast<std::uint32_t>(doc - begin + 1);
    std::int64_t length = 0;
    terms.for_document(doc, [&](std::int32_t id) {
      record(id);
      ++length;
      const auto term = static_cast<std::size_t>(id);
      if (term == last_seen.size()) {
        last_seen.push_back(0);
        stats.document_frequency.push_back(0);
      }
      if (last_seen[term] != stamp) {
        last_seen[term] = stamp;
        ++stats.document_frequency[term];
      }
    });
    end_document();
    stats.total_length += length;
    ++stats.document_count;
  }
}

}  // namespace sparsebolt::detail
