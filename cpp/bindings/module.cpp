// Entry point of the private extension module semrsm_native._core. Each bind_*.cpp file
// registers one part of the API.
#include <pybind11/pybind11.h>

namespace py = pybind11;

namespace semrsm::bind {
void register_info(py::module_& m);
void register_lap(py::module_& m);
void register_rsm(py::module_& m);
}  // namespace semrsm::bind

PYBIND11_MODULE(_core, m) {
  m.doc() = "semrsm_native native core (private; use the semrsm_native package)";
  semrsm::bind::register_info(m);
  semrsm::bind::register_lap(m);
  semrsm::bind::register_rsm(m);
}
