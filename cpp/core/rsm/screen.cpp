// screen_pairs (screen.hpp): the threshold-aware epsilon-scaling auction of top-k retrieval.
#include "core/rsm/screen.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <new>
#include <vector>

#include "core/cpu_features.hpp"
#include "core/lap/auction_start.hpp"
#include "core/lap/kernels.hpp"
#include "core/rsm/gemm.hpp"

namespace semrsm::rsm {

namespace {

// Pairs per pool task: enough to amortise a task, few enough to balance two threads.
constexpr int64_t kPairsPerTask = 8;

template <class T>
struct ScreenWork {
  std::vector<T> apack, bpack, cost, v;
  std::vector<int32_t> col4row, row4col, ring;
  std::vector<double> vd, u, colmin;
  int64_t packed_i = -1;  // the x sample in apack
};

template <class T>
class Screen {
 public:
  Screen(const Samples<T>& x, const Samples<T>& y, const ScreenOptions& opts)
      : x_(x),
        y_(y),
        opts_(opts),
        G_(gemm_kernels<T>(simd_level())),
        K_(lap::detail::kernels<T, T>()),
        Kd_(lap::detail::kernels<T, double>()) {}

  void pair(int64_t i, int64_t j, double tau, double* lower, double* upper, int32_t* phases,
            ScreenWork<T>& w) const {
    const int64_t Sx = x_.S, Sy = y_.S, C = x_.C, n = std::max(Sx, Sy);
    w.apack.resize(static_cast<size_t>(G_.packed_a_size(Sx, C)));
    w.bpack.resize(static_cast<size_t>(G_.packed_b_size(Sy, C)));
    w.cost.resize(static_cast<size_t>(n * n));
    if (w.packed_i != i) {  // the caller sorts pairs by their x sample: pack it once
      G_.pack_a(x_.data + i * Sx * C, x_.layout, Sx, C, nullptr, Sx, nullptr, w.apack.data());
      w.packed_i = i;
    }
    G_.pack_b(y_.data + j * Sy * C, y_.layout, Sy, C, nullptr, Sy, nullptr, w.bpack.data());
    T* c = w.cost.data();
    // Min-sense cost: negated inner products, zero-padded to n x n.
    G_.gemm(w.apack.data(), Sx, w.bpack.data(), Sy, C, c, n, true);
    for (int64_t r = 0; r < Sx; ++r) std::fill(c + r * n + Sy, c + (r + 1) * n, T(0));
    std::fill(c + Sx * n, c + n * n, T(0));

    T lo = c[0], hi = c[0];
    for (int64_t t = 1; t < n * n; ++t) {
      lo = c[t] < lo ? c[t] : lo;
      hi = c[t] > hi ? c[t] : hi;
    }
    const double maxabs = std::max(std::abs(static_cast<double>(lo)),
                                   std::abs(static_cast<double>(hi)));
    const double spread = static_cast<double>(hi) - static_cast<double>(lo);
    const T big_step = spread > 0.0 ? static_cast<T>(spread) : T(1);
    // Prices live in T: a step below a few units in the last place of the costs would only
    // move them by nextafter, one bid at a time, so the final epsilon has that floor (the
    // bounds stay certified; they just stop tightening there).
    const double eps_final =
        std::max(opts_.eps_final, 64.0 * std::numeric_limits<T>::epsilon()) * maxabs;

    w.v.assign(static_cast<size_t>(n), T(0));
    w.col4row.resize(static_cast<size_t>(n));
    w.row4col.resize(static_cast<size_t>(n));
    w.ring.resize(static_cast<size_t>(n));
    w.vd.resize(static_cast<size_t>(n));
    w.u.resize(static_cast<size_t>(n));
    w.colmin.resize(static_cast<size_t>(n));
    T* v = w.v.data();
    int32_t* col4row = w.col4row.data();
    int32_t* row4col = w.row4col.data();
    int32_t* ring = w.ring.data();

    double eps = std::max(opts_.eps_first * spread, eps_final);
    int32_t count_phases = 0;
    double best_lo = -std::numeric_limits<double>::infinity();
    double best_hi = std::numeric_limits<double>::infinity();
    if (maxabs == 0.0) {  // every entry zero: the value is 0 exactly
      best_lo = best_hi = 0.0;
      eps = 0.0;
    }
    while (maxabs > 0.0) {
      lap::detail::auction_phase(c, v, n, static_cast<T>(eps), big_step, col4row, row4col, ring, K_);
      ++count_phases;
      // Bounds in double from the cost entries (screen.hpp). Lower: the assignment's value.
      double primal = 0.0;
      for (int64_t r = 0; r < n; ++r) primal += static_cast<double>(c[r * n + col4row[r]]);
      // Upper: the dual of u = row minima under v, then v' = column minima under u.
      double* vd = w.vd.data();
      double* u = w.u.data();
      double* cm = w.colmin.data();
      double dual = 0.0;
      for (int64_t q = 0; q < n; ++q) dual += (vd[q] = static_cast<double>(v[q]));
      for (int64_t r = 0; r < n; ++r) dual += (u[r] = Kd_.row_min(c + r * n, vd, n));
      best_lo = std::max(best_lo, 0.0 - primal);
      // D(u, v) already decides most pairs, which are far below their threshold: the column
      // pass (D(u, v') >= D(u, v), as v' >= v) costs as much again, so only when it did not.
      if (0.0 - dual < tau) {
        best_hi = std::min(best_hi, 0.0 - dual);
        break;
      }
      dual = 0.0;
      for (int64_t r = 0; r < n; ++r) dual += u[r];
      std::fill(cm, cm + n, std::numeric_limits<double>::infinity());
      for (int64_t r = 0; r < n; ++r) {
        const T* cr = c + r * n;
        const double ur = u[r];
        for (int64_t q = 0; q < n; ++q) {
          const double red = static_cast<double>(cr[q]) - ur;
          cm[q] = red < cm[q] ? red : cm[q];
        }
      }
      for (int64_t q = 0; q < n; ++q) dual += cm[q];
      best_hi = std::min(best_hi, 0.0 - dual);
      if (best_hi < tau || best_lo >= tau || eps <= eps_final) break;
      eps = std::max(eps / opts_.eps_factor, eps_final);
    }
    *lower = best_lo;
    *upper = std::max(best_hi, best_lo);
    if (phases) *phases = count_phases;
  }

