// Bindings of the semantic RSM engine (semrsm_native.rsm wraps these; arguments are
// validated there, this layer checks only what it needs to stay memory-safe).
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "bindings/common.hpp"
#include "core/rsm/rsm.hpp"
#include "core/rsm/screen.hpp"

namespace py = pybind11;

namespace semrsm::bind {

namespace {

using rsm::Layout;

template <class T>
rsm::Samples<T> samples_of(const py::array_t<T, py::array::c_style>& a, Layout layout) {
  if (a.ndim() != 3) throw py::value_error("expected a 3-D array (N, C, S) or (N, S, C)");
  rsm::Samples<T> s;
  s.data = a.data();
  s.n = a.shape(0);
  s.layout = layout;
  if (layout == Layout::feature_major) {
    s.C = a.shape(1);
    s.S = a.shape(2);
  } else {
    s.S = a.shape(1);
    s.C = a.shape(2);
  }
  return s;
}

// Poll function for the waiting thread: takes the GIL every poll interval, runs pending
// signal handlers (Ctrl-C cancels the job; KeyboardInterrupt is raised once every worker
// has stopped) and forwards the pair counter to the Python progress callback.
struct Poller {
  py::object progress;
  std::atomic<int64_t> done{0};
  int64_t reported = 0;
  bool interrupted = false;
  std::unique_ptr<py::error_already_set> callback_error;

  bool operator()() {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {
      interrupted = true;
      return true;
    }
    // An exception must not unwind through the pool while workers still run: a failing
    // progress callback cancels the job and is re-raised once it has stopped.
    try {
      report();
    } catch (py::error_already_set& e) {
      callback_error = std::make_unique<py::error_already_set>(std::move(e));
      return true;
    }
    return false;
  }

