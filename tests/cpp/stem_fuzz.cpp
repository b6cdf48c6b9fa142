// Robustness check for the native English stemmer on arbitrary bytes (invalid UTF-8, stray
// continuation bytes, apostrophes, NULs): it must never read or write out of bounds and never
// lengthen a word. Build it with the sanitizers so an out-of-bounds access aborts:
//   g++ -O1 -g -std=c++17 -fsanitize=address,undefined -fno-sanitize-recover=all
//       -Icsrc csrc/analysis/stemmer_english.cpp tests/cpp/stem_fuzz.cpp -o /tmp/stem_fuzz
//   /tmp/stem_fuzz 2000000
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "analysis/stemmer_english.hpp"

int main(int argc, char** argv) {
  const long rounds = argc > 1 ? std::atol(argv[1]) : 1000000;
  // Bytes the algorithm reacts to, plus UTF-8 lead and continuation bytes and a few others.
  static const unsigned char kBytes[] = {'a',  'e',  'i',  'o',  'u',  'y',  'Y',  's',  'l',  't',  'n',
                                         'r',  'd',  'c',  'g',  'b',  'm',  'p',  'z',  'f',  'k',  'h',
                                         'w',  'x',  '\'', '1',  0x00, 0x80, 0x9F, 0xBF, 0xC3, 0xA9, 0xCE,
                                         0xE6, 0x97, 0xA5, 0xF0, 0x9F, 0x98, 0x80, 0xFF, 0xC0};
  std::mt19937_64 rng(12345);
  std::string w;
  for (long r = 0; r < rounds; ++r) {
    // Lengths up to 100 cover both of the stemmer's paths: a stack copy up to 64 bytes, in
    // place beyond. Strings over 15 bytes are heap blocks of exactly size() + 1 bytes, so the
    // sanitizer sees an overrun of the caller's string as well as of the stemmer's buffer.
    const std::size_t len = rng() % 100;
    w.clear();
    for (std::size_t i = 0; i < len; ++i) w.push_back(static_cast<char>(kBytes[rng() % sizeof kBytes]));
    std::string word(w);
    sparsebolt::stem_english(word);
    if (word.size() > w.size()) {
      std::fprintf(stderr, "stem grew a word of %zu bytes to %zu\n", w.size(), word.size());
      return 1;
    }
  }
  std::printf("%ld random byte strings stemmed, none grew\n", rounds);
  return 0;
}
