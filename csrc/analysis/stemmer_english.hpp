// The Snowball English ("Porter2") stemmer, native.
// Output equals Snowball 3's english stemmer (PyStemmer 3's Stemmer('english')) for lowercase
// UTF-8 words; tests/unit/test_stemmer.py holds it to that.
#pragma once

#include <string>

namespace sparsebolt {

// Stems one lowercase UTF-8 word in place: one token of the analyzer, a run of Unicode letters
// and digits. Lengths and regions count characters, and non-ASCII letters are non-vowels, as in
// Snowball. Any byte string is safe to pass (no out-of-bounds access on invalid UTF-8).
// The stem is never longer than the word, so this never allocates; it keeps no state between
// calls, so it is thread-safe.
void stem_english(std::string& word);

}  // namespace sparsebolt
