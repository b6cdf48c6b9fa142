// Drives the native jieba segmenter without Python on a small dictionary and HMM written here: dict.txt parsing
// (repeats, malformed lines), the best route, the single-character runs and the HMM, and the characters outside
// blocks. tests/unit/test_segmenters_zh.py compares it with jieba itself on jieba's own data. Run by ctest.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/jieba/segmenter.hpp"
#include "check.hpp"

namespace {
using sparsebolt_test::failures;

using namespace sparsebolt;
using Tokens = std::vector<std::string>;

constexpr double kMinFloat = -3.14e100;  // finalseg's MIN_FLOAT

std::string write_dictionary(const std::string& name, const std::string& contents) {
  const std::string path = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

// An HMM that prefers two-character words (B then E) everywhere: a run of unknown characters comes out in pairs.
jieba::Hmm pairing_hmm() {
  // States B M E S; transition[from * 4 + to].
  std::vector<double> start = {-0.1, kMinFloat, kMinFloat, -3.0};
  std::vector<double> transition(16, kMinFloat);
  transition[0 * 4 + 2] = -0.1;  // B -> E
  transition[0 * 4 + 1] = -5.0;  // B -> M
  transition[1 * 4 + 2] = -0.1;  // M -> E
  transition[1 * 4 + 1] = -5.0;  // M -> M
  transition[2 * 4 + 0] = -0.1;  // E -> B
  transition[2 * 4 + 3] = -5.0;  // E -> S
  transition[3 * 4 + 0] = -0.1;  // S -> B
  transition[3 * 4 + 3] = -5.0;  // S -> S
  return jieba::Hmm(start, transition, std::vector<double>(4 * jieba::kHanCount, -1.0));
}

Tokens segment(const JiebaSegmenter& segmenter, std::string_view text) {
  std::string scratch;
  std::vector<std::string_view> views;
  segmenter.segment(text, scratch, views);
  return Tokens(views.begin(), views.end());
}

void dictionary_reads_like_gen_pfdict() {
  // A repeated word keeps its last frequency (0 here: a prefix only) and every line counts towards the total.
  const std::string path = write_dictionary("sparsebolt_jieba_repeats.txt",
                                            "北京 10 ns\n北京大学 5\n大学 7 n\n 天安门 3 \r\n北京大学 0 nt\nγ射线 2 n");
  const jieba::Dictionary dictionary(path);
  CHECK(dictionary.total() == 27);
  const jieba::Symbol beijing[] = {jieba::symbol_of(U'北'), jieba::symbol_of(U'京')};
  const jieba::Symbol university[] = {jieba::symbol_of(U'北'), jieba::symbol_of(U'京'), jieba::symbol_of(U'大'),
                                      jieba::symbol_of(U'学')};
  CHECK(dictionary.is_word(dictionary.find(beijing, 2)));
  CHECK(dictionary.find(university, 4) != jieba::Dictionary::kNoNode &&
        !dictionary.is_word(dictionary.find(university, 4)));
  CHECK(!dictionary.is_word(dictionary.find(beijing, 1)));  // 北: a prefix, no word
  CHECK(dictionary.find(university, 3) != jieba::Dictionary::kNoNode);
  CHECK(dictionary.weight(dictionary.find(beijing, 2)) == std::log(10.0) - std::log(27.0));
  CHECK(dictionary.unknown_weight() == -std::log(27.0));

  for (const char* bad : {"北京 10\n\n大学 3\n", "北京\n", "北京 ten\n", "北京  10\n", "北\xFF 3\n"}) {
    std::string message;
    try {
      jieba::Dictionary(write_dictionary("sparsebolt_jieba_bad.txt", bad));
    } catch (const std::invalid_argument& error) {
      message = error.what();
    }
    CHECK(message.find("invalid dictionary entry") != std::string::npos && message.find("line ") != std::string::npos);
  }
  bool missing = false;
  try {
    jieba::Dictionary("/nonexistent/dict.txt");
  } catch (const std::invalid_argument& error) {
    missing = std::string(error.what()).find("/nonexistent/dict.txt") != std::string::npos;
  }
  CHECK(missing);
}

void segmenter_follows_cut_dag() {
  const std::string path =
      write_dictionary("sparsebolt_jieba_words.txt", "北京 20\n天安门 8\n天安 3\n门 2\n甲 100\n乙 100\n甲乙 1\n");
  const JiebaSegmenter segmenter(jieba::Dictionary(path), pairing_hmm());
  CHECK(segmenter.name() == "jieba");
  // Dictionary words win; the unknown run 我爱 goes to the HMM, which pairs it.
  CHECK(segment(segmenter, "我爱北京天安门") == (Tokens{"我爱", "北京", "天安门"}));
  // A run of single characters that is itself a word comes out character by character, not through the HMM.
  CHECK(segment(segmenter, "甲乙") == (Tokens{"甲", "乙"}));
  // Letters and digits in a run go by finalseg's re_skip: alphanumerics with a decimal part and a percent sign.
  CHECK(segment(segmenter, "abc12.5%北京x+y") == (Tokens{"abc12.5%", "北京", "x", "+", "y"}));
  CHECK(segment(segmenter, "v1.2.3") == (Tokens{"v1.2", ".", "3"}));
  // Outside blocks each character is a token alone; whitespace, NUL and invalid UTF-8 separate and are dropped.
  CHECK(segment(segmenter, "北京，\t天安门！\r\n") == (Tokens{"北京", "，", "天安门", "！"}));
  CHECK(segment(segmenter, std::string("北京\0天安门", 16)) == (Tokens{"北京", "天安门"}));
  CHECK(segment(segmenter, "北京\xED\xB3\xBF天安门\xFF") == (Tokens{"北京", "天安门"}));
  CHECK(segment(segmenter, "").empty() && segment(segmenter, " \u3000\u00a0").empty());
  CHECK(segment(segmenter, "é𠀀") == (Tokens{"é", "𠀀"}));  // one token per code point, astral ones included
}

void hmm_rejects_tables_of_the_wrong_size() {
  bool rejected = false;
  try {
    jieba::Hmm({0.0, 0.0, 0.0}, std::vector<double>(16), std::vector<double>(4 * jieba::kHanCount));
  } catch (const std::invalid_argument& error) {
    rejected = std::string(error.what()).find("start") != std::string::npos;
  }
  CHECK(rejected);
}
}  // namespace

int main() {
  dictionary_reads_like_gen_pfdict();
  segmenter_follows_cut_dag();
  hmm_rejects_tables_of_the_wrong_size();
  if (failures != 0) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  std::puts("jieba tests passed");
  return 0;
}
