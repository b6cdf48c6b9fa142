// The binding sources besides bindings.cpp: each adds its classes to the one module, called from its
// PYBIND11_MODULE. Also the few helpers every binding source uses to read Python arguments.
#pragma once

#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace sparsebolt {

void bind_jieba(pybind11::module_& m);             // bindings_jieba.cpp
void bind_mecab(pybind11::module_& m);             // bindings_mecab.cpp
void bind_static_embedding(pybind11::module_& m);  // bindings_static.cpp
void bind_wordpiece(pybind11::module_& m);         // bindings_wordpiece.cpp

namespace binding {

inline std::string type_name(pybind11::handle item) { return Py_TYPE(item.ptr())->tp_name; }

// A str's UTF-8, valid while `owners` lives: str objects cache their UTF-8 form, so ASCII and already-encoded
// strings cost no copy. A lone surrogate cannot be encoded strictly; it is written with surrogatepass, as bytes
// the core's decoders reject (a separator for the analyzer, U+FFFD for the WordPiece tokenizer), so it never
// fails a batch.
inline std::string_view utf8_view(pybind11::handle item, std::vector<pybind11::object>& owners) {
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(item.ptr(), &size);
  if (data != nullptr) return {data, static_cast<std::size_t>(size)};
  PyErr_Clear();
  PyObject* encoded = PyUnicode_AsEncodedString(item.ptr(), "utf-8", "surrogatepass");
  if (encoded == nullptr) throw pybind11::error_already_set();
  owners.push_back(pybind11::reinterpret_steal<pybind11::object>(encoded));
  return {PyBytes_AS_STRING(encoded), static_cast<std::size_t>(PyBytes_GET_SIZE(encoded))};
}

// "what[position] is None / of type T, expected str", as the Python input contract words it.
[[noreturn]] inline void throw_not_str(const char* what, std::size_t position, pybind11::handle item) {
  throw pybind11::type_error(std::string(what) + "[" + std::to_string(position) + "] is " +
                             (item.is_none() ? std::string("None") : "of type " + type_name(item)) + ", expected str");
}

// A num_threads argument: positive as given, 0 for every core.
inline std::size_t thread_count(int num_threads) {
  if (num_threads > 0) return static_cast<std::size_t>(num_threads);
  if (num_threads < 0) throw pybind11::value_error("num_threads must be positive, or 0 for all cores");
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace binding
}  // namespace sparsebolt
