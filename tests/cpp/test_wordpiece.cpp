// Drives the native BERT WordPiece tokenizer without Python on hand-checked cases: normalisation (accents, full
// lowercase, CJK spacing, controls), pre-tokenisation, greedy longest match, unknown words, added tokens,
// truncation, invalid UTF-8 and thread-count independence. Run by ctest (see CMakeLists.txt).
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "check.hpp"
#include "tokenizer/wordpiece.hpp"

namespace {
using sparsebolt_test::failures;

using namespace sparsebolt;

using Ids = std::vector<std::int32_t>;

// [PAD] 0, [UNK] 1, [MASK] 2, then the words from 3 on.
WordPieceTokenizer make(WordPieceOptions options = {}, std::vector<AddedToken> added = {{"[MASK]", 2}}) {
  const std::vector<std::string> words = {"[PAD]", "[UNK]", "[MASK]", "un", "##aff", "##able", "hello", "world",
                                          "!",     "cafe",  "i",      "##̇", "日",    "本",     ",",     "##s"};
  std::vector<std::pair<std::string, std::int32_t>> vocab;
  for (std::size_t i = 0; i < words.size(); ++i) vocab.emplace_back(words[i], static_cast<std::int32_t>(i));
  return WordPieceTokenizer(vocab, "[UNK]", std::move(options), std::move(added));
}

Ids encode(const WordPieceTokenizer& tokenizer, const std::string& text, std::size_t max_length = 0) {
  Ids ids;
  tokenizer.encode(text, max_length, ids);
  return ids;
}

void test_normalize() {
  const WordPieceTokenizer bert = make();
  CHECK(bert.normalize("Caf\xC3\xA9 HELLO") == "cafe hello");  // é -> e + U+0301, the mark dropped
  CHECK(bert.normalize("\xC4\xB0") == "i");                    // U+0130 -> i + U+0307, U+0307 is Mn: gone
  CHECK(bert.normalize("a\tb\x01"
                       "c") == "a bc");                             // tab -> space, U+0001 dropped
  CHECK(bert.normalize("\xE6\x97\xA5\xE6\x9C\xAC") == " 日  本 ");  // a space either side of each ideograph
  WordPieceOptions keep_accents;
  keep_accents.strip_accents = false;
  // lowercase after (no) accent stripping: U+0130's full lowercase keeps U+0307
  CHECK(make(keep_accents).normalize("\xC4\xB0") == "i\xCC\x87");
  WordPieceOptions raw;
  raw.clean_text = raw.handle_chinese_chars = raw.strip_accents = raw.lowercase = false;
  CHECK(make(raw).normalize("A\x01\xE6\x97\xA5") == "A\x01\xE6\x97\xA5");
}

void test_pre_tokenize() {
  const WordPieceTokenizer bert = make();
  const std::vector<std::string> want = {"hello", ",", "world", "!", "$"};
  CHECK(bert.pre_tokenize("hello,world  !$") == want);  // '$' is ASCII punctuation, though Unicode Sc
}

void test_wordpiece() {
  const WordPieceTokenizer bert = make();
  CHECK(bert.tokenize_word("unaffable") == (Ids{3, 4, 5}));
  CHECK(bert.tokenize_word("unaffablex") == (Ids{1}));  // one piece unmatched: the whole word is unknown
  CHECK(encode(bert, "Hello, unaffable world!") == (Ids{6, 14, 3, 4, 5, 7, 8}));
  CHECK(encode(bert, "hellos") == (Ids{6, 15}));
  CHECK(encode(bert, "\xC4\xB0") == (Ids{10}));
  WordPieceOptions short_words;
  short_words.max_input_chars_per_word = 5;
  CHECK(encode(make(short_words), "hello unaffable") == (Ids{6, 1}));
  WordPieceOptions other_prefix;
  other_prefix.continuing_subword_prefix = "@@";
  CHECK(encode(make(other_prefix), "unaffable") == (Ids{1}));
}

void test_added_tokens() {
  const WordPieceTokenizer bert = make();
  CHECK(encode(bert, "hello [MASK] world") == (Ids{6, 2, 7}));
  CHECK(encode(bert, "hello[MASK]world") == (Ids{6, 2, 7}));
  CHECK(encode(bert, "[mask]") == (Ids{1, 1, 1}));  // matched before lowercasing, so not this one
  const WordPieceTokenizer longest = make({}, {{"[M", 1}, {"[MASK]", 2}});
  CHECK(encode(longest, "[MASK][M") == (Ids{2, 1}));
}

void test_truncation_and_batches() {
  const WordPieceTokenizer bert = make();
  CHECK(encode(bert, "unaffable world", 2) == (Ids{3, 4}));
  CHECK(encode(bert, "hello [MASK] world", 2) == (Ids{6, 2}));
  std::vector<std::string> texts;
  for (int i = 0; i < 3000; ++i) texts.push_back(i % 3 ? "hello unaffable world [MASK] " + std::to_string(i) : "");
  std::vector<std::string_view> views(texts.begin(), texts.end());
  const WordPieceIds one = bert.encode_batch(views, 4, 1);
  const WordPieceIds four = bert.encode_batch(views, 4, 4);
  CHECK(one.ids == four.ids);
  CHECK(one.offsets == four.offsets);
  CHECK(one.offsets.size() == texts.size() + 1);
  CHECK(one.offsets[1] == 0);
  CHECK(one.offsets[2] == 4);
}

void test_invalid_utf8() {
  WordPieceOptions keep;
  keep.clean_text = false;
  // an encoded surrogate (surrogatepass) is one U+FFFD; clean_text drops it
  CHECK(make(keep).normalize("a\xED\xA0\x80"
                             "b") ==
        "a\xEF\xBF\xBD"
        "b");
  CHECK(make().normalize("a\xED\xA0\x80"
                         "b\xFF") == "ab");
}

void test_bad_setup() {
  bool threw = false;
  try {
    WordPieceTokenizer({{"a", 0}}, "[UNK]", {}, {});
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
}

}  // namespace

int main() {
  test_normalize();
  test_pre_tokenize();
  test_wordpiece();
  test_added_tokens();
  test_truncation_and_batches();
  test_invalid_utf8();
  test_bad_setup();
  if (failures == 0) std::printf("test_wordpiece: all checks passed\n");
  return failures != 0;
}
