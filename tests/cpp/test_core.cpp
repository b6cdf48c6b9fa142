// Drives the C++ core without Python: string table growth and collisions, UTF-8 decoding, counting
// across thread counts, statistics merge/serialize, encoding, the language table and external segmenters.
// Run by ctest (see CMakeLists.txt).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "analysis/analyzer.hpp"
#include "analysis/languages.hpp"
#include "analysis/mecab/mecab_segmenter.hpp"
#include "analysis/stemmer_english.hpp"
#include "analysis/stemmer_snowball.hpp"
#include "analysis/unicode.hpp"
#include "bm25/encode.hpp"
#include "bm25/fit_encode.hpp"
#include "bm25/model.hpp"
#include "bm25/statistics.hpp"
#include "check.hpp"
#include "string_table.hpp"

namespace {
using sparsebolt_test::failures;

using namespace sparsebolt;

void string_table_keeps_ids_through_growth() {
  StringTable table;
  std::vector<std::string> keys;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    // Lengths 0..40, and long keys that share their first and last 8 bytes.
    std::string key = i % 5 == 0 ? "prefix--" + std::to_string(i) + "--suffix" : std::to_string(rng() % 1000000000);
    key.resize(static_cast<std::size_t>(i % 41), 'x');
    const auto [id, added] = table.insert(key);
    if (added) {
      CHECK(id == static_cast<std::int32_t>(keys.size()));
      keys.push_back(key);
    }
  }
  for (std::size_t id = 0; id < keys.size(); ++id) {
    CHECK(table.find(keys[id]) == static_cast<std::int32_t>(id));
    CHECK(table.key(static_cast<std::int32_t>(id)) == keys[id]);
  }
  CHECK(table.find("not-a-key-at-all-but-long-enough") == StringTable::kMissing);
}

