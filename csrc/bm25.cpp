// BM25 fitting and encoding over batches: per-thread counting merged in document order, and
// per-thread CSR pieces. Each distinct surface token is analyzed once per thread and batch.
#include "bm25.hpp"

#include <algorithm>
#include <stdexcept>

#include "parallel.hpp"

namespace sparsebolt {
namespace {

constexpr std::int32_t kStopword = -2;  // a surface the analyzer drops: not a term, not counted in length
constexpr std::int32_t kUnknown = -1;   // an analyzed term outside the vocabulary: counted in length only

// Below this much text per thread, starting a thread costs more than it saves.
constexpr std::size_t kMinBytesPerThread = 1 << 16;
constexpr std::size_t kMinTokensPerThread = 1 << 13;

// Remembers what each distinct surface token resolved to, so stopword lookup and stemming run once.
class SurfaceCache {
 public:
  template <class Resolve>
  std::int32_t get(std::string_view surface, Resolve& resolve) {
    const StringTable::Probe probe = StringTable::probe(surface);
    const std::int32_t slot = surfaces_.find(probe);
    if (slot != StringTable::kMissing) return values_[static_cast<std::size_t>(slot)];
    const std::int32_t value = resolve(surface);
    surfaces_.insert(probe);
    values_.push_back(value);
    return value;
  }

