// Interns byte strings to dense int32 ids in insertion order (the order BM25 term ids need).
// Open addressing over one arena: a lookup is a hash, a probe and one memcmp, with no allocation.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sparsebolt {

// A multiply-xorshift hash reading 8 bytes at a time; tokens are short, so this beats byte-wise FNV.
inline std::uint64_t hash_bytes(std::string_view bytes) noexcept {
  constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ull;
  const char* p = bytes.data();
  std::size_t n = bytes.size();
  std::uint64_t h = 0xD6E8FEB86659FD93ull ^ (static_cast<std::uint64_t>(n) * kMul);
  while (n >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    h = (h ^ word) * kMul;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    std::uint64_t word = 0;
    std::memcpy(&word, p, n);
    h = (h ^ word) * kMul;
    h ^= h >> 29;
  }
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 31);
}

class StringTable {
 public:
  static constexpr std::int32_t kMissing = -1;

  StringTable() { slots_.assign(kInitialSlots, 0); }

  std::size_t size() const noexcept { return spans_.size(); }

  std::string_view key(std::int32_t id) const noexcept {
    const Span& span = spans_[static_cast<std::size_t>(id)];
    return {arena_.data() + span.offset, span.length};
  }

  std::int32_t find(std::string_view key) const noexcept { return find(key, hash_bytes(key)); }

  std::int32_t find(std::string_view key, std::uint64_t hash) const noexcept {
    const std::size_t mask = slots_.size() - 1;
    const std::uint32_t tag = tag_of(hash);
    for (std::size_t slot = hash & mask;; slot = (slot + 1) & mask) {
      const std::uint64_t entry = slots_[slot];
      if (entry == 0) return kMissing;
      if (static_cast<std::uint32_t>(entry >> 32) == tag) {
        const auto id = static_cast<std::int32_t>(static_cast<std::uint32_t>(entry) - 1);
        if (this->key(id) == key) return id;
      }
    }
  }

  // Returns the key's id and whether this call added it.
  std::pair<std::int32_t, bool> insert(std::string_view key) { return insert(key, hash_bytes(key)); }

  std::pair<std::int32_t, bool> insert(std::string_view key, std::uint64_t hash) {
    const std::int32_t existing = find(key, hash);
    if (existing != kMissing) return {existing, false};
    if (spans_.size() >= static_cast<std::size_t>(INT32_MAX) - 1)
      throw std::length_error("vocabulary exceeds 2**31 - 2 terms");
    if ((spans_.size() + 1) * 2 > slots_.size()) grow();
    const auto id = static_cast<std::int32_t>(spans_.size());
    spans_.push_back({arena_.size(), key.size()});
    arena_.append(key.data(), key.size());
    place(tag_of(hash), hash, id);
    return {id, true};
  }

  void reserve(std::size_t keys) {
    std::size_t wanted = kInitialSlots;
    while (wanted < keys * 2) wanted <<= 1;
    if (wanted > slots_.size()) rehash(wanted);
    spans_.reserve(keys);
  }

 private:
  struct Span {
    std::size_t offset;
    std::size_t length;
  };
  static constexpr std::size_t kInitialSlots = 64;

  // The high hash bits, never zero, so that a slot value of 0 means empty.
  static std::uint32_t tag_of(std::uint64_t hash) noexcept { return static_cast<std::uint32_t>(hash >> 32) | 1u; }

  void place(std::uint32_t tag, std::uint64_t hash, std::int32_t id) noexcept {
    const std::size_t mask = slots_.size() - 1;
    std::size_t slot = hash & mask;
    while (slots_[slot] != 0) slot = (slot + 1) & mask;
    slots_[slot] = (static_cast<std::uint64_t>(tag) << 32) | (static_cast<std::uint32_t>(id) + 1u);
  }

  void grow() { rehash(slots_.size() * 2); }

  void rehash(std::size_t slot_count) {
    slots_.assign(slot_count, 0);
    for (std::size_t id = 0; id < spans_.size(); ++id) {
      const std::uint64_t hash = hash_bytes(key(static_cast<std::int32_t>(id)));
      place(tag_of(hash), hash, static_cast<std::int32_t>(id));
    }
  }

  std::vector<std::uint64_t> slots_;  // (tag << 32) | (id + 1); 0 = empty
  std::vector<Span> spans_;
  std::string arena_;
};

}  // namespace sparsebolt
