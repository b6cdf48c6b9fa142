// The BERT WordPiece pipeline of Hugging Face tokenizers (normalizers/bert.rs, pre_tokenizers/bert.rs,
// models/wordpiece/mod.rs, tokenizer/added_vocabulary.rs), code point by code point on generated Unicode tables.
#include "tokenizer/wordpiece.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "analysis/unicode.hpp"
#include "parallel.hpp"

namespace sparsebolt {

namespace {

struct WordPieceCharRecord {
  std::uint8_t flags;
  std::uint8_t ccc;  // canonical combining class
  std::uint16_t lower_offset;
  std::uint8_t lower_length;  // 0: the code point lowercases to itself
  std::uint16_t nfd_offset;
  std::uint8_t nfd_length;  // 0: the code point is its own decomposition
};

#include "wordpiece_tables.inc"

constexpr std::uint8_t kControl = 1, kWhitespace = 2, kPunctuation = 4, kNonspacing = 8;
constexpr char32_t kReplacement = 0xFFFD;

const WordPieceCharRecord& record(char32_t cp) {
  const std::uint32_t block = kWordPieceStage1[cp >> kWordPieceBlockBits];
  return kWordPieceRecords[kWordPieceStage2[(block << kWordPieceBlockBits) | (cp & ((1u << kWordPieceBlockBits) - 1))]];
}

// BertNormalizer's is_whitespace: \t \n \r and char::is_whitespace (all three are White_Space anyway).
bool is_whitespace(char32_t cp) { return (record(cp).flags & kWhitespace) != 0; }

// BertNormalizer's is_control: category C* other than \t \n \r.
bool is_control(char32_t cp) {
  if (cp == '\t' || cp == '\n' || cp == '\r') return false;
  return (record(cp).flags & kControl) != 0;
}

// BertNormalizer's is_chinese_char: these ranges exactly (tokenizers' list, which differs from Google BERT's by
// starting the fifth range at U+2B920).
bool is_chinese_char(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// Decodes one code point at text[i], advancing i. An encoded surrogate (ED A0..BF xx, as surrogatepass writes
// it) is one U+FFFD; any other invalid sequence is U+FFFD per maximal subpart.
char32_t decode_utf8(std::string_view text, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  const std::size_t left = text.size() - i;
  const auto cont = [&](std::size_t k) { return k < left && (byte(i + k) & 0xC0) == 0x80; };
  if (lead >= 0xC2 && lead <= 0xDF && cont(1)) {
    const char32_t cp = (static_cast<char32_t>(lead & 0x1F) << 6) | (byte(i + 1) & 0x3F);
    i += 2;
    return cp;
  }
  if (lead >= 0xE0 && lead <= 0xEF && cont(1)) {
    const unsigned char second = byte(i + 1);
    const bool valid_second = (lead == 0xE0) ? second >= 0xA0 : true;
    if (valid_second && cont(2)) {
      const char32_t cp = (static_cast<char32_t>(lead & 0x0F) << 12) | (static_cast<char32_t>(second & 0x3F) << 6) |
                          (byte(i + 2) & 0x3F);
      i += 3;
      return (cp >= 0xD800 && cp <= 0xDFFF) ? kReplacement : cp;
    }
    i += valid_second ? 2 : 1;
    return kReplacement;
  }
  if (lead >= 0xF0 && lead <= 0xF4 && cont(1)) {
    const unsigned char second = byte(i + 1);
    const bool valid_second = (lead == 0xF0) ? second >= 0x90 : (lead == 0xF4) ? second <= 0x8F : true;
    if (!valid_second) {
      ++i;
      return kReplacement;
    }
    if (!cont(2)) {
      i += 2;
      return kReplacement;
    }
    if (!cont(3)) {
      i += 3;
      return kReplacement;
    }
    const char32_t cp = (static_cast<char32_t>(lead & 0x07) << 18) | (static_cast<char32_t>(second & 0x3F) << 12) |
                        (static_cast<char32_t>(byte(i + 2) & 0x3F) << 6) | (byte(i + 3) & 0x3F);
    i += 4;
    return cp;
  }
  ++i;
  return kReplacement;
}

// The canonical decomposition of cp appended to out; Hangul syllables by the Unicode algorithm (ch. 3.12).
void decompose(char32_t cp, std::u32string& out) {
  constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
  constexpr char32_t kTCount = 28, kNCount = 21 * 28, kSCount = 19 * 21 * 28;
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const char32_t index = cp - kSBase;
    out.push_back(kLBase + index / kNCount);
    out.push_back(kVBase + (index % kNCount) / kTCount);
    if (index % kTCount != 0) out.push_back(kTBase + index % kTCount);
    return;
  }
  const WordPieceCharRecord& r = record(cp);
  if (r.nfd_length == 0) {
    out.push_back(cp);
  } else {
    out.append(kWordPiecePool + r.nfd_offset, r.nfd_length);
  }
}

}  // namespace

struct WordPieceTokenizer::Scratch {
  std::u32string chars;
  std::u32string work;
  std::string word;
  std::string piece;
  std::vector<std::size_t> bounds;
};

WordPieceTokenizer::WordPieceTokenizer(const std::vector<std::pair<std::string, std::int32_t>>& vocab,
                                       const std::string& unk_token, WordPieceOptions options,
                                       std::vector<AddedToken> added_tokens)
    : options_(std::move(options)), added_(std::move(added_tokens)) {
  if (vocab.empty()) throw std::invalid_argument("the WordPiece vocabulary is empty");
  vocab_.reserve(vocab.size());
  ids_.reserve(vocab.size());
  for (const auto& [token, id] : vocab) {
    if (id < 0) throw std::invalid_argument("vocabulary id of '" + token + "' is negative");
    if (!vocab_.insert(token).second) throw std::invalid_argument("vocabulary token '" + token + "' appears twice");
    ids_.push_back(id);
    longest_token_ = std::max(longest_token_, token.size());
  }
  // Every prefix of every entry (at character boundaries), with the entry's id where the prefix is one.
  for (const auto& [token, id] : vocab) {
    for (std::size_t end = 1; end <= token.size(); ++end) {
      if (end < token.size() && (static_cast<unsigned char>(token[end]) & 0xC0) == 0x80) continue;
      const auto [at, added] = prefixes_.insert(std::string_view(token).substr(0, end));
      if (added) prefix_ids_.push_back(StringTable::kMissing);
      if (end == token.size()) prefix_ids_[static_cast<std::size_t>(at)] = id;
    }
  }
  const std::int32_t unk = vocab_.find(unk_token);
  if (unk == StringTable::kMissing)
    throw std::invalid_argument("unk_token '" + unk_token + "' is not in the vocabulary; WordPiece needs it");
  unk_id_ = ids_[static_cast<std::size_t>(unk)];
  for (const AddedToken& token : added_) {
    if (token.content.empty()) throw std::invalid_argument("an added token is empty");
    if (token.id < 0) throw std::invalid_argument("added token '" + token.content + "' has a negative id");
    added_first_byte_[static_cast<unsigned char>(token.content[0])] = true;
  }
  // Longest first: the first match at a position is then the longest one there (leftmost-longest).
  std::stable_sort(added_.begin(), added_.end(),
                   [](const AddedToken& a, const AddedToken& b) { return a.content.size() > b.content.size(); });
}

std::int32_t WordPieceTokenizer::lookup(std::string_view piece) const {
  const std::int32_t index = vocab_.find(piece);
  return index == StringTable::kMissing ? StringTable::kMissing : ids_[static_cast<std::size_t>(index)];
}

// BertNormalizer::normalize: clean_text, handle_chinese_chars, strip_accents, lowercase, in that order.
void WordPieceTokenizer::normalize_into(std::string_view text, std::u32string& out, Scratch& scratch) const {
  out.clear();
  bool marks = false;  // a code point with a nonzero combining class: NFD must reorder
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = decode_utf8(text, i);
    if (options_.clean_text) {
      if (cp == 0 || cp == kReplacement || is_control(cp)) continue;
      if (is_whitespace(cp)) cp = ' ';
    }
    if (options_.handle_chinese_chars && is_chinese_char(cp)) {
      out.push_back(' ');
      out.push_back(cp);
      out.push_back(' ');
      continue;
    }
    out.push_back(cp);
  }
  if (options_.strip_accents) {
    std::u32string& nfd = scratch.work;
    nfd.clear();
    for (char32_t cp : out) decompose(cp, nfd);
    for (char32_t cp : nfd) marks = marks || record(cp).ccc != 0;
    if (marks) {  // canonical ordering: each run of non-starters stably sorted by combining class
      for (std::size_t i = 0; i < nfd.size();) {
        if (record(nfd[i]).ccc == 0) {
          ++i;
          continue;
        }
        std::size_t j = i;
        while (j < nfd.size() && record(nfd[j]).ccc != 0) ++j;
        std::stable_sort(nfd.begin() + static_cast<std::ptrdiff_t>(i), nfd.begin() + static_cast<std::ptrdiff_t>(j),
                         [](char32_t a, char32_t b) { return record(a).ccc < record(b).ccc; });
        i = j;
      }
    }
    out.clear();
    for (char32_t cp : nfd)
      if ((record(cp).flags & kNonspacing) == 0) out.push_back(cp);
  }
  if (options_.lowercase) {
    std::u32string& lowered = scratch.work;
    lowered.clear();
    for (char32_t cp : out) {
      if (cp < 0x80) {
        lowered.push_back((cp >= 'A' && cp <= 'Z') ? cp + 32 : cp);
        continue;
      }
      const WordPieceCharRecord& r = record(cp);
      if (r.lower_length == 0) {
        lowered.push_back(cp);
      } else {
        lowered.append(kWordPiecePool + r.lower_offset, r.lower_length);
      }
    }
    out.swap(lowered);
  }
}

