// semrsm_native._cuda: the binding of the CUDA backend (private; semrsm_native._gpu wraps it).
//
// Arrays arrive as raw device pointers with shapes and strides: the Python side reads them
// from DLPack / __cuda_array_interface__ / data_ptr, so no framework is linked here. Importing
// this module touches no CUDA API, which is why it imports on machines without a driver.
//
// Its test hooks (the LAP matchers and the RSM pipeline run on the CPU) are a separate
// module, semrsm_native._cuda_testing (cuda/testing/module.cpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <algorithm>
#include <cstring>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "backend.hpp"
#include "method_names.hpp"

namespace py = pybind11;
namespace cb = semrsm::cudabk;

namespace {

std::vector<std::string> split_archs(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) if (!item.empty()) out.push_back(item);
  return out;
}

py::dict build_info() {
  py::dict d;
  d["cuda_architectures"] = split_archs(SEMRSM_CUDA_ARCHS);
  d["cuda_toolkit"] = std::string(SEMRSM_CUDA_TOOLKIT);
  d["cuda_runtime_linkage"] = "static";
  const cb::RuntimeInfo info = cb::runtime_info();
  d["cuda_runtime_version"] = info.runtime_version;
  d["cuda_driver_version"] = info.driver_version;
  d["cuda_device_count"] = info.device_count;
  d["cuda_devices"] = info.device_names;
  d["cuda_compute_capabilities"] = info.compute_capabilities;
  d["cuda_error"] = info.error.empty() ? py::object(py::none()) : py::object(py::str(info.error));
  return d;
}

cb::Placement placement_code(const std::string& p) {
  if (p == "auto") return cb::Placement::automatic;
  if (p == "shared") return cb::Placement::shared;
  if (p == "global") return cb::Placement::global;
  throw py::value_error("placement must be 'auto', 'shared' or 'global', got '" + p + "'");
}

cb::DType dtype_code(const std::string& d) {
  if (d == "float32") return cb::DType::f32;
  if (d == "float64") return cb::DType::f64;
  throw py::type_error("the CUDA backend computes in float32 or float64, got " + d);
}

cb::ActsDesc acts_desc(py::tuple t) {
  // (ptr, dtype, n, S, C, sn, ss, sc)
  if (t.size() != 8) throw py::value_error("activation descriptor needs 8 fields");
  cb::ActsDesc d;
  d.ptr = t[0].cast<uintptr_t>();
  d.dtype = dtype_code(t[1].cast<std::string>());
  d.n = t[2].cast<int64_t>(); d.S = t[3].cast<int64_t>(); d.C = t[4].cast<int64_t>();
  d.sn = t[5].cast<int64_t>(); d.ss = t[6].cast<int64_t>(); d.sc = t[7].cast<int64_t>();
  return d;
}

}  // namespace

PYBIND11_MODULE(_cuda, m) {
  m.doc() = "semrsm_native CUDA backend (private; use the semrsm_native package)";

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const cb::DeviceMemoryError& e) {
      PyErr_SetString(PyExc_MemoryError, e.what());
    }
  });

  m.def("build_info", &build_info, "What the CUDA backend was built for and what the runtime sees.");

  m.def(
      "semantic_rsm",
      [](py::tuple x, py::object y, const std::string& matcher, bool cosine_cost, const std::string& precision,
         double eps_rel, double eps_factor, uintptr_t linear, uintptr_t cosine, uintptr_t rbf, uintptr_t perm,
         double sigma, int device, uintptr_t stream, const std::string& placement, int64_t max_tile_pairs,
         uintptr_t d2) {
        cb::RsmRequest r;
        r.x = acts_desc(x);
        r.symmetric = y.is_none();
        if (!r.symmetric) r.y = acts_desc(y.cast<py::tuple>());
        r.matcher = cb::gpu_method(matcher, "semantic_rsm");
        r.cosine_cost = cosine_cost;
        if (precision == "float32" || precision == "exact") r.precision = cb::Precision::exact;
        else if (precision == "tf32") r.precision = cb::Precision::tf32;
        else if (precision == "bf16") r.precision = cb::Precision::bf16;
        else throw py::value_error("semantic_rsm: precision must be 'float32', 'tf32' or 'bf16'");
        r.eps_rel = eps_rel; r.eps_factor = eps_factor;
        r.linear = linear; r.cosine = cosine; r.rbf = rbf; r.perm = perm; r.d2 = d2;
        r.sigma = sigma; r.device = device; r.stream = stream;
        r.placement = placement_code(placement);
        r.max_tile_pairs = max_tile_pairs;
        py::gil_scoped_release release;
        cb::semantic_rsm(r);
      },
      py::arg("x"), py::arg("y"), py::arg("matcher"), py::arg("cosine_cost"), py::arg("precision"),
      py::arg("eps_rel"), py::arg("eps_factor"), py::arg("linear"), py::arg("cosine"), py::arg("rbf"),
      py::arg("perm"), py::arg("sigma"), py::arg("device"), py::arg("stream"), py::arg("placement") = "auto",
      py::arg("max_tile_pairs") = 0, py::arg("d2") = 0);

  m.def(
      "spatio_rsm",
      [](uintptr_t x, uintptr_t y, const std::string& dtype, int64_t n, int64_t mm, int64_t F, bool symmetric,
         uintptr_t linear, uintptr_t cosine, uintptr_t rbf, double sigma, int device, uintptr_t stream) {
        cb::SpatioRequest r;
        r.x = x; r.y = y; r.dtype = dtype_code(dtype);
        r.n = n; r.m = mm; r.F = F; r.symmetric = symmetric;
        r.linear = linear; r.cosine = cosine; r.rbf = rbf; r.sigma = sigma;
        r.device = device; r.stream = stream;
        py::gil_scoped_release release;
        cb::spatio_rsm(r);
      },
      py::arg("x"), py::arg("y"), py::arg("dtype"), py::arg("n"), py::arg("m"), py::arg("F"),
      py::arg("symmetric"), py::arg("linear"), py::arg("cosine"), py::arg("rbf"), py::arg("sigma"),
      py::arg("device"), py::arg("stream"));

  m.def(
      "lap_batch",
      [](uintptr_t cost, const std::string& dtype, int64_t B, int64_t n, int64_t mm, bool maximize,
         const std::string& method, double eps_rel, double eps_factor, uintptr_t col, uintptr_t objective,
         uintptr_t bound, int device, uintptr_t stream, const std::string& placement) {
        cb::LapRequest r;
        r.cost = cost; r.dtype = dtype_code(dtype); r.B = B; r.n = n; r.m = mm;
        r.maximize = maximize; r.method = cb::gpu_method(method, "linear_sum_assignment_batch");
        r.eps_rel = eps_rel; r.eps_factor = eps_factor;
        r.col = col; r.objective = objective; r.bound = bound;
        r.device = device; r.stream = stream; r.placement = placement_code(placement);
        py::gil_scoped_release release;
        cb::lap_batch(r);
      },
      py::arg("cost"), py::arg("dtype"), py::arg("B"), py::arg("n"), py::arg("m"), py::arg("maximize"),
      py::arg("method"), py::arg("eps_rel"), py::arg("eps_factor"), py::arg("col"), py::arg("objective"),
      py::arg("bound"), py::arg("device"), py::arg("stream"), py::arg("placement") = "auto");
}
