// The binding sources besides bindings.cpp: each adds its classes to the one module, called from its
// PYBIND11_MODULE.
#pragma once

#include <pybind11/pybind11.h>

namespace sparsebolt {

void bind_jieba(pybind11::module_& m);             // bindings_jieba.cpp
void bind_mecab(pybind11::module_& m);             // bindings_mecab.cpp
void bind_static_embedding(pybind11::module_& m);  // bindings_static.cpp
void bind_wordpiece(pybind11::module_& m);         // bindings_wordpiece.cpp

}  // namespace sparsebolt