// WordPiece::tokenize: greedy longest match from the left, continuing pieces prefixed; a word with a piece
// that matches nothing, or longer than max_input_chars_per_word, is one unknown token.
void WordPieceTokenizer::word_ids(const char32_t* begin, const char32_t* end, std::vector<std::int32_t>& ids,
                                  Scratch& scratch) const {
  if (static_cast<std::size_t>(end - begin) > options_.max_input_chars_per_word) {
    ids.push_back(unk_id_);
    return;
  }
  scratch.word.clear();
  scratch.bounds.clear();
  for (const char32_t* c = begin; c != end; ++c) {
    scratch.bounds.push_back(scratch.word.size());
    unicode::append_utf8(scratch.word, *c);
  }
  scratch.bounds.push_back(scratch.word.size());
  word_ids(ids, scratch);
}

// The greedy match of scratch.word, whose characters start at scratch.bounds (one more entry: its size).
void WordPieceTokenizer::word_ids(std::vector<std::int32_t>& ids, Scratch& scratch) const {
  const std::string& word = scratch.word;
  const std::vector<std::size_t>& bounds = scratch.bounds;
  const std::size_t chars = bounds.size() - 1;
  const std::string& prefix = options_.continuing_subword_prefix;
  const std::size_t first = ids.size();
  for (std::size_t start = 0; start < chars;) {
    std::string_view base;
    std::size_t extra = 0;  // bytes before the piece's own: the prefix of a continuing piece
    if (start == 0) {
      base = word;
    } else {
      scratch.piece.assign(prefix);
      scratch.piece.append(word, bounds[start], std::string::npos);
      base = scratch.piece;
      extra = prefix.size();
    }
    // The longest vocabulary piece at start: the whole rest when it is one, else the last hit of a forward scan
    // that ends at the first length no vocabulary entry begins with (every prefix of an entry is in prefixes_).
    std::int32_t found = StringTable::kMissing;
    std::size_t stop = chars;
    if (extra + bounds[chars] - bounds[start] <= longest_token_)
      found = lookup(base.substr(0, extra + word.size() - bounds[start]));
    if (found == StringTable::kMissing) {
      std::size_t best = start;
      for (std::size_t k = start + 1; k < chars; ++k) {
        const std::int32_t at = prefixes_.find(base.substr(0, extra + bounds[k] - bounds[start]));
        if (at == StringTable::kMissing) break;
        const std::int32_t id = prefix_ids_[static_cast<std::size_t>(at)];
        if (id != StringTable::kMissing) {
          found = id;
          best = k;
        }
      }
      stop = best;
    }
    if (found == StringTable::kMissing) {
      ids.resize(first);
      ids.push_back(unk_id_);
      return;
    }
    ids.push_back(found);
    start = stop;
  }
}

