// Reading dict.txt and building the trie: lines parsed as gen_pfdict parses them, repeated words collapsed to
// their last frequency, then the trie built level by level from the sorted words (no per-node allocations).
#include "analysis/jieba/dictionary.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "analysis/unicode.hpp"

namespace sparsebolt::jieba {
namespace {

// Beyond 2^53 a frequency no longer converts to double exactly, as math.log needs it to.
constexpr std::uint64_t kMaxFrequency = std::uint64_t{1} << 53;

struct Entry {
  std::uint32_t begin;   // first symbol in the pool
  std::uint32_t length;  // symbols
  std::uint64_t frequency;
};

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::invalid_argument("cannot read the jieba dictionary '" + path + "': " + std::strerror(errno));
  std::ostringstream contents;
  contents << file.rdbuf();
  return std::move(contents).str();
}

// bytes.strip(): ASCII whitespace at both ends.
std::string_view strip(std::string_view line) {
  const auto is_space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
  while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
  return line;
}

[[noreturn]] void throw_bad_line(const std::string& path, std::size_t number, std::string_view line, const char* why) {
  throw std::invalid_argument("invalid dictionary entry in " + path + " at line " + std::to_string(number) + " (" +
                              why + "): " + std::string(line.substr(0, 200)));
}

// The word's symbols appended to `pool`; false (and `pool` as it was) when a character of the word is no block
// character, so the word can never be looked up. Throws for invalid UTF-8, which jieba's decode() rejects too.
bool append_symbols(std::string_view word, std::vector<Symbol>& pool, const std::string& path, std::size_t number,
                    std::string_view line) {
  const std::size_t start = pool.size();
  bool usable = true;
  for (std::size_t pos = 0; pos < word.size();) {
    const unicode::Decoded decoded = unicode::decode_utf8(word.data(), word.size(), pos);
    if (decoded.code_point == unicode::kInvalid) throw_bad_line(path, number, line, "not UTF-8");
    if (!is_block_char(decoded.code_point)) usable = false;
    if (usable) pool.push_back(symbol_of(decoded.code_point));
    pos += decoded.length;
  }
  if (!usable) pool.resize(start);
  return usable;
}

std::uint64_t parse_frequency(std::string_view field, const std::string& path, std::size_t number,
                              std::string_view line) {
  if (field.empty()) throw_bad_line(path, number, line, "no frequency");
  std::uint64_t value = 0;
  for (char c : field) {
    if (c < '0' || c > '9') throw_bad_line(path, number, line, "the frequency is not a decimal number");
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
    if (value > kMaxFrequency) throw_bad_line(path, number, line, "the frequency is too large");
  }
  return value;
}

}  // namespace

Dictionary::Dictionary(const std::string& path) {
  const std::string contents = read_file(path);
  std::vector<Symbol> pool;
  std::vector<Entry> entries;
  std::size_t number = 0;
  for (std::size_t start = 0; start < contents.size();) {
    std::size_t end = contents.find('\n', start);
    if (end == std::string::npos) end = contents.size();
    const std::string_view raw(contents.data() + start, end - start);
    start = end + 1;
    ++number;
    // gen_pfdict: line.strip().decode('utf-8'); word, freq = line.split(' ')[:2]; freq = int(freq)
    const std::string_view line = strip(raw);
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos) throw_bad_line(path, number, line, "no frequency");
    const std::string_view word = line.substr(0, space);
    std::string_view field = line.substr(space + 1);
    field = field.substr(0, field.find(' '));
    const std::uint64_t frequency = parse_frequency(field, path, number, line);
    total_ += frequency;
    if (total_ > kMaxFrequency) throw_bad_line(path, number, line, "the frequencies' total is too large");
    const auto begin = static_cast<std::uint32_t>(pool.size());
    if (!word.empty() && append_symbols(word, pool, path, number, line))
      entries.push_back({begin, static_cast<std::uint32_t>(pool.size() - begin), frequency});
  }
  if (total_ == 0) throw std::invalid_argument("the jieba dictionary '" + path + "' has no word with a frequency");

  // Sorted by symbols; among repeats of a word the last line wins, as a dict assignment does.
  const auto less = [&](std::uint32_t a, std::uint32_t b) {
    const Symbol* x = pool.data() + entries[a].begin;
    const Symbol* y = pool.data() + entries[b].begin;
    return std::lexicographical_compare(x, x + entries[a].length, y, y + entries[b].length);
  };
  std::vector<std::uint32_t> order(entries.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), less);
  std::vector<std::uint32_t> words;
  words.reserve(order.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    if (i + 1 == order.size() || less(order[i], order[i + 1])) words.push_back(order[i]);

  // Level by level: the words sharing a prefix are adjacent in sorted order, so each new (parent, symbol) pair is
  // a new node, and each parent's children come out contiguous and sorted, parents in node order.
  const double log_total = std::log(static_cast<double>(total_));
  unknown_weight_ = std::log(1.0) - log_total;
  symbol_.push_back(0);
  weight_.push_back(kNotAWord);
  std::vector<Node> child_count(1, 0);
  std::vector<Node> node_of(entries.size(), 0);
  std::vector<std::uint32_t> next_words;
  for (std::uint32_t depth = 0; !words.empty(); ++depth) {
    next_words.clear();
    Node last_parent = kNoNode, last_node = kNoNode;
    Symbol last_symbol = 0;
    for (std::uint32_t w : words) {
      const Entry& entry = entries[w];
      const Node parent = node_of[w];
      const Symbol symbol = pool[entry.begin + depth];
      if (parent != last_parent || symbol != last_symbol) {
        last_node = static_cast<Node>(symbol_.size());
        symbol_.push_back(symbol);
        weight_.push_back(kNotAWord);
        child_count.push_back(0);
        ++child_count[static_cast<std::size_t>(parent)];
        last_parent = parent;
        last_symbol = symbol;
      }
      node_of[w] = last_node;
      if (entry.length == depth + 1) {
        if (entry.frequency > 0)
          weight_[static_cast<std::size_t>(last_node)] = std::log(static_cast<double>(entry.frequency)) - log_total;
      } else {
        next_words.push_back(w);
      }
    }
    words.swap(next_words);
  }

  child_begin_.resize(symbol_.size() + 1);
  child_begin_[0] = 1;
  for (std::size_t node = 0; node < symbol_.size(); ++node)
    child_begin_[node + 1] = child_begin_[node] + child_count[node];
  root_children_.assign(kSymbolCount, kNoNode);
  for (Node child = child_begin_[0]; child < child_begin_[1]; ++child)
    root_children_[symbol_[static_cast<std::size_t>(child)]] = child;
}

Dictionary::Node Dictionary::find(const Symbol* symbols, std::size_t size) const noexcept {
  if (size == 0) return kNoNode;
  Node node = first(symbols[0]);
  for (std::size_t i = 1; i < size && node != kNoNode; ++i) node = next(node, symbols[i]);
  return node;
}

}  // namespace sparsebolt::jieba
