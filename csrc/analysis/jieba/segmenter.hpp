// jieba's default mode (jieba.lcut(text): cut_all=False, HMM=True) on jieba's own dictionary and HMM tables,
// as a DictionarySegmenter the analyzer runs inside its batches. Tokens equal jieba's, whitespace ones dropped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "analysis/dictionary_segmenter.hpp"
#include "analysis/jieba/dictionary.hpp"
#include "analysis/jieba/hmm.hpp"

namespace sparsebolt {

class JiebaSegmenter final : public DictionarySegmenter {
 public:
  JiebaSegmenter(jieba::Dictionary dictionary, jieba::Hmm hmm);

  std::string_view name() const noexcept override { return "jieba"; }

  // Tokenizer.cut's steps: blocks of re_han_default characters go through the dictionary's best path
  // (__cut_DAG) with the HMM for runs of unknown single characters; every other character is a token alone,
  // except whitespace (and NUL, lone surrogates, invalid UTF-8), which separates and is dropped. Every token is
  // a view into `text`.
  void segment(std::string_view text, std::string& scratch, std::vector<std::string_view>& tokens) const override;

  const jieba::Dictionary& dictionary() const noexcept { return dictionary_; }

 private:
  struct Block;
  // __cut_DAG over one block of symbols: calc()'s best route, then the walk that gathers single characters.
  void cut_block(std::string_view text, Block& block, std::vector<std::string_view>& tokens) const;

  jieba::Dictionary dictionary_;
  jieba::Hmm hmm_;
};

}  // namespace sparsebolt
