// Python binding of the native BERT WordPiece tokenizer (csrc/tokenizer/): a batch of str is read as UTF-8 views
// with the GIL held, tokenised with it released, and comes back as flat int32 ids + int64 offsets numpy arrays.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "bindings_parts.hpp"
#include "tokenizer/wordpiece.hpp"

namespace py = pybind11;

namespace {

using sparsebolt::AddedToken;
using sparsebolt::WordPieceIds;
using sparsebolt::WordPieceOptions;
using sparsebolt::WordPieceTokenizer;
using sparsebolt::binding::thread_count;
using sparsebolt::binding::throw_not_str;
using sparsebolt::binding::type_name;
using sparsebolt::binding::utf8_view;

std::string_view str_view(py::handle item, const char* what, std::size_t position, std::vector<py::object>& owners) {
  if (!PyUnicode_Check(item.ptr())) throw_not_str(what, position, item);
  return utf8_view(item, owners);
}

// A std::vector handed to numpy without a copy: the capsule owns it.
template <class T>
py::array_t<T> to_numpy(std::vector<T>&& values) {
  auto* owned = new std::vector<T>(std::move(values));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>({static_cast<py::ssize_t>(owned->size())}, {static_cast<py::ssize_t>(sizeof(T))}, owned->data(),
                        free_when_done);
}

std::vector<std::pair<std::string, std::int32_t>> vocab_pairs(const py::handle& vocab) {
  std::vector<std::pair<std::string, std::int32_t>> pairs;
  if (py::isinstance<py::dict>(vocab)) {
    for (const auto& item : py::reinterpret_borrow<py::dict>(vocab)) {
      if (!PyUnicode_Check(item.first.ptr()) || !PyLong_Check(item.second.ptr()))
        throw py::type_error("vocab must map str tokens to int ids");
      pairs.emplace_back(item.first.cast<std::string>(), item.second.cast<std::int32_t>());
    }
    return pairs;
  }
  if (PyUnicode_Check(vocab.ptr()) || !PySequence_Check(vocab.ptr()))
    throw py::type_error("vocab must be a dict of token -> id or a list of tokens ordered by id, got " +
                         type_name(vocab));
  const py::sequence tokens = py::reinterpret_borrow<py::sequence>(vocab);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const py::object token = tokens[i];
    if (!PyUnicode_Check(token.ptr())) throw py::type_error("vocab[" + std::to_string(i) + "] is not a str");
    pairs.emplace_back(token.cast<std::string>(), static_cast<std::int32_t>(i));
  }
  return pairs;
}

class PyWordPieceTokenizer {
 public:
  PyWordPieceTokenizer(const py::handle& vocab, const std::string& unk_token, bool clean_text,
                       bool handle_chinese_chars, bool strip_accents, bool lowercase,
                       const std::string& continuing_subword_prefix, std::size_t max_input_chars_per_word,
                       const std::vector<std::pair<std::string, std::int32_t>>& added_tokens) {
    WordPieceOptions options;
    options.clean_text = clean_text;
    options.handle_chinese_chars = handle_chinese_chars;
    options.strip_accents = strip_accents;
    options.lowercase = lowercase;
    options.continuing_subword_prefix = continuing_subword_prefix;
    options.max_input_chars_per_word = max_input_chars_per_word;
    std::vector<AddedToken> added;
    for (const auto& [content, id] : added_tokens) added.push_back(AddedToken{content, id});
    tokenizer_ =
        std::make_unique<WordPieceTokenizer>(vocab_pairs(vocab), unk_token, std::move(options), std::move(added));
  }

