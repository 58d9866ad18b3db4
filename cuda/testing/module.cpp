// semrsm_native._cuda_testing: the CUDA backend's host/device code run on the CPU, for the
// test suite only (built with the backend, never imported by the package). The LAP matchers
// of lap_team.hpp with a team of N threads (host_solve: team 32 is a warp's partitioning),
// the pair enumeration of the RSM tiles (host_pairs), and CPU emulations of the RSM pipeline
// (host_rsm) and of the spatio-semantic Gram launch (host_gram): the same code the kernels
// run, so tests/test_gpu_shared_logic.py checks it against scipy and the CPU engine on any
// machine, GPU or not. Nothing here touches the CUDA runtime.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "host_team.hpp"
#include "lap_team.hpp"
#include "method_names.hpp"
#include "pairs.hpp"
#include "pipeline.hpp"

namespace py = pybind11;
namespace cb = semrsm::cudabk;
namespace lt = semrsm::cudabk::lap_team;

namespace {

// CPU instantiation of the shared matchers: costs (B, n, m) -> col4row (B, n) int64,
// objective (B,) of the original entries, auction bound (B,), status (B,) int32.
// team = 0: SeqTeam (the sequential instantiation); team >= 1: ThreadTeam of that size.
template <class T>
py::tuple host_solve(py::array_t<T, py::array::c_style | py::array::forcecast> costs, bool maximize,
                     const std::string& method, double eps_rel, double eps_factor, int team) {
  if (costs.ndim() != 3) throw py::value_error("host_solve: expected (B, n, m)");
  if (team < 0 || team > 64) throw py::value_error("host_solve: team must be in [0, 64]");
  const semrsm::Method mcode = cb::gpu_method(method, "host_solve");
  const int64_t B = costs.shape(0);
  const int n = static_cast<int>(costs.shape(1)), m = static_cast<int>(costs.shape(2));
  py::array_t<int64_t> col({B, static_cast<int64_t>(n)});
  py::array_t<double> obj(B), bound(B);
  py::array_t<int32_t> status(B);
  const T* base = costs.data();
  int64_t* pc = col.mutable_data();
  double* po = obj.mutable_data();
  double* pb = bound.mutable_data();
  int32_t* ps = status.mutable_data();
  {
    py::gil_scoped_release release;
    std::vector<unsigned char> scratch(static_cast<size_t>(lt::scratch_bytes(n, m)) + 16);
    std::vector<int> c4r(static_cast<size_t>(n) + 1);
    for (int64_t b = 0; b < B; ++b) {
      const T* g = base + b * static_cast<int64_t>(n) * m;
      const lt::CostView<T> view{g, m, 1, maximize ? -1.0 : 1.0};
      const lt::Scratch s = lt::Scratch::carve(scratch.data(), n, m);
      double bnd = 0.0, eps_used = 0.0;
      int st;
      if (team == 0) {
        st = lt::solve_problem(lt::SeqTeam{}, view, n, m, mcode, eps_rel, eps_factor, s, c4r.data(), &bnd,
                               &eps_used);
      } else {
        st = cb::run_team(team, [&](cb::ThreadTeam& t) {
          double b2 = 0.0, e2 = 0.0;
          const int r = lt::solve_problem(t, view, n, m, mcode, eps_rel, eps_factor, s, c4r.data(), &b2, &e2);
          if (t.rank() == 0) { bnd = b2; eps_used = e2; }
          return r;
        });
      }
      double o = 0.0;
      for (int r = 0; r < n; ++r) {
        const int c = st == lt::kOk ? c4r[static_cast<size_t>(r)] : -1;
        pc[b * n + r] = c;
        if (c >= 0) o += static_cast<double>(g[static_cast<int64_t>(r) * m + c]);
      }
      po[b] = o;
      pb[b] = bnd;
      ps[b] = st;
    }
  }
  return py::make_tuple(col, obj, bound, status);
}

// The pair enumeration of the RSM tiles, evaluated on the CPU for the tests.
py::array_t<int64_t> host_pairs(int64_t n, int64_t m, bool symmetric, int64_t k0, int64_t count) {
  py::array_t<int64_t> out({count, int64_t(2)});
  int64_t* p = out.mutable_data();
  const cb::PairMap pm{n, m, k0, symmetric ? 1 : 0};
  for (int64_t k = 0; k < count; ++k) pm.pair(k, p[2 * k], p[2 * k + 1]);
  return out;
}

// CPU emulation of the GPU RSM pipeline: the kernels' own tile phases (PairTile, run thread by
// thread with the barriers between phases), the shared matchers and the RSM sink, over tiles
// of `tile_pairs` pairs. x and y are (N, S, C) arrays with any strides (a transposed view
// exercises the loads for position-contiguous NCHW data). Returns (linear, d2, perm).
template <class T>
py::tuple host_rsm(py::array_t<T> x, py::object yobj, const std::string& method, bool cosine_cost,
                   int64_t tile_pairs) {
  const semrsm::Method mcode = cb::gpu_method(method, "host_rsm");
  const bool symmetric = yobj.is_none();
  py::array_t<T> y = symmetric ? x : yobj.cast<py::array_t<T>>();
  if (x.ndim() != 3 || y.ndim() != 3 || x.shape(2) != y.shape(2))
    throw py::value_error("host_rsm: expected (N, S, C) arrays with equal C");
  if (tile_pairs < 1) throw py::value_error("host_rsm: tile_pairs must be >= 1");
  const int64_t N = x.shape(0), M = y.shape(0), C = x.shape(2);
  const int S1 = static_cast<int>(x.shape(1)), S2 = static_cast<int>(y.shape(1));
  auto desc = [](const py::array_t<T>& a) {
    return cb::Acts<T>{a.data(), a.strides(0) / static_cast<int64_t>(sizeof(T)),
                       a.strides(1) / static_cast<int64_t>(sizeof(T)), a.strides(2) / static_cast<int64_t>(sizeof(T))};
  };
  const cb::Acts<T> ax = desc(x), ay = desc(y);
  py::array_t<double> linear({N, M}), d2({N, M});
  py::array_t<int32_t> perm({N, M, static_cast<int64_t>(S1)});
  double* lin = linear.mutable_data();
  double* dd = d2.mutable_data();
  int32_t* pp = perm.mutable_data();
  {
    py::gil_scoped_release release;
    std::vector<double> xsq(N), ysq(M);
    std::vector<float> xpn(N * S1), ypn(M * S2);
    auto norms = [&](const cb::Acts<T>& a, int64_t n, int S, std::vector<double>& sq, std::vector<float>& pn) {
      for (int64_t i = 0; i < n; ++i) {
        double tot = 0.0;
        for (int s = 0; s < S; ++s) {
          double p = 0.0;
          for (int64_t c = 0; c < C; ++c) { const double v = static_cast<double>(a.at(i, s, c)); p += v * v; }
          pn[i * S + s] = static_cast<float>(std::sqrt(p));
          tot += p;
        }
        sq[i] = tot;
      }
    };
    norms(ax, N, S1, xsq, xpn);
    norms(ay, M, S2, ysq, ypn);
    if (symmetric)
      for (int64_t i = 0; i < N; ++i) {
        lin[i * N + i] = xsq[i];
        dd[i * N + i] = 0.0;
        for (int s = 0; s < S1; ++s) pp[(i * N + i) * S1 + s] = s;
      }
    const int64_t total = symmetric ? N * (N - 1) / 2 : N * M;
    const int64_t pair_elems = static_cast<int64_t>(S1) * S2;
    std::vector<T> buf(static_cast<size_t>(std::min(total, tile_pairs) * pair_elems));
    using Tile = cb::PairTile<T, T, false>;
    std::vector<T> As(cb::kBK * (cb::kBM + 4)), Bs(cb::kBK * (cb::kBN + 4));
    std::vector<T> acc(256 * 16);
    std::vector<unsigned char> scratch(static_cast<size_t>(lt::scratch_bytes(S1, S2)) + 16);
    std::vector<int> c4r(static_cast<size_t>(S1) + 1);
    const float* px = cosine_cost ? xpn.data() : nullptr;
    const float* py_ = cosine_cost ? (symmetric ? xpn.data() : ypn.data()) : nullptr;
    for (int64_t k0 = 0; k0 < total; k0 += tile_pairs) {
      const int64_t P = std::min(tile_pairs, total - k0);
      const cb::PairMap pm{N, M, k0, symmetric ? 1 : 0};
      for (int64_t p = 0; p < P; ++p) {  // the cost kernel, block by block
        int64_t i, j;
        pm.pair(p, i, j);
        for (int row0 = 0; row0 < S1; row0 += cb::kBM)
          for (int col0 = 0; col0 < S2; col0 += cb::kBN) {
            std::fill(acc.begin(), acc.end(), T(0));
            auto* as = reinterpret_cast<T(*)[cb::kBM + 4]>(As.data());
            auto* bs = reinterpret_cast<T(*)[cb::kBN + 4]>(Bs.data());
            for (int c0 = 0; c0 < C; c0 += cb::kBK) {
              for (int tid = 0; tid < 256; ++tid) Tile::load(tid, ax, ay, i, j, S1, S2, static_cast<int>(C), row0, col0, c0, as, bs);
              for (int tid = 0; tid < 256; ++tid)
                Tile::compute(tid, as, bs, *reinterpret_cast<T(*)[4][4]>(&acc[tid * 16]));
            }
            for (int tid = 0; tid < 256; ++tid)
              Tile::store(tid, *reinterpret_cast<const T(*)[4][4]>(&acc[tid * 16]), i, j, S1, S2, row0, col0, px,
                          py_, buf.data() + p * pair_elems, S2);
          }
      }
      const cb::RsmSink<T> sink{pm, px, py_, lin, pp, dd, ax, ay, static_cast<int>(C), symmetric ? xsq.data() : ysq.data()};
      for (int64_t p = 0; p < P; ++p) {  // the LAP kernel's loop body, one problem at a time
        const T* g = buf.data() + p * pair_elems;
        const lt::CostView<T> view{g, S2, 1, -1.0};
        const lt::Scratch s = lt::Scratch::carve(scratch.data(), S1, S2);
        double bnd = 0.0, eps_used = 0.0;
        const int st = lt::solve_problem(lt::SeqTeam{}, view, S1, S2, mcode, 0.0, 7.0, s, c4r.data(), &bnd, &eps_used);
        sink(lt::SeqTeam{}, p, g, S2, 1, c4r.data(), S1, S2, st, bnd);
      }
    }
  }
  return py::make_tuple(linear, d2, perm);
}

// CPU emulation of the spatio-semantic Gram / distance launch: the samples are the
// "positions" of one pair, read through Acts{ptr, 0, F, 1} exactly as spatio_rsm does, with
// double accumulation. x (n, F), y (m, F) C-contiguous; dist selects sum (x - y)^2.
template <class T>
py::array_t<double> host_gram(py::array_t<T, py::array::c_style | py::array::forcecast> x,
                              py::array_t<T, py::array::c_style | py::array::forcecast> y, bool dist) {
  if (x.ndim() != 2 || y.ndim() != 2 || x.shape(1) != y.shape(1))
    throw py::value_error("host_gram: expected (n, F) and (m, F)");
  const int n = static_cast<int>(x.shape(0)), m = static_cast<int>(y.shape(0));
  const int F = static_cast<int>(x.shape(1));
  py::array_t<double> out({static_cast<int64_t>(n), static_cast<int64_t>(m)});
  const cb::Acts<T> ax{x.data(), 0, F, 1}, ay{y.data(), 0, F, 1};
  double* o = out.mutable_data();
  auto run = [&](auto tile_tag) {
    using Tile = decltype(tile_tag);
    std::vector<double> As(cb::kBK * (cb::kBM + 4)), Bs(cb::kBK * (cb::kBN + 4)), acc(256 * 16);
    auto* as = reinterpret_cast<double(*)[cb::kBM + 4]>(As.data());
    auto* bs = reinterpret_cast<double(*)[cb::kBN + 4]>(Bs.data());
    for (int row0 = 0; row0 < n; row0 += cb::kBM)
      for (int col0 = 0; col0 < m; col0 += cb::kBN) {
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int c0 = 0; c0 < F; c0 += cb::kBK) {
          for (int tid = 0; tid < 256; ++tid) Tile::load(tid, ax, ay, 0, 0, n, m, F, row0, col0, c0, as, bs);
          for (int tid = 0; tid < 256; ++tid) Tile::compute(tid, as, bs, *reinterpret_cast<double(*)[4][4]>(&acc[tid * 16]));
        }
        for (int tid = 0; tid < 256; ++tid)
          Tile::store(tid, *reinterpret_cast<const double(*)[4][4]>(&acc[tid * 16]), 0, 0, n, m, row0, col0, nullptr,
                      nullptr, o, m);
      }
  };
  if (dist) run(cb::PairTile<T, double, true>{}); else run(cb::PairTile<T, double, false>{});
  return out;
}

}  // namespace

