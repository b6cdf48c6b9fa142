// The Python binding of the MeCab segmenter (_core.MecabSegmenter), a _core.DictionarySegmenter.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "analysis/mecab/mecab_segmenter.hpp"
#include "bindings_parts.hpp"

namespace py = pybind11;

namespace sparsebolt {

void bind_mecab(py::module_& m) {
  py::class_<MecabSegmenter, DictionarySegmenter, std::shared_ptr<MecabSegmenter>>(
      m, "MecabSegmenter",
      "MeCab 0.996's segmentation on a compiled MeCab dictionary folder, loaded once and shared by threads.")
      .def(py::init([](std::string name, std::string dictionary, std::vector<std::string> characters_to_space,
                       std::vector<std::string> keep_pos, bool split_at_whitespace) {
             MecabSegmenterOptions options{std::move(name), std::move(dictionary), std::move(characters_to_space),
                                           std::move(keep_pos), split_at_whitespace};
             py::gil_scoped_release release;  // the dictionary's entries are checked and classified here
             return std::make_shared<MecabSegmenter>(std::move(options));
           }),
           py::kw_only(), py::arg("name"), py::arg("dictionary"),
           py::arg("characters_to_space") = std::vector<std::string>{},
           py::arg("keep_pos") = std::vector<std::string>{}, py::arg("split_at_whitespace") = false)
      .def_property_readonly("dictionary", [](const MecabSegmenter& self) { return self.options().dictionary; })
      .def_property_readonly("characters_to_space",
                             [](const MecabSegmenter& self) { return self.options().characters_to_space; })
      .def_property_readonly("keep_pos", [](const MecabSegmenter& self) { return self.options().keep_pos; })
      .def_property_readonly("split_at_whitespace",
                             [](const MecabSegmenter& self) { return self.options().split_at_whitespace; });
}

}  // namespace sparsebolt
