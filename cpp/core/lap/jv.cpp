// Exact dense LAP: Jonker & Volgenant, "A shortest augmenting path algorithm for dense and
// sparse linear assignment problems", Computing 38 (1987). Square problems run JV's three
// phases (column reduction with reduction transfer, here after a row reduction; augmenting
// row reduction; shortest augmenting paths by Dijkstra); rectangular ones (rows the shorter
// side) run the augmentation phase from v = 0, which keeps the duals of free columns at zero
// as the rectangular optimality conditions require (Crouse, IEEE TAES 52(4), 2016).
// Hard square problems (the column reduction leaves almost every row without a column
// minimum, as inner products of real features do) replace the reduction transfer and the
// augmenting row reduction by a short auction (auction_start.hpp: one fine phase, or an
// epsilon-scaling schedule from S = 64 where outliers dominate the costs), whose prices,
// made feasible and tight, start the augmentation phase.
//
// Names follow the papers: v (column duals; row duals u stay implicit, u_i = c_i,col4row[i]
// - v_col4row[i] for assigned rows), col4row, row4col, d (Dijkstra distances), path.
//
// float32 (and square float64 from n = 256 on, through a float copy): the phases run on
// float (twice the SIMD width and half the memory traffic of double) and a final repair in
// double makes the result exact in double arithmetic, as scipy's is: with the float duals converted to double, every row whose assigned column is
// not a true minimiser of c_ij - v_j is unassigned again and re-augmented in double. The
// rows kept are tight for the double duals u_i = min_j (c_ij - v_j), so the double phase
// starts from feasible duals and ends optimal.
#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>

#include "core/lap/auction_start.hpp"
#include "core/lap/detail.hpp"
#include "core/lap/kernels.hpp"
#include "core/lap/lap.hpp"