PYBIND11_MODULE(_cuda_testing, m) {
  m.doc() = "semrsm_native CUDA backend logic on the CPU (test suite only)";
  m.def("host_solve", &host_solve<double>, py::arg("costs"), py::arg("maximize"), py::arg("method"),
        py::arg("eps_rel") = 0.0, py::arg("eps_factor") = 7.0, py::arg("team") = 0);
  m.def("host_solve", &host_solve<float>, py::arg("costs"), py::arg("maximize"), py::arg("method"),
        py::arg("eps_rel") = 0.0, py::arg("eps_factor") = 7.0, py::arg("team") = 0);
  m.def("host_rsm", &host_rsm<double>, py::arg("x"), py::arg("y"), py::arg("method"), py::arg("cosine_cost"),
        py::arg("tile_pairs"));
  m.def("host_rsm", &host_rsm<float>, py::arg("x"), py::arg("y"), py::arg("method"), py::arg("cosine_cost"),
        py::arg("tile_pairs"));
  m.def("host_gram", &host_gram<double>, py::arg("x"), py::arg("y"), py::arg("dist"));
  m.def("host_gram", &host_gram<float>, py::arg("x"), py::arg("y"), py::arg("dist"));
  m.def("host_pairs", &host_pairs, py::arg("n"), py::arg("m"), py::arg("symmetric"), py::arg("k0"),
        py::arg("count"));
}
