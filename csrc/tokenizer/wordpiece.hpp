// A BERT WordPiece tokenizer: Hugging Face tokenizers' BertNormalizer + BertPreTokenizer + WordPiece model, with
// its added tokens matched in the raw text, from a batch of UTF-8 texts to flat token ids. No Python in here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "string_table.hpp"

namespace sparsebolt {

// tokenizer.json's "normalizer" (BertNormalizer) and "model" (WordPiece) settings.
struct WordPieceOptions {
  bool clean_text = true;            // drop NUL, U+FFFD and controls; every whitespace becomes ' '
  bool handle_chinese_chars = true;  // a space either side of each CJK ideograph
  bool strip_accents = true;         // NFD, then drop nonspacing marks (Mn); tokenizer.json's null = lowercase
  bool lowercase = true;             // the full lowercase mapping, one code point at a time
  std::string continuing_subword_prefix = "##";
  std::size_t max_input_chars_per_word = 100;  // a longer word is the unknown token
};

// An added token ("added_tokens" in tokenizer.json) matched in the text before normalisation: the
// normalized=false, no lstrip / rstrip / single_word kind that BERT tokenizers carry.
struct AddedToken {
  std::string content;
  std::int32_t id = 0;
};

// Texts' ids, flattened: text t owns ids[offsets[t], offsets[t + 1]).
struct WordPieceIds {
  std::vector<std::int32_t> ids;
  std::vector<std::int64_t> offsets;
};

class WordPieceTokenizer {
 public:
  // Throws std::invalid_argument for an empty vocabulary, a token listed twice, an unk_token outside the
  // vocabulary, a negative id or an empty added token.
  WordPieceTokenizer(const std::vector<std::pair<std::string, std::int32_t>>& vocab, const std::string& unk_token,
                     WordPieceOptions options, std::vector<AddedToken> added_tokens);

  // Each text's first max_length ids (all of them when max_length is 0), on `threads` threads. Invalid UTF-8
  // (a surrogate encoded with surrogatepass included) reads as U+FFFD, one per maximal invalid subpart.
  WordPieceIds encode_batch(const std::vector<std::string_view>& texts, std::size_t max_length,
                            std::size_t threads) const;

  // Appends text's first max_length ids (0: all) to ids.
  void encode(std::string_view text, std::size_t max_length, std::vector<std::int32_t>& ids) const;

  // The stages, for inspection and tests: the normalised text and the words the pre-tokenizer cuts it into.
  std::string normalize(std::string_view text) const;
  std::vector<std::string> pre_tokenize(std::string_view normalized) const;
  // The ids of one pre-tokenised word.
  std::vector<std::int32_t> tokenize_word(std::string_view word) const;

  const WordPieceOptions& options() const { return options_; }
  std::int32_t unk_id() const { return unk_id_; }
  std::size_t vocab_size() const { return ids_.size(); }

 private:
  struct Scratch;
  void encode_text(std::string_view text, std::size_t max_length, std::vector<std::int32_t>& ids,
                   Scratch& scratch) const;
  void encode_segment(std::string_view segment, std::size_t max_length, std::vector<std::int32_t>& ids,
                      Scratch& scratch) const;
  void normalize_into(std::string_view text, std::u32string& out, Scratch& scratch) const;
  // Appends the ids of the word [begin, end).
  void word_ids(const char32_t* begin, const char32_t* end, std::vector<std::int32_t>& ids, Scratch& scratch) const;
  void word_ids(std::vector<std::int32_t>& ids, Scratch& scratch) const;
  void encode_unicode(std::string_view segment, std::size_t max_length, std::vector<std::int32_t>& ids,
                      Scratch& scratch) const;
  void encode_ascii(std::string_view segment, std::size_t max_length, std::vector<std::int32_t>& ids,
                    Scratch& scratch) const;
  std::int32_t lookup(std::string_view piece) const;

  WordPieceOptions options_;
  StringTable vocab_;                     // token -> index into ids_
  std::vector<std::int32_t> ids_;         // index -> the model's id
  StringTable prefixes_;                  // every prefix of every entry -> index into prefix_ids_
  std::vector<std::int32_t> prefix_ids_;  // the model's id where the prefix is an entry, else -1
  std::size_t longest_token_ = 0;         // bytes of the longest vocabulary entry, prefix included
  std::int32_t unk_id_ = 0;
  std::vector<AddedToken> added_;  // sorted longest first, for leftmost-longest matching
  bool added_first_byte_[256] = {};
};

}  // namespace sparsebolt