// An all-ASCII segment needs no normalisation tables: clean_text drops NUL, DEL and the C0 controls other than
// \t \n \r (which become ' '); no ASCII character is an ideograph, decomposes or is a nonspacing mark; lowercasing is
// A-Z only. BertPreTokenizer then splits at whitespace and isolates ASCII punctuation.
void WordPieceTokenizer::encode_ascii(std::string_view segment, std::size_t max_length, std::vector<std::int32_t>& ids,
                                      Scratch& scratch) const {
  std::string& word = scratch.word;
  std::vector<std::size_t>& bounds = scratch.bounds;
  word.clear();
  const auto flush = [&] {
    if (word.empty()) return;
    if (word.size() > options_.max_input_chars_per_word) {
      ids.push_back(unk_id_);
    } else {
      bounds.resize(word.size() + 1);
      for (std::size_t k = 0; k <= word.size(); ++k) bounds[k] = k;
      word_ids(ids, scratch);
    }
    word.clear();
  };
  for (std::size_t i = 0; i < segment.size() && ids.size() < max_length; ++i) {
    unsigned char c = static_cast<unsigned char>(segment[i]);
    const bool control = (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F;
    if (options_.clean_text && control) continue;  // \v and \f too: the filter runs before the space mapping
    if (c == ' ' || (c >= '\t' && c <= '\r')) {    // White_Space (U+001C..U+001F are not)
      flush();
      continue;
    }
    if (record(c).flags & kPunctuation) {
      flush();
      if (ids.size() >= max_length) break;
      word.push_back(static_cast<char>(c));
      flush();
      continue;
    }
    if (options_.lowercase && c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c + 32);
    word.push_back(static_cast<char>(c));
  }
  if (ids.size() < max_length) flush();
}

// Cuts the segment at ' ' \t \n \r, which every option keeps as whitespace (so the pre-tokenizer splits there,
// and NFD never reorders across them): all-ASCII stretches take the table-free path.
void WordPieceTokenizer::encode_segment(std::string_view segment, std::size_t max_length,
                                        std::vector<std::int32_t>& ids, Scratch& scratch) const {
  std::size_t start = 0;
  bool ascii = true;
  for (std::size_t i = 0; i <= segment.size() && ids.size() < max_length; ++i) {
    const unsigned char c = i < segment.size() ? static_cast<unsigned char>(segment[i]) : ' ';
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (i > start) {
        const std::string_view stretch = segment.substr(start, i - start);
        if (ascii) {
          encode_ascii(stretch, max_length, ids, scratch);
        } else {
          encode_unicode(stretch, max_length, ids, scratch);
        }
      }
      start = i + 1;
      ascii = true;
    } else if (c >= 0x80) {
      ascii = false;
    }
  }
}

