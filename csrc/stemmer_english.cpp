// Placeholder until the Porter2 implementation lands: leaves words unchanged.
#include "stemmer_english.hpp"

namespace sparsebolt {

void stem_english(std::string& /*word*/) {}

}  // namespace sparsebolt
