// MeCab 0.996's compiled dictionary files, read in place: sys.dic and unk.dic (header, Darts double-array
// trie, entries, features), char.bin (character categories) and matrix.bin (connection costs), plus the one
// dicrc setting tagging reads (max-grouping-size). Formats as mecab-dict-index writes them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/mecab/mapped_file.hpp"

namespace sparsebolt::mecab {

// One dictionary entry (MeCab's Token): context ids, part-of-speech id, word cost and where its features are.
struct Entry {
  std::uint16_t left_id;   // lcAttr: the matrix column when this entry is the right node
  std::uint16_t right_id;  // rcAttr: the matrix row when this entry is the left node
  std::uint16_t pos_id;
  std::int16_t cost;
  std::uint32_t feature;  // offset of its CSV feature string in the feature block
  std::uint32_t compound;
};
static_assert(sizeof(Entry) == 16, "MeCab's Token is 16 bytes");

// A compiled dictionary, sys.dic or unk.dic. Its trie maps a surface to a run of entries.
class CompiledDictionary {
 public:
  enum class Kind : std::uint32_t { kSystem = 0, kUser = 1, kUnknown = 2 };

  // The entries [first, first + count) share the surface: the key's first `length` bytes.
  struct Match {
    std::uint32_t first;
    std::uint32_t count;
    std::size_t length;
  };

  // Opens `path`; std::invalid_argument when it is not a MeCab 0.996 dictionary of `kind` in UTF-8.
  CompiledDictionary(const std::string& path, Kind kind);

  // Calls on_match(Match) for each prefix of key[0, size) that is a surface, shortest first (Darts'
  // commonPrefixSearch, bytes compared unsigned).
  template <class OnMatch>
  void for_each_prefix(const char* key, std::size_t size, OnMatch&& on_match) const {
    std::int32_t base = units_[0].base;
    for (std::size_t i = 0; i < size; ++i) {
      report_if_terminal(base, i, on_match);
      const std::size_t next = static_cast<std::uint32_t>(base) + static_cast<unsigned char>(key[i]) + 1u;
      if (next >= unit_count_ || units_[next].check != static_cast<std::uint32_t>(base)) return;
      base = units_[next].base;
    }
    report_if_terminal(base, size, on_match);
  }

  // The entries whose surface is exactly `key`; count 0 when there are none (Darts' exactMatchSearch).
  Match find(std::string_view key) const;

  std::size_t entry_count() const noexcept { return entry_count_; }
  const Entry& entry(std::size_t index) const noexcept { return entries_[index]; }
  // The entry's CSV features, up to their terminating NUL.
  std::string_view features(const Entry& entry) const;
  std::uint32_t left_size() const noexcept { return left_size_; }
  std::uint32_t right_size() const noexcept { return right_size_; }
  const std::string& path() const noexcept { return file_.path(); }

 private:
  struct Unit {
    std::int32_t base;
    std::uint32_t check;
  };

  template <class OnMatch>
  void report_if_terminal(std::int32_t base, std::size_t length, OnMatch& on_match) const {
    const std::size_t at = static_cast<std::uint32_t>(base);
    if (at >= unit_count_ || units_[at].check != static_cast<std::uint32_t>(base) || units_[at].base >= 0) return;
    // A leaf stores -value - 1; the value is (first entry << 8) | number of entries.
    const auto value = static_cast<std::uint32_t>(-(units_[at].base + 1));
    on_match(checked_match(value, length));
  }
  Match checked_match(std::uint32_t value, std::size_t length) const;

  MappedFile file_;
  const Unit* units_ = nullptr;
  std::size_t unit_count_ = 0;
  const Entry* entries_ = nullptr;
  std::size_t entry_count_ = 0;
  const char* features_ = nullptr;
  std::size_t features_size_ = 0;
  std::uint32_t left_size_ = 0;
  std::uint32_t right_size_ = 0;
};

// A code point's character class (MeCab's CharInfo, one 32-bit record of char.bin).
struct CharInfo {
  std::uint32_t bits = 0;

  std::uint32_t type() const noexcept { return bits & 0x3FFFFu; }               // one bit per category it belongs to
  std::uint32_t default_type() const noexcept { return (bits >> 18) & 0xFFu; }  // its category for unknown words
  std::uint32_t length() const noexcept { return (bits >> 26) & 0xFu; }         // unknown words of 1..length characters
  bool group() const noexcept { return ((bits >> 30) & 1u) != 0; }              // one unknown word for the whole run
  bool invoke() const noexcept { return (bits >> 31) != 0; }  // unknown words even where entries match
  bool is_kind_of(CharInfo other) const noexcept { return (type() & other.type()) != 0; }
};

// char.bin: the category names and the class of every UCS-2 code point.
class CharCategories {
 public:
  explicit CharCategories(const std::string& path);

  // The class of the character at `text` (before `end`) and its byte length, decoded as MeCab's
  // utf8_to_ucs2 does: a 4-byte sequence, which UCS-2 cannot hold, has the class of U+0000.
  CharInfo at(const char* text, const char* end, std::size_t* length) const noexcept {
    const std::size_t left = static_cast<std::size_t>(end - text);
    const auto lead = static_cast<unsigned char>(text[0]);
    const auto cont = [text](int i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(text[i]) & 0x3Fu); };
    std::uint32_t code = 0;
    if (lead < 0x80) {
      *length = 1;
      code = lead;
    } else if (left >= 2 && (lead & 0xE0) == 0xC0) {
      *length = 2;
      code = ((lead & 0x1Fu) << 6) | cont(1);
    } else if (left >= 3 && (lead & 0xF0) == 0xE0) {
      *length = 3;
      code = ((lead & 0x0Fu) << 12) | (cont(1) << 6) | cont(2);
    } else if (left >= 4 && (lead & 0xF8) == 0xF0) {
      *length = 4;
    } else {
      *length = 1;  // 5- and 6-byte forms never reach here: the segmenter tags valid UTF-8 only
    }
    return classes_[code];
  }

  CharInfo of(std::uint32_t code_point) const noexcept { return classes_[code_point & 0xFFFFu]; }
  const std::vector<std::string>& names() const noexcept { return names_; }

 private:
  std::vector<std::string> names_;
  // 65536 classes: char.bin holds 65535, and MeCab reads U+FFFF's past them from a zero-filled page.
  std::vector<CharInfo> classes_;
};

// matrix.bin: the cost of a left node's right context followed by a right node's left context.
class ConnectionMatrix {
 public:
  explicit ConnectionMatrix(const std::string& path);

  std::uint32_t left_size() const noexcept { return left_size_; }
  std::uint32_t right_size() const noexcept { return right_size_; }
  // The costs for a right node with left context `left_id`, indexed by the left node's right context.
  const std::int16_t* column(std::uint16_t left_id) const noexcept {
    return costs_ + static_cast<std::size_t>(left_size_) * left_id;
  }

 private:
  MappedFile file_;
  const std::int16_t* costs_ = nullptr;
  std::uint32_t left_size_ = 0;
  std::uint32_t right_size_ = 0;
};

// dicrc's max-grouping-size (MeCab's default, 24, where dicrc is missing or does not set it).
std::size_t read_max_grouping_size(const std::string& dicrc_path);

}  // namespace sparsebolt::mecab
