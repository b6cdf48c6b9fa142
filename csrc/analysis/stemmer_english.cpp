// Snowball English ("Porter2") stemmer, written to give byte for byte the output of the
// Snowball 3 english.sbl that PyStemmer 3 ships (Stemmer.Stemmer('english')), including the
// Snowball 3 changes: the R1 prefixes emerg/inter/later/organ/past/univers beside
// gener/commun/arsen, 'past' as a short syllable, 'ogist', and the old exception2 forms
// (inning, proceed, ...) and dying/lying/tying folded into Step_1b.
//
// Why hand-written instead of generated: the generated C works through an SN_env that
// allocates. Here a word is stemmed in a stack buffer (or in place when long) and written back
// into the caller's string. No step makes a word longer than it arrived (every replacement is
// no longer than the suffix it replaces; the 'e' Step_1b may add follows the removal of at
// least two bytes), so the string's buffer always suffices and nothing is allocated.
//
// UTF-8: every letter the algorithm tests or writes is ASCII, and in UTF-8 an ASCII byte never
// occurs inside a multi-byte character, so suffixes are matched on bytes. Snowball counts in
// characters only where it hops, steps over one character, or tests "at the start"; those
// places step over whole characters (prev_start, and the skip in next_region). A non-ASCII
// character is a non-vowel, as Snowball's groupings are ASCII. p1/p2 are byte offsets on
// character boundaries, so comparing them with suffix starts gives Snowball's answer.
#include "analysis/stemmer_english.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>

namespace sparsebolt {
namespace {

constexpr std::uint32_t bit(char c) { return 1u << (c - 'a'); }

// Snowball's groupings. 'Y' (a consonant y marked by the prelude) is in none of them; shortv
// treats it as part of v_WXY by hand.
constexpr std::uint32_t kV = bit('a') | bit('e') | bit('i') | bit('o') | bit('u') | bit('y');
constexpr std::uint32_t kAEO = bit('a') | bit('e') | bit('o');
constexpr std::uint32_t kValidLI =
    bit('c') | bit('d') | bit('e') | bit('g') | bit('h') | bit('k') | bit('m') | bit('n') | bit('r') | bit('t');
constexpr std::uint32_t kDouble =
    bit('b') | bit('d') | bit('f') | bit('g') | bit('m') | bit('n') | bit('p') | bit('r') | bit('t');

inline bool in_set(char c, std::uint32_t set) {
  const unsigned d = static_cast<unsigned char>(c) - static_cast<unsigned>('a');
  return d < 26 && ((set >> d) & 1u) != 0;
}

// Vowel test by table: it runs on every byte of every word, and the two-sided range test
// of in_set costs a branch each time.
struct VowelTable {
  bool v[256];
  constexpr VowelTable() : v() {
    for (char c : {'a', 'e', 'i', 'o', 'u', 'y'}) v[static_cast<unsigned char>(c)] = true;
  }
};
constexpr VowelTable kVowelTable{};
inline bool is_v(char c) { return kVowelTable.v[static_cast<unsigned char>(c)]; }
inline bool is_cont(char c) { return (static_cast<unsigned char>(c) & 0xC0u) == 0x80u; }

// Start of the character that ends at byte i (i > 0). Stray continuation bytes are absorbed
// into the character before them, and the walk stops at 0, so it never leaves the word.
inline std::size_t prev_start(const char* p, std::size_t i) {
  std::size_t j = i - 1;
  while (j > 0 && is_cont(p[j])) --j;
  return j;
}

template <std::size_t N>
inline bool equals(const char* p, std::size_t n, const char (&s)[N]) {
  return n == N - 1 && std::memcmp(p, s, N - 1) == 0;
}

#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
constexpr bool kLittleEndian = false;
#else
constexpr bool kLittleEndian = true;
#endif

// Suffix tests load a word's last 8 bytes as one integer and compare the bytes a suffix covers
// in one go, instead of a length check plus a byte compare per suffix: the steps test dozens of
// suffixes per word. Sfx holds a suffix (at most 8 bytes) as it sits in that integer.
struct Sfx {
  std::uint64_t value;
  std::uint64_t mask;
};

template <std::size_t N>
constexpr Sfx sfx(const char (&s)[N]) {
  static_assert(N >= 2 && N <= 9, "a suffix is 1 to 8 bytes");
  Sfx r{0, 0};
  for (std::size_t i = 0; i + 1 < N; ++i) {
    const std::size_t pos = 8 - (N - 1) + i;  // the byte's place among the last 8
    const unsigned shift = static_cast<unsigned>(kLittleEndian ? 8 * pos : 8 * (7 - pos));
    r.value |= static_cast<std::uint64_t>(static_cast<unsigned char>(s[i])) << shift;
    r.mask |= static_cast<std::uint64_t>(0xFFu) << shift;
  }
  return r;
}

// The word being stemmed: p[0..n), with the 8 bytes before p + n readable at every step (zero
// padding in front of short words, which no suffix matches), so tail() never checks a length.
struct Word {
  char* p;
  std::size_t n;

