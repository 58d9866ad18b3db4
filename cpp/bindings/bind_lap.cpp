// Bindings of the assignment core (semrsm_native.lap wraps these). Arguments are converted
// and checked by lap.py; this layer only takes C-contiguous float32/float64 arrays, releases
// the GIL around the solvers and maps status codes to the exceptions scipy raises.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "bindings/common.hpp"
#include "core/lap/lap.hpp"
#include "core/lap/solve.hpp"
#include "core/vocabulary.hpp"

namespace py = pybind11;

namespace semrsm::bind {

namespace {

// Batches with at most this many cost entries in all run inline (see solve_batch).
constexpr int64_t kInlineEntries = int64_t{1} << 16;

// solve_exact keeps a thread's scratch up to this size between calls: the working matrix of a
// float64 problem of 2^20 entries.
constexpr size_t kKeptScratchBytes = size_t{8} << 20;

lap::SolveOptions make_options(int method, bool maximize, double eps_final, double eps_factor,
                               int64_t window) {
  // Any code of the vocabulary but identity (no matching), which is an RSM-only code.
  const int n_codes = static_cast<int>(std::size(kMethodNames));
  if (method < 0 || method >= n_codes || method == static_cast<int>(Method::identity))
    throw py::value_error("unknown method code");
  lap::SolveOptions o;
  o.method = static_cast<Method>(method);
  o.maximize = maximize;
  o.auction.eps_final = eps_final;
  o.auction.eps_factor = eps_factor;
  o.window = window;
  return o;
}

using KeyArray = std::optional<py::array_t<double, py::array::c_style>>;

// The exact solver alone, with the fewest arguments: linear_sum_assignment's hot path (at
// S = 49 the call overhead is a third of the solve).
template <class T>
py::array_t<int64_t> solve_exact(py::array_t<T, py::array::c_style> cost, bool maximize) {
  if (cost.ndim() != 2) throw py::value_error("expected a matrix (2-D array)");
  const int64_t n = cost.shape(0), m = cost.shape(1);
  py::array_t<int64_t> col4row(n);
  double objective = 0.0;
  Status st;
  {
    py::gil_scoped_release release;
    // Reused across calls of this thread (small problems are dominated by allocations),
    // but not kept once a large problem has grown it.
    thread_local lap::JvScratch scratch;
    st = lap::hungarian<T>(cost.data(), n, m, maximize, col4row.mutable_data(), &objective,
                           scratch);
    if (scratch.bytes() > kKeptScratchBytes) scratch = lap::JvScratch();
  }
  if (st != Status::ok) throw_status(st, "");
  return col4row;
}

// A stack (B, n, m) on the pool: every problem is solved (its status kept), then the first
// failing index is reported, so the error does not depend on the thread count. The per-problem
// bounds are computed only when `want_bound` (the greedy's and batch_optimal's dual bound
// costs more than the matching itself; the auction's gap adds a pass) and are None otherwise.
template <class T>
py::tuple solve_batch(py::array_t<T, py::array::c_style> costs, bool maximize, int method,
                      double eps_final, double eps_factor, int64_t window, KeyArray row_keys,
                      KeyArray col_keys, int threads, const std::string& func, bool want_bound) {
  if (costs.ndim() != 3) throw py::value_error(func + ": expected a (B, n, m) array");
  const lap::SolveOptions o = make_options(method, maximize, eps_final, eps_factor, window);
  const int64_t B = costs.shape(0), n = costs.shape(1), m = costs.shape(2);
  const double* rk = row_keys ? row_keys->data() : nullptr;
  const double* ck = col_keys ? col_keys->data() : nullptr;
  py::array_t<int64_t> col4row({B, n});
  py::array_t<double> objective(B), bound(B);
  std::vector<Status> status(static_cast<size_t>(B), Status::ok);
  std::vector<lap::Scratch> scratch(static_cast<size_t>(std::max(threads, 1)));
  const T* data = costs.data();
  int64_t* out = col4row.mutable_data();
  double* obj = objective.mutable_data();
  double* bnd = want_bound ? bound.mutable_data() : nullptr;
  const auto task = [&](int64_t b, int slot) {
    const lap::Problem<T> p{n, m, data + b * n * m, nullptr, nullptr, rk ? rk + b * n : nullptr,
                            ck ? ck + b * m : nullptr};
    status[b] = lap::solve<T>(o, p, lap::Solution{out + b * n, obj + b, bnd ? bnd + b : nullptr},
                               scratch[slot]);
  };
  if (B == 1 || B * n * m <= kInlineEntries) {
    // A small job (well under a few ms) runs on the calling thread: handing it to the pool
    // would cost more than solving it (S = 49: ~25 us vs ~10 us). So does a single problem
    // of any size: the pool cancels only between problems, so it gains no Ctrl-C latency,
    // and waking a worker on a loaded machine can take milliseconds.
    py::gil_scoped_release release;
    for (int64_t b = 0; b < B; ++b) task(b, 0);
  } else {
    run_parallel(B, threads, task);
  }
  for (int64_t b = 0; b < B; ++b)
    if (status[b] != Status::ok)
      throw_status(status[b], func + ": problem " + std::to_string(b));
  if (!want_bound) return py::make_tuple(col4row, objective, py::none());
  return py::make_tuple(col4row, objective, bound);
}

}  // namespace

void register_lap(py::module_& m) {
  m.def("lap_solve_exact", &solve_exact<float>, py::arg("cost"), py::arg("maximize"));
  m.def("lap_solve_exact", &solve_exact<double>, py::arg("cost"), py::arg("maximize"));
  m.def("lap_solve_batch", &solve_batch<double>, py::arg("costs"), py::arg("maximize"),
        py::arg("method"), py::arg("eps_final"), py::arg("eps_factor"), py::arg("window"),
        py::arg("row_keys"), py::arg("col_keys"), py::arg("threads"), py::arg("func"),
        py::arg("want_bound"));
  m.def("lap_solve_batch", &solve_batch<float>, py::arg("costs"), py::arg("maximize"),
        py::arg("method"), py::arg("eps_final"), py::arg("eps_factor"), py::arg("window"),
        py::arg("row_keys"), py::arg("col_keys"), py::arg("threads"), py::arg("func"),
        py::arg("want_bound"));
}

}  // namespace semrsm::bind
