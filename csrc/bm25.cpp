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
  for (std::size_t c = 1; c < chunks; ++c) merged.append(partial[c]);
  return merged;
}

inline unsigned lowest_bit(std::uint64_t word) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  return static_cast<unsigned>(__builtin_ctzll(word));
#else
  unsigned bit = 0;
  while ((word & 1) == 0) {
    word >>= 1;
    ++bit;
  }
  return bit;
#endif
}

// Collects one row's term ids and yields (id, occurrences) in id order. Big chunks count in a
// vocabulary-sized array and enumerate the distinct ids from a two-level bitmap (one bit per id, one
// per 64 ids) instead of sorting them; small ones (a query) sort every id, so they never pay for
// buffers the size of the vocabulary.
class RowCounter {
 public:
  RowCounter(std::size_t dim, bool dense) {
    if (!dense) return;
    counts_.assign(dim, 0);
    words_.assign((dim + 63) / 64, 0);
    blocks_.assign((words_.size() + 63) / 64, 0);
  }

  void add(std::int32_t id) {
    if (counts_.empty()) {
      ids_.push_back(id);
      return;
    }
    const auto index = static_cast<std::size_t>(id);
    if (counts_[index]++ == 0) {
      ids_.push_back(id);
      words_[index >> 6] |= std::uint64_t{1} << (index & 63);
      blocks_[index >> 12] |= std::uint64_t{1} << ((index >> 6) & 63);
    }
  }

  template <class OnTerm>
  void drain(OnTerm&& on_term) {
    if (counts_.empty()) {
      std::sort(ids_.begin(), ids_.end());
      for (std::size_t i = 0; i < ids_.size();) {
        std::size_t run = i + 1;
        while (run < ids_.size() && ids_[run] == ids_[i]) ++run;
        on_term(ids_[i], static_cast<std::uint32_t>(run - i));
        i = run;
      }
    } else if (blocks_.size() <= 4 * ids_.size()) {
      // Scanning the block bitmap costs less than sorting the row: enumerate set bits in order.
      for (std::size_t block = 0; block < blocks_.size(); ++block) {
        for (std::uint64_t used = blocks_[block]; used != 0; used &= used - 1) {
          const std::size_t word = (block << 6) | lowest_bit(used);
          for (std::uint64_t bits = words_[word]; bits != 0; bits &= bits - 1) emit_counted((word << 6) | lowest_bit(bits), on_term);
          words_[word] = 0;
        }
        blocks_[block] = 0;
      }
    } else {
      std::sort(ids_.begin(), ids_.end());
      for (std::int32_t id : ids_) {
        const auto index = static_cast<std::size_t>(id);
        words_[index >> 6] = 0;
        blocks_[index >> 12] = 0;
        emit_counted(index, on_term);
      }
    }
    ids_.clear();
  }

  std::size_t distinct() const noexcept { return ids_.size(); }

 private:
  template <class OnTerm>
  void emit_counted(std::size_t index, OnTerm& on_term) {
    std::uint32_t& count = counts_[index];
    on_term(static_cast<std::int32_t>(index), count);
    count = 0;
  }

  std::vector<std::uint32_t> counts_;
  std::vector<std::uint64_t> words_;   // bit per id seen in the row
  std::vector<std::uint64_t> blocks_;  // bit per non-zero word of words_
  std::vector<std::int32_t> ids_;
};

constexpr std::size_t kMinRowsForDenseCounts = 128;

void emit_row(const Bm25Model& model, EncodeSide side, RowCounter& counter, std::int64_t length, CsrPiece& piece) {
  const std::size_t before = piece.indices.size();
  const Bm25Parameters& params = model.parameters();
  if (side == EncodeSide::kDocument) {
    // Most terms occur once or twice in a document: their values are computed once per row.
    const double norm = length_norm(params, length, model.average_length());
    const float once = static_cast<float>(tf_saturation(params, 1, norm));
    const float twice = static_cast<float>(tf_saturation(params, 2, norm));
    counter.drain([&](std::int32_t id, std::uint32_t occurrences) {
      piece.indices.push_back(id);
      piece.data.push_back(occurrences == 1   ? once
                           : occurrences == 2 ? twice
                                              : static_cast<float>(tf_saturation(params, occurrences, norm)));
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
                      std::size_t expected_nonzeros, ForEachTerm&& for_each_term) {
  CsrPiece piece;
  piece.row_nnz.reserve(end - begin);
  piece.indices.reserve(expected_nonzeros);
  piece.data.reserve(expected_nonzeros);
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

// Counts texts [begin, end) into chunk-local statistics; record(id) sees each counted term in order and
// end_document() follows each document (fit_encode keeps them, count_texts passes no-ops).
template <class Record, class EndDocument>
CorpusStatistics count_text_range(const Analyzer& analyzer, const TextBatch& batch, std::size_t begin, std::size_t end,
                                  Record&& record, EndDocument&& end_document) {
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
      if (id == kStopword) return;
      record(id);
      on_term(id);
    });
    end_document();
  });
}