  // Called with the GIL held.
  void report() {
    const int64_t now = done.load(std::memory_order_relaxed);
    if (progress.is_none() || now == reported) return;
    progress(now - reported);
    reported = now;
  }
};

template <class T>
py::tuple semantic_linear(py::array_t<T, py::array::c_style> x, py::object y_obj, int layout,
                          int matcher, int cost, int64_t window, double eps, int threads,
                          bool want_d2, bool want_perms, py::object progress,
                          const std::string& func, bool want_gap) {
  const Layout lay = static_cast<Layout>(layout);
  const rsm::Samples<T> xs = samples_of(x, lay);
  const bool self = y_obj.is_none();
  py::array_t<T, py::array::c_style> y;
  rsm::Samples<T> ys = xs;
  if (!self) {
    y = py::array_t<T, py::array::c_style>::ensure(y_obj);
    if (!y) throw py::type_error(func + ": y must have the dtype of x");
    ys = samples_of(y, lay);
    if (ys.C != xs.C)
      throw py::value_error(func + ": x and y must have the same number of features, got " +
                            std::to_string(xs.C) + " and " + std::to_string(ys.C));
  }
  const int64_t n = xs.n, m = self ? xs.n : ys.n;
  if (static_cast<rsm::Matcher>(matcher) == rsm::Matcher::identity && ys.S != xs.S)
    throw py::value_error(func + ": x and y must have the same number of positions, got " +
                          std::to_string(xs.S) + " and " + std::to_string(ys.S));

  py::array_t<double> x_pos({n, xs.S}), x_sq(n);
  py::array_t<double> y_pos({self ? 0 : ys.n, self ? 0 : ys.S}), y_sq(self ? 0 : ys.n);
  py::array_t<double> linear({n, m});
  py::object d2_obj = py::none(), perms_obj = py::none();
  double* d2 = nullptr;
  int32_t* perms = nullptr;
  if (want_d2) {
    py::array_t<double> a({n, m});
    d2 = a.mutable_data();
    d2_obj = a;
  }
  if (want_perms) {
    py::array_t<int32_t> a({n, m, xs.S});
    perms = a.mutable_data();
    perms_obj = a;
  }
  py::object gap_obj = py::none();
  double* gap = nullptr;
  if (want_gap) {
    py::array_t<double> a({n, m});
    gap = a.mutable_data();
    gap_obj = a;
  }

  Poller poller;
  poller.progress = progress;
  const PollFn poll = [&poller]() { return poller(); };
  Status st = Status::ok;
  int64_t bad = -1;
  const char* bad_name = "x";
  {
    py::gil_scoped_release release;
    st = rsm::sample_norms<T>(xs, threads, x_pos.mutable_data(), x_sq.mutable_data(), &bad,
                              poll);
    if (st == Status::ok && !self) {
      bad_name = "y";
      st = rsm::sample_norms<T>(ys, threads, y_pos.mutable_data(), y_sq.mutable_data(), &bad,
                                poll);
    }
    if (st == Status::ok) {
      rsm::Options opts;
      opts.matcher = static_cast<rsm::Matcher>(matcher);
      opts.cost = static_cast<rsm::CostKind>(cost);
      opts.window = window;
      opts.auction_eps = eps;
      opts.threads = threads;
      rsm::Output out;
      out.linear = linear.mutable_data();
      out.d2 = d2;
      out.perms = perms;
      out.gap = gap;
      rsm::Control ctl;
      ctl.poll = &poll;
      ctl.pairs_done = &poller.done;
      st = rsm::semantic_linear<T>(xs, self ? nullptr : &ys, x_pos.data(), x_sq.data(),
                                   self ? nullptr : y_pos.data(), self ? nullptr : y_sq.data(),
                                   opts, out, ctl);
    }
  }
  if (poller.interrupted) throw py::error_already_set();
  if (poller.callback_error) throw std::move(*poller.callback_error);
  if (st == Status::invalid_cost)
    throw py::value_error(func + ": " + bad_name + " contains NaN or inf in sample " +
                          std::to_string(bad) +
                          " (or a value whose square overflows float64)");
  if (st != Status::ok) throw_status(st, func);
  poller.report();
  return py::make_tuple(linear, d2_obj, perms_obj, x_sq, self ? x_sq : y_sq, gap_obj);
}

// The threshold screen of semantic_topk (core/rsm/screen.hpp) on prepared 3-D views.
template <class T>
py::tuple screen(py::array_t<T, py::array::c_style> x, py::array_t<T, py::array::c_style> y,
                 int layout, py::array_t<int64_t, py::array::c_style> pair_i,
                 py::array_t<int64_t, py::array::c_style> pair_j,
                 py::array_t<double, py::array::c_style> tau, double eps_final,
                 double eps_first, double eps_factor, int threads, py::object progress,
                 const std::string& func) {
  const Layout lay = static_cast<Layout>(layout);
  const rsm::Samples<T> xs = samples_of(x, lay), ys = samples_of(y, lay);
  const int64_t n = pair_i.size();
  if (pair_j.size() != n || tau.size() != n)
    throw py::value_error(func + ": pair and threshold lengths differ");
  if (ys.C != xs.C)
    throw py::value_error(func + ": x and y must have the same number of features");
  py::array_t<double> lower(n), upper(n);
  py::array_t<int32_t> phases(n);
  Poller poller;
  poller.progress = progress;
  const PollFn poll = [&poller]() { return poller(); };
  Status st;
  {
    py::gil_scoped_release release;
    rsm::ScreenPairs pairs{pair_i.data(), pair_j.data(), tau.data(), n};
    rsm::ScreenOptions opts;
    opts.eps_final = eps_final;
    opts.eps_first = eps_first;
    opts.eps_factor = eps_factor;
    opts.threads = threads;
    rsm::ScreenOutput out{lower.mutable_data(), upper.mutable_data(), phases.mutable_data()};
    rsm::Control ctl;
    ctl.poll = &poll;
    ctl.pairs_done = &poller.done;
    st = rsm::screen_pairs<T>(xs, ys, pairs, opts, out, ctl);
  }
  if (poller.interrupted) throw py::error_already_set();
  if (poller.callback_error) throw std::move(*poller.callback_error);
  if (st != Status::ok) throw_status(st, func);
  poller.report();
  return py::make_tuple(lower, upper, phases);
}

}  // namespace

void register_rsm(py::module_& m) {
  m.def("semantic_linear", &semantic_linear<float>, py::arg("x"), py::arg("y"),
        py::arg("layout"), py::arg("matcher"), py::arg("cost"), py::arg("window"),
        py::arg("eps"), py::arg("threads"), py::arg("want_d2"), py::arg("want_perms"),
        py::arg("progress"), py::arg("func"), py::arg("want_gap") = false);
  m.def("semantic_linear", &semantic_linear<double>, py::arg("x"), py::arg("y"),
        py::arg("layout"), py::arg("matcher"), py::arg("cost"), py::arg("window"),
        py::arg("eps"), py::arg("threads"), py::arg("want_d2"), py::arg("want_perms"),
        py::arg("progress"), py::arg("func"), py::arg("want_gap") = false);
  m.def("rsm_screen", &screen<float>, py::arg("x"), py::arg("y"), py::arg("layout"),
        py::arg("pair_i"), py::arg("pair_j"), py::arg("tau"), py::arg("eps_final"),
        py::arg("eps_first"), py::arg("eps_factor"), py::arg("threads"), py::arg("progress"), py::arg("func"));
  m.def("rsm_screen", &screen<double>, py::arg("x"), py::arg("y"), py::arg("layout"),
        py::arg("pair_i"), py::arg("pair_j"), py::arg("tau"), py::arg("eps_final"),
        py::arg("eps_first"), py::arg("eps_factor"), py::arg("threads"), py::arg("progress"), py::arg("func"));
  m.def(
      "rsm_apply_kernel",
      [](int kind, py::array_t<double, py::array::c_style> linear, py::object d2_obj,
         py::array_t<double, py::array::c_style> sqx, py::array_t<double, py::array::c_style> sqy,
         double sigma, py::object out_obj) {
        const int64_t n = linear.shape(0), m = linear.shape(1);
        if (sqx.size() != n || sqy.size() != m) throw py::value_error("norm length mismatch");
        // A default-constructed py::array_t is an empty array, not a null handle, so whether
        // d2 was given is kept as a pointer: null means d2_from_linear (rsm.hpp).
        py::array_t<double, py::array::c_style> d2;
        const double* d2p = nullptr;
        if (!d2_obj.is_none()) {
          d2 = py::array_t<double, py::array::c_style>::ensure(d2_obj);
          if (!d2 || d2.size() != n * m) throw py::value_error("d2 shape mismatch");
          d2p = d2.data();
        }
        // `out` may be one of the inputs (elementwise, so in place is safe): the RSM of a
        // single kernel then needs no second N x M matrix.
        py::array_t<double, py::array::c_style> out;
        if (out_obj.is_none()) {
          out = py::array_t<double, py::array::c_style>({n, m});
        } else {
          out = py::array_t<double, py::array::c_style>::ensure(out_obj);
          if (!out || out.size() != n * m || !out.writeable())
            throw py::value_error("out must be a writeable float64 array of the RSM's shape");
        }
        rsm::apply_kernel(static_cast<rsm::KernelKind>(kind), linear.data(), d2p, n, m,
                          sqx.data(), sqy.data(), sigma, out.mutable_data());
        return out;
      },
      py::arg("kind"), py::arg("linear"), py::arg("d2"), py::arg("sqnorm_x"), py::arg("sqnorm_y"),
      py::arg("sigma"), py::arg("out") = py::none());
  m.def(
      "rsm_default_sigma",
      [](py::array_t<double, py::array::c_style> d2, bool self) {
        if (d2.ndim() != 2) throw py::value_error("d2 must be 2-D");
        return rsm::rbf_default_sigma(d2.data(), d2.shape(0), d2.shape(1), self);
      },
      py::arg("d2"), py::arg("self"));
}

}  // namespace semrsm::bind
