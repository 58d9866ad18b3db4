// Bindings of the semantic RSM engine (semrsm_native.rsm wraps these).
#include <pybind11/pybind11.h>

namespace py = pybind11;

namespace semrsm::bind {

void register_rsm(py::module_& m) { (void)m; }

}  // namespace semrsm::bind
