// The fitted BM25 model: idf from statistics (with pymilvus-model's epsilon floor), or restored from a save.
#include "bm25/model.hpp"

#include <stdexcept>

namespace sparsebolt {

Bm25Model Bm25Model::from_statistics(const CorpusStatistics& stats, Bm25Parameters params) {
  if (stats.document_count == 0) throw std::invalid_argument("cannot fit BM25 on an empty corpus");
  if (stats.terms.size() == 0)
    throw std::invalid_argument("the corpus has no terms after analysis (every document is empty or stopwords)");
  Bm25Model model;
  model.params_ = params;
  model.document_count_ = stats.document_count;
  model.average_length_ = static_cast<double>(stats.total_length) / static_cast<double>(stats.document_count);
  const std::vector<std::int32_t> order = stats.term_order();
  model.terms_.reserve(order.size());
  model.idf_.resize(order.size());
  // Summed in vocabulary order, as pymilvus-model sums, so the epsilon floor matches to the last bit.
  double idf_sum = 0;
  for (std::size_t id = 0; id < order.size(); ++id) {
    const auto source = static_cast<std::size_t>(order[id]);
    model.terms_.insert(stats.terms.key(order[id]));
    model.idf_[id] = idf_robertson(stats.document_count, stats.document_frequency[source]);
    idf_sum += model.idf_[id];
  }
  const double floor = params.epsilon * (idf_sum / static_cast<double>(model.idf_.size()));
  for (double& idf : model.idf_)
    if (idf < 0) idf = floor;
  return model;
}

Bm25Model Bm25Model::from_saved(const std::vector<std::string>& terms, std::vector<double> idf,
                                std::int64_t document_count, double average_length, Bm25Parameters params) {
  if (terms.size() != idf.size())
    throw std::invalid_argument("idf_word and idf_value have different lengths (" + std::to_string(terms.size()) +
                                " vs " + std::to_string(idf.size()) + ")");
  Bm25Model model;
  model.terms_.reserve(terms.size());
  for (const std::string& term : terms) {
    if (!model.terms_.insert(term).second) throw std::invalid_argument("duplicate term in idf_word: '" + term + "'");
  }
  model.idf_ = std::move(idf);
  model.document_count_ = document_count;
  model.average_length_ = average_length;
  model.params_ = params;
  return model;
}

}  // namespace sparsebolt
