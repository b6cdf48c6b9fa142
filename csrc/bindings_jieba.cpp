// The Python face of the native jieba segmenter: _core.JiebaSegmenter, built from dict.txt's path and the HMM
// tables as numpy arrays (checked here, never converted), a DictionarySegmenter the Analyzer takes.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "analysis/jieba/characters.hpp"
#include "analysis/jieba/segmenter.hpp"
#include "bindings_parts.hpp"

namespace py = pybind11;
using namespace sparsebolt;

namespace {

// A C-contiguous float64 array of `shape`, copied out; ValueError with advice otherwise.
std::vector<double> table(const py::array& values, std::vector<py::ssize_t> shape, const char* what) {
  const bool shaped =
      values.ndim() == static_cast<py::ssize_t>(shape.size()) && std::equal(shape.begin(), shape.end(), values.shape());
  if (!shaped || !values.dtype().is(py::dtype::of<double>()) || !(values.flags() & py::array::c_style)) {
    std::string want;
    for (py::ssize_t extent : shape) want += (want.empty() ? "" : ", ") + std::to_string(extent);
    throw py::value_error(std::string(what) + " must be a C-contiguous float64 array of shape (" + want +
                          "); pass np.ascontiguousarray(values, dtype=np.float64)");
  }
  const auto* data = static_cast<const double*>(values.data());
  return std::vector<double>(data, data + values.size());
}

}  // namespace

void sparsebolt::bind_jieba(py::module_& m) {
  py::class_<JiebaSegmenter, DictionarySegmenter, std::shared_ptr<JiebaSegmenter>> segmenter(
      m, "JiebaSegmenter",
      "jieba's default mode (jieba.lcut, HMM on) on jieba's dict.txt and HMM tables; whitespace tokens dropped.");
  segmenter.attr("HAN_FIRST") = static_cast<int>(jieba::kHanFirst);  // jieba's Han range, [\u4E00-\u9FD5]
  segmenter.attr("HAN_COUNT") = static_cast<int>(jieba::kHanCount);
  segmenter
      .def(py::init([](const std::string& dictionary, const py::array& start, const py::array& transition,
                       const py::array& emission) {
             const auto states = static_cast<py::ssize_t>(jieba::Hmm::kStates);
             jieba::Hmm hmm(table(start, {states}, "start"), table(transition, {states, states}, "transition"),
                            table(emission, {states, static_cast<py::ssize_t>(jieba::kHanCount)}, "emission"));
             py::gil_scoped_release release;  // reading dict.txt and building the trie takes a while
             return std::make_shared<JiebaSegmenter>(jieba::Dictionary(dictionary), std::move(hmm));
           }),
           py::arg("dictionary"), py::kw_only(), py::arg("start"), py::arg("transition"), py::arg("emission"),
           "dictionary: the path of a jieba dict.txt; start (4,), transition (4, 4) and emission (4, HAN_COUNT): "
           "finalseg's log probabilities in state order BMES, MIN_FLOAT where a table has no entry, emission over "
           "the code points HAN_FIRST .. HAN_FIRST + HAN_COUNT - 1.")
      .def_property_readonly(
          "total", [](const JiebaSegmenter& self) { return self.dictionary().total(); },
          "The sum of the dictionary's frequencies (jieba's Tokenizer.total).");
}