  std::uint64_t tail() const {
    std::uint64_t t;
    std::memcpy(&t, p + n - 8, 8);
    return t;
  }
  static bool is(std::uint64_t tail, Sfx s) { return (tail & s.mask) == s.value; }
  char last() const { return p[n - 1]; }
  // Overwrites the last `cut` bytes with s, which is never longer than them.
  template <std::size_t N>
  void put(std::size_t cut, const char (&s)[N]) {
    n -= cut;
    std::memcpy(p + n, s, N - 1);
    n += N - 1;
  }
};

// Snowball's shortv, on the characters before byte i: (non-v_WXY v non-v) or (non-v v at the
// start of the word) or, new in Snowball 3, the part before i ends in 'past'.
bool shortv(const Word& w, std::size_t i) {
  const char* p = w.p;
  if (i >= 2) {
    const std::size_t j = prev_start(p, i);  // the last character, which may be multi-byte
    const char last = p[j];
    if (!is_v(last) && j >= 1 && is_v(p[j - 1])) {
      const std::size_t k = j - 1;  // the vowel (ASCII, so one byte)
      if (k == 0) return true;
      const bool last_not_wxy = last != 'w' && last != 'x' && last != 'Y';
      if (last_not_wxy && !is_v(p[k - 1])) return true;
    }
  }
  return i >= 4 && std::memcmp(p + i - 4, "past", 4) == 0;
}

// Snowball's exception1: whole words stemmed by fiat before anything else runs. Returns true
// when it decided the stem (written into p[0..n)).
bool exception1(char* p, std::size_t& n) {
  // Only words of 3 to 6 bytes that start with one of these letters are listed.
  constexpr std::uint32_t kFirst = bit('a') | bit('b') | bit('c') | bit('e') | bit('g') | bit('h') | bit('i') |
                                   bit('n') | bit('o') | bit('s') | bit('u');
  if (n > 6 || !in_set(p[0], kFirst)) return false;
  auto is = [p, n](const auto& s) { return equals(p, n, s); };
  auto to = [p, &n](const auto& s) {
    std::memcpy(p, s, sizeof s - 1);
    n = sizeof s - 1;
    return true;
  };
  switch (p[0]) {
    case 'a': return is("andes") || is("atlas");
    case 'b': return is("bias");
    case 'c': return is("cosmos");
    case 'e': return is("early") && to("earli");
    case 'g': return is("gently") && to("gentl");
    case 'h': return is("howe");
    case 'i': return is("idly") && to("idl");
    case 'n': return is("news");
    case 'o': return is("only") && to("onli");
    case 's':
      if (is("skis")) return to("ski");
      if (is("skies")) return to("sky");
      if (is("singly")) return to("singl");
      return is("sky");
    case 'u': return is("ugly") && to("ugli");
    default: return false;
  }
}

// prelude: marks consonant y ('y' first, or after a vowel) as 'Y' so that the regions and steps
// treat it as a non-vowel. Returns whether any was marked; fv gets the first vowel's offset
// afterwards (n if none), which also answers every later "is there a vowel before here".
bool prelude(char* p, std::size_t n, std::size_t& fv) {
  bool y_found = false;
  if (std::memchr(p, 'y', n) != nullptr) {  // most words have no y at all
    if (p[0] == 'y') {
      p[0] = 'Y';
      y_found = true;
    }
    // Left to right, so in 'ayyy' the second y follows a 'Y' and stays a vowel.
    for (std::size_t i = 1; i < n; ++i) {
      if (p[i] == 'y' && is_v(p[i - 1])) {
        p[i] = 'Y';
        y_found = true;
      }
    }
  }
  fv = 0;
  while (fv < n && !is_v(p[fv])) ++fv;
  return y_found;
}

// gopast v, then gopast non-v, from byte c: the offset after the first non-vowel that follows
// a vowel, or n + 1 if there is none. Vowels are ASCII, so bytes are skipped one at a time
// until the non-vowel, whose continuation bytes are then skipped too.
inline std::size_t next_region(const char* p, std::size_t n, std::size_t c) {
  while (c < n && !is_v(p[c])) ++c;
  if (c >= n) return n + 1;
  ++c;
  while (c < n && is_v(p[c])) ++c;
  if (c >= n) return n + 1;
  ++c;
  if (static_cast<unsigned char>(p[c - 1]) >= 0x80) {
    while (c < n && is_cont(p[c])) ++c;
  }
  return c;
}

// Snowball's mark_regions. R1 starts after the first non-vowel that follows a vowel, except
// after one of the listed prefixes, where it starts right after the prefix (so 'generous' and
// 'general' keep 'gener'). R2 is the same rule applied again from R1.
void mark_regions(const char* p, std::size_t n, std::size_t fv, std::size_t& p1, std::size_t& p2) {
  p1 = n;
  p2 = n;
  auto prefix = [p, n](const auto& s) -> std::size_t {
    constexpr std::size_t m = sizeof s - 1;
    return n >= m && std::memcmp(p, s, m) == 0 ? m : 0;
  };
  std::size_t c = 0;
  switch (p[0]) {
    case 'a': c = prefix("arsen"); break;
    case 'c': c = prefix("commun"); break;
    case 'e': c = prefix("emerg"); break;
    case 'g': c = prefix("gener"); break;
    case 'i': c = prefix("inter"); break;
    case 'l': c = prefix("later"); break;
    case 'o': c = prefix("organ"); break;
    case 'p': c = prefix("past"); break;
    case 'u': c = prefix("univers"); break;
    default: break;
  }
  if (c == 0) {
    if (fv >= n) return;
    c = next_region(p, n, fv);
    if (c > n) return;
  }
  p1 = c;
  c = next_region(p, n, c);
  if (c > n) return;
  p2 = c;
}

// Step_1a: plural endings, after dropping a possessive.
void step_1a(Word& w, std::size_t fv) {
  std::uint64_t t = w.tail();
  if (Word::is(t, sfx("'"))) {
    w.n -= Word::is(t, sfx("'s'")) ? 3 : 1;
    t = w.tail();
  } else if (Word::is(t, sfx("'s"))) {
    w.n -= 2;
    t = w.tail();
  }
  if (!Word::is(t, sfx("s")) && !Word::is(t, sfx("d"))) return;

  // Longest suffix first, as Snowball's among does.
  if (Word::is(t, sfx("sses"))) {
    w.n -= 2;
  } else if (Word::is(t, sfx("ied")) || Word::is(t, sfx("ies"))) {
    // -> 'i' after at least two characters ('cries' -> 'cri'), else 'ie' ('ties' -> 'tie').
    const std::size_t k = w.n - 3;
    const bool two_chars_before = k >= 2 && prev_start(w.p, k) > 0;
    w.n = two_chars_before ? k + 1 : k + 2;
  } else if (Word::is(t, sfx("ss")) || Word::is(t, sfx("us")) || Word::is(t, sfx("d"))) {
    // kept: 'class', 'focus'; a final 'd' outside 'ied' is no Step_1a suffix
  } else if (w.n >= 2 && fv < w.n - 2) {
    // 's' goes if a vowel comes before the character preceding it ('gaps' -> 'gap', 'gas'
    // stays). Bytes of a multi-byte character there are never vowels, so testing fv against
    // n - 2 equals testing it against that character's start.
    w.n -= 1;
  }
}

// The end of Step_1b once an 'ed'/'ing'-like suffix starting at k is known to go.
void step_1b_remove(Word& w, std::size_t k, std::size_t fv, std::size_t p1) {
  if (fv >= k) return;  // no vowel before the suffix: 'bed', 'sing'
  w.n = k;
  char* p = w.p;
  const std::uint64_t t = w.tail();
  if (Word::is(t, sfx("at")) || Word::is(t, sfx("bl")) || Word::is(t, sfx("iz"))) {
    p[w.n++] = 'e';  // 'luxuriat' -> 'luxuriate'
  } else if (k >= 2 && p[k - 1] == p[k - 2] && in_set(p[k - 1], kDouble)) {
    // Undouble ('hopp' -> 'hop'), except a three-letter word starting a/e/o: 'add', 'egg', 'err'.
    if (!(k == 3 && in_set(p[0], kAEO))) --w.n;
  } else if (k == p1 && shortv(w, k)) {
    p[w.n++] = 'e';  // a short word: 'hop' -> 'hope'
  }
}

// Step_1b: 'eed', 'ed', 'ing' and their -ly forms, with Snowball 3's special forms: proceed,
// exceed, succeed keep 'eed'; inning, outing, canning, herring, earring, evening stay whole;
// 'ying' after one non-vowel character becomes 'ie' (dying, lying, tying).
void step_1b(Word& w, std::size_t fv, std::size_t p1) {
  const char* p = w.p;
  const std::uint64_t t = w.tail();
  std::size_t k;
  switch (w.last()) {
    case 'd':
      if (Word::is(t, sfx("eed"))) {
        k = w.n - 3;
        break;
      }
      if (Word::is(t, sfx("ed"))) return step_1b_remove(w, w.n - 2, fv, p1);
      return;
    case 'y':
      if (Word::is(t, sfx("eedly"))) {
        k = w.n - 5;
        break;
      }
      if (Word::is(t, sfx("ingly"))) return step_1b_remove(w, w.n - 5, fv, p1);
      if (Word::is(t, sfx("edly"))) return step_1b_remove(w, w.n - 4, fv, p1);
      return;
    case 'g': {
      if (!Word::is(t, sfx("ing"))) return;
      k = w.n - 3;
      if (Word::is(t, sfx("ying"))) {
        const std::size_t y = k - 1;
        if (y >= 1 && prev_start(p, y) == 0 && !is_v(p[0])) {
          w.p[y] = 'i';
          w.p[y + 1] = 'e';
          w.n = y + 2;
          return;
        }
      } else if (k <= 4 && (equals(p, k, "inn") || equals(p, k, "out") || equals(p, k, "even") ||
                            equals(p, k, "cann") || equals(p, k, "herr") || equals(p, k, "earr"))) {
        return;  // 'inning', 'outing', ... are not verb forms
      }
      return step_1b_remove(w, k, fv, p1);
    }
    default: return;
  }
  // 'eed' / 'eedly' -> 'ee' in R1, but 'proceed', 'exceed', 'succeed' stay.
  if (p1 <= k && !equals(p, k, "succ") && !equals(p, k, "proc") && !equals(p, k, "exc")) w.n = k + 2;
}

// Step_1c: final y/Y -> i after a non-vowel that is not the first character ('cry' -> 'cri').
void step_1c(Word& w) {
  if (w.n < 2) return;
  const char c = w.last();
  if (c != 'y' && c != 'Y') return;
  const std::size_t j = prev_start(w.p, w.n - 1);
  if (j > 0 && !is_v(w.p[j])) w.p[w.n - 1] = 'i';
}

// The suffix steps keep one Snowball rule per line, so they read against english.sbl.
// clang-format off
// Step_2: the longest matching suffix is replaced, but only if it lies in R1.
void step_2(Word& w, std::size_t p1) {
  const std::uint64_t t = w.tail();
  auto is = [t](Sfx s) { return Word::is(t, s); };
  const std::size_t n = w.n;
  auto r1 = [p1, n](std::size_t len) { return p1 + len <= n; };
  switch (w.last()) {
    case 'i':
      if (is(sfx("biliti"))) { if (r1(6)) w.put(6, "ble"); }
      else if (is(sfx("lessli"))) { if (r1(6)) w.n -= 2; }
      else if (is(sfx("fulli")) || is(sfx("ousli")) || is(sfx("entli"))) { if (r1(5)) w.n -= 2; }
      else if (is(sfx("aliti"))) { if (r1(5)) w.n -= 3; }
      else if (is(sfx("iviti"))) { if (r1(5)) w.put(5, "ive"); }
      else if (is(sfx("anci")) || is(sfx("enci")) || is(sfx("abli"))) {
        if (r1(4)) w.p[n - 1] = 'e';  // -> ance, ence, able
      }
      else if (is(sfx("alli"))) { if (r1(4)) w.n -= 2; }
      else if (is(sfx("bli"))) { if (r1(3)) w.p[n - 1] = 'e'; }
      else if (is(sfx("logi"))) { if (r1(3)) w.n -= 1; }  // 'ogi' only after 'l'
      else if (is(sfx("li"))) {
        if (r1(2) && in_set(w.p[n - 3], kValidLI)) w.n -= 2;  // p1 >= 2, so n >= 4
      }
      break;
    case 'l':
      if (is(sfx("ational"))) { if (r1(7)) w.put(7, "ate"); }
      else if (is(sfx("tional"))) { if (r1(6)) w.n -= 2; }
      break;
    case 'm':
      if (is(sfx("alism"))) { if (r1(5)) w.n -= 3; }
      break;
    case 'n':
      if (is(sfx("ization"))) { if (r1(7)) w.put(7, "ize"); }
      else if (is(sfx("ation"))) { if (r1(5)) w.put(5, "ate"); }
      break;
    case 'r':
      if (is(sfx("izer"))) { if (r1(4)) w.n -= 1; }
      else if (is(sfx("ator"))) { if (r1(4)) w.put(4, "ate"); }
      break;
    case 's':
      if (is(sfx("iveness")) || is(sfx("fulness")) || is(sfx("ousness"))) {
        if (r1(7)) w.n -= 4;  // -> ive, ful, ous
      }
      break;
    case 't':
      if (is(sfx("ogist"))) { if (r1(5)) w.n -= 3; }
      break;
    default:
      break;
  }
}

// Step_3: the longest matching suffix is replaced if it lies in R1 ('ative' needs R2).
void step_3(Word& w, std::size_t p1, std::size_t p2) {
  const std::uint64_t t = w.tail();
  auto is = [t](Sfx s) { return Word::is(t, s); };
  const std::size_t n = w.n;
  auto r1 = [p1, n](std::size_t len) { return p1 + len <= n; };
  switch (w.last()) {
    case 'e':
      if (is(sfx("icate")) || is(sfx("alize"))) { if (r1(5)) w.n -= 3; }
      else if (is(sfx("ative"))) { if (r1(5) && p2 + 5 <= n) w.n -= 5; }
      break;
    case 'i':
      if (is(sfx("iciti"))) { if (r1(5)) w.n -= 3; }
      break;
    case 'l':
      if (is(sfx("ational"))) { if (r1(7)) w.put(7, "ate"); }
      else if (is(sfx("tional"))) { if (r1(6)) w.n -= 2; }
      else if (is(sfx("ical"))) { if (r1(4)) w.n -= 2; }
      else if (is(sfx("ful"))) { if (r1(3)) w.n -= 3; }
      break;
    case 's':
      if (is(sfx("ness"))) { if (r1(4)) w.n -= 4; }
      break;
    default:
      break;
  }
}

// Step_4: the longest matching suffix is deleted if it lies in R2.
void step_4(Word& w, std::size_t p2) {
  const std::uint64_t t = w.tail();
  auto is = [t](Sfx s) { return Word::is(t, s); };
  std::size_t m = 0;  // length of the matched suffix
  switch (w.last()) {
    case 'c': m = is(sfx("ic")) ? 2 : 0; break;
    case 'e':
      if (is(sfx("ance")) || is(sfx("ence")) || is(sfx("able")) || is(sfx("ible"))) m = 4;
      else if (is(sfx("ate")) || is(sfx("ive")) || is(sfx("ize"))) m = 3;
      break;
    case 'i': m = is(sfx("iti")) ? 3 : 0; break;
    case 'l': m = is(sfx("al")) ? 2 : 0; break;
    case 'm': m = is(sfx("ism")) ? 3 : 0; break;
    case 'n':
      // 'ion' goes only after s or t ('adoption' -> 'adopt'); R2 is tested on 'ion' alone.
      if (is(sfx("sion")) || is(sfx("tion"))) {
        if (p2 + 3 <= w.n) w.n -= 3;
      }
      return;
    case 'r': m = is(sfx("er")) ? 2 : 0; break;
    case 's': m = is(sfx("ous")) ? 3 : 0; break;
    case 't':
      if (is(sfx("ement"))) m = 5;
      else if (is(sfx("ment"))) m = 4;
      else if (is(sfx("ent")) || is(sfx("ant"))) m = 3;
      break;
    default: break;
  }
  if (m != 0 && p2 + m <= w.n) w.n -= m;
}

// clang-format on

// Step_5: a final 'e' goes in R2, or in R1 unless it ends a short syllable; 'll' -> 'l' in R2.
void step_5(Word& w, std::size_t p1, std::size_t p2) {
  const std::size_t k = w.n - 1;
  const char c = w.p[k];
  if (c == 'e') {
    if (p2 <= k || (p1 <= k && !shortv(w, k))) w.n = k;
  } else if (c == 'l') {
    if (p2 <= k && k >= 1 && w.p[k - 1] == 'l') w.n = k;
  }
}

// Everything after exception1 and the leading apostrophe: p[0..n) with the 8 bytes before
// p + n readable throughout (see Word). Returns the stem's length.
std::size_t stem_core(char* p, std::size_t n) {
  if (n == 0) return 0;
  std::size_t fv;
  const bool y_found = prelude(p, n, fv);
  std::size_t p1, p2;
  mark_regions(p, n, fv, p1, p2);

  Word w{p, n};
  step_1a(w, fv);
  if (w.n != 0) {
    step_1b(w, fv, p1);
    step_1c(w);
    // Every suffix of Steps 2 to 5 must lie in R1 (Step_4's in R2), and the shortest are 2,
    // 3, 2 and 1 bytes long: a word whose region is shorter cannot change there.
    if (w.n >= p1 + 2) step_2(w, p1);
    if (w.n >= p1 + 3) step_3(w, p1, p2);
    if (w.n >= p2 + 2) step_4(w, p2);
    if (w.n >= p1 + 1) step_5(w, p1, p2);
  }

  // postlude: the 'Y' marks go back to 'y'.
  if (y_found) {
    for (std::size_t i = 0; i < w.n; ++i)
      if (p[i] == 'Y') p[i] = 'y';
  }
  return w.n;
}

// Words up to this many bytes are stemmed in a stack buffer behind 8 zero bytes. Longer ones
// are stemmed in place: the steps remove at most 25 bytes in all (5 + 5 + 4 + 5 + 5 + 1), so
// such a word stays over 8 bytes long and its own bytes serve as the 8 before its end.
constexpr std::size_t kLocalMax = 64;

// memcpy for the n <= kLocalMax bytes of a word, inlined: a libc call and its size dispatch
// cost more than copying these few bytes. Every move stays inside [0, n) of both sides (the
// last ones overlap).
inline void copy_short(char* dst, const char* src, std::size_t n) {
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8) std::memcpy(dst + i, src + i, 8);
    std::memcpy(dst + n - 8, src + n - 8, 8);
  } else if (n >= 4) {
    std::uint32_t head, tail;
    std::memcpy(&head, src, 4);
    std::memcpy(&tail, src + n - 4, 4);
    std::memcpy(dst, &head, 4);
    std::memcpy(dst + n - 4, &tail, 4);
  } else {
    for (std::size_t i = 0; i < n; ++i) dst[i] = src[i];
  }
}

}  // namespace

void stem_english(std::string& word) {
  const std::size_t n = word.size();
  if (n < 3) return;  // fewer than 3 bytes is fewer than 3 characters
  char* p = &word[0];

  std::size_t m = n;
  if (exception1(p, m)) {
    if (m != n) word.resize(m);
    return;
  }

  // Words of fewer than 3 characters stay as they are.
  if (static_cast<unsigned char>(p[0] | p[1] | p[2]) >= 0x80) {
    int chars = 0;
    for (std::size_t i = 0; i < n && chars < 3; ++i) chars += !is_cont(p[i]);
    if (chars < 3) return;
  }

  // prelude, first part: a leading apostrophe goes.
  const std::size_t skip = p[0] == '\'' ? 1 : 0;
  m = n - skip;
  if (m <= kLocalMax) {
    char buf[8 + kLocalMax];
    std::memset(buf, 0, 8);
    copy_short(buf + 8, p + skip, m);
    m = stem_core(buf + 8, m);
    copy_short(p, buf + 8, m);
  } else {
    if (skip != 0) std::memmove(p, p + 1, m);
    m = stem_core(p, m);
  }
  if (m != n) word.resize(m);
}

}  // namespace sparsebolt
