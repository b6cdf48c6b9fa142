// The lattice and Viterbi search of MeCab 0.996 (tokenizer.cpp's lookup, viterbi.cpp's connect), on the
// dictionary files read in place.
#include "analysis/mecab/tagger.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace sparsebolt::mecab {

namespace {

// MeCab looks words up in a window of at most this many bytes from where each node starts.
constexpr std::size_t kLookupWindow = 65535;

std::string in_folder(const std::string& folder, const char* name) {
  if (folder.empty()) return name;
  const char last = folder.back();
  return folder + (last == '/' || last == '\\' ? "" : "/") + name;
}

void check_context_ids(const CompiledDictionary& dictionary, const ConnectionMatrix& matrix) {
  if (dictionary.left_size() != matrix.left_size() || dictionary.right_size() != matrix.right_size())
    throw std::invalid_argument("'" + dictionary.path() +
                                "' and matrix.bin do not belong together (their context sizes differ)");
  for (std::size_t i = 0; i < dictionary.entry_count(); ++i) {
    const Entry& entry = dictionary.entry(i);
    if (entry.right_id >= matrix.left_size() || entry.left_id >= matrix.right_size())
      throw std::invalid_argument("'" + dictionary.path() + "' has an entry whose context id is outside matrix.bin");
  }
}

}  // namespace

Tagger::Tagger(const std::string& folder)
    : folder_(folder),
      system_(std::make_unique<CompiledDictionary>(in_folder(folder, "sys.dic"), CompiledDictionary::Kind::kSystem)),
      unknown_(std::make_unique<CompiledDictionary>(in_folder(folder, "unk.dic"), CompiledDictionary::Kind::kUnknown)),
      matrix_(std::make_unique<ConnectionMatrix>(in_folder(folder, "matrix.bin"))),
      categories_(std::make_unique<CharCategories>(in_folder(folder, "char.bin"))),
      space_(categories_->of(0x20)),
      max_grouping_size_(read_max_grouping_size(in_folder(folder, "dicrc"))) {
  check_context_ids(*system_, *matrix_);
  check_context_ids(*unknown_, *matrix_);
  // BOS and EOS connect through context id 0.
  if (matrix_->left_size() == 0 || matrix_->right_size() == 0)
    throw std::invalid_argument("'" + in_folder(folder, "matrix.bin") + "' is empty");
  for (const std::string& name : categories_->names()) {
    const CompiledDictionary::Match match = unknown_->find(name);
    if (match.count == 0)
      throw std::invalid_argument("'" + unknown_->path() + "' has no unknown-word entry for the category " + name);
    unknown_entries_.emplace_back(match.first, match.count);
  }
}

void Tagger::add_unknown(Lattice& lattice, CharInfo info, std::size_t begin, std::size_t end, std::size_t size) const {
  // A node past the end of the text (MeCab reads its terminating NUL there) is on no path to EOS.
  if (end > size) return;
  const auto [first, count] = unknown_entries_[info.default_type()];
  for (std::uint32_t k = 0; k < count; ++k) {
    const Entry& entry = unknown_->entry(first + k);
    lattice.nodes.push_back({0, -1, -1, static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(end), first + k,
                             entry.left_id, entry.right_id, entry.cost, true});
  }
}

void Tagger::add_nodes_at(std::string_view text, std::size_t pos, Lattice& lattice) const {
  const char* const base = text.data();
  const char* const begin = base + pos;
  const char* const end = base + pos + std::min(text.size() - pos, kLookupWindow);
  const std::size_t first_new = lattice.nodes.size();
  const auto offset = [base](const char* at) { return static_cast<std::size_t>(at - base); };

  // Whitespace: the run of characters that chain from the space's class by sharing a category.
  CharInfo chained = space_, info;
  std::size_t char_length = 0;
  const char* begin2 = begin;
  while (begin2 != end) {
    info = categories_->at(begin2, end, &char_length);
    if (!chained.is_kind_of(info)) break;
    begin2 += char_length;
    chained = info;
  }

  system_->for_each_prefix(begin2, static_cast<std::size_t>(end - begin2), [&](const CompiledDictionary::Match& m) {
    for (std::uint32_t j = 0; j < m.count; ++j) {
      const Entry& entry = system_->entry(m.first + j);
      lattice.nodes.push_back({0, -1, -1, static_cast<std::uint32_t>(offset(begin2)),
                               static_cast<std::uint32_t>(offset(begin2) + m.length), m.first + j, entry.left_id,
                               entry.right_id, entry.cost, false});
    }
  });
  if (lattice.nodes.size() != first_new && !info.invoke()) return;

  const std::size_t size = text.size();
  const char* begin3 = begin2 + char_length;
  if (begin3 > end) {
    add_unknown(lattice, info, offset(begin2), offset(begin3), size);
    return;
  }
  const char* group_end = nullptr;
  if (info.group()) {
    // The whole run of characters that chain by sharing a category, if it is short enough.
    CharInfo run = info;
    std::size_t run_chars = 0, length = 0;
    const char* p = begin3;
    while (p != end) {
      const CharInfo next = categories_->at(p, end, &length);
      if (!run.is_kind_of(next)) break;
      p += length;
      ++run_chars;
      run = next;
    }
    if (run_chars <= max_grouping_size_) add_unknown(lattice, info, offset(begin2), offset(p), size);
    group_end = p;
  }
  // Words of 1..length characters that share a category with the first (not chained), unless the group
  // node already has that length.
  for (std::uint32_t i = 1; i <= info.length(); ++i) {
    if (begin3 > end) break;
    if (begin3 == group_end) continue;
    add_unknown(lattice, info, offset(begin2), offset(begin3), size);
    if (begin3 == end) break;  // MeCab reads the NUL after the text here, which ends the word too
    if (!info.is_kind_of(categories_->at(begin3, end, &char_length))) break;
    begin3 += char_length;
  }
  if (lattice.nodes.size() == first_new) add_unknown(lattice, info, offset(begin2), offset(begin3), size);
}

