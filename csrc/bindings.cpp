// The file that talks to Python (a dictionary segmenter's class is bound in its own bindings_<name>.cpp): turns
// whole batches of str into UTF-8 views, runs the core with the GIL released, and hands CSR buffers back as numpy
// arrays. No per-token or per-document Python calls.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "analysis/analyzer.hpp"
#include "analysis/dictionary_segmenter.hpp"
#include "analysis/languages.hpp"
#include "analysis/stemmer_english.hpp"
#include "analysis/stemmer_snowball.hpp"
#include "analysis/unicode.hpp"
#include "bindings_parts.hpp"
#include "bm25/encode.hpp"
#include "bm25/fit_encode.hpp"
#include "bm25/model.hpp"
#include "bm25/statistics.hpp"
#include "parallel.hpp"

namespace py = pybind11;
using namespace sparsebolt;
using binding::throw_not_str;
using binding::type_name;
using binding::utf8_view;

namespace {

// UTF-8 views into Python strings, valid while `owners` lives. str objects cache their UTF-8 form,
// so ASCII and already-encoded strings cost no copy.
struct Utf8Batch {
  std::vector<std::string_view> views;
  std::vector<py::object> owners;
};

py::object as_sequence(py::handle items, const char* what) {
  if (PyUnicode_Check(items.ptr()) || PyBytes_Check(items.ptr()))
    throw py::type_error(std::string(what) + " must be a list of str, not a single string; wrap it in a list");
  PyObject* fast = PySequence_Fast(items.ptr(), "");
  if (fast == nullptr) {
    PyErr_Clear();
    throw py::type_error(std::string(what) + " must be a list of str, got " + type_name(items));
  }
  return py::reinterpret_steal<py::object>(fast);
}

Utf8Batch utf8_batch(py::handle items, const char* what, std::size_t position_offset) {
  py::object sequence = as_sequence(items, what);
  const Py_ssize_t count = PySequence_Fast_GET_SIZE(sequence.ptr());
  PyObject** elements = PySequence_Fast_ITEMS(sequence.ptr());
  Utf8Batch batch;
  batch.views.reserve(static_cast<std::size_t>(count));
  batch.owners.push_back(sequence);
  for (Py_ssize_t i = 0; i < count; ++i) {
    py::handle item(elements[i]);
    if (!PyUnicode_Check(item.ptr())) throw_not_str(what, position_offset + static_cast<std::size_t>(i), item);
    batch.views.push_back(utf8_view(item, batch.owners));
  }
  return batch;
}

// Token lists from a user's Python analyzer or segmenter (`source`, for errors), flattened into one batch of views.
struct TokenListBatch {
  TokenBatch batch;
  std::vector<py::object> owners;
};

// A token holding lone surrogates (encoded by utf8_view as ED A0..BF xx) is split there: they are separators in
// tokens as in texts, so no term ever holds bytes that are not UTF-8. Valid UTF-8 never contains ED A0..BF.
void push_token_pieces(std::string_view token, std::vector<std::string_view>& tokens) {
  std::size_t start = 0;
  for (std::size_t i = 0; i + 2 < token.size(); ++i) {
    if (static_cast<unsigned char>(token[i]) == 0xED && static_cast<unsigned char>(token[i + 1]) >= 0xA0) {
      if (i > start) tokens.push_back(token.substr(start, i - start));
      start = i + 3;
      i += 2;
    }
  }
  if (start == 0) {
    tokens.push_back(token);
  } else if (start < token.size()) {
    tokens.push_back(token.substr(start));
  }
}

TokenListBatch token_list_batch(py::handle token_lists, std::size_t position_offset, const char* source) {
  py::object documents = as_sequence(token_lists, "token lists");
  const Py_ssize_t count = PySequence_Fast_GET_SIZE(documents.ptr());
  PyObject** elements = PySequence_Fast_ITEMS(documents.ptr());
  TokenListBatch out;
  out.owners.push_back(documents);
  out.batch.offsets.reserve(static_cast<std::size_t>(count) + 1);
  for (Py_ssize_t d = 0; d < count; ++d) {
    const std::size_t position = position_offset + static_cast<std::size_t>(d);
    py::handle tokens_obj(elements[d]);
    if (PyUnicode_Check(tokens_obj.ptr()) || !PySequence_Check(tokens_obj.ptr()))
      throw py::type_error(std::string(source) + " returned " + type_name(tokens_obj) + " for document " +
                           std::to_string(position) + "; it must return a list of str");
    py::object tokens = py::reinterpret_steal<py::object>(PySequence_Fast(tokens_obj.ptr(), ""));
    if (!tokens) throw py::error_already_set();
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(tokens.ptr());
    PyObject** items = PySequence_Fast_ITEMS(tokens.ptr());
    for (Py_ssize_t t = 0; t < n; ++t) {
      py::handle token(items[t]);
      if (!PyUnicode_Check(token.ptr()))
        throw py::type_error(std::string(source) + " returned a token of type " + type_name(token) + " for document " +
                             std::to_string(position) + "; tokens must be str");
      push_token_pieces(utf8_view(token, out.owners), out.batch.tokens);
    }
    out.owners.push_back(std::move(tokens));
    out.batch.offsets.push_back(out.batch.tokens.size());
  }
  return out;
}

std::size_t resolve_threads(int num_threads) {
  if (num_threads > 0) return static_cast<std::size_t>(num_threads);
  if (num_threads < 0) throw py::value_error("num_threads must be positive, or 0 for all cores");
  return std::max(1u, std::thread::hardware_concurrency());
}

// Concatenates the per-thread pieces into numpy (data, indices, indptr). One index dtype for both
// arrays, int32 while it fits, so scipy wraps them without a copy.
template <class Index>
py::tuple assemble_csr_as(const std::vector<CsrPiece>& pieces, std::size_t rows, std::size_t nnz) {
  py::array_t<float> data(static_cast<py::ssize_t>(nnz));
  py::array_t<Index> indices(static_cast<py::ssize_t>(nnz));
  py::array_t<Index> indptr(static_cast<py::ssize_t>(rows + 1));
  float* data_out = data.mutable_data();
  Index* indices_out = indices.mutable_data();
  Index* indptr_out = indptr.mutable_data();
  {
    py::gil_scoped_release release;
    std::size_t at = 0;
    std::size_t row = 0;
    indptr_out[0] = 0;
    for (const CsrPiece& piece : pieces) {
      if (!piece.data.empty()) std::memcpy(data_out + at, piece.data.data(), piece.data.size() * sizeof(float));
      for (std::size_t i = 0; i < piece.indices.size(); ++i) indices_out[at + i] = static_cast<Index>(piece.indices[i]);
      for (std::int64_t row_nnz : piece.row_nnz) {
        indptr_out[row + 1] = static_cast<Index>(indptr_out[row] + row_nnz);
        ++row;
      }
      at += piece.data.size();
    }
  }
  return py::make_tuple(data, indices, indptr);
}

// A numpy array that owns `values`: no copy, and the vector's memory is freed with the array.
template <class T>
py::array_t<T> adopt(std::vector<T>&& values) {
  auto* owned = new std::vector<T>(std::move(values));
  py::capsule owner(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(static_cast<py::ssize_t>(owned->size()), owned->data(), owner);
}

// One piece (one thread's output) becomes the arrays themselves: at 25M non-zeros that saves ~200 MB of copying
// and of peak memory.
py::tuple adopt_csr(CsrPiece&& piece) {
  std::vector<std::int32_t> indptr(piece.row_nnz.size() + 1);
  indptr[0] = 0;
  for (std::size_t row = 0; row < piece.row_nnz.size(); ++row)
    indptr[row + 1] = static_cast<std::int32_t>(indptr[row] + piece.row_nnz[row]);
  return py::make_tuple(adopt(std::move(piece.data)), adopt(std::move(piece.indices)), adopt(std::move(indptr)));
}

py::tuple assemble_csr(std::vector<CsrPiece>&& pieces) {
  std::size_t rows = 0, nnz = 0;
  for (const CsrPiece& piece : pieces) {
    rows += piece.row_nnz.size();
    nnz += piece.data.size();
  }
  if (nnz <= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    if (pieces.size() == 1) return adopt_csr(std::move(pieces[0]));
    return assemble_csr_as<std::int32_t>(pieces, rows, nnz);
  }
  return assemble_csr_as<std::int64_t>(pieces, rows, nnz);
}

py::tuple model_and_csr(FitEncoded&& fitted) {
  py::tuple csr = assemble_csr(std::move(fitted.pieces));
  return py::make_tuple(std::make_shared<Bm25Model>(std::move(fitted.model)), csr);
}

EncodeSide side_of(bool query) { return query ? EncodeSide::kQuery : EncodeSide::kDocument; }

// Who made a batch of token lists: a segmenter's tokens still go through `analyzer`; an analyzer's are terms.
const char* token_source(const Analyzer* analyzer) { return analyzer != nullptr ? "the segmenter" : "the analyzer"; }

// The segmenters' names whose kind is one of `kinds` (never the generic "external").
std::vector<std::string> segmenter_names(std::initializer_list<SegmenterKind> kinds) {
  std::vector<std::string> names;
  for (const Segmenter& row : segmenters())
    for (SegmenterKind kind : kinds)
      if (row.kind == kind && row.name != "external") names.emplace_back(row.name);
  return names;
}

// A dictionary segmenter's tokens for each text, for tests and inspection: the texts split across threads.
std::vector<std::vector<std::string>> segment_texts(const DictionarySegmenter& segmenter, py::handle texts,
                                                    int num_threads) {
  const std::size_t threads = resolve_threads(num_threads);
  Utf8Batch batch = utf8_batch(texts, "texts", 0);
  std::vector<std::vector<std::string>> out(batch.views.size());
  py::gil_scoped_release release;
  const std::size_t parts = std::min<std::size_t>(threads, std::max<std::size_t>(1, out.size()));
  const std::vector<std::size_t> bounds =
      split_by_weight(out.size(), parts, [&](std::size_t i) { return batch.views[i].size() + 1; });
  run_chunks(bounds.size() - 1, [&](std::size_t chunk) {
    std::string scratch;
    std::vector<std::string_view> tokens;
    for (std::size_t i = bounds[chunk]; i < bounds[chunk + 1]; ++i) {
      segmenter.segment(batch.views[i], scratch, tokens);
      for (std::string_view token : tokens)
        if (!token.empty()) out[i].emplace_back(token);
    }
  });
  return out;
}

// Stems each word with `stem`, the GIL released (for tests and inspection).
std::vector<std::string> stem_all(void (*stem)(std::string&), std::vector<std::string> words) {
  py::gil_scoped_release release;
  if (stem != nullptr)
    for (std::string& word : words) stem(word);
  return words;
}

std::string_view text_view(py::handle text, std::vector<py::object>& owners) {
  if (PyUnicode_Check(text.ptr())) return utf8_view(text, owners);
  if (PyBytes_Check(text.ptr()))
    return {PyBytes_AS_STRING(text.ptr()), static_cast<std::size_t>(PyBytes_GET_SIZE(text.ptr()))};
  throw py::type_error("text must be str (or UTF-8 bytes), got " +
                       (text.is_none() ? std::string("None") : type_name(text)));
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "sparsebolt's native core: analyzer, BM25 statistics and encoding (private; use sparsebolt.model)";
  m.attr("__version__") = SPARSEBOLT_VERSION;
  m.attr("UNICODE_VERSION") = unicode::tables_version();
  bind_static_embedding(m);
  bind_wordpiece(m);

  // Concrete dictionary segmenters (jieba, MeCab) are bound as subclasses of this one.
  py::class_<DictionarySegmenter, std::shared_ptr<DictionarySegmenter>>(
      m, "DictionarySegmenter", "A segmenter on loaded data; give it to Analyzer(segmenter=its name, dictionary=it).")
      .def_property_readonly("name", [](const DictionarySegmenter& self) { return std::string(self.name()); })
      .def(
          "segment",
          [](const DictionarySegmenter& self, py::handle texts, int num_threads) {
            return segment_texts(self, texts, num_threads);
          },
          py::arg("texts"), py::kw_only(), py::arg("num_threads") = 0,
          "One list of surface tokens per text (empty tokens dropped), the GIL released.");
  bind_jieba(m);
  bind_mecab(m);

  py::class_<Analyzer, std::shared_ptr<Analyzer>>(m, "Analyzer")
      .def(py::init([](bool lowercase, std::vector<std::string> stopwords, const std::string& stemmer,
                       const std::string& segmenter, std::shared_ptr<DictionarySegmenter> dictionary) {
             return std::make_shared<Analyzer>(
                 AnalyzerOptions{lowercase, std::move(stopwords), stemmer, segmenter, std::move(dictionary)});
           }),
           py::kw_only(), py::arg("lowercase"), py::arg("stopwords"), py::arg("stemmer"),
           py::arg("segmenter") = "letters_digits", py::arg("dictionary") = nullptr)
      .def(
          "analyze",
          [](const Analyzer& self, py::handle text) {
            std::vector<py::object> owners;
            const std::string_view view = text_view(text, owners);
            py::gil_scoped_release release;
            return self.analyze(view);
          },
          py::arg("text"))
      .def(
          "analyze_tokens",
          [](const Analyzer& self, py::handle tokens) {
            TokenListBatch batch = token_list_batch(py::make_tuple(tokens), 0, "the segmenter");
            py::gil_scoped_release release;
            return self.analyze_tokens(batch.batch.tokens);
          },
          py::arg("tokens"))
      .def_property_readonly("lowercase", [](const Analyzer& self) { return self.options().lowercase; })
      .def_property_readonly("stopwords", [](const Analyzer& self) { return self.options().stopwords; })
      .def_property_readonly("stemmer", [](const Analyzer& self) { return self.options().stemmer; })
      .def_property_readonly("segmenter", [](const Analyzer& self) { return self.options().segmenter; });

  py::class_<CorpusStatistics, std::shared_ptr<CorpusStatistics>>(m, "CorpusStatistics")
      .def(py::init([](std::uint64_t shard) {
             auto stats = std::make_shared<CorpusStatistics>();
             stats->shard = shard;
             return stats;
           }),
           py::kw_only(), py::arg("shard") = 0)
      .def(
          "add_texts",
          [](CorpusStatistics& self, const Analyzer& analyzer, py::handle texts, int num_threads,
             std::size_t position_offset) {
            const std::size_t threads = resolve_threads(num_threads);
            Utf8Batch batch = utf8_batch(texts, "corpus", position_offset);
            py::gil_scoped_release release;
            self.append(count_texts(analyzer, TextBatch{std::move(batch.views)}, threads));
          },
          py::arg("analyzer"), py::arg("texts"), py::kw_only(), py::arg("num_threads") = 0,
          py::arg("position_offset") = 0)
      .def(
          "add_token_lists",
          [](CorpusStatistics& self, py::handle token_lists, const Analyzer* analyzer, int num_threads,
             std::size_t position_offset) {
            const std::size_t threads = resolve_threads(num_threads);
            TokenListBatch batch = token_list_batch(token_lists, position_offset, token_source(analyzer));
            py::gil_scoped_release release;
            self.append(analyzer != nullptr ? count_tokens(*analyzer, batch.batch, threads)
                                            : count_tokens(batch.batch, threads));
          },
          py::arg("token_lists"), py::kw_only(), py::arg("analyzer") = py::none(), py::arg("num_threads") = 0,
          py::arg("position_offset") = 0)
      .def("merge", &CorpusStatistics::merge, py::arg("other"), py::call_guard<py::gil_scoped_release>())
      .def("to_bytes", [](const CorpusStatistics& self) { return py::bytes(self.serialize()); })
      .def_static(
          "from_bytes",
          [](const py::bytes& data) {
            const std::string_view view = data;
            return std::make_shared<CorpusStatistics>(CorpusStatistics::deserialize(view));
          },
          py::arg("data"))
      .def_readonly("shard", &CorpusStatistics::shard)
      .def_readonly("document_count", &CorpusStatistics::document_count)
      .def_readonly("total_length", &CorpusStatistics::total_length)
      .def_property_readonly("vocabulary_size", [](const CorpusStatistics& self) { return self.terms.size(); });

  py::class_<Bm25Model, std::shared_ptr<Bm25Model>>(m, "Bm25Model")
      .def_static(
          "from_statistics",
          [](const CorpusStatistics& stats, double k1, double b, double epsilon) {
            return std::make_shared<Bm25Model>(Bm25Model::from_statistics(stats, Bm25Parameters{k1, b, epsilon}));
          },
          py::arg("statistics"), py::kw_only(), py::arg("k1"), py::arg("b"), py::arg("epsilon"))
      .def_static(
          "from_saved",
          [](const std::vector<std::string>& terms, const py::array_t<double, py::array::c_style>& idf,
             std::int64_t document_count, double average_length, double k1, double b, double epsilon) {
            if (idf.ndim() != 1) throw py::value_error("idf must be one-dimensional");
            std::vector<double> values(idf.data(), idf.data() + idf.size());
            return std::make_shared<Bm25Model>(Bm25Model::from_saved(terms, std::move(values), document_count,
                                                                     average_length, Bm25Parameters{k1, b, epsilon}));
          },
          py::arg("terms"), py::arg("idf"), py::kw_only(), py::arg("document_count"), py::arg("average_length"),
          py::arg("k1"), py::arg("b"), py::arg("epsilon"))
      .def_property_readonly("dim", &Bm25Model::dim)
      .def_property_readonly("document_count", &Bm25Model::document_count)
      .def_property_readonly("average_length", &Bm25Model::average_length)
      .def_property_readonly("k1", [](const Bm25Model& self) { return self.parameters().k1; })
      .def_property_readonly("b", [](const Bm25Model& self) { return self.parameters().b; })
      .def_property_readonly("epsilon", [](const Bm25Model& self) { return self.parameters().epsilon; })
      .def("terms",
           [](const Bm25Model& self) {
             py::list terms(self.dim());
             for (std::size_t id = 0; id < self.dim(); ++id) {
               const std::string_view term = self.terms().key(static_cast<std::int32_t>(id));
               terms[id] = py::str(term.data(), term.size());
             }
             return terms;
           })
      .def("idf", [](const Bm25Model& self) { return py::array_t<double>(self.idf().size(), self.idf().data()); })
      .def(
          "encode_texts",
          [](const Bm25Model& self, const Analyzer& analyzer, py::handle texts, bool query, int num_threads) {
            const std::size_t threads = resolve_threads(num_threads);
            Utf8Batch batch = utf8_batch(texts, query ? "queries" : "documents", 0);
            std::vector<CsrPiece> pieces;
            {
              py::gil_scoped_release release;
              pieces = encode_texts(self, analyzer, TextBatch{std::move(batch.views)}, side_of(query), threads);
            }
            return assemble_csr(std::move(pieces));
          },
          py::arg("analyzer"), py::arg("texts"), py::kw_only(), py::arg("query"), py::arg("num_threads") = 0)
      .def(
          "encode_token_lists",
          [](const Bm25Model& self, py::handle token_lists, const Analyzer* analyzer, bool query, int num_threads) {
            const std::size_t threads = resolve_threads(num_threads);
            TokenListBatch batch = token_list_batch(token_lists, 0, token_source(analyzer));
            std::vector<CsrPiece> pieces;
            {
              py::gil_scoped_release release;
              pieces = analyzer != nullptr ? encode_tokens(self, *analyzer, batch.batch, side_of(query), threads)
                                           : encode_tokens(self, batch.batch, side_of(query), threads);
            }
            return assemble_csr(std::move(pieces));
          },
          py::arg("token_lists"), py::kw_only(), py::arg("analyzer") = py::none(), py::arg("query"),
          py::arg("num_threads") = 0)
      .def_static(
          "fit_encode_texts",
          [](CorpusStatistics& stats, const Analyzer& analyzer, py::handle texts, double k1, double b, double epsilon,
             int num_threads) {
            const std::size_t threads = resolve_threads(num_threads);
            Utf8Batch batch = utf8_batch(texts, "documents", 0);
            std::optional<FitEncoded> fitted;
            {
              py::gil_scoped_release release;
              fitted.emplace(fit_encode_texts(analyzer, TextBatch{std::move(batch.views)}, stats,
                                              Bm25Parameters{k1, b, epsilon}, threads));
            }
            return model_and_csr(std::move(*fitted));
          },
          py::arg("statistics"), py::arg("analyzer"), py::arg("texts"), py::kw_only(), py::arg("k1"), py::arg("b"),
          py::arg("epsilon"), py::arg("num_threads") = 0)
      .def_static(
          "fit_encode_token_lists",
          [](CorpusStatistics& stats, py::handle token_lists, const Analyzer* analyzer, double k1, double b,
             double epsilon, int num_threads) {
            const std::size_t threads = resolve_threads(num_threads);
            TokenListBatch batch = token_list_batch(token_lists, 0, token_source(analyzer));
            const Bm25Parameters params{k1, b, epsilon};
            std::optional<FitEncoded> fitted;
            {
              py::gil_scoped_release release;
              fitted.emplace(analyzer != nullptr ? fit_encode_tokens(*analyzer, batch.batch, stats, params, threads)
                                                 : fit_encode_tokens(batch.batch, stats, params, threads));
            }
            return model_and_csr(std::move(*fitted));
          },
          py::arg("statistics"), py::arg("token_lists"), py::kw_only(), py::arg("analyzer") = py::none(), py::arg("k1"),
          py::arg("b"), py::arg("epsilon"), py::arg("num_threads") = 0)
      .def(
          "encode_query_as_dict",
          [](const Bm25Model& self, const Analyzer& analyzer, py::handle text) {
            if (!PyUnicode_Check(text.ptr())) throw_not_str("query", 0, text);
            std::vector<py::object> owners;
            thread_local std::vector<std::pair<std::int32_t, float>> weights;
            encode_query_text(self, analyzer, utf8_view(text, owners), weights);
            py::dict out;
            for (const auto& [id, weight] : weights) out[py::int_(id)] = py::float_(weight);
            return out;
          },
          py::arg("analyzer"), py::arg("text"));

  py::class_<Language>(m, "Language", "One row of the language table: what build_default_analyzer(code) builds.")
      .def_property_readonly("code", [](const Language& self) { return self.code; })
      .def_property_readonly(
          "aliases",
          [](const Language& self) { return std::vector<std::string>(self.aliases.begin(), self.aliases.end()); })
      .def_property_readonly("stemmer", [](const Language& self) { return self.stemmer; })
      .def_property_readonly("stopwords", [](const Language& self) { return self.stopwords; })
      .def_property_readonly("segmenter", [](const Language& self) { return self.segmenter; })
      .def("__repr__", [](const Language& self) {
        return "Language(code='" + std::string(self.code) + "', stemmer='" + std::string(self.stemmer) +
               "', stopwords='" + std::string(self.stopwords) + "', segmenter='" + std::string(self.segmenter) + "')";
      });

  m.def("languages", &languages, py::return_value_policy::copy, "The language table, in order.");
  m.def("language", &find_language, py::arg("name"), py::return_value_policy::copy,
        "The row for a language code or alias; ValueError listing the known ones otherwise.");
  m.attr("SNOWBALL_VERSION") = snowball_version();
  m.def(
      "stemmers",
      [] {
        std::vector<std::string> names;
        for (const Stemmer& stemmer : sparsebolt::stemmers()) names.emplace_back(stemmer.name);
        return names;
      },
      "The native stemmers' names, for Analyzer(stemmer=...).");
  m.def(
      "stemmer_source", [](const std::string& name) { return find_stemmer(name).source; }, py::arg("name"),
      "Where a stemmer comes from ('Snowball 3.1.1', ...); ValueError listing the stemmers for an unknown name.");
  m.def(
      "segmenters",
      [] {
        return segmenter_names(
            {SegmenterKind::kLettersDigits, SegmenterKind::kLettersMarks, SegmenterKind::kDictionary});
      },
      "The native segmenters' names, for Analyzer(segmenter=...); 'external' takes token lists instead.");
  m.def(
      "dictionary_segmenters", [] { return segmenter_names({SegmenterKind::kDictionary}); },
      "The native segmenters that run on a loaded dictionary: Analyzer(segmenter=name, dictionary=the segmenter).");
  m.def(
      "python_segmenters", [] { return segmenter_names({SegmenterKind::kExternal}); },
      "The segmenters the language table names that run in Python (the analyzer maps each name to one).");
  m.def(
      "stem_words",
      [](const std::string& stemmer, std::vector<std::string> words) {
        return stem_all(find_stemmer(stemmer).stem, std::move(words));
      },
      py::arg("stemmer"), py::arg("words"),
      "Stems each lowercase word with a native stemmer of stemmers() (for tests and inspection).");
  m.def(
      "snowball_algorithms",
      [] {
        std::vector<std::string> names;
        for (const SnowballAlgorithm& algorithm : sparsebolt::snowball_algorithms()) names.emplace_back(algorithm.name);
        return names;
      },
      "The generated Snowball stemmers' names (Stemmer.algorithms() of the same Snowball version).");
  m.def(
      "snowball_stem_words",
      [](const std::string& algorithm, std::vector<std::string> words) {
        return stem_all(find_snowball_algorithm(algorithm).stem, std::move(words));
      },
      py::arg("algorithm"), py::arg("words"),
      "Stems each lowercase word with a generated Snowball stemmer, 'english' included (for tests).");
  m.def(
      "stem_english_words", [](std::vector<std::string> words) { return stem_all(&stem_english, std::move(words)); },
      py::arg("words"),
      "Stems each lowercase word with the native Snowball English stemmer (for tests and inspection).");
}
