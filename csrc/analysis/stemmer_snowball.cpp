// The table of generated Snowball stemmers.
#include "analysis/stemmer_snowball.hpp"

#include <stdexcept>

#include "snowball/algorithms.hpp"

namespace sparsebolt {

const std::vector<SnowballAlgorithm>& snowball_algorithms() {
#define SPARSEBOLT_SNOWBALL_ROW(name) {#name, &snowball::stem_##name},
  static const std::vector<SnowballAlgorithm> table = {SPARSEBOLT_SNOWBALL_ALGORITHMS(SPARSEBOLT_SNOWBALL_ROW)};
#undef SPARSEBOLT_SNOWBALL_ROW
  return table;
}

const SnowballAlgorithm& find_snowball_algorithm(std::string_view name) {
  std::string known;
  for (const SnowballAlgorithm& algorithm : snowball_algorithms()) {
    if (algorithm.name == name) return algorithm;
    known += (known.empty() ? "'" : ", '") + std::string(algorithm.name) + "'";
  }
  throw std::invalid_argument("unknown Snowball algorithm '" + std::string(name) + "'; choose one of " + known);
}

const char* snowball_version() noexcept { return SPARSEBOLT_SNOWBALL_VERSION; }

}  // namespace sparsebolt
