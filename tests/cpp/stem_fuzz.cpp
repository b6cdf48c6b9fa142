// Robustness check for the native stemmers on arbitrary bytes (invalid UTF-8, stray continuation bytes,
// apostrophes, NULs): they must never read or write out of bounds, and the hand-written English one must never
// lengthen a word (it stems in place without allocating). Build it with the sanitizers so an out-of-bounds access
// aborts (ctest does, see .ci/run):
//   stem_fuzz ROUNDS            ROUNDS random byte strings through the English stemmer and each Snowball one
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "analysis/stemmer_english.hpp"
#include "analysis/stemmer_snowball.hpp"

namespace {

// Bytes the algorithms react to, plus UTF-8 lead and continuation bytes (of Latin, Greek, Cyrillic, Arabic and
// Tamil letters) and a few others.
const unsigned char kBytes[] = {'a',  'e',  'i',  'o',  'u',  'y',  'Y',  's',  'l',  't',  'n',  'r',  'd',
                                'c',  'g',  'b',  'm',  'p',  'z',  'f',  'k',  'h',  'w',  'x',  '\'', '1',
                                0x00, 0x80, 0x9F, 0xBF, 0xC3, 0xA9, 0xA4, 0xB6, 0xCE, 0xB1, 0xD0, 0xBA, 0xD8,
                                0xA7, 0xE0, 0xAE, 0xE6, 0x97, 0xA5, 0xF0, 0x9F, 0x98, 0x80, 0xFF, 0xC0};

std::string random_word(std::mt19937_64& rng) {
  // Lengths up to 100: strings over 15 bytes are heap blocks of exactly size() + 1 bytes, so the sanitizer sees
  // an overrun of the caller's string as well as of the stemmer's own buffers.
  const std::size_t len = rng() % 100;
  std::string word;
  for (std::size_t i = 0; i < len; ++i) word.push_back(static_cast<char>(kBytes[rng() % sizeof kBytes]));
  return word;
}

}  // namespace

int main(int argc, char** argv) {
  const long rounds = argc > 1 ? std::atol(argv[1]) : 1000000;
  std::mt19937_64 rng(12345);
  for (long r = 0; r < rounds; ++r) {
    const std::string w = random_word(rng);
    std::string word(w);
    sparsebolt::stem_english(word);
    if (word.size() > w.size()) {
      std::fprintf(stderr, "stem grew a word of %zu bytes to %zu\n", w.size(), word.size());
      return 1;
    }
  }
  // The Snowball stemmers may lengthen a word (German ß -> ss): only memory safety is checked for them.
  const long snowball_rounds = rounds / 10;
  for (const sparsebolt::SnowballAlgorithm& algorithm : sparsebolt::snowball_algorithms()) {
    for (long r = 0; r < snowball_rounds; ++r) {
      std::string word = random_word(rng);
      algorithm.stem(word);
    }
  }
  std::printf("%ld random byte strings stemmed in English, none grew; %ld through each of %zu Snowball stemmers\n",
              rounds, snowball_rounds, sparsebolt::snowball_algorithms().size());
  return 0;
}
