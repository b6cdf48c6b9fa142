// BM25 statistics: counting batches on threads (chunks merged in document order), appending and merging
// statistics, and their versioned binary form.
#include "bm25/statistics.hpp"

#include <algorithm>
#include <stdexcept>

#include "bm25/batches.hpp"
#include "bm25/counting.hpp"
#include "bm25/terms.hpp"
#include "parallel.hpp"

namespace sparsebolt {
namespace {

// Counts each chunk of `batch` on its own thread; merging in chunk order keeps first-occurrence order over
// the whole batch, whatever the thread count.
template <class Batch>
CorpusStatistics count_batch(const Analyzer* analyzer, const Batch& batch, std::size_t threads) {
  const std::vector<std::size_t> bounds = detail::chunk_bounds(batch, threads);
  const std::size_t chunks = bounds.size() - 1;
  std::vector<CorpusStatistics> partial(chunks);
  run_chunks(chunks, [&](std::size_t c) {
    CorpusStatistics& stats = partial[c];
    detail::with_terms(analyzer, batch, detail::counting_vocabulary(stats), [&](auto& terms) {
      detail::count_range(terms, bounds[c], bounds[c + 1], stats, [](std::int32_t) {}, [] {});
    });
  });
  CorpusStatistics merged = std::move(partial[0]);
  for (std::size_t c = 1; c < chunks; ++c) merged.append(partial[c]);
  return merged;
}

}  // namespace

CorpusStatistics count_texts(const Analyzer& analyzer, const TextBatch& batch, std::size_t threads) {
  return count_batch(&analyzer, batch, threads);
}

CorpusStatistics count_tokens(const TokenBatch& batch, std::size_t threads) {
  return count_batch(nullptr, batch, threads);
}

CorpusStatistics count_tokens(const Analyzer& analyzer, const TokenBatch& batch, std::size_t threads) {
  return count_batch(&analyzer, batch, threads);
}

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

}  // namespace sparsebolt
