// Python binding of the static-embedding kernel (csrc/static_embedding/): the matrix is checked and kept once,
// each call takes a batch's token ids as one flat buffer + offsets and returns a numpy [texts, dim] float32 array.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "bindings_parts.hpp"
#include "static_embedding/mean_pool.hpp"

namespace py = pybind11;

namespace {

using sparsebolt::StaticEmbeddingTable;
using sparsebolt::binding::thread_count;

// The caller converts (np.ascontiguousarray(x, dtype=...)); a wrong dtype or layout here is an error, never a
// silent copy.
py::array checked(const py::handle& value, const py::dtype& dtype, int ndim, const char* name) {
  if (!py::isinstance<py::array>(value))
    throw py::type_error(std::string(name) + " must be a numpy array, got " + Py_TYPE(value.ptr())->tp_name);
  py::array array = py::reinterpret_borrow<py::array>(value);
  if (!array.dtype().is(dtype))
    throw py::value_error(std::string(name) + " must have dtype " + py::str(dtype).cast<std::string>() + ", got " +
                          py::str(array.dtype()).cast<std::string>() + "; convert it with np.ascontiguousarray");
  if (array.ndim() != ndim)
    throw py::value_error(std::string(name) + " must be " + std::to_string(ndim) + "-D, got " +
                          std::to_string(array.ndim()) + "-D");
  if (!(array.flags() & py::array::c_style))
    throw py::value_error(std::string(name) + " must be C-contiguous; pass np.ascontiguousarray(" + name + ")");
  return array;
}

// Keeps the numpy arrays the table points into alive for as long as the table is used.
class StaticEmbedding {
 public:
  StaticEmbedding(const py::handle& matrix, std::size_t vocab_size, const py::handle& token_rows,
                  const py::handle& token_weights)
      : matrix_(checked(matrix, py::dtype::of<float>(), 2, "matrix")) {
    table_.rows = static_cast<const float*>(matrix_.data());
    table_.row_count = static_cast<std::size_t>(matrix_.shape(0));
    table_.dim = static_cast<std::size_t>(matrix_.shape(1));
    table_.vocab_size = vocab_size;
    if (!token_rows.is_none()) {
      token_rows_ = per_token(token_rows, py::dtype::of<std::int64_t>(), "token_rows");
      table_.token_rows = static_cast<const std::int64_t*>(token_rows_->data());
    }
    if (!token_weights.is_none()) {
      token_weights_ = per_token(token_weights, py::dtype::of<float>(), "token_weights");
      table_.token_weights = static_cast<const float*>(token_weights_->data());
    }
    sparsebolt::check_table(table_);
  }

  py::array_t<float> mean_pool(const py::handle& ids, const py::handle& offsets, std::int64_t skip_id, bool normalize,
                               int num_threads) const {
    const std::size_t threads = thread_count(num_threads);
    const py::array id_array = checked(ids, py::dtype::of<std::int32_t>(), 1, "ids");
    const py::array offset_array = checked(offsets, py::dtype::of<std::int64_t>(), 1, "offsets");
    if (offset_array.shape(0) < 1) throw py::value_error("offsets needs one entry more than there are texts");
    sparsebolt::TokenIdBatch batch;
    batch.ids = static_cast<const std::int32_t*>(id_array.data());
    batch.id_count = static_cast<std::size_t>(id_array.shape(0));
    batch.offsets = static_cast<const std::int64_t*>(offset_array.data());
    batch.text_count = static_cast<std::size_t>(offset_array.shape(0) - 1);
    py::array_t<float> out({static_cast<py::ssize_t>(batch.text_count), static_cast<py::ssize_t>(table_.dim)});
    float* out_data = out.mutable_data();
    {
      py::gil_scoped_release release;
      sparsebolt::mean_pool(table_, batch, sparsebolt::MeanPoolOptions{skip_id, normalize}, out_data, threads);
    }
    return out;
  }

  const StaticEmbeddingTable& table() const { return table_; }

 private:
  py::array per_token(const py::handle& value, const py::dtype& dtype, const char* name) const {
    py::array array = checked(value, dtype, 1, name);
    if (static_cast<std::size_t>(array.shape(0)) != table_.vocab_size)
      throw py::value_error(std::string(name) + " has " + std::to_string(array.shape(0)) + " entries for " +
                            std::to_string(table_.vocab_size) + " tokens; it needs one per token");
    return array;
  }

  py::array matrix_;
  std::optional<py::array> token_rows_;
  std::optional<py::array> token_weights_;
  StaticEmbeddingTable table_;
};

}  // namespace

void sparsebolt::bind_static_embedding(py::module_& m) {
  py::class_<StaticEmbedding>(m, "StaticEmbedding",
                              "A static embedding matrix (model2vec): texts' token ids to the mean of their rows.")
      .def(py::init<const py::handle&, std::size_t, const py::handle&, const py::handle&>(), py::arg("matrix"),
           py::kw_only(), py::arg("vocab_size"), py::arg("token_rows") = py::none(),
           py::arg("token_weights") = py::none())
      .def("mean_pool", &StaticEmbedding::mean_pool, py::arg("ids"), py::arg("offsets"), py::kw_only(),
           py::arg("skip_id") = -1, py::arg("normalize") = false, py::arg("num_threads") = 0,
           "Each text's mean row: ids (int32) of all texts flattened, offsets (int64, texts + 1); float32 "
           "[texts, dim]. skip_id (the unknown token) is dropped first; a text with no tokens is all zeros.")
      .def_property_readonly("dim", [](const StaticEmbedding& self) { return self.table().dim; })
      .def_property_readonly("row_count", [](const StaticEmbedding& self) { return self.table().row_count; })
      .def_property_readonly("vocab_size", [](const StaticEmbedding& self) { return self.table().vocab_size; });
}