namespace semrsm::lap {
namespace {

using detail::auction_start;
using detail::auction_start_pays;
using detail::inf;
using detail::Kernels;

template <class Tc, class W>
struct State {
  const Tc* c;  // nr x nc, min sense, nr <= nc
  int64_t nr, nc;
  W* v;
  W* d;
  W* smu;  // distance at which each settled column was settled
  int32_t* col4row;
  int32_t* row4col;
  int32_t* path;
  int32_t* scanned;
  const Kernels<Tc, W>* K;
};

// One shortest augmenting path from free row f (Dijkstra over dense rows).
template <class Tc, class W>
Status augment(State<Tc, W>& s, int32_t f) {
  const int64_t nc = s.nc;
  const Tc* c = s.c;
  W* v = s.v;
  W* d = s.d;
  std::fill(d, d + nc, inf<W>());
  int64_t j;
  W mu = s.K->relax_argmin(c + f * nc, v, d, s.path, s.row4col, nc, W(0), f, &j);
  int64_t ns = 0, sink = -1;
  for (;;) {
    if (!(mu < inf<W>())) return Status::infeasible;  // every reachable column forbidden
    if (s.row4col[j] < 0) {
      sink = j;
      break;
    }
    s.scanned[ns] = static_cast<int32_t>(j);
    s.smu[ns++] = mu;
    d[j] = -inf<W>();  // settled: the kernels skip it
    const int32_t i = s.row4col[j];
    const W h = mu - (static_cast<W>(c[i * nc + j]) - v[j]);
    mu = s.K->relax_argmin(c + i * nc, v, d, s.path, s.row4col, nc, h, i, &j);
  }
  // Dual update of the settled columns (JV 1987, step "update column prices").
  for (int64_t t = 0; t < ns; ++t) v[s.scanned[t]] += s.smu[t] - mu;
  for (int64_t j = sink;;) {
    const int32_t i = s.path[j];
    s.row4col[j] = i;
    const int32_t prev = s.col4row[i];
    s.col4row[i] = static_cast<int32_t>(j);
    if (i == f) break;
    j = prev;
  }
  return Status::ok;
}

// Row reduction, then JV's column reduction of the row-reduced matrix: u_i = min_j c_ij and
// v_j = min_i (c_ij - u_i), each column at its minimising row, ties resolved as in JV's code.
// Every assigned row is then tight (c_ij - v_j = u_i <= c_ik - v_k), as the later phases need.
// Why the row reduction first (JV start from v_j = min_i c_ij alone): on inner-product costs
// one row of large norm (an outlier token, an object against background) holds the minimum
// of almost every column, so JV's v copies that one row's profile onto every row's reduced
// costs and all rows chase the same columns. Removing each row's own scale first spreads the
// column minima (free rows after the start at S = 49: tokens 40 -> 12, gamma 37 -> 27 of 49)
// and the whole solve gets 1.1-3x faster on every family (easy ones included) at S = 49..784.
// Returns infeasible when a row or a column has no allowed entry.
template <class W>
Status column_reduction(State<W, W>& s, int32_t* matches, int32_t* argmin_row) {
  const int64_t n = s.nr;
  const W* c = s.c;
  W* v = s.v;
  // Column minima, computed row by row (the matrix is row-major).
  std::fill(v, v + n, inf<W>());
  std::fill(argmin_row, argmin_row + n, 0);
  W* zero = s.d;  // free until the augmentation phase
  std::fill(zero, zero + n, W(0));
  for (int64_t i = 0; i < n; ++i) {
    const W* ci = c + i * n;
    const W u = s.K->row_min(ci, zero, n);
    if (!(u < inf<W>())) return Status::infeasible;  // a row with no allowed entry
    s.K->col_min(ci, v, argmin_row, n, u, static_cast<int32_t>(i));
  }
  for (int64_t j = 0; j < n; ++j)
    if (!(v[j] < inf<W>())) return Status::infeasible;  // a column with no allowed entry
  std::fill(matches, matches + n, 0);
  std::fill(s.col4row, s.col4row + n, -1);
  // Reverse order, as in JV's code: later columns then win ties on shared rows.
  for (int64_t j = n - 1; j >= 0; --j) {
    const int32_t i = argmin_row[j];
    if (++matches[i] == 1) {
      s.col4row[i] = static_cast<int32_t>(j);
      s.row4col[j] = i;
    } else if (v[j] < v[s.col4row[i]]) {
      s.row4col[s.col4row[i]] = -1;
      s.col4row[i] = static_cast<int32_t>(j);
      s.row4col[j] = i;
    } else {
      s.row4col[j] = -1;
    }
  }
  return Status::ok;
}

// JV's initialisation after the column reduction: reduction transfer, then two passes of
// augmenting row reduction. Leaves the rows still free in free_rows.
template <class W>
Status reduction_transfer_and_arr(State<W, W>& s, int32_t* free_rows, int64_t* n_free,
                                  const int32_t* matches) {
  const int64_t n = s.nr;
  const W* c = s.c;
  W* v = s.v;
  // Reduction transfer: a row matched once hands its slack to its column's dual (its slack:
  // how far its second-best reduced cost lies above that of its column).
  int64_t nf = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (matches[i] == 0) {
      free_rows[nf++] = static_cast<int32_t>(i);
    } else if (matches[i] == 1) {
      const int32_t j1 = s.col4row[i];
      W u1, u2;
      int64_t k1, k2;
      s.K->two_min(c + i * n, v, n, &u1, &k1, &u2, &k2);
      const W mu = (k1 == j1 ? u2 : u1) - (c[i * n + j1] - v[j1]);
      if (mu > W(0) && mu < inf<W>()) v[j1] -= mu;
    }
  }
  // Augmenting row reduction, two passes (JV 1987). Each step is an auction bid with
  // epsilon 0. On inner-product costs many rows want the same few columns and the bids turn
  // into long price wars of tiny steps; a cap of n/2 re-bids per pass (measured best at
  // S = 49..1500) leaves those rows to the augmentation phase instead.
  // Once the matrix outgrows the last-level cache, Dijkstra steps slow down more than bids
  // do and a long ARR pays off (S = 3136: 64n re-bids 540 ms vs n/2 900 ms; S = 2048: 123 vs
  // 200 ms; S <= 1500: n/2 best).
  const bool big = static_cast<double>(n) * static_cast<double>(n) * sizeof(W) > 12.0 * (1 << 20);
  const int64_t cap = big ? 64 * n : n / 2;
  for (int pass = 0; pass < 2 && nf > 0; ++pass) {
    int64_t k = 0, steps = 0;
    const int64_t prv = nf;
    nf = 0;
    while (k < prv) {
      const int32_t i = free_rows[k++];
      W u1, u2;
      int64_t j1, j2;
      s.K->two_min(c + i * n, v, n, &u1, &j1, &u2, &j2);
      if (!(u1 < inf<W>())) return Status::infeasible;  // a row with no allowed entry
      int32_t i0 = s.row4col[j1];
      bool again = false;
      if (u1 < u2) {
        if (u2 < inf<W>()) {
          const W old = v[j1];
          v[j1] = old - (u2 - u1);
          again = v[j1] < old;  // no progress when the step is below rounding
        }
      } else if (i0 >= 0) {
        j1 = j2;  // a tie: take the other minimiser instead of displacing
        i0 = s.row4col[j2];
      }
      if (i0 >= 0) s.col4row[i0] = -1;
      s.col4row[i] = static_cast<int32_t>(j1);
      s.row4col[j1] = i;
      if (i0 >= 0) {
        if (again && ++steps < cap)
          free_rows[--k] = i0;
        else
          free_rows[nf++] = i0;
      }
    }
  }
  *n_free = nf;
  return Status::ok;
}

// Runs the solver on the min-sense working matrix c (nr x nc, nr <= nc); fills the internal
// col4row / row4col and the duals v. `dense`: c has no forbidden (+inf) entry, which the
// auction warm start needs (its bids would not end on an infeasible problem).
template <class W>
Status jv_solve(const W* c, int64_t nr, int64_t nc, JvScratch& scratch, bool dense) {
  JvDuals<W>& duals = scratch.duals<W>();
  duals.v.resize(nc);
  duals.d.resize(nc);
  duals.settled_at.resize(nc);
  scratch.col4row.resize(nr);
  scratch.row4col.resize(nc);
  scratch.path.resize(nc);
  scratch.scanned.resize(nc);
  scratch.free_rows.resize(std::max(nr, nc));
  State<W, W> s{c,
                nr,
                nc,
                duals.v.data(),
                duals.d.data(),
                duals.settled_at.data(),
                scratch.col4row.data(),
                scratch.row4col.data(),
                scratch.path.data(),
                scratch.scanned.data(),
                &detail::kernels<W, W>()};
  int32_t* free_rows = scratch.free_rows.data();
  int64_t nf = 0;
  if (nr == nc) {
    scratch.matches.resize(nc);
    scratch.argmin_row.resize(nc);
    const int32_t* matches = scratch.matches.data();
    Status st = column_reduction(s, scratch.matches.data(), scratch.argmin_row.data());
    if (st != Status::ok) return st;
    bool started = dense && auction_start_pays(matches, nr) &&
                   auction_start(c, nr, s.v, s.col4row, s.row4col, free_rows, &nf,
                                 duals.start, *s.K);
    if (!started) st = reduction_transfer_and_arr(s, free_rows, &nf, matches);
    if (st != Status::ok) return st;
  } else {
    std::fill(s.v, s.v + nc, W(0));
    std::fill(s.col4row, s.col4row + nr, -1);
    std::fill(s.row4col, s.row4col + nc, -1);
    for (int64_t i = 0; i < nr; ++i) free_rows[nf++] = static_cast<int32_t>(i);
  }
  for (int64_t t = 0; t < nf; ++t) {
    const Status st = augment(s, free_rows[t]);
    if (st != Status::ok) return st;
  }
  return Status::ok;
}

// Makes a float solution optimal in double arithmetic (see the header comment). `c` holds
// the min-sense costs in their own precision (the float working matrix of a float32 input,
// the double one of a float64 input).
template <class Tc>
Status repair_in_double(const Tc* c, int64_t n, JvScratch& scratch) {
  JvDuals<double>& duals = scratch.double_duals;
  duals.v.resize(n);
  duals.d.resize(n);
  duals.settled_at.resize(n);
  scratch.free_rows.resize(n);
  double* v = duals.v.data();
  const float* v_float = scratch.float_duals.v.data();
  for (int64_t j = 0; j < n; ++j) v[j] = static_cast<double>(v_float[j]);
  int32_t* col4row = scratch.col4row.data();
  int32_t* row4col = scratch.row4col.data();
  int32_t* free_rows = scratch.free_rows.data();
  const auto& K = detail::kernels<Tc, double>();
  int64_t nf = 0;
  for (int64_t i = 0; i < n; ++i) {
    const Tc* ci = c + i * n;
    const double best = K.row_min(ci, v, n);
    const int32_t j = col4row[i];
    if (static_cast<double>(ci[j]) - v[j] > best) {
      col4row[i] = -1;
      row4col[j] = -1;
      free_rows[nf++] = static_cast<int32_t>(i);
    }
  }
  if (nf == 0) return Status::ok;
  State<Tc, double> s{c,
                      n,
                      n,
                      v,
                      duals.d.data(),
                      duals.settled_at.data(),
                      col4row,
                      row4col,
                      scratch.path.data(),
                      scratch.scanned.data(),
                      &K};
  for (int64_t t = 0; t < nf; ++t) {
    const Status st = augment(s, free_rows[t]);
    if (st != Status::ok) return st;
  }
  return Status::ok;
}

// Copies the internal solution of the (possibly transposed) problem to the caller's col4row.
void export_solution(const int32_t* c4r, int64_t n, int64_t m, bool transpose, int64_t* col4row) {
  if (transpose) {
    std::fill(col4row, col4row + n, int64_t{-1});
    for (int64_t r = 0; r < m; ++r) col4row[c4r[r]] = r;
  } else {
    for (int64_t i = 0; i < n; ++i) col4row[i] = c4r[i];
  }
}

// Double-precision solve of a validated min-sense working matrix.
Status solve_double(const double* c, int64_t nr, int64_t nc, JvScratch& scratch, bool dense) {
  return jv_solve<double>(c, nr, nc, scratch, dense);
}

// Float solve plus repair; infeasible or failing in float falls back to double.
Status solve_float_square(const float* c, int64_t n, JvScratch& scratch, bool dense) {
  Status st = jv_solve<float>(c, n, n, scratch, dense);
  if (st == Status::ok) st = repair_in_double(c, n, scratch);
  if (st == Status::ok) return st;
  // Overflow of float reduced costs near the float range could look like infeasibility:
  // confirm in double.
  std::vector<double>& cd = scratch.cost;
  cd.resize(static_cast<size_t>(n * n));
  for (int64_t k = 0; k < n * n; ++k) cd[k] = static_cast<double>(c[k]);
  return solve_double(cd.data(), n, n, scratch, dense);
}

// A square float64 problem (min-sense copy c) solved the same way: in float, then repaired
// against the double costs. The float copy only steers the search; the repair and the final
// augmentations see the double costs, so the result is exact in double. Values beyond the
// float range become +-inf or 0 in the copy, which can only cost repair work (or a float
// "infeasible", answered by the double solve).
Status solve_double_square_via_float(const double* c, int64_t n, JvScratch& scratch,
                                     bool dense) {
  scratch.cost_float.resize(static_cast<size_t>(n * n));
  float* f = scratch.cost_float.data();
  bool dense_f = true;  // the float copy overflows to +inf beyond the float range
  for (int64_t k = 0; k < n * n; ++k) {
    f[k] = static_cast<float>(c[k]);
    dense_f &= f[k] < inf<float>();
  }
  Status st = jv_solve<float>(f, n, n, scratch, dense_f);
  if (st == Status::ok) st = repair_in_double(c, n, scratch);
  if (st == Status::ok) return st;
  return solve_double(c, n, n, scratch, dense);
}

// Below this size the float detour of a float64 problem does not pay: the float copy rounds
// the costs, and on dense uniform costs the repair then re-augments many rows (measured:
// 2x faster at S = 784 on inner-product costs, 0.8x at S = 196 on uniform ones).
constexpr int64_t kFloatDetourMin = 256;

}  // namespace

