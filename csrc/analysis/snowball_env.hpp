// The Snowball runtime under the generated stemmers of csrc/third_party/snowball/: the state of one word being
// stemmed and the primitives Snowball's generated code calls. A port of BaseStemmer from the snowballstemmer
// package (Snowball 3.1.1, BSD-3-Clause, csrc/third_party/snowball/COPYING) that works on code points, as that
// code does, so the generated C++ reads line for line as the Python it is generated from.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sparsebolt::snowball {

struct Env;

// One string of an among table: `s`, the index of the longest entry that is a prefix (forwards) or suffix
// (backwards) of it or -1, the result the lookup returns, and the routine that must also hold, if any.
struct Among {
  std::u32string_view s;
  int substring_i;
  int result;
  bool (*method)(Env&);
};

// A set of code points, as a bitmap from `min` to `max`.
struct Grouping {
  char32_t min;
  char32_t max;
  const unsigned char* bits;

  bool contains(char32_t c) const noexcept {
    if (c < min || c > max) return false;
    const char32_t offset = c - min;
    return (bits[offset >> 3] >> (offset & 7)) & 1u;
  }
};

// The word and the cursor state of Snowball's string commands. Positions count code points, as in Snowball.
struct Env {
  std::u32string current;
  int cursor = 0;
  int limit = 0;
  int limit_backward = 0;
  int bra = 0;
  int ket = 0;

  // Sets `current` from a UTF-8 word and resets the positions. A byte that starts no well-formed sequence becomes
  // a code point no grouping or string contains (in U+DC80..U+DCFF), and becomes that byte again on the way out.
  void set_current_utf8(std::string_view word);
  void get_current_utf8(std::string& out) const;

  bool in_grouping(const Grouping& g) noexcept {
    if (cursor >= limit || !g.contains(current[cursor])) return false;
    ++cursor;
    return true;
  }
  bool in_grouping_b(const Grouping& g) noexcept {
    if (cursor <= limit_backward || !g.contains(current[cursor - 1])) return false;
    --cursor;
    return true;
  }
  bool out_grouping(const Grouping& g) noexcept {
    if (cursor >= limit || g.contains(current[cursor])) return false;
    ++cursor;
    return true;
  }
  bool out_grouping_b(const Grouping& g) noexcept {
    if (cursor <= limit_backward || g.contains(current[cursor - 1])) return false;
    --cursor;
    return true;
  }
  // Moves past code points in (go_in) or not in (go_out) the grouping; false where the limit comes first.
  bool go_in_grouping(const Grouping& g) noexcept {
    for (; cursor < limit; ++cursor)
      if (!g.contains(current[cursor])) return true;
    return false;
  }
  bool go_in_grouping_b(const Grouping& g) noexcept {
    for (; cursor > limit_backward; --cursor)
      if (!g.contains(current[cursor - 1])) return true;
    return false;
  }
  bool go_out_grouping(const Grouping& g) noexcept {
    for (; cursor < limit; ++cursor)
      if (g.contains(current[cursor])) return true;
    return false;
  }
  bool go_out_grouping_b(const Grouping& g) noexcept {
    for (; cursor > limit_backward; --cursor)
      if (g.contains(current[cursor - 1])) return true;
    return false;
  }

  bool eq_s(std::u32string_view s) noexcept {
    const int size = static_cast<int>(s.size());
    if (limit - cursor < size || current.compare(cursor, s.size(), s) != 0) return false;
    cursor += size;
    return true;
  }
  bool eq_s_b(std::u32string_view s) noexcept {
    const int size = static_cast<int>(s.size());
    if (cursor - limit_backward < size || current.compare(cursor - size, s.size(), s) != 0) return false;
    cursor -= size;
    return true;
  }

  template <std::size_t N>
  int find_among(const Among (&v)[N]) {
    return find_among(v, static_cast<int>(N));
  }
  template <std::size_t N>
  int find_among_b(const Among (&v)[N]) {
    return find_among_b(v, static_cast<int>(N));
  }
  int find_among(const Among* v, int size);
  int find_among_b(const Among* v, int size);

  // Replaces [c_bra, c_ket) by s and returns the change in length.
  int replace_s(int c_bra, int c_ket, std::u32string_view s);
  void slice_from(std::u32string_view s) {
    replace_s(bra, ket, s);
    ket = bra + static_cast<int>(s.size());
  }
  void slice_del() { slice_from({}); }
  void insert(int c_bra, int c_ket, std::u32string_view s);
  std::u32string slice_to() const { return current.substr(bra, ket - bra); }
};

// Stems a UTF-8 word in place with a generated stemmer (an Env with a stem() routine).
template <class Stemmer>
void stem_utf8(Stemmer& stemmer, std::string& word) {
  stemmer.set_current_utf8(word);
  stemmer.stem();
  stemmer.get_current_utf8(word);
}

}  // namespace sparsebolt::snowball