 private:
  StringTable surfaces_;
  std::vector<std::int32_t> values_;
};

std::size_t thread_count(std::size_t requested, std::size_t work, std::size_t min_work_per_thread) {
  const std::size_t useful = std::max<std::size_t>(1, work / min_work_per_thread);
  return std::max<std::size_t>(1, std::min(requested, useful));
}

std::size_t total_bytes(const TextBatch& batch) {
  std::size_t bytes = 0;
  for (std::string_view text : batch.texts) bytes += text.size();
  return bytes;
}

std::vector<std::size_t> split_texts(const TextBatch& batch, std::size_t requested) {
  const std::size_t threads = thread_count(requested, total_bytes(batch), kMinBytesPerThread);
  return split_by_weight(batch.texts.size(), threads, [&](std::size_t d) { return batch.texts[d].size(); });
}

std::vector<std::size_t> split_tokens(const TokenBatch& batch, std::size_t requested) {
  const std::size_t documents = batch.offsets.size() - 1;
  const std::size_t threads = thread_count(requested, batch.tokens.size(), kMinTokensPerThread);
  return split_by_weight(documents, threads, [&](std::size_t d) { return batch.offsets[d + 1] - batch.offsets[d]; });
}

// Counts documents [begin, end). for_each_term(doc, stats, on_term) calls on_term(local id) per analyzed token.
template <class ForEachTerm>
CorpusStatistics count_range(std::size_t begin, std::size_t end, ForEachTerm&& for_each_term) {
  CorpusStatistics stats;
  std::vector<std::uint32_t> last_seen;  // per term: 1 + the chunk-local document that last counted it
  for (std::size_t doc = begin; doc < end; ++doc) {
    const auto stamp = static_cast<std::uint32_t>(doc - begin + 1);
    std::int64_t length = 0;
    for_each_term(doc, stats, [&](std::int32_t id) {
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
    stats.total_length += length;
    ++stats.document_count;
  }
  return stats;
}

template <class CountRange>
CorpusStatistics count_in_parallel(const std::vector<std::size_t>& bounds, CountRange&& count) {
  const std::size_t chunks = bounds.size() - 1;
  std::vector<CorpusStatistics> partial(chunks);
  run_chunks(chunks, [&](std::size_t c) { partial[c] = count(bounds[c], bounds[c + 1]); });
  // Merging in chunk order keeps first-occurrence order over the whole batch, whatever the thread count.
  CorpusStatistics merged = std::move(partial[0]);
  for (std::size_t c = 1; c < chunks; ++c) merged.merge(partial[c]);
  return merged;
}

// Collects one row's term ids and yields (id, occurrences) in id order. Big chunks count in a
// vocabulary-sized array and sort only the distinct ids; small ones (a query) sort every id, so
// they never pay for a buffer the size of the vocabulary.
class RowCounter {
 public:
  RowCounter(std::size_t dim, bool dense) {
    if (dense) counts_.assign(dim, 0);
  }

  void add(std::int32_t id) {
    if (counts_.empty()) {
      ids_.push_back(id);
    } else if (counts_[static_cast<std::size_t>(id)]++ == 0) {
      ids_.push_back(id);
    }
  }

  template <class OnTerm>
  void drain(OnTerm&& on_term) {
    std::sort(ids_.begin(), ids_.end());
    if (!counts_.empty()) {
      for (std::int32_t id : ids_) {
        std::uint32_t& count = counts_[static_cast<std::size_t>(id)];
        on_term(id, count);
        count = 0;
      }
    } else {
      for (std::size_t i = 0; i < ids_.size();) {
        std::size_t run = i + 1;
        while (run < ids_.size() && ids_[run] == ids_[i]) ++run;
        on_term(ids_[i], static_cast<std::uint32_t>(run - i));
        i = run;
      }
    }
    ids_.clear();
  }

 private:
  std::vector<std::uint32_t> counts_;
  std::vector<std::int32_t> ids_;
};

constexpr std::size_t kMinRowsForDenseCounts = 128;

void emit_row(const Bm25Model& model, EncodeSide side, RowCounter& counter, std::int64_t length, CsrPiece& piece) {
  const std::size_t before = piece.indices.size();
  const Bm25Parameters& params = model.parameters();
  if (side == EncodeSide::kDocument) {
    const double norm = length_norm(params, length, model.average_length());
    counter.drain([&](std::int32_t id, std::uint32_t occurrences) {
      piece.indices.push_back(id);
      piece.data.push_back(static_cast<float>(tf_saturation(params, occurrences, norm)));
    });
  } else {
    counter.drain([&](std::int32_t id, std::uint32_t occurrences) {
      // A repeated query term counts once per occurrence, summed in double as scipy sums duplicates.
      const double idf = model.idf()[static_cast<std::size_t>(id)];
      double value = idf;
      for (std::uint32_t k = 1; k < occurrences; ++k) value += idf;
      piece.indices.push_back(id);
      piece.data.push_back(static_cast<float>(value));
    });
  }
  piece.row_nnz.push_back(static_cast<std::int64_t>(piece.indices.size() - before));
}

// Encodes documents [begin, end). for_each_term(doc, on_term) calls on_term(id or kUnknown) per analyzed token.
template <class ForEachTerm>
CsrPiece encode_range(const Bm25Model& model, EncodeSide side, std::size_t begin, std::size_t end,
                      ForEachTerm&& for_each_term) {
  CsrPiece piece;
  piece.row_nnz.reserve(end - begin);
  RowCounter counter(model.dim(), end - begin >= kMinRowsForDenseCounts);
  for (std::size_t doc = begin; doc < end; ++doc) {
    std::int64_t length = 0;
    for_each_term(doc, [&](std::int32_t id) {
      ++length;
      if (id >= 0) counter.add(id);
    });
    emit_row(model, side, counter, length, piece);
  }
  return piece;
}

template <class EncodeRange>
std::vector<CsrPiece> encode_in_parallel(const std::vector<std::size_t>& bounds, EncodeRange&& encode) {
  const std::size_t chunks = bounds.size() - 1;
  std::vector<CsrPiece> pieces(chunks);
  run_chunks(chunks, [&](std::size_t c) { pieces[c] = encode(bounds[c], bounds[c + 1]); });
  return pieces;
}

std::int32_t vocabulary_id(const Bm25Model& model, std::string_view term) {
  const std::int32_t id = model.terms().find(term);
  return id == StringTable::kMissing ? kUnknown : id;
}

}  // namespace

void CorpusStatistics::merge(const CorpusStatistics& later) {
  document_count += later.document_count;
  total_length += later.total_length;
  for (std::size_t id = 0; id < later.terms.size(); ++id) {
    const auto [global, added] = terms.insert(later.terms.key(static_cast<std::int32_t>(id)));
    if (added) document_frequency.push_back(0);
    document_frequency[static_cast<std::size_t>(global)] += later.document_frequency[id];
  }
}

CorpusStatistics count_texts(const Analyzer& analyzer, const TextBatch& batch, std::size_t threads) {
  return count_in_parallel(split_texts(batch, threads), [&](std::size_t begin, std::size_t end) {
    SurfaceCache cache;
    std::string scratch, term;
    return count_range(begin, end, [&](std::size_t doc, CorpusStatistics& stats, auto&& on_term) {
      auto resolve = [&](std::string_view surface) -> std::int32_t {
        if (analyzer.is_stopword(surface)) return kStopword;
        term.assign(surface);
        analyzer.normalize(term);
        return stats.terms.insert(term).first;
      };
      analyzer.for_each_surface_token(batch.texts[doc], scratch, [&](std::string_view surface) {
        const std::int32_t id = cache.get(surface, resolve);
        if (id != kStopword) on_term(id);
      });
    });
  });
}

CorpusStatistics count_tokens(const TokenBatch& batch, std::size_t threads) {
  return count_in_parallel(split_tokens(batch, threads), [&](std::size_t begin, std::size_t end) {
    return count_range(begin, end, [&](std::size_t doc, CorpusStatistics& stats, auto&& on_term) {
      for (std::size_t t = batch.offsets[doc]; t < batch.offsets[doc + 1]; ++t)
        on_term(stats.terms.insert(batch.tokens[t]).first);
    });
  });
}

Bm25Model Bm25Model::from_statistics(const CorpusStatistics& stats, Bm25Parameters params) {
  if (stats.document_count == 0) throw std::invalid_argument("cannot fit BM25 on an empty corpus");
  if (stats.terms.size() == 0)
    throw std::invalid_argument("the corpus has no terms after analysis (every document is empty or stopwords)");
  Bm25Model model;
  model.params_ = params;
  model.document_count_ = stats.document_count;
  model.average_length_ = static_cast<double>(stats.total_length) / static_cast<double>(stats.document_count);
  model.terms_ = stats.terms;
  model.idf_.resize(stats.terms.size());
  // Summed in vocabulary order, as pymilvus-model sums, so the epsilon floor matches to the last bit.
  double idf_sum = 0;
  for (std::size_t id = 0; id < model.idf_.size(); ++id) {
    model.idf_[id] = idf_robertson(stats.document_count, stats.document_frequency[id]);
    idf_sum += model.idf_[id];
  }
  const double floor = params.epsilon * (idf_sum / static_cast<double>(model.idf_.size()));
  for (double& idf : model.idf_)
    if (idf < 0) idf = floor;
  return model;
}

Bm25Model Bm25Model::from_saved(const std::vector<std::string>& terms, std::vector<double> idf,
                                std::int64_t document_count, double average_length, Bm25Parameters params) {
  if (terms.size() != idf.size())
    throw std::invalid_argument("idf_word and idf_value have different lengths (" + std::to_string(terms.size()) +
                                " vs " + std::to_string(idf.size()) + ")");
  Bm25Model model;
  model.terms_.reserve(terms.size());
  for (const std::string& term : terms) {
    if (!model.terms_.insert(term).second) throw std::invalid_argument("duplicate term in idf_word: '" + term + "'");
  }
  model.idf_ = std::move(idf);
  model.document_count_ = document_count;
  model.average_length_ = average_length;
  model.params_ = params;
  return model;
}

std::vector<CsrPiece> encode_texts(const Bm25Model& model, const Analyzer& analyzer, const TextBatch& batch,
                                   EncodeSide side, std::size_t threads) {
  return encode_in_parallel(split_texts(batch, threads), [&](std::size_t begin, std::size_t end) {
    SurfaceCache cache;
    std::string scratch, term;
    auto resolve = [&](std::string_view surface) -> std::int32_t {
      if (analyzer.is_stopword(surface)) return kStopword;
      term.assign(surface);
      analyzer.normalize(term);
      return vocabulary_id(model, term);
    };
    return encode_range(model, side, begin, end, [&](std::size_t doc, auto&& on_term) {
      analyzer.for_each_surface_token(batch.texts[doc], scratch, [&](std::string_view surface) {
        const std::int32_t id = cache.get(surface, resolve);
        if (id != kStopword) on_term(id);
      });
    });
  });
}

std::vector<CsrPiece> encode_tokens(const Bm25Model& model, const TokenBatch& batch, EncodeSide side,
                                    std::size_t threads) {
  return encode_in_parallel(split_tokens(batch, threads), [&](std::size_t begin, std::size_t end) {
    return encode_range(model, side, begin, end, [&](std::size_t doc, auto&& on_term) {
      for (std::size_t t = batch.offsets[doc]; t < batch.offsets[doc + 1]; ++t)
        on_term(vocabulary_id(model, batch.tokens[t]));
    });
  });
}

void encode_query_text(const Bm25Model& model, const Analyzer& analyzer, std::string_view text,
                       std::vector<std::pair<std::int32_t, float>>& out) {
  thread_local std::string scratch, term;
  RowCounter counter(model.dim(), false);
  analyzer.for_each_surface_token(text, scratch, [&](std::string_view surface) {
    if (analyzer.is_stopword(surface)) return;
    term.assign(surface);
    analyzer.normalize(term);
    const std::int32_t id = vocabulary_id(model, term);
    if (id >= 0) counter.add(id);
  });
  CsrPiece piece;
  emit_row(model, EncodeSide::kQuery, counter, 0, piece);
  out.clear();
  for (std::size_t i = 0; i < piece.indices.size(); ++i) out.emplace_back(piece.indices[i], piece.data[i]);
}

}  // namespace sparsebolt
