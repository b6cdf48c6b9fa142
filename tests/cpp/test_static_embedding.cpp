// Drives the static-embedding kernel without Python: means against a double-precision reference, skipped unknown
// tokens, empty texts, weights and a vocabulary mapping, normalization, bad input, and thread-count independence.
// Run by ctest (see CMakeLists.txt).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "check.hpp"
#include "static_embedding/mean_pool.hpp"

namespace {
using sparsebolt_test::failures;

using namespace sparsebolt;

struct Fixture {
  std::size_t vocab = 50, dim = 7;
  std::vector<float> rows;
  std::vector<std::int32_t> ids;
  std::vector<std::int64_t> offsets{0};

  Fixture() {
    std::mt19937 rng(11);
    std::normal_distribution<float> normal;
    rows.resize(vocab * dim);
    for (float& value : rows) value = normal(rng);
    // Texts of 0..40 tokens, with the unknown token (id 1) sprinkled in and one text of only unknown tokens.
    for (int text = 0; text < 300; ++text) {
      const int length = text == 5 ? 3 : text % 41;
      for (int k = 0; k < length; ++k) ids.push_back(text == 5 ? 1 : static_cast<std::int32_t>(rng() % vocab));
      offsets.push_back(static_cast<std::int64_t>(ids.size()));
    }
  }

  StaticEmbeddingTable table() const {
    StaticEmbeddingTable t;
    t.rows = rows.data();
    t.row_count = vocab;
    t.dim = dim;
    t.vocab_size = vocab;
    return t;
  }

  TokenIdBatch batch() const { return {ids.data(), ids.size(), offsets.data(), offsets.size() - 1}; }

