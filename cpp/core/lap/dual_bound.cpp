// Dual lower bound of a min-cost assignment by coordinate ascent on the column prices; the
// method and why the result is certified are in dual_bound.hpp.
#include "core/lap/dual_bound.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/lap/kernels.hpp"

namespace semrsm::lap {
namespace {

// Prices under which a given assignment a (row i -> column a_i) is as nearly optimal as one
// Gauss-Seidel pass of Bellman-Ford can make it: complementary slackness asks
// u_i = c_{i a_i} - v_{a_i} and u_i + v_j <= c_ij, i.e. v_j <= v_{a_i} + c_ij - c_{i a_i},
// a system of difference constraints whose largest solution below 0 is a shortest-path
// distance (Ahuja, Magnanti & Orlin, "Network Flows", 1993, Sec. 9.4). An optimal a has no
// negative cycle, the pass converges to its duals and D(v) to the optimum; a near-optimal
// one (greedy) has a few mildly negative cycles, along which further passes only drift, so
// we stop after kPasses. v never rises above 0, as a rectangular problem requires.
template <class T>
void potentials_from(const T* R, const T* Ct, int64_t r, int64_t k, int64_t n, bool flip,
                     const int64_t* col4row, DualBoundWork<T>& w) {
  constexpr int kPasses = 2;
  // The assignment seen from the shorter side, and the row of each column (-1: none).
  w.owner.assign(static_cast<size_t>(k), -1);
  w.assign.assign(static_cast<size_t>(r), -1);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t j = col4row[i];
    if (j < 0) continue;
    const int64_t row = flip ? j : i, col = flip ? i : j;
    if (row >= r || col >= k) return;  // not an assignment of this problem: no warm start
    w.assign[row] = static_cast<int32_t>(col);
    w.owner[col] = static_cast<int32_t>(row);
  }
  for (int64_t i = 0; i < r; ++i)
    if (w.assign[i] < 0) return;  // not every row assigned
  T* v = w.v.data();
  std::vector<T>& u = w.d;  // scratch of length r
  u.resize(static_cast<size_t>(r));
  for (int64_t i = 0; i < r; ++i) u[i] = R[i * k + w.assign[i]] - v[w.assign[i]];
  const auto& K = detail::kernels<T, T>();
  for (int pass = 0; pass < kPasses; ++pass) {
    for (int64_t j = 0; j < k; ++j) {
      const T* cj = Ct + j * r;
      const T mn = K.row_min(cj, u.data(), r);  // min_i (c_ij - u_i)
      if (mn < v[j]) {
        v[j] = mn;
        const int32_t o = w.owner[j];
        if (o >= 0) u[o] = cj[o] - mn;
      }
    }
  }
}

}  // namespace