void WordPieceTokenizer::encode_unicode(std::string_view segment, std::size_t max_length,
                                        std::vector<std::int32_t>& ids, Scratch& scratch) const {
  normalize_into(segment, scratch.chars, scratch);
  const std::u32string& chars = scratch.chars;
  // BertPreTokenizer: whitespace removed, each punctuation code point a word of its own.
  std::size_t word_start = 0;
  const auto flush = [&](std::size_t end) {
    if (end > word_start) word_ids(chars.data() + word_start, chars.data() + end, ids, scratch);
  };
  for (std::size_t i = 0; i < chars.size() && ids.size() < max_length; ++i) {
    const std::uint8_t flags = record(chars[i]).flags;
    if (flags & kWhitespace) {
      flush(i);
      word_start = i + 1;
    } else if (flags & kPunctuation) {
      flush(i);
      if (ids.size() < max_length) word_ids(chars.data() + i, chars.data() + i + 1, ids, scratch);
      word_start = i + 1;
    }
  }
  if (ids.size() < max_length) flush(chars.size());
}

void WordPieceTokenizer::encode(std::string_view text, std::size_t max_length, std::vector<std::int32_t>& ids) const {
  Scratch scratch;
  encode_text(text, max_length, ids, scratch);
}

// Added tokens first, as AddedVocabulary::extract_and_normalize: the leftmost-longest match in the raw text is
// the token's id, and each stretch between matches goes through the normaliser, pre-tokenizer and model alone.
void WordPieceTokenizer::encode_text(std::string_view text, std::size_t max_length, std::vector<std::int32_t>& ids,
                                     Scratch& scratch) const {
  const std::size_t first = ids.size();
  const std::size_t limit = max_length == 0 ? SIZE_MAX : first + max_length;
  std::size_t segment_start = 0;
  std::size_t i = 0;
  while (i < text.size() && ids.size() < limit) {
    if (!added_first_byte_[static_cast<unsigned char>(text[i])]) {
      ++i;
      continue;
    }
    const AddedToken* match = nullptr;
    for (const AddedToken& token : added_) {
      if (text.compare(i, token.content.size(), token.content) == 0) {
        match = &token;
        break;
      }
    }
    if (match == nullptr) {
      ++i;
      continue;
    }
    encode_segment(text.substr(segment_start, i - segment_start), limit, ids, scratch);
    if (ids.size() < limit) ids.push_back(match->id);
    i += match->content.size();
    segment_start = i;
  }
  if (ids.size() < limit) encode_segment(text.substr(segment_start), limit, ids, scratch);
  if (ids.size() > limit) ids.resize(limit);  // the last word's pieces may run past the limit
}

