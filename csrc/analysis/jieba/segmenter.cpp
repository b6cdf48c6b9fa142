// The block split of Tokenizer.cut and __cut_DAG's route and walk (jieba/__init__.py), on symbols decoded once
// per block; the tokens are byte ranges of the text.
#include "analysis/jieba/segmenter.hpp"

#include <cstdint>
#include <utility>

#include "analysis/unicode.hpp"

namespace sparsebolt {

using jieba::Dictionary;
using jieba::Symbol;

// One block's symbols, the byte offset of each (and of its end), and calc()'s route; reused per thread.
struct JiebaSegmenter::Block {
  std::vector<Symbol> symbols;
  std::vector<std::size_t> offsets;
  std::vector<double> score;        // route[i][0]
  std::vector<std::uint32_t> last;  // route[i][1]: the last character of the best word from i
};

JiebaSegmenter::JiebaSegmenter(Dictionary dictionary, jieba::Hmm hmm)
    : dictionary_(std::move(dictionary)), hmm_(std::move(hmm)) {}

void JiebaSegmenter::segment(std::string_view text, std::string& /*scratch*/,
                             std::vector<std::string_view>& tokens) const {
  thread_local Block block;
  tokens.clear();
  const char* data = text.data();
  const std::size_t size = text.size();
  const auto decode = [&](std::size_t pos) {
    const auto byte = static_cast<unsigned char>(data[pos]);
    return byte < 0x80 ? unicode::Decoded{byte, 1} : unicode::decode_utf8(data, size, pos);
  };
  for (std::size_t pos = 0; pos < size;) {
    unicode::Decoded decoded = decode(pos);
    if (jieba::is_block_char(decoded.code_point)) {
      block.symbols.clear();
      block.offsets.clear();
      do {
        block.symbols.push_back(jieba::symbol_of(decoded.code_point));
        block.offsets.push_back(pos);
        pos += decoded.length;
        if (pos == size) break;
        decoded = decode(pos);
      } while (jieba::is_block_char(decoded.code_point));
      block.offsets.push_back(pos);
      cut_block(text, block, tokens);
      continue;
    }
    // Outside blocks every character is a token alone (re_skip_default's pieces). Whitespace tokens are dropped,
    // and NUL, lone surrogates and invalid UTF-8 separate as spaces do.
    const char32_t c = decoded.code_point;
    if (c != unicode::kInvalid && c != 0 && !jieba::is_python_space(c))
      tokens.push_back(text.substr(pos, decoded.length));
    pos += decoded.length;
  }
}

void JiebaSegmenter::cut_block(std::string_view text, Block& block, std::vector<std::string_view>& tokens) const {
  const Symbol* symbols = block.symbols.data();
  const std::size_t n = block.symbols.size();
  const auto emit = [&](std::size_t begin, std::size_t end) {
    tokens.push_back(text.substr(block.offsets[begin], block.offsets[end] - block.offsets[begin]));
  };

  // calc(): route[idx] = max((log(FREQ[word] or 1) - logtotal + route[x + 1][0], x) for x in DAG[idx]), from the
  // end. DAG[idx] is every x whose sentence[idx:x + 1] is a word (walked in the trie while it is a prefix), or
  // idx alone; x ascends, so >= keeps the larger x on equal scores, as max() over tuples does.
  block.score.resize(n + 1);
  block.last.resize(n + 1);
  block.score[n] = 0.0;
  block.last[n] = 0;
  for (std::size_t idx = n; idx-- > 0;) {
    double best = 0.0;
    std::size_t best_last = n;  // none yet
    Dictionary::Node node = dictionary_.first(symbols[idx]);
    for (std::size_t x = idx; node != Dictionary::kNoNode;) {
      if (dictionary_.is_word(node)) {
        const double score = dictionary_.weight(node) + block.score[x + 1];
        if (best_last == n || score >= best) {
          best = score;
          best_last = x;
        }
      }
      if (++x == n) break;
      node = dictionary_.next(node, symbols[x]);
    }
    if (best_last == n) {
      best = dictionary_.unknown_weight() + block.score[idx + 1];
      best_last = idx;
    }
    block.score[idx] = best;
    block.last[idx] = static_cast<std::uint32_t>(best_last);
  }

  // A run of single characters (buf) is one token when it is one character, characters one by one when it is a
  // word itself, else what the HMM makes of it.
  const auto flush = [&](std::size_t begin, std::size_t end) {
    if (end - begin == 1) {
      emit(begin, end);
    } else {
      const Dictionary::Node node = dictionary_.find(symbols + begin, end - begin);
      if (node != Dictionary::kNoNode && dictionary_.is_word(node)) {
        for (std::size_t i = begin; i < end; ++i) emit(i, i + 1);
      } else {
        hmm_.cut(symbols + begin, end - begin, [&](std::size_t b, std::size_t e) { emit(begin + b, begin + e); });
      }
    }
  };
  std::size_t buffered = n;  // the start of the current run of single characters; n when there is none
  for (std::size_t x = 0; x < n;) {
    const std::size_t y = block.last[x] + 1;
    if (y - x == 1) {
      if (buffered == n) buffered = x;
    } else {
      if (buffered != n) flush(buffered, x);
      buffered = n;
      emit(x, y);
    }
    x = y;
  }
  if (buffered != n) flush(buffered, n);
}

}  // namespace sparsebolt
