// jieba's HMM for words its dictionary lacks (jieba/finalseg/__init__.py): B/M/E/S states over Han characters,
// decoded by Viterbi with jieba's own order of additions and ties, and finalseg's split of what is not Han.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

#include "analysis/jieba/characters.hpp"

namespace sparsebolt::jieba {

class Hmm {
 public:
  // The states in jieba's order, "BMES": begin, middle, end of a word, single-character word.
  static constexpr std::size_t kStates = 4;

  // Log probabilities as finalseg's prob_start, prob_trans and prob_emit hold them, with MIN_FLOAT where a table
  // has no entry: start[state], transition[from * 4 + to], emission[state * kHanCount + (c - kHanFirst)].
  // Throws std::invalid_argument for wrong sizes or NaN.
  Hmm(std::vector<double> start, std::vector<double> transition, std::vector<double> emission);

  // finalseg.cut(symbols[0..size)): calls on_token(begin, end) with symbol offsets for each token, in order.
  // Han runs are decoded by Viterbi; the rest splits by re_skip, ([a-zA-Z0-9]+(?:\.\d+)?%?).
  template <class OnToken>
  void cut(const Symbol* symbols, std::size_t size, OnToken&& on_token) const {
    for (std::size_t i = 0; i < size;) {
      std::size_t j = i + 1;
      const bool han = is_han_symbol(symbols[i]);
      while (j < size && is_han_symbol(symbols[j]) == han) ++j;
      if (han) {
        cut_han(symbols + i, j - i, i, on_token);
      } else {
        cut_other(symbols, i, j, on_token);
      }
      i = j;
    }
  }

 private:
  // The most probable state of each of symbols[0..size) (all Han) into `states`, as finalseg.viterbi.
  void viterbi(const Symbol* symbols, std::size_t size, std::vector<unsigned char>& states) const;

  template <class OnToken>
  void cut_han(const Symbol* symbols, std::size_t size, std::size_t offset, OnToken& on_token) const;

  // re_skip.split over symbols[begin..end) (no Han): its matches and the non-empty pieces between them.
  template <class OnToken>
  static void cut_other(const Symbol* symbols, std::size_t begin, std::size_t end, OnToken& on_token) {
    std::size_t gap = begin;
    for (std::size_t k = begin; k < end;) {
      if (!is_alnum_symbol(symbols[k])) {
        ++k;
        continue;
      }
      if (gap < k) on_token(gap, k);
      std::size_t m = k + 1;
      while (m < end && is_alnum_symbol(symbols[m])) ++m;
      if (m + 1 < end && symbols[m] == '.' && is_digit_symbol(symbols[m + 1])) {
        m += 2;
        while (m < end && is_digit_symbol(symbols[m])) ++m;
      }
      if (m < end && symbols[m] == '%') ++m;
      on_token(k, m);
      k = gap = m;
    }
    if (gap < end) on_token(gap, end);
  }

  double emission(std::size_t state, Symbol symbol) const noexcept {
    return emission_[state * kHanCount + (symbol - 128)];
  }

  std::array<double, kStates> start_;
  std::array<double, kStates * kStates> transition_;
  std::vector<double> emission_;
};

template <class OnToken>
void Hmm::cut_han(const Symbol* symbols, std::size_t size, std::size_t offset, OnToken& on_token) const {
  thread_local std::vector<unsigned char> states;
  viterbi(symbols, size, states);
  // finalseg.__cut: B opens a word, E closes it, S is a word alone; whatever is left open at the end is a word.
  constexpr unsigned char kBegin = 0, kEnd = 2, kSingle = 3;
  std::size_t begin = 0, next = 0;
  for (std::size_t i = 0; i < size; ++i) {
    if (states[i] == kBegin) {
      begin = i;
    } else if (states[i] == kEnd) {
      on_token(offset + begin, offset + i + 1);
      next = i + 1;
    } else if (states[i] == kSingle) {
      on_token(offset + i, offset + i + 1);
      next = i + 1;
    }
  }
  if (next < size) on_token(offset + next, offset + size);
}

}  // namespace sparsebolt::jieba
