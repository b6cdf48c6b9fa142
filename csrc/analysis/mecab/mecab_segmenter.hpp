// Japanese and Korean segmentation with MeCab's algorithm on a MeCab dictionary (unidic-lite, mecab-ko-dic):
// the text's characters to blank rewritten, the best path tagged, and its surfaces given as tokens, either
// every word split at whitespace (as `MeCab.Tagger("-Owakati").parse(text).split()`) or only the morphemes
// whose part of speech is kept (as the Korean segmenter's filter over `%m\t%f[0]` lines).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/dictionary_segmenter.hpp"
#include "analysis/mecab/tagger.hpp"

namespace sparsebolt {

struct MecabSegmenterOptions {
  std::string name;        // the segmenter table's row it stands for ("mecab", "mecab_ko")
  std::string dictionary;  // the compiled dictionary's folder (sys.dic, unk.dic, matrix.bin, char.bin, dicrc)
  // Single characters that become spaces before tagging, as pymilvus.model's character filter does.
  std::vector<std::string> characters_to_space;
  // Parts of speech kept: a morpheme is a token when the first field of its features, up to any '+', is one
  // of these (mecab-ko-dic's "VV+EP" counts as "VV"). Empty: every morpheme is a token.
  std::vector<std::string> keep_pos;
  // Tokens split where Python's str.split() splits (Unicode whitespace inside an unknown word's surface).
  bool split_at_whitespace = false;
};

class MecabSegmenter final : public DictionarySegmenter {
 public:
  // Loads the dictionary; std::invalid_argument for a bad option or dictionary file.
  explicit MecabSegmenter(MecabSegmenterOptions options);

  std::string_view name() const noexcept override { return options_.name; }
  const MecabSegmenterOptions& options() const noexcept { return options_; }

  // NUL, invalid UTF-8 (lone surrogates included) and the characters to blank are spaces for MeCab, so they
  // separate words; the text is rewritten into `scratch` only when it holds one of them.
  void segment(std::string_view text, std::string& scratch, std::vector<std::string_view>& tokens) const override;

 private:
  // The text MeCab sees: `text` itself, or its rewrite in `scratch`.
  std::string_view readable(std::string_view text, std::string& scratch) const;
  bool to_space(char32_t code_point) const noexcept;
  std::vector<unsigned char> kept_entries(const mecab::CompiledDictionary& dictionary) const;

  MecabSegmenterOptions options_;
  mecab::Tagger tagger_;
  std::vector<char32_t> characters_to_space_;  // sorted
  bool ascii_to_space_[128] = {};
  // Per dictionary entry, whether its morphemes are tokens (all where keep_pos is empty).
  std::vector<unsigned char> keep_system_;
  std::vector<unsigned char> keep_unknown_;
};

}  // namespace sparsebolt