WordPieceIds WordPieceTokenizer::encode_batch(const std::vector<std::string_view>& texts, std::size_t max_length,
                                              std::size_t threads) const {
  WordPieceIds out;
  out.offsets.assign(texts.size() + 1, 0);
  std::size_t total_bytes = 0;
  for (std::string_view text : texts) total_bytes += text.size();
  // Below ~32 KiB of text per thread, starting a thread costs more than it saves.
  const std::size_t parts = std::max<std::size_t>(1, std::min(threads, total_bytes / 32768));
  const std::vector<std::size_t> bounds =
      split_by_weight(texts.size(), parts, [&](std::size_t t) { return texts[t].size(); });
  const std::size_t chunks = bounds.size() - 1;
  std::vector<std::vector<std::int32_t>> chunk_ids(chunks);
  run_chunks(chunks, [&](std::size_t chunk) {
    std::vector<std::int32_t>& ids = chunk == 0 ? out.ids : chunk_ids[chunk];
    Scratch scratch;
    for (std::size_t t = bounds[chunk]; t < bounds[chunk + 1]; ++t) {
      encode_text(texts[t], max_length, ids, scratch);
      out.offsets[t + 1] = static_cast<std::int64_t>(ids.size());  // local to the chunk until shifted below
    }
  });
  for (std::size_t chunk = 1; chunk < chunks; ++chunk) {
    const auto shift = static_cast<std::int64_t>(out.ids.size());
    for (std::size_t t = bounds[chunk]; t < bounds[chunk + 1]; ++t) out.offsets[t + 1] += shift;
    out.ids.insert(out.ids.end(), chunk_ids[chunk].begin(), chunk_ids[chunk].end());
  }
  return out;
}

std::string WordPieceTokenizer::normalize(std::string_view text) const {
  Scratch scratch;
  normalize_into(text, scratch.chars, scratch);
  std::string out;
  for (char32_t cp : scratch.chars) unicode::append_utf8(out, cp);
  return out;
}

std::vector<std::string> WordPieceTokenizer::pre_tokenize(std::string_view normalized) const {
  std::vector<std::string> words;
  std::string word;
  const auto flush = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (std::size_t i = 0; i < normalized.size();) {
    const char32_t cp = decode_utf8(normalized, i);
    const std::uint8_t flags = record(cp).flags;
    if (flags & kWhitespace) {
      flush();
    } else if (flags & kPunctuation) {
      flush();
      unicode::append_utf8(word, cp);
      flush();
    } else {
      unicode::append_utf8(word, cp);
    }
  }
  flush();
  return words;
}

std::vector<std::int32_t> WordPieceTokenizer::tokenize_word(std::string_view word) const {
  Scratch scratch;
  std::u32string chars;
  for (std::size_t i = 0; i < word.size();) chars.push_back(decode_utf8(word, i));
  std::vector<std::int32_t> ids;
  word_ids(chars.data(), chars.data() + chars.size(), ids, scratch);
  return ids;
}

}  // namespace sparsebolt
