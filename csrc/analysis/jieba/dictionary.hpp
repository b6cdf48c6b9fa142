// jieba's prefix dictionary (Tokenizer.gen_pfdict in jieba/__init__.py) as a trie over block symbols: every
// word of dict.txt and every prefix of one is a node; a word's node carries log(frequency) - log(total).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "analysis/jieba/characters.hpp"

namespace sparsebolt::jieba {

class Dictionary {
 public:
  using Node = std::int32_t;
  static constexpr Node kNoNode = -1;

  // Reads a dict.txt ("word frequency [tag]" per line, UTF-8) as jieba does: a repeated word keeps its last
  // frequency, and every line counts towards the total. Throws std::invalid_argument naming the file and the line
  // when it cannot be read or a line is malformed.
  explicit Dictionary(const std::string& path);

  // The node for the one-symbol prefix `symbol`, or kNoNode.
  Node first(Symbol symbol) const noexcept { return root_children_[symbol]; }
  // The node for the prefix of `node` followed by `symbol`, or kNoNode. Most nodes have a few children, whose
  // symbols share a cache line: a linear scan beats a binary search's mispredicted branches there.
  Node next(Node node, Symbol symbol) const noexcept {
    std::size_t first = static_cast<std::size_t>(child_begin_[static_cast<std::size_t>(node)]);
    std::size_t last = static_cast<std::size_t>(child_begin_[static_cast<std::size_t>(node) + 1]);
    while (last - first > 8) {
      const std::size_t middle = first + (last - first) / 2;
      if (symbol_[middle] <= symbol) {
        first = middle;
      } else {
        last = middle;
      }
    }
    for (; first < last; ++first)
      if (symbol_[first] == symbol) return static_cast<Node>(first);
    return kNoNode;
  }
  // The node of `symbols[0..size)`, or kNoNode when it is no word and no prefix of one.
  Node find(const Symbol* symbols, std::size_t size) const noexcept;

  // Whether the node is a word with a positive frequency (jieba's `if self.FREQ[frag]`).
  bool is_word(Node node) const noexcept { return weight_[static_cast<std::size_t>(node)] != kNotAWord; }
  // log(frequency) - log(total) of a word's node: the first two terms of jieba's calc(), in its order.
  double weight(Node node) const noexcept { return weight_[static_cast<std::size_t>(node)]; }
  // log(1) - log(total): calc()'s weight for a character that starts no word.
  double unknown_weight() const noexcept { return unknown_weight_; }

  // The sum of every line's frequency: jieba's Tokenizer.total.
  std::uint64_t total() const noexcept { return total_; }

 private:
  // Words' weights are at most 0 (a frequency is at most the total), so +inf marks the prefix-only nodes.
  static constexpr double kNotAWord = std::numeric_limits<double>::infinity();

  // Nodes are numbered breadth first with siblings sorted by symbol, so node n's children are the nodes
  // child_begin_[n] .. child_begin_[n + 1] - 1 and symbol_[c] is the symbol that leads to child c.
  std::vector<Node> root_children_;  // kSymbolCount entries: the root's children looked up directly
  std::vector<Node> child_begin_;
  std::vector<Symbol> symbol_;
  std::vector<double> weight_;
  double unknown_weight_ = 0.0;
  std::uint64_t total_ = 0;
};

}  // namespace sparsebolt::jieba
