// Segmenters that run on loaded data (a word dictionary, a lattice model), built once and shared read-only by
// every worker thread. Languages written without spaces (Chinese, Japanese, Korean) segment this way; their
// tokens then take the analyzer's lowercase -> stopword -> stem path like any other.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sparsebolt {

class DictionarySegmenter {
 public:
  virtual ~DictionarySegmenter() = default;

  // The segmenter table's name for it ("jieba"): an analyzer whose options name that row takes this object.
  virtual std::string_view name() const noexcept = 0;

  // Replaces `tokens` with the surface tokens of `text` in text order: views into `text`, or into `scratch`
  // where the segmenter rewrites the text first; valid until the next call with the same scratch. Thread-safe:
  // the segmenter itself is never modified. Empty tokens are allowed and skipped by the analyzer.
  virtual void segment(std::string_view text, std::string& scratch, std::vector<std::string_view>& tokens) const = 0;
};

}  // namespace sparsebolt