template <class Record, class EndDocument>
CorpusStatistics count_token_range(const TokenBatch& batch, std::size_t begin, std::size_t end, Record&& record,
                                   EndDocument&& end_document) {
  return count_range(begin, end, [&](std::size_t doc, CorpusStatistics& stats, auto&& on_term) {
    for (std::size_t t = batch.offsets[doc]; t < batch.offsets[doc + 1]; ++t) {
      const std::int32_t id = stats.terms.insert(batch.tokens[t]).first;
      record(id);
      on_term(id);
    }
    end_document();
  });
}

}  // namespace

void CorpusStatistics::append(const CorpusStatistics& batch) {
  document_count += batch.document_count;
  total_length += batch.total_length;
  for (std::size_t id = 0; id < batch.terms.size(); ++id) {
    const auto [own, added] = terms.insert(batch.terms.key(static_cast<std::int32_t>(id)));
    if (added) {
      document_frequency.push_back(0);
      first_seen.push_back({shard, static_cast<std::uint64_t>(own)});
    }
    document_frequency[static_cast<std::size_t>(own)] += batch.document_frequency[id];
  }
}

void CorpusStatistics::merge(const CorpusStatistics& other) {
  if (other.first_seen.size() != other.terms.size())
    throw std::invalid_argument("cannot merge chunk-local statistics; use append");
  document_count += other.document_count;
  total_length += other.total_length;
  for (std::size_t id = 0; id < other.terms.size(); ++id) {
    const auto [own, added] = terms.insert(other.terms.key(static_cast<std::int32_t>(id)));
    const auto index = static_cast<std::size_t>(own);
    if (added) {
      document_frequency.push_back(0);
      first_seen.push_back(other.first_seen[id]);
    } else if (other.first_seen[id] < first_seen[index]) {
      first_seen[index] = other.first_seen[id];
    }
    document_frequency[index] += other.document_frequency[id];
  }
}

std::vector<std::int32_t> CorpusStatistics::term_order() const {
  std::vector<std::int32_t> order(terms.size());
  for (std::size_t id = 0; id < order.size(); ++id) order[id] = static_cast<std::int32_t>(id);
  if (first_seen.size() == terms.size() && !std::is_sorted(first_seen.begin(), first_seen.end())) {
    std::sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
      return first_seen[static_cast<std::size_t>(a)] < first_seen[static_cast<std::size_t>(b)];
    });
  }
  return order;
}

namespace {
constexpr char kStatisticsMagic[] = "SBSTATS";  // 7 bytes, then a format version
constexpr std::uint8_t kStatisticsVersion = 1;

void put_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  std::uint64_t varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ >= bytes_.size()) fail("truncated");
      const auto byte = static_cast<unsigned char>(bytes_[at_++]);
      value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if (byte < 0x80) return value;
    }
    fail("bad varint");
  }
  std::string_view take(std::size_t n) {
    if (n > bytes_.size() - at_) fail("truncated");
    const std::string_view out = bytes_.substr(at_, n);
    at_ += n;
    return out;
  }
  bool done() const noexcept { return at_ == bytes_.size(); }
  [[noreturn]] static void fail(const char* why) {
    throw std::invalid_argument(std::string("corrupt BM25 statistics (") + why + ")");
  }

 private:
  std::string_view bytes_;
  std::size_t at_ = 0;
};
}  // namespace

std::string CorpusStatistics::serialize() const {
  std::string out(kStatisticsMagic, sizeof(kStatisticsMagic) - 1);
  out.push_back(static_cast<char>(kStatisticsVersion));
  put_varint(out, static_cast<std::uint64_t>(document_count));
  put_varint(out, static_cast<std::uint64_t>(total_length));
  put_varint(out, shard);
  put_varint(out, terms.size());
  const bool keyed = first_seen.size() == terms.size();
  for (std::size_t id = 0; id < terms.size(); ++id) {
    const std::string_view term = terms.key(static_cast<std::int32_t>(id));
    put_varint(out, term.size());
    out.append(term.data(), term.size());
    put_varint(out, static_cast<std::uint64_t>(document_frequency[id]));
    put_varint(out, keyed ? first_seen[id].shard : shard);
    put_varint(out, keyed ? first_seen[id].rank : id);
  }
  return out;
}

