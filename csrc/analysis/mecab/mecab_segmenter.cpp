// MecabSegmenter: the text rewrite before tagging and the tokens taken from the best path.
#include "analysis/mecab/mecab_segmenter.hpp"

#include <algorithm>
#include <stdexcept>

#include "analysis/languages.hpp"
#include "analysis/unicode.hpp"

namespace sparsebolt {

namespace {

// What Python's str.isspace() holds for (str.split()'s separators), from unicodedata: bidirectional class
// WS, B or S, or general category Zs.
bool is_python_space(char32_t c) noexcept {
  if (c <= 0x20) return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
  if (c < 0x85) return false;
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

// MeCab's tokenizeCSV on the first field: leading blanks skipped, a quoted field unquoted ("" is one quote).
std::string first_csv_field(std::string_view features) {
  std::size_t i = 0;
  while (i < features.size() && (features[i] == ' ' || features[i] == '\t')) ++i;
  std::string field;
  if (i < features.size() && features[i] == '"') {
    for (++i; i < features.size(); ++i) {
      if (features[i] == '"') {
        if (i + 1 >= features.size() || features[i + 1] != '"') break;
        ++i;
      }
      field.push_back(features[i]);
    }
    return field;
  }
  return std::string(features.substr(i, features.find(',', i) - i));
}

void append_pieces_at_whitespace(std::string_view surface, std::vector<std::string_view>& tokens) {
  std::size_t start = 0, pos = 0;
  while (pos < surface.size()) {
    const unicode::Decoded decoded = unicode::decode_utf8(surface.data(), surface.size(), pos);
    if (is_python_space(decoded.code_point)) {
      if (pos > start) tokens.push_back(surface.substr(start, pos - start));
      start = pos + decoded.length;
    }
    pos += decoded.length;
  }
  if (surface.size() > start) tokens.push_back(surface.substr(start));
}

}  // namespace

MecabSegmenter::MecabSegmenter(MecabSegmenterOptions options)
    : options_(std::move(options)), tagger_(options_.dictionary) {
  if (find_segmenter(options_.name).kind != SegmenterKind::kDictionary)  // unknown names: invalid_argument there
    throw std::invalid_argument("the segmenter '" + options_.name + "' does not run on a loaded dictionary");
  for (const std::string& character : options_.characters_to_space) {
    const unicode::Decoded decoded = character.empty() ? unicode::Decoded{unicode::kInvalid, 0}
                                                       : unicode::decode_utf8(character.data(), character.size(), 0);
    if (decoded.code_point == unicode::kInvalid || decoded.length != character.size())
      throw std::invalid_argument("characters_to_space must hold single characters, got '" + character + "'");
    if (decoded.code_point < 0x80) ascii_to_space_[decoded.code_point] = true;
    characters_to_space_.push_back(decoded.code_point);
  }
  std::sort(characters_to_space_.begin(), characters_to_space_.end());
  for (const std::string& pos : options_.keep_pos)
    if (pos.empty() || pos.find_first_of(",+") != std::string::npos)
      throw std::invalid_argument("keep_pos must hold part-of-speech tags such as 'NNG' (no ',' or '+'), got '" + pos +
                                  "'");
  keep_system_ = kept_entries(tagger_.system());
  keep_unknown_ = kept_entries(tagger_.unknown());
}

std::vector<unsigned char> MecabSegmenter::kept_entries(const mecab::CompiledDictionary& dictionary) const {
  std::vector<unsigned char> keep(dictionary.entry_count(), 1);
  if (options_.keep_pos.empty()) return keep;
  for (std::size_t i = 0; i < keep.size(); ++i) {
    const std::string field = first_csv_field(dictionary.features(dictionary.entry(i)));
    const std::string_view pos = std::string_view(field).substr(0, field.find('+'));
    keep[i] = std::find(options_.keep_pos.begin(), options_.keep_pos.end(), pos) != options_.keep_pos.end();
  }
  return keep;
}

bool MecabSegmenter::to_space(char32_t code_point) const noexcept {
  return std::binary_search(characters_to_space_.begin(), characters_to_space_.end(), code_point);
}

std::string_view MecabSegmenter::readable(std::string_view text, std::string& scratch) const {
  bool rewriting = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto byte = static_cast<unsigned char>(text[pos]);
    std::size_t length = 1;
    bool blank = false;
    if (byte < 0x80) {
      blank = byte == 0 || ascii_to_space_[byte];
    } else {
      const unicode::Decoded decoded = unicode::decode_utf8(text.data(), text.size(), pos);
      length = decoded.length;
      blank = decoded.code_point == unicode::kInvalid || to_space(decoded.code_point);
    }
    if (blank && !rewriting) {
      scratch.assign(text.data(), pos);
      rewriting = true;
    }
    if (blank) {
      scratch.push_back(' ');
    } else if (rewriting) {
      scratch.append(text.data() + pos, length);
    }
    pos += length;
  }
  return rewriting ? std::string_view(scratch) : text;
}

void MecabSegmenter::segment(std::string_view text, std::string& scratch, std::vector<std::string_view>& tokens) const {
  // Per thread, reused across texts: the lattice grows to the longest text seen, so a huge one is let go.
  thread_local mecab::Lattice lattice;
  thread_local std::vector<mecab::Morpheme> path;
  tokens.clear();
  const std::string_view readable_text = readable(text, scratch);
  tagger_.tag(readable_text, lattice, path);
  for (const mecab::Morpheme& morpheme : path) {
    const std::vector<unsigned char>& keep = morpheme.unknown ? keep_unknown_ : keep_system_;
    if (!keep[morpheme.entry]) continue;
    const std::string_view surface = readable_text.substr(morpheme.begin, morpheme.length);
    if (options_.split_at_whitespace) {
      append_pieces_at_whitespace(surface, tokens);
    } else {
      tokens.push_back(surface);
    }
  }
  constexpr std::size_t kKeptNodes = std::size_t{1} << 20;
  if (lattice.nodes.capacity() > kKeptNodes) lattice = mecab::Lattice{};
}

}  // namespace sparsebolt
