// Bindings of the assignment core (semrsm_native.lap wraps these).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "bindings/common.hpp"
#include "core/lap/lap.hpp"

namespace py = pybind11;

namespace semrsm::bind {

namespace {

template <class T>
py::tuple solve_one(py::array_t<T, py::array::c_style> cost, bool maximize) {
  if (cost.ndim() != 2) throw py::value_error("expected a matrix (2-D array)");
  const int64_t n = cost.shape(0), m = cost.shape(1);
  py::array_t<int64_t> col4row(n);
  double objective = 0.0;
  Status st;
  {
    py::gil_scoped_release release;
    lap::Workspace ws;
    st = lap::hungarian<T>(cost.data(), n, m, maximize, col4row.mutable_data(), &objective, ws);
  }
  if (st != Status::ok) throw_status(st, "");
  return py::make_tuple(col4row, objective);
}

}  // namespace

void register_lap(py::module_& m) {
  m.def("hungarian", &solve_one<double>, py::arg("cost"), py::arg("maximize"));
  m.def("hungarian", &solve_one<float>, py::arg("cost"), py::arg("maximize"));
}

}  // namespace semrsm::bind