template <class T>
double dual_lower_bound(const T* cost, int64_t n, int64_t m, int sweeps, DualBoundWork<T>& w,
                        const int64_t* col4row) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (n <= 0 || m <= 0) return 0.0;
  bool finite = true;
  for (int64_t t = 0; t < n * m; ++t) finite &= std::isfinite(static_cast<double>(cost[t]));
  if (!finite) return -kInf;

  // Rows are the shorter side: every row is assigned, a column may not be.
  const bool flip = n > m;
  const int64_t r = flip ? m : n, k = flip ? n : m;
  w.transposed.resize(static_cast<size_t>(n * m));
  // In cache-sized tiles: a plain strided copy misses the cache on every write once the
  // matrix outgrows it.
  constexpr int64_t kTile = 64;
  T* tr = w.transposed.data();
  for (int64_t i0 = 0; i0 < n; i0 += kTile)
    for (int64_t j0 = 0; j0 < m; j0 += kTile)
      for (int64_t i = i0; i < std::min(n, i0 + kTile); ++i)
        for (int64_t j = j0; j < std::min(m, j0 + kTile); ++j) tr[j * n + i] = cost[i * m + j];
  const T* R = flip ? w.transposed.data() : cost;   // r x k: row i at R + i k
  const T* Ct = flip ? cost : w.transposed.data();  // k x r: column j at Ct + j r
  const bool square = r == k;

  w.v.assign(static_cast<size_t>(k), T(0));
  w.w1.resize(static_cast<size_t>(r));
  w.w2.resize(static_cast<size_t>(r));
  w.best.resize(static_cast<size_t>(r));
  w.d.resize(static_cast<size_t>(r));
  T* v = w.v.data();
  T* w1 = w.w1.data();
  T* w2 = w.w2.data();
  int32_t* best = w.best.data();
  T* b = w.d.data();

  // The search for good prices runs in the cost's type on the auction's SIMD inner loops
  // (lap/kernels.hpp; bid() is a row's best reduced cost, its column and the second best:
  // the best again on a tie, +inf with one column). Its rounding only makes the prices a
  // little less good: the bound itself is D of the prices found, evaluated in double.
  const auto& K = detail::kernels<T, T>();
  const auto scan_row = [&](int64_t i) {
    int64_t ja = 0;
    K.bid(R + i * k, v, k, &w1[i], &ja, &w2[i]);
    best[i] = static_cast<int32_t>(ja);
  };
  // D(v) with u_i = w1[i], in the search's precision: which prices to keep.
  const auto estimate = [&]() {
    double s = 0.0;
    for (int64_t i = 0; i < r; ++i) s += static_cast<double>(w1[i]);
    for (int64_t j = 0; j < k; ++j) s += static_cast<double>(v[j]);
    return s;
  };
  // D(p) in double, u_i = min_j (c_ij - p_j) recomputed: the certified value. `u` (length r,
  // may be null) receives the row duals.
  const auto& Kd = detail::kernels<T, double>();
  const auto evaluate = [&](const T* p, double* u) {
    w.vd.resize(static_cast<size_t>(k));
    double s = 0.0;
    for (int64_t j = 0; j < k; ++j) s += (w.vd[j] = static_cast<double>(p[j]));
    for (int64_t i = 0; i < r; ++i) {
      const double ui = Kd.row_min(R + i * k, w.vd.data(), k);
      if (u != nullptr) u[i] = ui;
      s += ui;
    }
    return s;
  };

  if (col4row != nullptr) potentials_from(R, Ct, r, k, n, flip, col4row, w);
  if (sweeps <= 0) {
    std::vector<double> u(static_cast<size_t>(r));
    const double lb = evaluate(v, u.data());
    if (!square) return lb;
    // Column reduction: raising v_j by min_i (c_ij - v_j - u_i) >= 0 keeps u feasible.
    double s = lb;
    for (int64_t j = 0; j < k; ++j) {
      const T* cj = Ct + j * r;
      double mn = kInf;
      for (int64_t i = 0; i < r; ++i)
        mn = std::min(mn, static_cast<double>(cj[i]) - w.vd[j] - u[i]);
      s += mn;
    }
    return std::max(lb, s);
  }

  for (int64_t i = 0; i < r; ++i) scan_row(i);
  double kept = estimate();
  w.kept.assign(v, v + k);
  for (int sweep = 0; sweep < sweeps; ++sweep) {
    for (int64_t j = 0; j < k; ++j) {
      const T* cj = Ct + j * r;
      // The two smallest d_i = c_ij - b_i (b_i: row i's best over the other columns; w2 is
      // at most the true second best, which only makes d_i larger: the step is then not
      // exactly optimal, but every v stays a valid dual).
      for (int64_t i = 0; i < r; ++i) b[i] = best[i] == j ? w2[i] : w1[i];
      T d1, d2;
      int64_t i1;
      K.bid(cj, b, r, &d1, &i1, &d2);
      T nv = std::min(std::max(v[j], d1), d2);
      if (!square) nv = std::min(nv, T(0));  // an unassigned column's multiplier is <= 0
      if (!(nv != v[j])) continue;           // no move (or a NaN from inf - inf: none)
      const bool up = nv > v[j];
      v[j] = nv;
      for (int64_t i = 0; i < r; ++i) {
        const T rc = cj[i] - nv;
        if (best[i] == j) {
          if (up || rc <= w2[i])
            w1[i] = rc;  // still the row's best
          else
            scan_row(i);  // the row moves to another column; find its new best two
        } else if (rc < w1[i]) {
          w2[i] = w1[i];
          w1[i] = rc;
          best[i] = static_cast<int32_t>(j);
        } else if (rc < w2[i]) {
          w2[i] = rc;
        }
      }
    }
    const double e = estimate();
    if (e > kept) {
      kept = e;
      w.kept.assign(v, v + k);
    }
    if (sweep + 1 < sweeps)
      for (int64_t i = 0; i < r; ++i) scan_row(i);  // exact second bests for the next sweep
  }
  return evaluate(w.kept.data(), nullptr);
}

template double dual_lower_bound<float>(const float*, int64_t, int64_t, int,
                                        DualBoundWork<float>&, const int64_t*);
template double dual_lower_bound<double>(const double*, int64_t, int64_t, int,
                                         DualBoundWork<double>&, const int64_t*);

}  // namespace semrsm::lap