 private:
  const Samples<T> x_, y_;
  const ScreenOptions opts_;
  const GemmKernels<T>& G_;
  const lap::detail::Kernels<T, T>& K_;
  const lap::detail::Kernels<T, double>& Kd_;
};

}  // namespace

template <class T>
Status screen_pairs(const Samples<T>& x, const Samples<T>& y, const ScreenPairs& pairs,
                    const ScreenOptions& opts, const ScreenOutput& out, const Control& ctl) {
  if (y.C != x.C || y.layout != x.layout || !(opts.eps_factor > 1.0) ||
      !(opts.eps_final > 0.0) || !(opts.eps_first > 0.0) || out.lower == nullptr ||
      out.upper == nullptr)
    return Status::invalid_argument;
  for (int64_t t = 0; t < pairs.n; ++t)
    if (pairs.pair_i[t] < 0 || pairs.pair_i[t] >= x.n || pairs.pair_j[t] < 0 ||
        pairs.pair_j[t] >= y.n)
      return Status::invalid_argument;
  if (pairs.n == 0) return Status::ok;
  try {
    const Screen<T> screen(x, y, opts);
    const int threads = std::max(1, opts.threads);
    std::vector<std::unique_ptr<ScreenWork<T>>> slots(static_cast<size_t>(threads));
    std::atomic<bool> cancel{false};
    const PollFn poll = [&]() {
      if (ctl.poll != nullptr && *ctl.poll && (*ctl.poll)()) {
        cancel.store(true);
        return true;
      }
      return false;
    };
    const int64_t tasks = (pairs.n + kPairsPerTask - 1) / kPairsPerTask;
    parallel_for(
        tasks, threads,
        [&](int64_t task, int slot) {
          if (!slots[slot]) slots[slot] = std::make_unique<ScreenWork<T>>();
          const int64_t t0 = task * kPairsPerTask, t1 = std::min(pairs.n, t0 + kPairsPerTask);
          int64_t done = 0;
          for (int64_t t = t0; t < t1; ++t) {
            if (cancel.load(std::memory_order_relaxed)) break;
            screen.pair(pairs.pair_i[t], pairs.pair_j[t], pairs.tau[t], out.lower + t,
                        out.upper + t, out.phases ? out.phases + t : nullptr, *slots[slot]);
            ++done;
          }
          if (ctl.pairs_done) ctl.pairs_done->fetch_add(done, std::memory_order_relaxed);
        },
        poll, &cancel);
    if (cancel.load()) return Status::cancelled;
  } catch (const std::bad_alloc&) {
    return Status::out_of_memory;
  }
  return Status::ok;
}

template Status screen_pairs<float>(const Samples<float>&, const Samples<float>&,
                                    const ScreenPairs&, const ScreenOptions&,
                                    const ScreenOutput&, const Control&);
template Status screen_pairs<double>(const Samples<double>&, const Samples<double>&,
                                     const ScreenPairs&, const ScreenOptions&,
                                     const ScreenOutput&, const Control&);

}  // namespace semrsm::rsm
