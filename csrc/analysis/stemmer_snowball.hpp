// The Snowball stemmers, generated into csrc/third_party/snowball/ from Snowball's own Python output
// (csrc/analysis/gen_snowball_stemmers.py), each equal to PyStemmer's Stemmer(<algorithm>) of the same
// Snowball version.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sparsebolt {

struct SnowballAlgorithm {
  std::string_view name;            // Snowball's name, as PyStemmer's Stemmer.algorithms() lists it
  void (*stem)(std::string& word);  // in place, on a lowercase UTF-8 word; thread-safe (one state per thread)
};

// Every generated algorithm, in name order.
const std::vector<SnowballAlgorithm>& snowball_algorithms();
// Throws std::invalid_argument listing the known algorithms.
const SnowballAlgorithm& find_snowball_algorithm(std::string_view name);
// The Snowball release the stemmers were generated from ("3.1.1").
const char* snowball_version() noexcept;

}  // namespace sparsebolt
