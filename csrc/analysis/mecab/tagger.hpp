// MeCab 0.996's tagging: the word lattice of a text (dictionary entries at every reachable byte, unknown words
// by character class) and its Viterbi best path, with MeCab's node order so that ties resolve as MeCab does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analysis/mecab/dictionary_files.hpp"

namespace sparsebolt::mecab {

// One morpheme of the best path: its surface text[begin, begin + length) and its dictionary entry.
struct Morpheme {
  std::uint32_t begin;
  std::uint32_t length;
  std::uint32_t entry;  // index into the system dictionary, or into the unknown-word one when `unknown`
  bool unknown;
};

// A thread's working memory for tagging, reused from text to text.
struct Lattice {
  struct Node {
    std::int64_t cost;      // the cheapest path from BOS through this node
    std::int32_t prev;      // the left node on that path
    std::int32_t end_next;  // the next node ending at the same byte (MeCab's enext)
    std::uint32_t begin;    // surface start: leading whitespace is folded into the node, not its surface
    std::uint32_t end;      // surface end
    std::uint32_t entry;
    std::uint16_t left_id;
    std::uint16_t right_id;
    std::int16_t word_cost;
    bool unknown;
  };
  std::vector<Node> nodes;
  std::vector<std::int32_t> end_heads;  // per byte offset, the last node added that ends there, or -1

  // connect()'s scratch: the left nodes of one byte in end-list order, and the best left node found for each
  // left context id among that byte's new nodes (nodes with the same id have the same best).
  struct Left {
    std::int64_t cost;
    std::int32_t node;
    std::uint16_t right_id;
  };
  struct Best {
    std::uint16_t left_id;
    std::int32_t node;
    std::int64_t cost;
  };
  std::vector<Left> lefts;
  std::vector<Best> bests;
};

class Tagger {
 public:
  // Loads the dictionary in `folder`: sys.dic, unk.dic, matrix.bin, char.bin and (optional) dicrc.
  // std::invalid_argument naming the file when one is missing, malformed or not UTF-8.
  explicit Tagger(const std::string& folder);

  // Replaces `path` with the best path's morphemes of `text` (valid UTF-8, no NUL), in text order.
  void tag(std::string_view text, Lattice& lattice, std::vector<Morpheme>& path) const;

  const CompiledDictionary& system() const noexcept { return *system_; }
  const CompiledDictionary& unknown() const noexcept { return *unknown_; }
  const std::string& folder() const noexcept { return folder_; }

 private:
  // MeCab's Tokenizer::lookup: appends the nodes that start at byte `pos` (after whitespace) in the order
  // MeCab creates them; its list of them (bnext) is that order reversed.
  void add_nodes_at(std::string_view text, std::size_t pos, Lattice& lattice) const;
  void add_unknown(Lattice& lattice, CharInfo info, std::size_t begin, std::size_t end, std::size_t size) const;
  // MeCab's connect(): each new node takes its cheapest left node ending at `pos`, the first in the end
  // list on ties, then joins the end list of the byte where it ends.
  void connect(std::size_t pos, std::size_t first_new, Lattice& lattice) const;

  std::string folder_;
  std::unique_ptr<CompiledDictionary> system_;
  std::unique_ptr<CompiledDictionary> unknown_;
  std::unique_ptr<ConnectionMatrix> matrix_;
  std::unique_ptr<CharCategories> categories_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> unknown_entries_;  // per category: first entry, count
  CharInfo space_;                                                        // the class of U+0020
  std::size_t max_grouping_size_;
};

}  // namespace sparsebolt::mecab
