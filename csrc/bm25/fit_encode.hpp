// fit followed by encoding the same documents, analyzing each document once: the analyzed terms of the
// first pass are kept (as chunk-local ids, 4 bytes per token) and scored once the model exists.
#pragma once

#include <vector>

#include "analysis/analyzer.hpp"
#include "bm25/encode.hpp"
#include "bm25/model.hpp"
#include "bm25/statistics.hpp"

namespace sparsebolt {

struct FitEncoded {
  Bm25Model model;
  std::vector<CsrPiece> pieces;
};

// Each gives the model and document vectors of fit then encode (kDocument) over `batch`; `stats` gains the
// batch's counts as CorpusStatistics::append(count_...(...)) would add them, and stays as it was on error.
FitEncoded fit_encode_texts(const Analyzer& analyzer, const TextBatch& batch, CorpusStatistics& stats,
                            Bm25Parameters params, std::size_t threads);
// Tokens that are terms already.
FitEncoded fit_encode_tokens(const TokenBatch& batch, CorpusStatistics& stats, Bm25Parameters params,
                             std::size_t threads);
// An external segmenter's tokens, turned into terms by `analyzer`.
FitEncoded fit_encode_tokens(const Analyzer& analyzer, const TokenBatch& batch, CorpusStatistics& stats,
                             Bm25Parameters params, std::size_t threads);

}  // namespace sparsebolt
