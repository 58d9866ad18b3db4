// semrsm_native._testing: hooks into the native core for the test suite only. Built and
// installed beside _core but never imported by the package, so nothing here is public API
// and the production module carries no test-only entry points. Each hook reaches one piece
// of the core that the public functions cannot isolate.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "bindings/common.hpp"
#include "core/cpu_features.hpp"
#include "core/lap/lap.hpp"
#include "core/rsm/gemm.hpp"

namespace py = pybind11;

namespace semrsm::testing {
namespace {

using bind::throw_status;

// hungarian_square_inplace on a caller-owned square array (overwritten), as the RSM engine
// calls it on its per-pair buffer.
template <class T>
py::tuple lap_solve_square_inplace(py::array_t<T, py::array::c_style> cost, bool maximize) {
  if (cost.ndim() != 2 || cost.shape(0) != cost.shape(1))
    throw py::value_error("expected a square matrix");
  const int64_t n = cost.shape(0);
  py::array_t<int64_t> col4row(n);
  double objective = 0.0;
  Status st;
  {
    py::gil_scoped_release release;
    lap::JvScratch scratch;
    st = lap::hungarian_square_inplace<T>(cost.mutable_data(), n, maximize,
                                          col4row.mutable_data(), &objective, scratch);
  }
  if (st != Status::ok) throw_status(st, "");
  return py::make_tuple(col4row, objective);
}

// batch_optimal through its block callback, returning the blocks it asked for, for tests
// that check that only the window blocks are ever requested.
template <class T>
py::tuple lap_batch_optimal_logged(py::array_t<T, py::array::c_style> cost,
                                   py::array_t<double, py::array::c_style> row_keys,
                                   py::array_t<double, py::array::c_style> col_keys,
                                   int64_t window, bool maximize) {
  const int64_t n = cost.shape(0), m = cost.shape(1);
  if (row_keys.size() != n || col_keys.size() != m) throw py::value_error("key lengths");
  const T* c = cost.data();
  std::vector<std::pair<int64_t, int64_t>> blocks;
  const lap::BlockCostFn<T> fn = [&](const int64_t* r, int64_t nr, const int64_t* cc, int64_t nc,
                                     T* out) {
    blocks.emplace_back(nr, nc);
    for (int64_t a = 0; a < nr; ++a)
      for (int64_t b = 0; b < nc; ++b) out[a * nc + b] = c[r[a] * m + cc[b]];
  };
  py::array_t<int64_t> col4row(n);
  double objective = 0.0;
  lap::JvScratch scratch;
  const Status st = lap::batch_optimal<T>(n, m, row_keys.data(), col_keys.data(), window, fn,
                                          maximize, col4row.mutable_data(), &objective, scratch);
  if (st != Status::ok) throw_status(st, "");
  return py::make_tuple(col4row, objective, blocks);
}

// The cost GEMM alone: the (rows x cols) block of X Y^T (or of the cosines of the concept
// vectors) for two single samples, computed by the kernels of SIMD level `simd` (lowered to
// what this CPU and SEMRSM_SIMD allow), so tests reach every compiled path.
template <class T>
py::array_t<T> rsm_cost_block(py::array_t<T, py::array::c_style> x,
                              py::array_t<T, py::array::c_style> y, int layout, bool cosine,
                              py::object rows_obj, py::object cols_obj, int simd) {
  if (x.ndim() != 2 || y.ndim() != 2) throw py::value_error("expected two 2-D samples");
  const Layout lay = static_cast<Layout>(layout);
  const bool fm = lay == Layout::feature_major;
  const int64_t Sx = fm ? x.shape(1) : x.shape(0), Sy = fm ? y.shape(1) : y.shape(0);
  const int64_t C = fm ? x.shape(0) : x.shape(1);
  if ((fm ? y.shape(0) : y.shape(1)) != C) throw py::value_error("feature mismatch");
  auto index = [](py::object o, int64_t S, std::vector<int64_t>& v) -> const int64_t* {
    if (o.is_none()) return nullptr;
    auto a = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(o);
    if (!a || a.ndim() != 1) throw py::value_error("index must be 1-D");
    v.assign(a.data(), a.data() + a.size());
    for (int64_t p : v)
      if (p < 0 || p >= S) throw py::value_error("index out of range");
    return v.data();
  };
  std::vector<int64_t> ri, ci;
  const int64_t* rows = index(rows_obj, Sx, ri);
  const int64_t* cols = index(cols_obj, Sy, ci);
  const int64_t nr = rows ? static_cast<int64_t>(ri.size()) : Sx;
  const int64_t nc = cols ? static_cast<int64_t>(ci.size()) : Sy;
  auto sq = [&](const T* d, int64_t S, std::vector<double>& out) {
    out.assign(static_cast<size_t>(S), 0.0);
    for (int64_t p = 0; p < S; ++p)
      for (int64_t k = 0; k < C; ++k) {
        const double v = static_cast<double>(fm ? d[k * S + p] : d[p * C + k]);
        out[p] += v * v;
      }
  };
  std::vector<double> sx, sy;
  if (cosine) {
    sq(x.data(), Sx, sx);
    sq(y.data(), Sy, sy);
  }
  const int asked = std::min(simd, static_cast<int>(simd_level()));
  const rsm::GemmKernels<T>& K = rsm::gemm_kernels<T>(static_cast<SimdLevel>(asked));
  std::vector<T> pa(static_cast<size_t>(K.packed_a_size(nr, C))),
      pb(static_cast<size_t>(K.packed_b_size(nc, C)));
  K.pack_a(x.data(), lay, Sx, C, rows, nr, cosine ? sx.data() : nullptr, pa.data());
  K.pack_b(y.data(), lay, Sy, C, cols, nc, cosine ? sy.data() : nullptr, pb.data());
  py::array_t<T> out({nr, nc});
  K.gemm(pa.data(), nr, pb.data(), nc, C, out.mutable_data(), nc, false);
  return out;
}

}  // namespace
}  // namespace semrsm::testing

PYBIND11_MODULE(_testing, m) {
  namespace t = semrsm::testing;
  m.doc() = "semrsm_native test hooks (test suite only; never imported by the package)";
  m.def("lap_solve_square_inplace", &t::lap_solve_square_inplace<double>);
  m.def("lap_solve_square_inplace", &t::lap_solve_square_inplace<float>);
  m.def("lap_batch_optimal_logged", &t::lap_batch_optimal_logged<double>);
  m.def("lap_batch_optimal_logged", &t::lap_batch_optimal_logged<float>);
  m.def("rsm_cost_block", &t::rsm_cost_block<float>, py::arg("x"), py::arg("y"),
        py::arg("layout"), py::arg("cosine"), py::arg("rows"), py::arg("cols"), py::arg("simd"));
  m.def("rsm_cost_block", &t::rsm_cost_block<double>, py::arg("x"), py::arg("y"),
        py::arg("layout"), py::arg("cosine"), py::arg("rows"), py::arg("cols"), py::arg("simd"));
}
