// Opening and checking MeCab's compiled dictionary files.
#include "analysis/mecab/dictionary_files.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace sparsebolt::mecab {

namespace {

constexpr std::uint32_t kDictionaryMagic = 0xEF718F77u;  // xor'ed with the file size in the first word
constexpr std::uint32_t kDictionaryVersion = 102;        // MeCab 0.996's format
constexpr std::size_t kHeaderWords = 10;                 // magic, version, type, lexsize, lsize, rsize, dsize,
                                                         // tsize, fsize, dummy; then a 32-byte charset name
constexpr std::size_t kCharsetBytes = 32;
constexpr std::size_t kHeaderBytes = kHeaderWords * 4 + kCharsetBytes;
constexpr std::size_t kCategoryNameBytes = 32;
constexpr std::size_t kCharBinClasses = 0xFFFF;
constexpr std::size_t kDefaultMaxGroupingSize = 24;

std::uint32_t read_u32(const char* at) {
  std::uint32_t value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

[[noreturn]] void not_a_dictionary(const std::string& path, const std::string& why) {
  throw std::invalid_argument("'" + path + "' is not a MeCab 0.996 dictionary file (" + why +
                              "); reinstall the dictionary package");
}

// Only UTF-8 dictionaries: the segmenter's texts are UTF-8, and MeCab does not convert the input.
bool is_utf8_name(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name == "utf8" || name == "utf-8";
}

}  // namespace

CompiledDictionary::CompiledDictionary(const std::string& path, Kind kind) : file_(path) {
  const char* data = file_.data();
  const std::size_t size = file_.size();
  if (size < kHeaderBytes) not_a_dictionary(path, "shorter than its header");
  std::uint32_t word[kHeaderWords];
  for (std::size_t i = 0; i < kHeaderWords; ++i) word[i] = read_u32(data + 4 * i);
  if ((word[0] ^ kDictionaryMagic) != size) not_a_dictionary(path, "wrong magic number or truncated");
  if (word[1] != kDictionaryVersion) not_a_dictionary(path, "version " + std::to_string(word[1]) + ", not 102");
  if (word[2] != static_cast<std::uint32_t>(kind)) not_a_dictionary(path, "wrong dictionary type");
  const std::string charset(data + kHeaderWords * 4, strnlen(data + kHeaderWords * 4, kCharsetBytes));
  if (!is_utf8_name(charset))
    throw std::invalid_argument("the MeCab dictionary '" + path + "' is in " + charset +
                                "; only UTF-8 dictionaries are supported (rebuild it with mecab-dict-index -t utf-8)");
  left_size_ = word[4];
  right_size_ = word[5];
  const std::size_t trie_bytes = word[6], entry_bytes = word[7], feature_bytes = word[8];
  if (trie_bytes % sizeof(Unit) != 0 || trie_bytes == 0 || entry_bytes != std::size_t{word[3]} * sizeof(Entry) ||
      kHeaderBytes + trie_bytes + entry_bytes + feature_bytes != size)
    not_a_dictionary(path, "section sizes do not add up");
  // The sections follow the 72-byte header at multiples of 8 bytes: aligned for the 4- and 2-byte fields.
  units_ = reinterpret_cast<const Unit*>(data + kHeaderBytes);
  unit_count_ = trie_bytes / sizeof(Unit);
  entries_ = reinterpret_cast<const Entry*>(data + kHeaderBytes + trie_bytes);
  entry_count_ = word[3];
  features_ = data + kHeaderBytes + trie_bytes + entry_bytes;
  features_size_ = feature_bytes;
  for (std::size_t i = 0; i < entry_count_; ++i)
    if (entries_[i].feature >= features_size_) not_a_dictionary(path, "an entry's features lie outside the file");
  if (features_size_ == 0 || features_[features_size_ - 1] != '\0')
    not_a_dictionary(path, "the feature block is not NUL-terminated");
}

CompiledDictionary::Match CompiledDictionary::checked_match(std::uint32_t value, std::size_t length) const {
  const Match match{value >> 8, value & 0xFFu, length};
  if (std::size_t{match.first} + match.count > entry_count_)
    throw std::runtime_error("the MeCab dictionary '" + path() + "' is corrupt: its trie points past its entries");
  return match;
}

CompiledDictionary::Match CompiledDictionary::find(std::string_view key) const {
  Match found{0, 0, 0};
  for_each_prefix(key.data(), key.size(), [&](const Match& match) {
    if (match.length == key.size()) found = match;
  });
  return found;
}

std::string_view CompiledDictionary::features(const Entry& entry) const {
  const char* begin = features_ + entry.feature;
  return {begin, std::strlen(begin)};
}

CharCategories::CharCategories(const std::string& path) {
  const MappedFile file(path);
  const char* data = file.data();
  if (file.size() < 4) not_a_dictionary(path, "no category count");
  const std::size_t count = read_u32(data);
  if (count == 0 || count > 0xFF || file.size() != 4 + count * kCategoryNameBytes + kCharBinClasses * 4)
    not_a_dictionary(path, "its size does not match its category count");
  for (std::size_t i = 0; i < count; ++i) {
    const char* name = data + 4 + i * kCategoryNameBytes;
    names_.emplace_back(name, strnlen(name, kCategoryNameBytes));
  }
  classes_.resize(0x10000);
  const char* records = data + 4 + count * kCategoryNameBytes;
  for (std::size_t code = 0; code < kCharBinClasses; ++code) {
    classes_[code].bits = read_u32(records + 4 * code);
    if (classes_[code].default_type() >= count) not_a_dictionary(path, "a character's category is out of range");
  }
}

ConnectionMatrix::ConnectionMatrix(const std::string& path) : file_(path) {
  if (file_.size() < 4) not_a_dictionary(path, "no matrix size");
  std::uint16_t sizes[2];
  std::memcpy(sizes, file_.data(), sizeof sizes);
  left_size_ = sizes[0];
  right_size_ = sizes[1];
  if (file_.size() != 4 + std::size_t{left_size_} * right_size_ * 2)
    not_a_dictionary(path, "its size does not match its dimensions");
  costs_ = reinterpret_cast<const std::int16_t*>(file_.data() + 4);
}

// MeCab's Param::load: "key = value" lines, ';' and '#' lines are comments; a value of 0 means the default.
std::size_t read_max_grouping_size(const std::string& dicrc_path) {
  std::ifstream in(dicrc_path);
  std::string line;
  const auto trim = [](std::string_view text) {
    const auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!text.empty() && space(text.front())) text.remove_prefix(1);
    while (!text.empty() && space(text.back())) text.remove_suffix(1);
    return text;
  };
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == ';' || line[0] == '#') continue;
    const std::size_t equals = line.find('=');
    if (equals == std::string::npos) continue;
    if (trim(std::string_view(line).substr(0, equals)) != "max-grouping-size") continue;
    const std::string value(trim(std::string_view(line).substr(equals + 1)));
    std::size_t parsed = 0;
    for (char c : value) {
      if (c < '0' || c > '9') break;
      parsed = parsed * 10 + static_cast<std::size_t>(c - '0');
      if (parsed > 0xFFFF) break;
    }
    return parsed == 0 ? kDefaultMaxGroupingSize : parsed;
  }
  return kDefaultMaxGroupingSize;
}

}  // namespace sparsebolt::mecab
