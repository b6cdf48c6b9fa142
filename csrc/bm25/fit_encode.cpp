// fit_encode_*: each chunk is analyzed once on its own thread, its terms kept as chunk-local ids; the
// model is fitted from all chunks' counts, then each chunk is scored from its ids.
#include "bm25/fit_encode.hpp"

#include "bm25/batches.hpp"
#include "bm25/counting.hpp"
#include "bm25/rows.hpp"
#include "bm25/terms.hpp"
#include "parallel.hpp"

namespace sparsebolt {
namespace {

// One chunk's analyzed documents as chunk-local term ids: document d holds ids[ends[d - 1]:ends[d]].
struct AnalyzedChunk {
  CorpusStatistics counts;
  std::vector<std::int32_t> ids;
  std::vector<std::size_t> ends;
};

// counts, then scores, the chunks that analyze_chunk(begin, end) returns, in chunk order.
template <class AnalyzeChunk>
FitEncoded fit_encode_in_parallel(const std::vector<std::size_t>& bounds, CorpusStatistics& stats,
                                  Bm25Parameters params, AnalyzeChunk&& analyze_chunk) {
  const std::size_t chunks = bounds.size() - 1;
  std::vector<AnalyzedChunk> analyzed(chunks);
  run_chunks(chunks, [&](std::size_t c) { analyzed[c] = analyze_chunk(bounds[c], bounds[c + 1]); });
  CorpusStatistics staged = stats;  // a failing fit (no terms, say) leaves `stats` untouched
  for (const AnalyzedChunk& chunk : analyzed) staged.append(chunk.counts);
  FitEncoded out{Bm25Model::from_statistics(staged, params), std::vector<CsrPiece>(chunks)};
  run_chunks(chunks, [&](std::size_t c) {
    AnalyzedChunk& chunk = analyzed[c];
    std::vector<std::int32_t> model_id(chunk.counts.terms.size());
    for (std::size_t local = 0; local < model_id.size(); ++local)
      model_id[local] = out.model.terms().find(chunk.counts.terms.key(static_cast<std::int32_t>(local)));
    out.pieces[c] = detail::encode_range(out.model, EncodeSide::kDocument, 0, chunk.ends.size(), chunk.ids.size(),
                                         [&](std::size_t doc, auto&& on_term) {
                                           const std::size_t begin = doc == 0 ? 0 : chunk.ends[doc - 1];
                                           for (std::size_t t = begin; t < chunk.ends[doc]; ++t)
                                             on_term(model_id[static_cast<std::size_t>(chunk.ids[t])]);
                                         });
    chunk = AnalyzedChunk{};  // frees this chunk's ids while other chunks still score
  });
  stats = std::move(staged);
  return out;
}

template <class Batch>
FitEncoded fit_encode_batch(const Analyzer* analyzer, const Batch& batch, CorpusStatistics& stats,
                            Bm25Parameters params, std::size_t threads) {
  return fit_encode_in_parallel(
      detail::chunk_bounds(batch, threads), stats, params, [&](std::size_t begin, std::size_t end) {
        AnalyzedChunk chunk;
        chunk.ends.reserve(end - begin);
        chunk.ids.reserve(detail::expected_terms(batch, begin, end));
        detail::with_terms(analyzer, batch, detail::counting_vocabulary(chunk.counts), [&](auto& terms) {
          detail::count_range(
              terms, begin, end, chunk.counts, [&](std::int32_t id) { chunk.ids.push_back(id); },
              [&] { chunk.ends.push_back(chunk.ids.size()); });
        });
        return chunk;
      });
}

}  // namespace

FitEncoded fit_encode_texts(const Analyzer& analyzer, const TextBatch& batch, CorpusStatistics& stats,
                            Bm25Parameters params, std::size_t threads) {
  return fit_encode_batch(&analyzer, batch, stats, params, threads);
}

FitEncoded fit_encode_tokens(const TokenBatch& batch, CorpusStatistics& stats, Bm25Parameters params,
                             std::size_t threads) {
  return fit_encode_batch(nullptr, batch, stats, params, threads);
}

FitEncoded fit_encode_tokens(const Analyzer& analyzer, const TokenBatch& batch, CorpusStatistics& stats,
                             Bm25Parameters params, std::size_t threads) {
  return fit_encode_batch(&analyzer, batch, stats, params, threads);
}

}  // namespace sparsebolt