void Tagger::connect(std::size_t pos, std::size_t first_new, Lattice& lattice) const {
  std::vector<Lattice::Node>& nodes = lattice.nodes;
  lattice.lefts.clear();
  for (std::int32_t l = lattice.end_heads[pos]; l >= 0; l = nodes[l].end_next)
    lattice.lefts.push_back({nodes[l].cost, l, nodes[l].right_id});
  lattice.bests.clear();
  for (std::size_t r = nodes.size(); r-- > first_new;) {
    const std::uint16_t left_id = nodes[r].left_id;
    auto best = std::find_if(lattice.bests.begin(), lattice.bests.end(),
                             [left_id](const Lattice::Best& b) { return b.left_id == left_id; });
    if (best == lattice.bests.end()) {
      const std::int16_t* costs = matrix_->column(left_id);
      std::int64_t best_cost = std::numeric_limits<std::int64_t>::max();
      std::int32_t best_node = -1;
      for (const Lattice::Left& left : lattice.lefts) {
        const std::int64_t cost = left.cost + costs[left.right_id];
        if (cost < best_cost) {  // strictly: the first left node in end-list order wins a tie, as in MeCab
          best_cost = cost;
          best_node = left.node;
        }
      }
      lattice.bests.push_back({left_id, best_node, best_cost});
      best = lattice.bests.end() - 1;
    }
    Lattice::Node& node = nodes[r];
    node.prev = best->node;
    node.cost = best->cost + node.word_cost;
    node.end_next = lattice.end_heads[node.end];
    lattice.end_heads[node.end] = static_cast<std::int32_t>(r);
  }
}

void Tagger::tag(std::string_view text, Lattice& lattice, std::vector<Morpheme>& path) const {
  path.clear();
  if (text.size() > std::numeric_limits<std::int32_t>::max() / 2)
    throw std::invalid_argument("a text longer than 1 GiB cannot be segmented by MeCab's lattice");
  const std::size_t size = text.size();
  lattice.nodes.clear();
  lattice.end_heads.assign(size + 1, -1);
  // BOS: context id 0, cost 0, ending at byte 0.
  lattice.nodes.push_back({0, -1, -1, 0, 0, 0, 0, 0, 0, false});
  lattice.end_heads[0] = 0;
  for (std::size_t pos = 0; pos < size; ++pos) {
    if (lattice.end_heads[pos] < 0) continue;
    const std::size_t first_new = lattice.nodes.size();
    add_nodes_at(text, pos, lattice);
    connect(pos, first_new, lattice);
  }
  // EOS joins the last byte where a node ends (trailing whitespace ends none).
  std::size_t last = size;
  while (lattice.end_heads[last] < 0) --last;  // BOS ends at 0
  const std::size_t eos = lattice.nodes.size();
  lattice.nodes.push_back(
      {0, -1, -1, static_cast<std::uint32_t>(size), static_cast<std::uint32_t>(size), 0, 0, 0, 0, false});
  lattice.end_heads.push_back(-1);  // EOS's own end slot, never read
  lattice.nodes[eos].end = static_cast<std::uint32_t>(size + 1);
  connect(last, eos, lattice);
  for (std::int32_t n = lattice.nodes[eos].prev; n > 0; n = lattice.nodes[n].prev) {
    const Lattice::Node& node = lattice.nodes[n];
    path.push_back({node.begin, node.end - node.begin, node.entry, node.unknown});
  }
  std::reverse(path.begin(), path.end());
}

}  // namespace sparsebolt::mecab
