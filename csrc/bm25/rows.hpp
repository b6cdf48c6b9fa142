// Internal: one row's term counts (RowCounter), the row's values (emit_row), and encoding a chunk of
// documents into one CSR piece (encode_range), shared by encode_* and fit_encode_*.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "bm25/encode.hpp"
#include "bm25/model.hpp"

namespace sparsebolt::detail {

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
          for (std::uint64_t bits = words_[word]; bits != 0; bits &= bits - 1)
            emit_counted((word << 6) | lowest_bit(bits), on_term);
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

// Below this many rows a chunk counts by sorting (RowCounter's sparse mode).
inline constexpr std::size_t kMinRowsForDenseCounts = 128;

// Appends the row the counter holds (and drains it): tf saturation per term for documents of `length`
// analyzed tokens, or the summed idf per query term.
void emit_row(const Bm25Model& model, EncodeSide side, RowCounter& counter, std::int64_t length, CsrPiece& piece);

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

}  // namespace sparsebolt::detail