template <class T>
Status hungarian(const T* cost, int64_t n, int64_t m, bool maximize, int64_t* col4row,
                 double* objective, JvScratch& scratch) {
  *objective = 0.0;
  if (n == 0 || m == 0) {
    std::fill(col4row, col4row + n, int64_t{-1});
    return Status::ok;
  }
  if (std::max(n, m) > std::numeric_limits<int32_t>::max()) return Status::invalid_argument;
  const bool transpose = n > m;
  const int64_t nr = transpose ? m : n, nc = transpose ? n : m;
  Status st;
  if (std::is_same<T, float>::value && n == m) {
    std::vector<float>& cf = scratch.cost_float;
    cf.resize(static_cast<size_t>(n * m));
    // T is float here; the cast only serves the double instantiation, which never runs it.
    const uint32_t flags = detail::kernels<float, float>().copy_check(
        reinterpret_cast<const float*>(cost), cf.data(), n * m, maximize);
    if (flags & 1u) return Status::invalid_cost;
    st = solve_float_square(cf.data(), n, scratch, !(flags & 2u));
  } else {
    std::vector<double>& cd = scratch.cost;
    cd.resize(static_cast<size_t>(n * m));
    bool forbidden = false;
    if (std::is_same<T, double>::value && !transpose) {
      const uint32_t flags = detail::kernels<double, double>().copy_check(
          reinterpret_cast<const double*>(cost), cd.data(), n * m, maximize);
      if (flags & 1u) return Status::invalid_cost;
      forbidden = flags & 2u;
    } else {
      st = detail::prepare_min<double>(cost, n, m, maximize, transpose, cd.data(), &forbidden);
      if (st != Status::ok) return st;
    }
    st = n == m && n >= kFloatDetourMin
             ? solve_double_square_via_float(cd.data(), n, scratch, !forbidden)
             : solve_double(cd.data(), nr, nc, scratch, !forbidden);
  }
  if (st != Status::ok) return st;
  export_solution(scratch.col4row.data(), n, m, transpose, col4row);
  *objective = detail::objective_of(cost, n, m, col4row);
  return Status::ok;
}