CorpusStatistics CorpusStatistics::deserialize(std::string_view bytes) {
  Reader in(bytes);
  if (in.take(sizeof(kStatisticsMagic) - 1) != std::string_view(kStatisticsMagic, sizeof(kStatisticsMagic) - 1))
    Reader::fail("not sparsebolt statistics");
  const auto version = static_cast<std::uint8_t>(in.take(1)[0]);
  if (version != kStatisticsVersion)
    throw std::invalid_argument("BM25 statistics format version " + std::to_string(version) +
                                " is not supported by this sparsebolt (reads version " +
                                std::to_string(kStatisticsVersion) + ")");
  CorpusStatistics stats;
  stats.document_count = static_cast<std::int64_t>(in.varint());
  stats.total_length = static_cast<std::int64_t>(in.varint());
  stats.shard = in.varint();
  const std::uint64_t count = in.varint();
  if (count > bytes.size()) Reader::fail("term count larger than the data");
  stats.terms.reserve(count);
  stats.document_frequency.reserve(count);
  stats.first_seen.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::string_view term = in.take(in.varint());
    if (!stats.terms.insert(term).second) Reader::fail("duplicate term");
    stats.document_frequency.push_back(static_cast<std::int64_t>(in.varint()));
    const std::uint64_t shard = in.varint();
    stats.first_seen.push_back({shard, in.varint()});
  }
  if (!in.done()) Reader::fail("trailing bytes");
  return stats;
}

CorpusStatistics count_texts(const Analyzer& analyzer, const TextBatch& batch, std::size_t threads) {
  return count_in_parallel(split_texts(batch, threads), [&](std::size_t begin, std::size_t end) {
    return count_text_range(analyzer, batch, begin, end, [](std::int32_t) {}, [] {});
  });
}

CorpusStatistics count_tokens(const TokenBatch& batch, std::size_t threads) {
  return count_in_parallel(split_tokens(batch, threads), [&](std::size_t begin, std::size_t end) {
    return count_token_range(batch, begin, end, [](std::int32_t) {}, [] {});
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
  const std::vector<std::int32_t> order = stats.term_order();
  model.terms_.reserve(order.size());
  model.idf_.resize(order.size());
  // Summed in vocabulary order, as pymilvus-model sums, so the epsilon floor matches to the last bit.
  double idf_sum = 0;
  for (std::size_t id = 0; id < order.size(); ++id) {
    const auto source = static_cast<std::size_t>(order[id]);
    model.terms_.insert(stats.terms.key(order[id]));
    model.idf_[id] = idf_robertson(stats.document_count, stats.document_frequency[source]);
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
    // About one distinct term per 8 bytes of text bounds typical rows; untouched capacity costs no memory.
    std::size_t bytes = 0;
    for (std::size_t doc = begin; doc < end; ++doc) bytes += batch.texts[doc].size();
    return encode_range(model, side, begin, end, bytes / 8, [&](std::size_t doc, auto&& on_term) {
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
    const std::size_t tokens = batch.offsets[end] - batch.offsets[begin];
    return encode_range(model, side, begin, end, tokens, [&](std::size_t doc, auto&& on_term) {
      for (std::size_t t = batch.offsets[doc]; t < batch.offsets[doc + 1]; ++t)
        on_term(vocabulary_id(model, batch.tokens[t]));
    });
  });
}

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
    out.pieces[c] = encode_range(out.model, EncodeSide::kDocument, 0, chunk.ends.size(), chunk.ids.size(),
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

}  // namespace

FitEncoded fit_encode_texts(const Analyzer& analyzer, const TextBatch& batch, CorpusStatistics& stats,
                            Bm25Parameters params, std::size_t threads) {
  return fit_encode_in_parallel(split_texts(batch, threads), stats, params, [&](std::size_t begin, std::size_t end) {
    AnalyzedChunk chunk;
    chunk.ends.reserve(end - begin);
    chunk.counts = count_text_range(
        analyzer, batch, begin, end, [&](std::int32_t id) { chunk.ids.push_back(id); },
        [&] { chunk.ends.push_back(chunk.ids.size()); });
    return chunk;
  });
}

FitEncoded fit_encode_tokens(const TokenBatch& batch, CorpusStatistics& stats, Bm25Parameters params,
                             std::size_t threads) {
  return fit_encode_in_parallel(split_tokens(batch, threads), stats, params, [&](std::size_t begin, std::size_t end) {
    AnalyzedChunk chunk;
    chunk.ends.reserve(end - begin);
    chunk.ids.reserve(batch.offsets[end] - batch.offsets[begin]);
    chunk.counts = count_token_range(
        batch, begin, end, [&](std::int32_t id) { chunk.ids.push_back(id); },
        [&] { chunk.ends.push_back(chunk.ids.size()); });
    return chunk;
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
