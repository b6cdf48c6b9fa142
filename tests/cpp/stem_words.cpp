// Development driver for the native English stemmer, built without CMake or Python:
//   g++ -O2 -std=c++17 -Icsrc csrc/analysis/stemmer_english.cpp tests/cpp/stem_words.cpp -o /tmp/stem_words
//
//   stem_words < words.txt            one word per line in, its stem per line out
//   stem_words --bench N < words.txt  stems every word N times and prints ns per word
//
// The bench mode copies each word into a reused std::string before stemming it (as a caller
// does), and times that copy alone too, so the stemmer's own cost is the difference.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "analysis/stemmer_english.hpp"

namespace {

std::vector<std::string> read_lines() {
  std::vector<std::string> words;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    words.push_back(line);
  }
  return words;
}

double time_pass(const std::vector<std::string>& words, int passes, bool stem, std::size_t& sink) {
  std::string buf;
  buf.reserve(256);
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < passes; ++r) {
    for (const std::string& w : words) {
      buf.assign(w);
      if (stem) sparsebolt::stem_english(buf);
      sink += buf.size() + static_cast<unsigned char>(buf.empty() ? 0 : buf[0]);
    }
  }
  const auto t1 = std::chrono::steady_clock::now();
  const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
  return ns / (static_cast<double>(words.size()) * passes);
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  if (argc == 3 && std::strcmp(argv[1], "--bench") == 0) {
    const int passes = std::atoi(argv[2]);
    const std::vector<std::string> words = read_lines();
    if (words.empty() || passes <= 0) return 1;
    std::size_t sink = 0;
    time_pass(words, 1, true, sink);  // warm caches and the branch predictor
    const double copy_ns = time_pass(words, passes, false, sink);
    const double total_ns = time_pass(words, passes, true, sink);
    std::printf("words=%zu passes=%d copy_only=%.2f ns/word copy+stem=%.2f ns/word stem=%.2f ns/word (sink %zu)\n",
                words.size(), passes, copy_ns, total_ns, total_ns - copy_ns, sink % 10);
    return 0;
  }
  std::string line;
  std::string out;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    sparsebolt::stem_english(line);
    out += line;
    out += '\n';
    if (out.size() > (1u << 16)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