template <class T>
Status hungarian_square_inplace(T* cost, int64_t n, bool maximize, int64_t* col4row,
                                double* objective, JvScratch& scratch) {
  *objective = 0.0;
  if (n == 0) return Status::ok;
  if (n > std::numeric_limits<int32_t>::max()) return Status::invalid_argument;
  bool forbidden = false;
  Status st = detail::check_costs(cost, n, n, maximize, &forbidden);
  if (st != Status::ok) return st;
  if (maximize)
    for (int64_t k = 0; k < n * n; ++k) cost[k] = -cost[k];
  if constexpr (std::is_same<T, float>::value)
    st = solve_float_square(cost, n, scratch, !forbidden);
  else
    st = n >= kFloatDetourMin ? solve_double_square_via_float(cost, n, scratch, !forbidden)
                              : solve_double(cost, n, n, scratch, !forbidden);
  if (st != Status::ok) return st;
  export_solution(scratch.col4row.data(), n, n, false, col4row);
  const double obj = detail::objective_of(cost, n, n, col4row);
  *objective = maximize ? -obj : obj;
  return Status::ok;
}

template Status hungarian<float>(const float*, int64_t, int64_t, bool, int64_t*, double*,
                                 JvScratch&);
template Status hungarian<double>(const double*, int64_t, int64_t, bool, int64_t*, double*,
                                  JvScratch&);
template Status hungarian_square_inplace<float>(float*, int64_t, bool, int64_t*, double*,
                                                JvScratch&);
template Status hungarian_square_inplace<double>(double*, int64_t, bool, int64_t*, double*,
                                                 JvScratch&);

}  // namespace semrsm::lap
