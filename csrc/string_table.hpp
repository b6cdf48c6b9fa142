// Interns byte strings to dense int32 ids in insertion order (the order BM25 term ids need).
// Open addressing; each slot carries the key's first and last 8 bytes and its length, so a lookup of
// a token up to 16 bytes long (nearly all of them) is one hash and one slot read, with no key fetch.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sparsebolt {

// The key's bytes folded into two words, canonical for a given length: the first and last 8 bytes
// (overlapping below 16), four-byte halves below 8, three sampled bytes below 4. Keys of up to 16
// bytes are equal exactly when their lengths and words are.
struct KeyWords {
  std::uint64_t first;
  std::uint64_t last;
};

namespace detail {
inline std::uint64_t load8(const char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline std::uint64_t load4(const char* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
// Folds the 128-bit product of a and b to 64 bits.
inline std::uint64_t mix(std::uint64_t a, std::uint64_t b) noexcept {
#if defined(__SIZEOF_INT128__)
  const unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
#else
  const std::uint64_t a_lo = a & 0xFFFFFFFFu, a_hi = a >> 32, b_lo = b & 0xFFFFFFFFu, b_hi = b >> 32;
  const std::uint64_t lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo, lo_hi = a_lo * b_hi, hi_hi = a_hi * b_hi;
  const std::uint64_t cross = (lo_lo >> 32) + (hi_lo & 0xFFFFFFFFu) + lo_hi;
  const std::uint64_t low = (cross << 32) | (lo_lo & 0xFFFFFFFFu);
  const std::uint64_t high = hi_hi + (hi_lo >> 32) + (cross >> 32);
  return low ^ high;
#endif
}
constexpr std::uint64_t kSeed0 = 0xA0761D6478BD642Full;
constexpr std::uint64_t kSeed1 = 0xE7037ED1A0B428DBull;
constexpr std::uint64_t kSeed2 = 0x8EBC6AF09C88C6E3ull;
}  // namespace detail

inline KeyWords key_words(std::string_view key) noexcept {
  const char* p = key.data();
  const std::size_t n = key.size();
  if (n >= 8) return {detail::load8(p), detail::load8(p + n - 8)};
  if (n >= 4) return {detail::load4(p) | (detail::load4(p + n - 4) << 32), 0};
  if (n > 0) {
    const auto byte = [&](std::size_t i) { return static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])); };
    return {byte(0) | (byte(n >> 1) << 8) | (byte(n - 1) << 16), 0};
  }
  return {0, 0};
}

// A wyhash-style hash: the words for short keys, every 16-byte block for long ones.
inline std::uint64_t hash_key(std::string_view key, KeyWords words) noexcept {
  using namespace detail;
  std::uint64_t seed = kSeed0 ^ key.size();
  if (key.size() > 16) {
    const char* p = key.data();
    std::size_t left = key.size();
    while (left > 16) {
      seed = mix(load8(p) ^ kSeed1, load8(p + 8) ^ seed);
      p += 16;
      left -= 16;
    }
  }
  return mix(kSeed1 ^ key.size(), mix(words.first ^ kSeed1, words.last ^ seed) ^ kSeed2);
}

inline std::uint64_t hash_bytes(std::string_view key) noexcept { return hash_key(key, key_words(key)); }

class StringTable {
 public:
  static constexpr std::int32_t kMissing = -1;

  // A key prepared once for several lookups: its words and hash.
  struct Probe {
    std::string_view key;
    KeyWords words;
    std::uint64_t hash;
  };

  static Probe probe(std::string_view key) noexcept {
    const KeyWords words = key_words(key);
    return {key, words, hash_key(key, words)};
  }

  StringTable() { slots_.assign(kInitialSlots, Slot{}); }

  std::size_t size() const noexcept { return spans_.size(); }

  std::string_view key(std::int32_t id) const noexcept {
    const Span& span = spans_[static_cast<std::size_t>(id)];
    return {arena_.data() + span.offset, span.length};
  }

  std::int32_t find(std::string_view key) const noexcept { return find(probe(key)); }

  std::int32_t find(const Probe& probe) const noexcept {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t at = probe.hash & mask;; at = (at + 1) & mask) {
      const Slot& slot = slots_[at];
      if (slot.id_plus_one == 0) return kMissing;
      if (matches(slot, probe)) return static_cast<std::int32_t>(slot.id_plus_one - 1);
    }
  }

  // Returns the key's id and whether this call added it.
  std::pair<std::int32_t, bool> insert(std::string_view key) { return insert(probe(key)); }

  std::pair<std::int32_t, bool> insert(const Probe& probe) {
    const std::int32_t existing = find(probe);
    if (existing != kMissing) return {existing, false};
    if (spans_.size() >= static_cast<std::size_t>(INT32_MAX) - 1)
      throw std::length_error("vocabulary exceeds 2**31 - 2 terms");
    if (probe.key.size() > UINT32_MAX) throw std::length_error("token longer than 4 GiB");
    if ((spans_.size() + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
    const auto id = static_cast<std::int32_t>(spans_.size());
    spans_.push_back({arena_.size(), probe.key.size()});
    arena_.append(probe.key.data(), probe.key.size());
    place(probe, id);
    return {id, true};
  }

  void reserve(std::size_t keys) {
    std::size_t wanted = kInitialSlots;
    while (wanted < keys * 2) wanted <<= 1;
    if (wanted > slots_.size()) rehash(wanted);
    spans_.reserve(keys);
  }

 private:
  struct Slot {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    std::uint32_t length = 0;
    std::uint32_t id_plus_one = 0;  // 0 = empty
  };
  struct Span {
    std::size_t offset;
    std::size_t length;
  };
  static constexpr std::size_t kInitialSlots = 64;

  bool matches(const Slot& slot, const Probe& probe) const noexcept {
    if (slot.first != probe.words.first || slot.last != probe.words.last || slot.length != probe.key.size())
      return false;
    if (probe.key.size() <= 16) return true;
    return std::memcmp(arena_.data() + spans_[slot.id_plus_one - 1].offset, probe.key.data(), probe.key.size()) == 0;
  }

  void place(const Probe& probe, std::int32_t id) noexcept {
    const std::size_t mask = slots_.size() - 1;
    std::size_t at = probe.hash & mask;
    while (slots_[at].id_plus_one != 0) at = (at + 1) & mask;
    slots_[at] = Slot{probe.words.first, probe.words.last, static_cast<std::uint32_t>(probe.key.size()),
                      static_cast<std::uint32_t>(id) + 1u};
  }

  void rehash(std::size_t slot_count) {
    slots_.assign(slot_count, Slot{});
    for (std::size_t id = 0; id < spans_.size(); ++id)
      place(probe(key(static_cast<std::int32_t>(id))), static_cast<std::int32_t>(id));
  }

  std::vector<Slot> slots_;
  std::vector<Span> spans_;
  std::string arena_;
};

}  // namespace sparsebolt
