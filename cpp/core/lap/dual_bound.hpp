// A certified lower bound on the optimum of a min-cost assignment, from dual prices alone.
//
// Linear programming duality (the assignment LP is integral): for the problem of assigning
// every row of the shorter side, with rows i and columns j (r <= k after a transpose),
//     min_P sum_i c_{i,P(i)}  >=  D(v) = sum_i min_j (c_ij - v_j) + sum_j v_j
// for ANY column prices v, provided v_j <= 0 when r < k (a column may stay unassigned; its
// constraint sum_i x_ij <= 1 has a nonpositive multiplier). u_i = min_j (c_ij - v_j) is the
// best row dual for given v, so D depends on v alone; it is concave and piecewise linear,
// and its maximum is the optimum (strong duality). No assignment is needed, so a bound
// comes with any matcher that does not certify itself (greedy, Batch-Optimal).
//
// How v is chosen: v = 0 first (D = the sum of row minima), then Gauss-Seidel sweeps of
// exact coordinate ascent. Along one coordinate v_j, with b_i the best reduced cost of row i
// over the other columns and d_i = c_ij - b_i, D'(v_j) = 1 - #{i : d_i <= v_j}, so D is
// maximal on [d_(1), d_(2)] (the two smallest d_i): the price at which exactly one row still
// prefers column j. That is the auction's bid with eps = 0 (Bertsekas, "The auction
// algorithm", Ann. Oper. Res. 14, 1988, Sec. 2: the naive auction is coordinate ascent on
// this dual); each step moves v_j to the nearest point of that interval, and the first sweep
// of a square problem starts with the column reduction of Jonker & Volgenant (1987), which
// is that step from v = 0. Without eps such ascent can stall short of the optimum (several
// prices would have to move together), so the result is a bound, not the optimum; it only
// ever improves on the row minima, and the best D seen is returned.
//
// Rounding: the search for v runs in the cost's type (float for a float cost, on the SIMD
// kernels); the returned D of the prices found is evaluated in double from the cost entries
// as given (a float converts exactly), with u_i recomputed, so its only error is that of
// double sums over r + k terms (relative 2^-53 each), which a caller comparing D with an
// optimum of the same entries must allow for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace semrsm::lap {

// Scratch of dual_lower_bound, reused across problems (one per thread).
template <class T>
struct DualBoundWork {
  std::vector<T> transposed;   // the cost with the other side contiguous
  std::vector<T> v, kept;      // column prices (the duals of the longer side); the best found
  std::vector<T> w1, w2;       // per row: best and (a lower bound on) second-best reduced cost
  std::vector<int32_t> best;   // per row: the column of w1
  std::vector<T> d;            // scratch of one entry per row (b_i, or u_i of the warm start)
  std::vector<double> vd;      // the kept prices in double, for the certified evaluation
  std::vector<int32_t> assign, owner;  // a given assignment, from either side

  size_t bytes() const {
    size_t b = 0;
    for (const auto* t : {&transposed, &v, &kept, &w1, &w2, &d}) b += t->capacity() * sizeof(T);
    return b + vd.capacity() * sizeof(double) +
           (best.capacity() + assign.capacity() + owner.capacity()) * sizeof(int32_t);
  }
};

// Coordinate-ascent sweeps after the warm start from the matcher's assignment, for every
// caller that certifies greedy or Batch-Optimal (the RSM engine, the batched LAP).
// Measured on greedy's assignments of gamma / tokens / relu problems at S = 196: the
// bound's excess over the optimum is 1.4-5.9% / 0.1-0.2% / 0.5-0.9% after 2 sweeps and
// 1.3-5.5% / 0-0.1% / 0.4-0.7% after 8, at 0.17 ms against 0.37 ms per problem.
// Widths per family: benchmarks/results/bounds.md.
inline constexpr int kDualSweeps = 2;

// A lower bound on min over assignments of min(n, m) pairs of the summed entries of the
// dense row-major n x m `cost` (finite entries; -inf when an entry is NaN or infinite, which
// is trivially valid). `sweeps` (>= 0) coordinate-ascent sweeps over the columns after the
// row minima; 0 returns the row minima bound (plus the column reduction when square). An
// empty problem gives 0. `cost` is only read.
template <class T>
double dual_lower_bound(const T* cost, int64_t n, int64_t m, int sweeps, DualBoundWork<T>& w,
                        const int64_t* col4row = nullptr);

}  // namespace semrsm::lap
