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
#include "core/lap/kernels.hpp"
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

// A SIMD level asked for by a test, lowered to what this CPU and SEMRSM_SIMD allow.
SimdLevel lowered(int simd) {
  return static_cast<SimdLevel>(std::min(simd, static_cast<int>(simd_level())));
}

// A fresh copy of a 1-D array, for a kernel to update in place.
template <class T>
py::array_t<T> copy_of(const py::array_t<T, py::array::c_style>& a) {
  py::array_t<T> out(a.size());
  std::copy(a.data(), a.data() + a.size(), out.mutable_data());
  return out;
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
  const rsm::GemmKernels<T>& K = rsm::gemm_kernels<T>(lowered(simd));
  std::vector<T> pa(static_cast<size_t>(K.packed_a_size(nr, C))),
      pb(static_cast<size_t>(K.packed_b_size(nc, C)));
  K.pack_a(x.data(), lay, Sx, C, rows, nr, cosine ? sx.data() : nullptr, pa.data());
  K.pack_b(y.data(), lay, Sy, C, cols, nc, cosine ? sy.data() : nullptr, pb.data());
  py::array_t<T> out({nr, nc});
  K.gemm(pa.data(), nr, pb.data(), nc, C, out.mutable_data(), nc, false);
  return out;
}

// The exact solver's row kernels (core/lap/kernels.hpp) of SIMD level `simd` (lowered),
// one call each on copies of the caller's arrays, so that tests can hold every level to the
// scalar kernels on rows with ties and forbidden entries.
template <class Tc, class W>
lap::detail::Kernels<Tc, W> lap_kernels_at(int simd) {
  return lap::detail::kernels_for<Tc, W>(lowered(simd));
}

template <class T>
py::tuple lap_two_min(py::array_t<T, py::array::c_style> c, py::array_t<T, py::array::c_style> v,
                      int simd) {
  if (c.size() != v.size()) throw py::value_error("c and v differ in length");
  T u1, u2;
  int64_t j1, j2;
  lap_kernels_at<T, T>(simd).two_min(c.data(), v.data(), c.size(), &u1, &j1, &u2, &j2);
  return py::make_tuple(u1, j1, u2, j2);
}

template <class T>
py::tuple lap_bid(py::array_t<T, py::array::c_style> c, py::array_t<T, py::array::c_style> v,
                  int simd) {
  if (c.size() != v.size()) throw py::value_error("c and v differ in length");
  T u1, u2;
  int64_t j1;
  lap_kernels_at<T, T>(simd).bid(c.data(), v.data(), c.size(), &u1, &j1, &u2);
  return py::make_tuple(u1, j1, u2);
}

// relax_argmin, or relax alone when `fused` is false; returns (mu, jmin, d, path) with
// jmin = -2 for relax alone.
template <class Tc, class W>
py::tuple lap_relax(py::array_t<Tc, py::array::c_style> c, py::array_t<W, py::array::c_style> v,
                    py::array_t<W, py::array::c_style> d,
                    py::array_t<int32_t, py::array::c_style> path,
                    py::array_t<int32_t, py::array::c_style> row4col, W h, int32_t i, bool fused,
                    int simd) {
  const int64_t n = c.size();
  if (v.size() != n || d.size() != n || path.size() != n || row4col.size() != n)
    throw py::value_error("arrays differ in length");
  py::array_t<W> d_out = copy_of(d);
  py::array_t<int32_t> path_out = copy_of(path);
  const auto K = lap_kernels_at<Tc, W>(simd);
  int64_t jmin = -2;
  const W mu = fused ? K.relax_argmin(c.data(), v.data(), d_out.mutable_data(),
                                      path_out.mutable_data(), row4col.data(), n, h, i, &jmin)
                     : K.relax(c.data(), v.data(), d_out.mutable_data(), path_out.mutable_data(),
                               n, h, i);
  return py::make_tuple(mu, jmin, d_out, path_out);
}

// col_min: returns the updated (v, arg).
template <class T>
py::tuple lap_col_min(py::array_t<T, py::array::c_style> c, py::array_t<T, py::array::c_style> v,
                      py::array_t<int32_t, py::array::c_style> arg, T h, int32_t i, int simd) {
  const int64_t n = c.size();
  if (v.size() != n || arg.size() != n) throw py::value_error("arrays differ in length");
  py::array_t<T> v_out = copy_of(v);
  py::array_t<int32_t> arg_out = copy_of(arg);
  lap_kernels_at<T, T>(simd).col_min(c.data(), v_out.mutable_data(), arg_out.mutable_data(), n,
                                     h, i);
  return py::make_tuple(v_out, arg_out);
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
  m.def("lap_two_min", &t::lap_two_min<float>);
  m.def("lap_two_min", &t::lap_two_min<double>);
  m.def("lap_bid", &t::lap_bid<float>);
  m.def("lap_bid", &t::lap_bid<double>);
  m.def("lap_relax", &t::lap_relax<float, float>);
  m.def("lap_relax", &t::lap_relax<double, double>);
  m.def("lap_relax", &t::lap_relax<float, double>);  // the double repair of a float solve
  m.def("lap_col_min", &t::lap_col_min<float>);
  m.def("lap_col_min", &t::lap_col_min<double>);
}