  py::tuple encode_batch(const py::handle& texts, std::optional<std::int64_t> max_length, int num_threads) const {
    const std::size_t threads = thread_count(num_threads);
    if (max_length && *max_length < 1) throw py::value_error("max_length must be a positive int, or None for no cut");
    if (PyUnicode_Check(texts.ptr()) || PyBytes_Check(texts.ptr()))
      throw py::type_error("texts must be a list of str, not a single string; wrap it in a list");
    PyObject* fast = PySequence_Fast(texts.ptr(), "");
    if (fast == nullptr) {
      PyErr_Clear();
      throw py::type_error("texts must be a list of str, got " + type_name(texts));
    }
    const py::object sequence = py::reinterpret_steal<py::object>(fast);
    const Py_ssize_t count = PySequence_Fast_GET_SIZE(fast);
    PyObject** items = PySequence_Fast_ITEMS(fast);
    std::vector<py::object> owners;
    std::vector<std::string_view> views;
    views.reserve(static_cast<std::size_t>(count));
    for (Py_ssize_t i = 0; i < count; ++i)
      views.push_back(str_view(items[i], "texts", static_cast<std::size_t>(i), owners));
    WordPieceIds encoded;
    {
      py::gil_scoped_release release;
      encoded = tokenizer_->encode_batch(views, max_length ? static_cast<std::size_t>(*max_length) : 0, threads);
    }
    return py::make_tuple(to_numpy(std::move(encoded.ids)), to_numpy(std::move(encoded.offsets)));
  }

  std::vector<std::int32_t> encode(const py::handle& text) const {
    std::vector<py::object> owners;
    const std::string_view view = str_view(text, "text", 0, owners);
    std::vector<std::int32_t> ids;
    tokenizer_->encode(view, 0, ids);
    return ids;
  }

  py::str normalize(const py::handle& text) const {
    std::vector<py::object> owners;
    const std::string out = tokenizer_->normalize(str_view(text, "text", 0, owners));
    return py::str(out.data(), out.size());
  }

  std::vector<std::string> pre_tokenize(const py::handle& text) const {
    std::vector<py::object> owners;
    return tokenizer_->pre_tokenize(str_view(text, "text", 0, owners));
  }

  const WordPieceTokenizer& core() const { return *tokenizer_; }

 private:
  std::unique_ptr<WordPieceTokenizer> tokenizer_;
};

}  // namespace

void sparsebolt::bind_wordpiece(py::module_& m) {
  py::class_<PyWordPieceTokenizer>(m, "WordPieceTokenizer",
                                   "A BERT WordPiece tokenizer (tokenizers' BertNormalizer + BertPreTokenizer + "
                                   "WordPiece, added tokens matched in the raw text): texts to flat token ids.")
      .def(py::init<const py::handle&, const std::string&, bool, bool, bool, bool, const std::string&, std::size_t,
                    const std::vector<std::pair<std::string, std::int32_t>>&>(),
           py::arg("vocab"), py::kw_only(), py::arg("unk_token"), py::arg("clean_text") = true,
           py::arg("handle_chinese_chars") = true, py::arg("strip_accents") = true, py::arg("lowercase") = true,
           py::arg("continuing_subword_prefix") = "##", py::arg("max_input_chars_per_word") = 100,
           py::arg("added_tokens") = std::vector<std::pair<std::string, std::int32_t>>{})
      .def("encode_batch", &PyWordPieceTokenizer::encode_batch, py::arg("texts"), py::kw_only(),
           py::arg("max_length") = py::none(), py::arg("num_threads") = 0,
           "Each text's first max_length ids (None: all), without special tokens around it: (ids int32, offsets "
           "int64 with len(texts) + 1 entries); text t's ids are ids[offsets[t]:offsets[t + 1]].")
      .def("encode", &PyWordPieceTokenizer::encode, py::arg("text"), "One text's ids (no cut).")
      .def("normalize", &PyWordPieceTokenizer::normalize, py::arg("text"), "The text as the normaliser leaves it.")
      .def("pre_tokenize", &PyWordPieceTokenizer::pre_tokenize, py::arg("text"),
           "The words the pre-tokenizer cuts an already normalised text into.")
      .def_property_readonly("unk_id", [](const PyWordPieceTokenizer& self) { return self.core().unk_id(); })
      .def_property_readonly("vocab_size", [](const PyWordPieceTokenizer& self) { return self.core().vocab_size(); });
}