void utf8_decoding_rejects_malformed_sequences() {
  const std::string good = "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // é € 😀
  CHECK(unicode::decode_utf8(good.data(), good.size(), 0).code_point == 0xE9);
  CHECK(unicode::decode_utf8(good.data(), good.size(), 2).code_point == 0x20AC);
  CHECK(unicode::decode_utf8(good.data(), good.size(), 5).code_point == 0x1F600);
  for (const std::string bad : {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82", "\x80", "\xFF"}) {
    const unicode::Decoded d = unicode::decode_utf8(bad.data(), bad.size(), 0);
    CHECK(d.code_point == unicode::kInvalid && d.length == 1);
  }
}

std::vector<std::string> corpus() {
  std::vector<std::string> docs;
  std::mt19937_64 rng(3);
  const char* words[] = {"Alpha", "beta", "gamma", "the", "running", "runs", "Ünïcödé", "naïve", "a1b2", "x"};
  for (int d = 0; d < 5000; ++d) {
    std::string doc;
    for (std::uint64_t w = rng() % 40; w > 0; --w) doc += std::string(words[rng() % 10]) + (rng() % 7 ? " " : ", ");
    docs.push_back(doc);
  }
  return docs;
}

void counting_is_independent_of_threads_and_merges_in_any_order() {
  const Analyzer analyzer(AnalyzerOptions{true, {"the", "a"}, "english"});
  const std::vector<std::string> docs = corpus();
  TextBatch all;
  for (const std::string& doc : docs) all.texts.push_back(doc);
  const CorpusStatistics one = count_texts(analyzer, all, 1);
  const CorpusStatistics four = count_texts(analyzer, all, 4);
  CHECK(one.terms.size() == four.terms.size());
  for (std::size_t id = 0; id < one.terms.size(); ++id) {
    CHECK(one.terms.key(static_cast<std::int32_t>(id)) == four.terms.key(static_cast<std::int32_t>(id)));
    CHECK(one.document_frequency[id] == four.document_frequency[id]);
  }

  // Two shards merged in reverse order, after a trip through bytes, fit like one batch.
  CorpusStatistics first, second, whole;
  first.shard = 0;
  second.shard = 1;
  TextBatch head, tail;
  for (std::size_t d = 0; d < docs.size(); ++d) (d < 1234 ? head : tail).texts.push_back(docs[d]);
  first.append(count_texts(analyzer, head, 2));
  second.append(count_texts(analyzer, tail, 3));
  whole.append(one);
  CorpusStatistics merged = CorpusStatistics::deserialize(second.serialize());
  merged.merge(CorpusStatistics::deserialize(first.serialize()));
  const Bm25Model a = Bm25Model::from_statistics(whole, {});
  const Bm25Model b = Bm25Model::from_statistics(merged, {});
  CHECK(a.dim() == b.dim() && a.average_length() == b.average_length());
  for (std::size_t id = 0; id < a.dim(); ++id) {
    CHECK(a.terms().key(static_cast<std::int32_t>(id)) == b.terms().key(static_cast<std::int32_t>(id)));
    CHECK(a.idf()[id] == b.idf()[id]);
  }

  bool rejected = false;
  try {
    CorpusStatistics::deserialize(first.serialize().substr(0, 20));
  } catch (const std::invalid_argument&) {
    rejected = true;
  }
  CHECK(rejected);
}

void encoding_matches_the_formula_and_the_query_fast_path() {
  const Analyzer analyzer(AnalyzerOptions{true, {}, "none"});
  const std::vector<std::string> docs = {"a b b c", "b c c c d", "e"};
  TextBatch batch;
  for (const std::string& doc : docs) batch.texts.push_back(doc);
  CorpusStatistics stats;
  stats.append(count_texts(analyzer, batch, 1));
  const Bm25Model model = Bm25Model::from_statistics(stats, {});
  const std::vector<CsrPiece> pieces = encode_texts(model, analyzer, batch, EncodeSide::kDocument, 1);
  CHECK(pieces.size() == 1 && pieces[0].row_nnz == (std::vector<std::int64_t>{3, 3, 1}));
  // Document 1, term c: tf 3, dl 5, avgdl 10/3.
  const double norm = 1.5 * (1 - 0.75 + 0.75 * 5 / (10.0 / 3));
  CHECK(pieces[0].indices[4] == 2 && pieces[0].data[4] == static_cast<float>(3 * 2.5 / (3 + norm)));
  std::vector<std::pair<std::int32_t, float>> query;
  encode_query_text(model, analyzer, "c C unknown b", query);
  CHECK(query.size() == 2 && query[0].first == 1 && query[1].first == 2);
  CHECK(query[1].second == static_cast<float>(model.idf()[2] + model.idf()[2]));
}

void fit_encode_equals_fit_then_encode_for_any_thread_count() {
  const Analyzer analyzer(AnalyzerOptions{true, {"the"}, "english"});
  std::vector<std::string> docs;
  std::mt19937_64 rng(3);
  const char* words[] = {"The", "running", "runs", "flow", "layer", "boundary", "z\xC3\xA9ro", "shock", "wave"};
  for (int d = 0; d < 6000; ++d) {
    std::string doc;
    for (std::uint64_t w = rng() % 40; w > 0; --w) doc += std::string(words[rng() % 9]) + " ";
    docs.push_back(doc);
  }
  TextBatch batch;
  for (const std::string& doc : docs) batch.texts.push_back(doc);
  CorpusStatistics expected_stats;
  expected_stats.append(count_texts(analyzer, batch, 1));
  const Bm25Model expected = Bm25Model::from_statistics(expected_stats, {});
  const std::vector<CsrPiece> expected_pieces = encode_texts(expected, analyzer, batch, EncodeSide::kDocument, 1);
  for (std::size_t threads : {1, 2, 5}) {
    CorpusStatistics stats;
    const FitEncoded fitted = fit_encode_texts(analyzer, batch, stats, {}, threads);
    CHECK(stats.serialize() == expected_stats.serialize());
    CHECK(fitted.model.dim() == expected.dim() && fitted.model.idf() == expected.idf());
    std::vector<std::int32_t> indices;
    std::vector<float> data;
    std::vector<std::int64_t> row_nnz;
    for (const CsrPiece& piece : fitted.pieces) {
      indices.insert(indices.end(), piece.indices.begin(), piece.indices.end());
      data.insert(data.end(), piece.data.begin(), piece.data.end());
      row_nnz.insert(row_nnz.end(), piece.row_nnz.begin(), piece.row_nnz.end());
    }
    CHECK(indices == expected_pieces[0].indices && data == expected_pieces[0].data);
    CHECK(row_nnz == expected_pieces[0].row_nnz);
  }
  CorpusStatistics untouched;
  bool rejected = false;
  try {
    fit_encode_texts(analyzer, TextBatch{{"the", ""}}, untouched, {}, 1);
  } catch (const std::invalid_argument&) {
    rejected = true;
  }
  CHECK(rejected && untouched.document_count == 0 && untouched.terms.size() == 0);
}
void language_table_names_known_stemmers_and_segmenters() {
  CHECK(!languages().empty());
  for (const Language& language : languages()) {
    CHECK(&find_language(language.code) == &language);
    for (std::string_view alias : language.aliases) CHECK(&find_language(alias) == &language);
    CHECK(find_stemmer(language.stemmer).name == language.stemmer);
    // Only the languages segmented in Python name an external segmenter, and those have no stemmer.
    if (find_segmenter(language.segmenter).kind == SegmenterKind::kExternal) CHECK(language.stemmer == "none");
  }
  for (const Stemmer& stemmer : stemmers()) CHECK(&find_stemmer(stemmer.name) == &stemmer);
  // Every Snowball algorithm is a stemmer of the table, English through the hand-written one.
  for (const SnowballAlgorithm& algorithm : snowball_algorithms()) {
    const Stemmer& stemmer = find_stemmer(algorithm.name);
    CHECK(stemmer.stem == (algorithm.name == "english" ? &stem_english : algorithm.stem));
  }
  std::string message;
  try {
    find_language("xx");
  } catch (const std::invalid_argument& error) {
    message = error.what();
  }
  CHECK(message.find("'xx'") != std::string::npos && message.find("'en' or 'english'") != std::string::npos);
}

std::vector<std::string> surface_tokens(std::string_view segmenter, std::string_view text) {
  const Analyzer analyzer(AnalyzerOptions{true, {}, "none", segmenter});
  return analyzer.analyze(text);
}

void letters_marks_keeps_the_marks_that_follow_a_letter() {
  // Hindi "हिन्दी" is ह + ि (Mc) + न + ् (Mn) + द + ी (Mc); str.isalnum() splits it at each sign.
  const std::string hindi = "\xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\xa8\xe0\xa5\x8d\xe0\xa4\xa6\xe0\xa5\x80";
  CHECK(surface_tokens("letters_marks", hindi + " x") == (std::vector<std::string>{hindi, "x"}));
  CHECK(surface_tokens("letters_digits", hindi).size() == 3);
  // A mark after ASCII letters (a decomposed é) stays in the word; one that starts a word, or follows a
  // separator, is a separator; ZWNJ inside a word stays (Persian), invalid bytes still separate.
  CHECK(surface_tokens("letters_marks", "Cafe\xcc\x81, \xcc\x81x") == (std::vector<std::string>{"cafe\xcc\x81", "x"}));
  CHECK(surface_tokens("letters_marks",
                       "a\xe2\x80\x8c"
                       "b \xe2\x80\x8c c\xff"
                       "d") == (std::vector<std::string>{"a\xe2\x80\x8c"
                                                         "b",
                                                         "c", "d"}));
  CHECK(surface_tokens("letters_digits", "Cafe\xcc\x81") == (std::vector<std::string>{"cafe"}));
}

// Splits on spaces and commas, keeping the empty pieces, which the analyzer must skip.
TokenBatch split_into_tokens(const std::vector<std::string>& docs) {
  TokenBatch batch;
  for (const std::string& doc : docs) {
    std::size_t start = 0;
    for (std::size_t i = 0; i <= doc.size(); ++i) {
      if (i == doc.size() || doc[i] == ' ' || doc[i] == ',') {
        batch.tokens.emplace_back(doc.data() + start, i - start);
        start = i + 1;
      }
    }
    batch.offsets.push_back(batch.tokens.size());
  }
  return batch;
}

std::vector<float> all_data(const std::vector<CsrPiece>& pieces) {
  std::vector<float> data;
  for (const CsrPiece& piece : pieces) data.insert(data.end(), piece.data.begin(), piece.data.end());
  return data;
}

void external_segmenter_tokens_take_the_text_path() {
  // Tokens cut outside like the native segmenter cuts them give the same statistics and vectors: the
  // lowercase -> stopword -> stem path is the same for both.
  const Analyzer native(AnalyzerOptions{true, {"the", "a"}, "english"});
  const Analyzer external(AnalyzerOptions{true, {"the", "a"}, "english", "external"});
  const std::vector<std::string> docs = corpus();
  TextBatch texts;
  for (const std::string& doc : docs) texts.texts.push_back(doc);
  const TokenBatch tokens = split_into_tokens(docs);
  const CorpusStatistics from_texts = count_texts(native, texts, 1);
  CHECK(count_tokens(external, tokens, 3).serialize() == from_texts.serialize());
  CorpusStatistics stats;
  stats.append(from_texts);
  const Bm25Model model = Bm25Model::from_statistics(stats, {});
  for (EncodeSide side : {EncodeSide::kDocument, EncodeSide::kQuery}) {
    const std::vector<CsrPiece> expected = encode_texts(model, native, texts, side, 1);
    const std::vector<CsrPiece> got = encode_tokens(model, external, tokens, side, 2);
    CHECK(all_data(got) == all_data(expected));
  }
  CorpusStatistics fitted_stats;
  const FitEncoded fitted = fit_encode_tokens(external, tokens, fitted_stats, {}, 2);
  CHECK(fitted.model.idf() == model.idf() &&
        all_data(fitted.pieces) == all_data(encode_texts(model, native, texts, EncodeSide::kDocument, 1)));
  CHECK(external.analyze_tokens({"The", "RUNNING", "", "Ünïcödé"}) == (std::vector<std::string>{"run", "ünïcödé"}));

  bool rejected = false;
  try {
    count_texts(external, texts, 1);
  } catch (const std::invalid_argument&) {
    rejected = true;
  }
  CHECK(rejected);
}

std::string stemmed(std::string_view stemmer, std::string word) {
  find_stemmer(stemmer).stem(word);
  return word;
}

void snowball_stemmers_stem_utf8_words() {
  // Stems PyStemmer 3.1.0 gives (Snowball 3.1); tests/unit/test_stemmer_snowball.py compares whole word lists.
  CHECK(stemmed("german", "häuser") == "haus");
  CHECK(stemmed("german", "aufeinanderfolgenden") == "aufeinanderfolg");
  CHECK(stemmed("french", "continuellement") == "continuel");
  CHECK(stemmed("russian", "книгами") == "книг");
  CHECK(stemmed("spanish", "corriendo") == "corr");
  CHECK(stemmed("greek", "βιβλία") == "βιβλ");
  CHECK(stemmed("turkish", "kitaplarımızdan") == "kitap");
  CHECK(stemmed("finnish", "taloissammekin") == "talo");
  CHECK(stemmed("tamil", "படிக்கிறேன்") == "படி");
  // Bytes that are no UTF-8 come back as they went in, and stop no word from stemming.
  CHECK(stemmed("german", std::string("h\xFF\xC3user")) == std::string("h\xFF\xC3us"));
  CHECK(stemmed("french", std::string("\xE2\x82")) == std::string("\xE2\x82"));
  CHECK(stemmed("german", "") == "");
  bool rejected = false;
  try {
    find_stemmer("klingon");
  } catch (const std::invalid_argument& error) {
    rejected = std::string(error.what()).find("'german'") != std::string::npos;
  }
  CHECK(rejected);
}

void snowball_stemmers_are_thread_safe() {
  // Each thread has its own stemmer state: the same words stemmed on four threads at once give the same stems.
  std::vector<std::string> words;
  for (const char* stem : {"haus", "lauf", "kind", "buch", "frag"})
    for (const char* ending : {"", "e", "en", "er", "ern", "es", "ung", "ungen", "lich", "keit"})
      words.push_back(std::string(stem) + ending);
  std::vector<std::string> expected = words;
  for (std::string& word : expected) find_stemmer("german").stem(word);
  std::vector<std::vector<std::string>> results(4, words);
  std::vector<std::thread> threads;
  for (std::vector<std::string>& result : results)
    threads.emplace_back([&result] {
      for (int round = 0; round < 200; ++round) {
        std::vector<std::string> copy = result;
        for (std::string& word : copy) find_stemmer("german").stem(word);
        if (round == 199) result = copy;
      }
    });
  for (std::thread& thread : threads) thread.join();
  for (const std::vector<std::string>& result : results) CHECK(result == expected);
}

void named_python_segmenters_take_token_lists_only() {
  // A segmenter that runs in Python has a native analyzer that refuses text with advice instead of guessing.
  const Analyzer analyzer(AnalyzerOptions{true, {"은"}, "none", "kiwi"});
  CHECK(analyzer.options().segmenter == "kiwi");
  std::string message;
  try {
    analyzer.analyze("데이터베이스입니다");
  } catch (const std::invalid_argument& error) {
    message = error.what();
  }
  CHECK(message.find("'kiwi'") != std::string::npos && message.find("token lists") != std::string::npos);
  CHECK(analyzer.analyze_tokens({"데이터베이스", "은"}) == (std::vector<std::string>{"데이터베이스"}));
}

void mecab_segmenters_need_their_dictionary() {
  // Korean's row runs on a loaded dictionary: its name alone is refused, and a folder without one is named.
  CHECK(find_segmenter(find_language("kr").segmenter).kind == SegmenterKind::kDictionary);
  std::string without_object, without_files;
  try {
    const Analyzer analyzer(AnalyzerOptions{true, {}, "none", "mecab_ko"});
  } catch (const std::invalid_argument& error) {
    without_object = error.what();
  }
  try {
    const MecabSegmenter segmenter(MecabSegmenterOptions{"mecab_ko", "/nonexistent-mecab-dictionary", {}, {}, false});
  } catch (const std::invalid_argument& error) {
    without_files = error.what();
  }
  CHECK(without_object.find("pass that segmenter's object") != std::string::npos);
  CHECK(without_files.find("/nonexistent-mecab-dictionary/sys.dic") != std::string::npos);
}
}  // namespace

int main() {
  string_table_keeps_ids_through_growth();
  utf8_decoding_rejects_malformed_sequences();
  counting_is_independent_of_threads_and_merges_in_any_order();
  encoding_matches_the_formula_and_the_query_fast_path();
  fit_encode_equals_fit_then_encode_for_any_thread_count();
  language_table_names_known_stemmers_and_segmenters();
  external_segmenter_tokens_take_the_text_path();
  letters_marks_keeps_the_marks_that_follow_a_letter();
  snowball_stemmers_stem_utf8_words();
  snowball_stemmers_are_thread_safe();
  named_python_segmenters_take_token_lists_only();
  mecab_segmenters_need_their_dictionary();
  if (failures != 0) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  std::puts("core tests passed");
  return 0;
}
