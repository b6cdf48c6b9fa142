// BM25 encoding: each chunk of a batch becomes one CSR piece on its own thread; and the single-query path.
#include "bm25/encode.hpp"

#include "bm25/batches.hpp"
#include "bm25/rows.hpp"
#include "bm25/terms.hpp"
#include "parallel.hpp"

namespace sparsebolt {
namespace detail {

void emit_row(const Bm25Model& model, EncodeSide side, RowCounter& counter, std::int64_t length, CsrPiece& piece) {
  const std::size_t before = piece.indices.size();
  const Bm25Parameters& params = model.parameters();
  if (side == EncodeSide::kDocument) {
    // Most terms occur once or twice in a document: their values are computed once per row.
    const double norm = length_norm(params, length, model.average_length());
    const float once = static_cast<float>(tf_saturation(params, 1, norm));
    const float twice = static_cast<float>(tf_saturation(params, 2, norm));
    counter.drain([&](std::int32_t id, std::uint32_t occurrences) {
      piece.indices.push_back(id);
      piece.data.push_back(occurrences == 1   ? once
                           : occurrences == 2 ? twice
                                              : static_cast<float>(tf_saturation(params, occurrences, norm)));
    });
  } else {
    counter.drain([&](std::int32_t id, std::uint32_t occurrences) {
      // A repeated query term counts once per occurrence, summed in double as scipy sums duplicates.
      const double idf = model.idf()[static_cast<std::size_t>(id)];
      double value = idf;
      for (std::uint32_t k = 1; k < occurrences; ++k) value += idf;
      piece.indices.push_back(id);
      piece.data.push_back(static_cast<float>(value));
    });
  }
  piece.row_nnz.push_back(static_cast<std::int64_t>(piece.indices.size() - before));
}

}  // namespace detail

namespace {

template <class Batch>
std::vector<CsrPiece> encode_batch(const Bm25Model& model, const Analyzer* analyzer, const Batch& batch,
                                   EncodeSide side, std::size_t threads) {
  const std::vector<std::size_t> bounds = detail::chunk_bounds(batch, threads);
  const std::size_t chunks = bounds.size() - 1;
  std::vector<CsrPiece> pieces(chunks);
  run_chunks(chunks, [&](std::size_t c) {
    const std::size_t begin = bounds[c], end = bounds[c + 1];
    pieces[c] = detail::with_terms(analyzer, batch, detail::model_vocabulary(model), [&](auto& terms) {
      return detail::encode_range(model, side, begin, end, detail::expected_nonzeros(batch, begin, end),
                                  [&](std::size_t doc, auto&& on_term) { terms.for_document(doc, on_term); });
    });
  });
  return pieces;
}

}  // namespace

std::vector<CsrPiece> encode_texts(const Bm25Model& model, const Analyzer& analyzer, const TextBatch& batch,
                                   EncodeSide side, std::size_t threads) {
  return encode_batch(model, &analyzer, batch, side, threads);
}

std::vector<CsrPiece> encode_tokens(const Bm25Model& model, const TokenBatch& batch, EncodeSide side,
                                    std::size_t threads) {
  return encode_batch(model, nullptr, batch, side, threads);
}

std::vector<CsrPiece> encode_tokens(const Bm25Model& model, const Analyzer& analyzer, const TokenBatch& batch,
                                    EncodeSide side, std::size_t threads) {
  return encode_batch(model, &analyzer, batch, side, threads);
}

void encode_query_text(const Bm25Model& model, const Analyzer& analyzer, std::string_view text,
                       std::vector<std::pair<std::int32_t, float>>& out) {
  thread_local std::string scratch, term;
  detail::RowCounter counter(model.dim(), false);
  auto vocabulary = detail::model_vocabulary(model);
  analyzer.for_each_surface_token(text, scratch, [&](std::string_view surface) {
    const std::int32_t id = detail::term_id_of(analyzer, surface, term, vocabulary);
    if (id >= 0) counter.add(id);
  });
  CsrPiece piece;
  detail::emit_row(model, EncodeSide::kQuery, counter, 0, piece);
  out.clear();
  for (std::size_t i = 0; i < piece.indices.size(); ++i) out.emplace_back(piece.indices[i], piece.data[i]);
}

}  // namespace sparsebolt
