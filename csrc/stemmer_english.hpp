// The Snowball English ("Porter2") stemmer, native.
// Output equals Snowball's reference (PyStemmer's Stemmer('english')) for lowercase UTF-8 words.
#pragma once

#include <string>

namespace sparsebolt {

// Stems one lowercase UTF-8 word in place. Thread-safe: it keeps no state between calls.
void stem_english(std::string& word);

}  // namespace sparsebolt
