// finalseg.viterbi in C++: the same double additions in the same order, and max() over (probability, state)
// tuples, so an equal probability goes to the state whose letter sorts last.
#include "analysis/jieba/hmm.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace sparsebolt::jieba {
namespace {

constexpr std::size_t B = 0, M = 1, E = 2, S = 3;
// The letters' order ('B' < 'E' < 'M' < 'S'), which decides max() between tuples of equal probability.
constexpr int kLetterRank[Hmm::kStates] = {0, 2, 1, 3};
// finalseg's PrevStatus: the two states each state can follow.
constexpr std::size_t kPrevious[Hmm::kStates][2] = {{E, S}, {M, B}, {B, M}, {S, E}};

// max((pa, a), (pb, b)) as Python compares tuples.
std::size_t pick(double pa, std::size_t a, double pb, std::size_t b) noexcept {
  if (pa != pb) return pa > pb ? a : b;
  return kLetterRank[a] > kLetterRank[b] ? a : b;
}

void check(const std::vector<double>& values, std::size_t size, const char* what) {
  if (values.size() != size)
    throw std::invalid_argument(std::string("the HMM's ") + what + " table needs " + std::to_string(size) +
                                " values, got " + std::to_string(values.size()));
  for (double value : values)
    if (std::isnan(value)) throw std::invalid_argument(std::string("the HMM's ") + what + " table holds NaN");
}

}  // namespace

Hmm::Hmm(std::vector<double> start, std::vector<double> transition, std::vector<double> emission) {
  check(start, kStates, "start");
  check(transition, kStates * kStates, "transition");
  check(emission, kStates * kHanCount, "emission");
  std::copy(start.begin(), start.end(), start_.begin());
  std::copy(transition.begin(), transition.end(), transition_.begin());
  emission_ = std::move(emission);
}

void Hmm::viterbi(const Symbol* symbols, std::size_t size, std::vector<unsigned char>& states) const {
  // back[t * 4 + y]: the state before y at t on y's best path (finalseg keeps the whole paths; same result).
  thread_local std::vector<unsigned char> back;
  back.resize(size * kStates);
  states.resize(size);
  double v[kStates];
  for (std::size_t y = 0; y < kStates; ++y) v[y] = start_[y] + emission(y, symbols[0]);
  for (std::size_t t = 1; t < size; ++t) {
    double next[kStates];
    for (std::size_t y = 0; y < kStates; ++y) {
      const double em = emission(y, symbols[t]);
      const std::size_t a = kPrevious[y][0], b = kPrevious[y][1];
      // V[t - 1][y0] + trans_p[y0].get(y, MIN_FLOAT) + em_p, left to right
      const double pa = v[a] + transition_[a * kStates + y] + em;
      const double pb = v[b] + transition_[b * kStates + y] + em;
      const std::size_t from = pick(pa, a, pb, b);
      next[y] = from == a ? pa : pb;
      back[t * kStates + y] = static_cast<unsigned char>(from);
    }
    for (std::size_t y = 0; y < kStates; ++y) v[y] = next[y];
  }
  std::size_t state = pick(v[E], E, v[S], S);  // max((V[-1][y], y) for y in 'ES')
  for (std::size_t t = size; t-- > 0;) {
    states[t] = static_cast<unsigned char>(state);
    if (t > 0) state = back[t * kStates + state];
  }
}

}  // namespace sparsebolt::jieba