  // The mean of each text's kept rows in double, scaled by weights[id] and looked up through mapping when given.
  std::vector<double> reference(std::int64_t skip_id, const std::vector<float>& weights,
                                const std::vector<std::int64_t>& mapping, std::size_t row_count) const {
    std::vector<double> out((offsets.size() - 1) * dim, 0.0);
    for (std::size_t text = 0; text + 1 < offsets.size(); ++text) {
      int kept = 0;
      for (auto at = offsets[text]; at < offsets[text + 1]; ++at) {
        const std::int32_t id = ids[at];
        if (id == skip_id) continue;
        const std::size_t row = mapping.empty() ? static_cast<std::size_t>(id) : mapping[id] % row_count;
        const double weight = weights.empty() ? 1.0 : weights[id];
        for (std::size_t d = 0; d < dim; ++d) out[text * dim + d] += rows[row * dim + d] * weight;
        ++kept;
      }
      for (std::size_t d = 0; d < dim && kept > 0; ++d) out[text * dim + d] /= kept;
    }
    return out;
  }
};

bool close(const std::vector<float>& got, const std::vector<double>& want) {
  if (got.size() != want.size()) return false;
  for (std::size_t i = 0; i < got.size(); ++i)
    if (std::fabs(got[i] - want[i]) > 1e-5 * (1.0 + std::fabs(want[i]))) return false;
  return true;
}

void means_match_the_reference_and_skip_unknown_tokens() {
  const Fixture f;
  std::vector<float> out((f.offsets.size() - 1) * f.dim, -1.0f);
  mean_pool(f.table(), f.batch(), MeanPoolOptions{1, false}, out.data(), 1);
  CHECK(close(out, f.reference(1, {}, {}, f.vocab)));
  // Text 0 has no tokens and text 5 only unknown ones: both are zero vectors, not NaN.
  for (std::size_t d = 0; d < f.dim; ++d) CHECK(out[d] == 0.0f && out[5 * f.dim + d] == 0.0f);
}

void normalized_vectors_have_unit_length_and_empty_ones_stay_zero() {
  const Fixture f;
  std::vector<float> out((f.offsets.size() - 1) * f.dim);
  mean_pool(f.table(), f.batch(), MeanPoolOptions{1, true}, out.data(), 2);
  const std::vector<double> want = f.reference(1, {}, {}, f.vocab);
  for (std::size_t text = 0; text + 1 < f.offsets.size(); ++text) {
    double norm = 0.0, want_norm = 0.0;
    for (std::size_t d = 0; d < f.dim; ++d) {
      norm += double(out[text * f.dim + d]) * out[text * f.dim + d];
      want_norm += want[text * f.dim + d] * want[text * f.dim + d];
    }
    CHECK(want_norm == 0.0 ? norm == 0.0 : std::fabs(norm - 1.0) < 1e-5);
    for (std::size_t d = 0; d < f.dim && want_norm > 0; ++d)
      CHECK(std::fabs(out[text * f.dim + d] - want[text * f.dim + d] / std::sqrt(want_norm)) < 1e-5);
  }
}

void weights_and_a_vocabulary_mapping_are_applied_per_token() {
  const Fixture f;
  const std::size_t row_count = 9;  // fewer rows than tokens: the mapping shares rows
  std::vector<std::int64_t> mapping(f.vocab);
  std::vector<float> weights(f.vocab);
  for (std::size_t id = 0; id < f.vocab; ++id) {
    mapping[id] = static_cast<std::int64_t>((id * 7) % row_count);
    weights[id] = 0.25f + static_cast<float>(id % 5);
  }
  StaticEmbeddingTable table = f.table();
  table.row_count = row_count;
  table.token_rows = mapping.data();
  table.token_weights = weights.data();
  check_table(table);
  std::vector<float> out((f.offsets.size() - 1) * f.dim);
  mean_pool(table, f.batch(), MeanPoolOptions{-1, false}, out.data(), 3);
  CHECK(close(out, f.reference(-1, weights, mapping, row_count)));
}

void results_do_not_depend_on_the_thread_count() {
  Fixture f;
  // Enough work for several threads past the per-thread minimum.
  for (int copy = 0; copy < 6; ++copy) {
    const std::size_t n = f.offsets.size() - 1;
    for (std::size_t text = 0; text < n; ++text) {
      for (auto at = f.offsets[text]; at < f.offsets[text + 1]; ++at) f.ids.push_back(f.ids[at]);
      f.offsets.push_back(static_cast<std::int64_t>(f.ids.size()));
    }
  }
  std::vector<float> one((f.offsets.size() - 1) * f.dim), many(one.size());
  mean_pool(f.table(), f.batch(), MeanPoolOptions{1, true}, one.data(), 1);
  mean_pool(f.table(), f.batch(), MeanPoolOptions{1, true}, many.data(), 8);
  CHECK(one == many);
}

template <class F>
std::string invalid_argument_of(F&& call) {
  try {
    call();
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "";
}

void bad_tables_and_batches_are_rejected_with_a_reason() {
  const Fixture f;
  StaticEmbeddingTable table = f.table();
  table.vocab_size = f.vocab + 1;
  CHECK(invalid_argument_of([&] { check_table(table); }).find("must match") != std::string::npos);
  std::vector<std::int64_t> mapping(f.vocab, 0);
  mapping[3] = static_cast<std::int64_t>(f.vocab);
  table = f.table();
  table.token_rows = mapping.data();
  CHECK(invalid_argument_of([&] { check_table(table); }).find("token 3") != std::string::npos);

  std::vector<std::int32_t> ids{0, 2, static_cast<std::int32_t>(f.vocab)};
  std::vector<std::int64_t> offsets{0, 1, 3};
  std::vector<float> out(2 * f.dim);
  const TokenIdBatch out_of_range{ids.data(), ids.size(), offsets.data(), 2};
  CHECK(invalid_argument_of([&] { mean_pool(f.table(), out_of_range, {}, out.data(), 1); }).find("of text 1") !=
        std::string::npos);
  std::vector<std::int64_t> decreasing{0, 2, 1, 3};
  const TokenIdBatch bad_offsets{ids.data(), ids.size(), decreasing.data(), 3};
  std::vector<float> out3(3 * f.dim);
  CHECK(invalid_argument_of([&] { mean_pool(f.table(), bad_offsets, {}, out3.data(), 1); }).find("decrease") !=
        std::string::npos);
  std::vector<std::int64_t> short_offsets{0, 2};
  const TokenIdBatch too_short{ids.data(), ids.size(), short_offsets.data(), 1};
  CHECK(invalid_argument_of([&] { mean_pool(f.table(), too_short, {}, out.data(), 1); }).find("end at") !=
        std::string::npos);
}
}  // namespace

int main() {
  means_match_the_reference_and_skip_unknown_tokens();
  normalized_vectors_have_unit_length_and_empty_ones_stay_zero();
  weights_and_a_vocabulary_mapping_are_applied_per_token();
  results_do_not_depend_on_the_thread_count();
  bad_tables_and_batches_are_rejected_with_a_reason();
  if (failures != 0) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  std::puts("static embedding tests passed");
  return 0;
}
