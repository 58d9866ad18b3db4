// The CUDA backend's dense LAP matchers (exact JV, greedy, auction), written once for a
// *team* of cooperating workers: the GPU runs them with one warp per problem (WarpTeam in
// team.cuh). The host teams (SeqTeam below, ThreadTeam in host_team.hpp) exist only so that
// the test suite can run this very code on the CPU, with a warp's partitioning, on machines
// without a GPU (semrsm_native._cuda_testing).
//
// The CPU library does not use this file. Its solvers live in cpp/core/lap (jv.cpp,
// greedy.cpp, auction.cpp behind lap::solve): one thread per problem, SIMD kernels chosen at
// run time, a float solve repaired in double, workspaces reused across a batch. A team of one
// running the SPMD code below would give up all of that, so each algorithm exists once per
// backend; the tests hold both to scipy (exact) and to the same tie-breaking rules (greedy).
//
// Team contract (every member calls every function in the same order, SPMD style):
//   rank(), size()       member index and team size;
//   sync()               barrier + memory fence among the members;
//   reduce(x, f)         every member gets f folded over all members' x. f must be
//                        commutative and associative (we only use lexicographic min/max and
//                        sums), so the result does not depend on how the team is spread.
// Ownership rule that makes the few sync() calls sufficient: column j is read and written only
// by member j % size inside the scanning loops, row r only by member r % size; scalars that
// every member needs come out of reduce() (identical everywhere). Anything written by one
// member and read by another is separated by a sync().
//
// Problems are minimisations on a CostView (sign = -1 turns a maximisation into one).
// Forbidden entries are +inf in the minimisation sense. Ties are broken by lexicographic keys
// (value, then index), never by scan order, so every team size yields the same assignment.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/hd.hpp"
#include "core/vocabulary.hpp"

namespace semrsm::cudabk::lap_team {

enum : int { kOk = 0, kInfeasible = 1, kInvalid = 2 };

// Element (i, j) of a dense cost matrix, optionally through row/column index maps (used for
// windows and for the transposed orientation).
template <class T>
struct CostView {
  const T* c;
  int64_t rs, cs;       // element (i, j) at c[i * rs + j * cs] (after the maps)
  double sign;          // +1 minimise, -1 maximise
  SEMRSM_HD double operator()(int i, int j) const {
    return sign * static_cast<double>(c[static_cast<int64_t>(i) * rs + static_cast<int64_t>(j) * cs]);
  }
  SEMRSM_HD CostView transposed() const { return CostView{c, cs, rs, sign}; }
};

SEMRSM_HD double hd_inf() { return HUGE_VAL; }

// Candidate of an argmin: smallest v, then smallest k; `aux` rides along.
struct MinCand {
  double v;
  int k;
  int aux;
};
struct MinCandOp {
  // Field-wise selects: choosing between references would take their addresses and put
  // the candidates in local memory on the GPU.
  SEMRSM_HD MinCand operator()(MinCand a, MinCand b) const {
    const bool tb = b.v < a.v || (b.v == a.v && b.k < a.k);
    return MinCand{tb ? b.v : a.v, tb ? b.k : a.k, tb ? b.aux : a.aux};
  }
};

// Top two values of an argmax (auction bids): largest v1 at smallest k, and the second
// largest value v2 over the rest (a tie for the top gives v2 == v1).
struct Top2 {
  double v1;
  int k;
  double v2;
};
struct Top2Op {
  SEMRSM_HD Top2 operator()(Top2 a, Top2 b) const {
    const bool a_wins = a.v1 > b.v1 || (a.v1 == b.v1 && a.k < b.k);
    const double wv1 = a_wins ? a.v1 : b.v1, wv2 = a_wins ? a.v2 : b.v2;
    const double lv1 = a_wins ? b.v1 : a.v1;
    return Top2{wv1, a_wins ? a.k : b.k, wv2 > lv1 ? wv2 : lv1};
  }
};

struct SumOp {
  SEMRSM_HD double operator()(double a, double b) const { return a + b; }
};
struct MaxOp {
  SEMRSM_HD double operator()(double a, double b) const { return a > b ? a : b; }
};

// The trivial team: the CPU's sequential instantiation.
struct SeqTeam {
  SEMRSM_HD int rank() const { return 0; }
  SEMRSM_HD int size() const { return 1; }
  SEMRSM_HD void sync() const {}
  template <class X, class F>
  SEMRSM_HD X reduce(const X& x, F) const { return x; }
};

// Scratch of one problem, carved from one byte buffer of scratch_bytes(n, m).
SEMRSM_HD int64_t align16(int64_t b) { return (b + 15) & ~int64_t(15); }
SEMRSM_HD int64_t scratch_bytes(int n, int m) {
  const int64_t K = n > m ? n : m;
  // 3 double arrays, 4 int arrays, 2 byte arrays of length K, each 16-byte aligned.
  return 3 * align16(8 * K) + 4 * align16(4 * K) + 2 * align16(K);
}
struct Scratch {
  double *d0, *d1, *d2;
  int *i0, *i1, *i2, *i3;
  unsigned char *b0, *b1;
  SEMRSM_HD static Scratch carve(void* base, int n, int m) {
    const int64_t K = n > m ? n : m;
    char* p = static_cast<char*>(base);
    Scratch s;
    s.d0 = reinterpret_cast<double*>(p); p += align16(8 * K);
    s.d1 = reinterpret_cast<double*>(p); p += align16(8 * K);
    s.d2 = reinterpret_cast<double*>(p); p += align16(8 * K);
    s.i0 = reinterpret_cast<int*>(p); p += align16(4 * K);
    s.i1 = reinterpret_cast<int*>(p); p += align16(4 * K);
    s.i2 = reinterpret_cast<int*>(p); p += align16(4 * K);
    s.i3 = reinterpret_cast<int*>(p); p += align16(4 * K);
    s.b0 = reinterpret_cast<unsigned char*>(p); p += align16(K);
    s.b1 = reinterpret_cast<unsigned char*>(p);
    return s;
  }
};

// ---------------------------------------------------------------------------------------
// Exact: shortest augmenting paths with Dijkstra on reduced costs (Jonker & Volgenant 1987,
// rectangular form after Crouse, IEEE TAES 2016, as in scipy's rectangular_lsap). Names
// follow Crouse: u, v, shortest_path_costs (spc), path, col4row, row4col, SR, SC.
// Requires n <= m. Writes col4row[0..n). Returns kOk or kInfeasible.
// The argmin over columns is keyed (spc, assigned?, j): a free column wins a tie because it
// ends the search, and the index settles the rest independently of the team size.
template <class Team, class T>
SEMRSM_HD int jv_solve(const Team& team, const CostView<T>& cost, int n, int m, Scratch s,
                       int* col4row) {
  double* u = s.d0;
  double* v = s.d1;
  double* spc = s.d2;
  int* path = s.i0;
  int* row4col = s.i1;
  unsigned char* SR = s.b0;
  unsigned char* SC = s.b1;
  const int rk = team.rank(), sz = team.size();
  const double inf = hd_inf();
  for (int j = rk; j < m; j += sz) { v[j] = 0.0; row4col[j] = -1; path[j] = -1; }
  for (int r = rk; r < n; r += sz) { u[r] = 0.0; col4row[r] = -1; }
  team.sync();

  if (n == m) {
    // Column reduction (the first phase of Jonker & Volgenant): v_j = min_i c_ij keeps every
    // reduced cost >= 0 and makes each column's argmin row tight, so those rows start
    // assigned and only the rest need augmenting paths. Square only: with n < m the duals of
    // free columns must stay 0 (Crouse), which this would break.
    double worst = 0.0;
    for (int j = rk; j < m; j += sz) {
      double best = inf;
      int arg = -1;
      for (int r = 0; r < n; ++r) {
        const double x = cost(r, j);
        if (x < best) { best = x; arg = r; }
      }
      v[j] = best;
      path[j] = arg;  // scratch use: the argmin row (path[] is rewritten before any read)
      if (!(best < inf)) worst = 1.0;
    }
    // A fully forbidden column makes a square problem infeasible (and inf - inf later NaN).
    if (team.reduce(worst, MaxOp()) > 0.0) return kInfeasible;
    team.sync();
    if (rk == 0) {  // first come, first served in column order: the same for any team size
      for (int j = 0; j < m; ++j) {
        const int r = path[j];
        if (col4row[r] == -1) { col4row[r] = j; row4col[j] = r; }
      }
    }
    team.sync();
  }

  for (int cur_row = 0; cur_row < n; ++cur_row) {
    if (col4row[cur_row] != -1) continue;  // assigned by the column reduction
    for (int j = rk; j < m; j += sz) { spc[j] = inf; SC[j] = 0; }
    for (int r = rk; r < n; r += sz) SR[r] = 0;
    team.sync();
    double min_val = 0.0;
    int i = cur_row;
    int sink = -1;
    while (sink == -1) {
      if (i % sz == rk) SR[i] = 1;
      const double ui = u[i];
      MinCand best{inf, 2 * m, 0};
      for (int j = rk; j < m; j += sz) {
        if (SC[j]) continue;
        const double r = min_val + cost(i, j) - ui - v[j];
        if (r < spc[j]) { path[j] = i; spc[j] = r; }
        // key (spc, assigned, j) folded into one index: free columns sort first.
        const MinCand c{spc[j], (row4col[j] == -1 ? 0 : m) + j, j};
        best = MinCandOp()(best, c);
      }
      best = team.reduce(best, MinCandOp());
      min_val = best.v;
      if (!(min_val < inf)) return kInfeasible;  // every remaining column is forbidden
      const int j = best.aux;
      if (j % sz == rk) SC[j] = 1;
      if (row4col[j] == -1) sink = j; else i = row4col[j];
    }
    team.sync();  // spc, path, SC, SR of every member are read across ownership below
    if (cur_row % sz == rk) u[cur_row] += min_val;
    for (int r = rk; r < n; r += sz)
      if (SR[r] && r != cur_row) u[r] += min_val - spc[col4row[r]];
    for (int j = rk; j < m; j += sz)
      if (SC[j]) v[j] -= min_val - spc[j];
    team.sync();  // the dual updates above read col4row[], which the augmentation rewrites
    if (rk == 0) {  // the augmentation is a walk along one path: one member does it
      int j = sink;
      for (;;) {
        const int r = path[j];
        row4col[j] = r;
        const int prev = col4row[r];
        col4row[r] = j;
        j = prev;
        if (r == cur_row) break;
      }
    }
    team.sync();
  }
  return kOk;
}

// ---------------------------------------------------------------------------------------
// Greedy: repeatedly take the best remaining entry, ties by lower row then lower column
// (the CPU core's rule). Each row keeps its best free column; a step takes the best row
// candidate, and only rows whose candidate column was just taken rescan, so a step costs
// O(n / size) plus the rescans instead of a scan of all remaining entries. Works for any
// n, m; stops after min(n, m) steps. Writes col4row[0..n) (-1 unassigned).
template <class Team, class T>
SEMRSM_HD void greedy_row_best(const CostView<T>& cost, int r, int m,
                               const unsigned char* SC, double* bestv, int* bestc) {
  double bv = hd_inf();
  int bc = -1;
  for (int j = 0; j < m; ++j) {
    if (SC[j]) continue;
    const double x = cost(r, j);
    if (bc < 0 || x < bv) { bv = x; bc = j; }
  }
  bestv[r] = bv;
  bestc[r] = bc;
}

template <class Team, class T>
SEMRSM_HD int greedy_solve(const Team& team, const CostView<T>& cost, int n, int m, Scratch s,
                           int* col4row) {
  double* bestv = s.d0;
  int* bestc = s.i0;
  unsigned char* SR = s.b0;  // row done
  unsigned char* SC = s.b1;  // column taken
  const int rk = team.rank(), sz = team.size();
  const double inf = hd_inf();
  for (int j = rk; j < m; j += sz) SC[j] = 0;
  for (int r = rk; r < n; r += sz) { SR[r] = 0; col4row[r] = -1; }
  team.sync();
  for (int r = rk; r < n; r += sz) greedy_row_best<Team>(cost, r, m, SC, bestv, bestc);
  const int steps = n < m ? n : m;
  for (int step = 0; step < steps; ++step) {
    MinCand best{inf, 2147483647, -1};
    for (int r = rk; r < n; r += sz)
      if (!SR[r]) best = MinCandOp()(best, MinCand{bestv[r], r, bestc[r]});
    best = team.reduce(best, MinCandOp());
    // The best remaining entry is forbidden (+inf): no complete assignment is possible
    // along the greedy order; report it like the CPU core does.
    if (!(best.v < inf)) return kInfeasible;
    const int r = best.k, c = best.aux;
    if (r % sz == rk) { SR[r] = 1; col4row[r] = c; }
    if (c % sz == rk) SC[c] = 1;
    team.sync();
    for (int q = rk; q < n; q += sz)
      if (!SR[q] && bestc[q] == c) greedy_row_best<Team>(cost, q, m, SC, bestv, bestc);
  }
  team.sync();
  return kOk;
}

// ---------------------------------------------------------------------------------------
// Forward auction with epsilon scaling (Bertsekas 1988; Bertsekas & Castanon 1991), in the
// Gauss-Seidel form: one bidder at a time, its best and second-best objects found by the
// whole team. Benefits a(i, j) = -cost(i, j); a rectangular problem is padded to K x K with
// zero-benefit dummies, which keeps the optimum of the real part. Costs must be finite.
// eps_rel is the final epsilon relative to the largest |cost| (<= 0: 1e-6 / max(n, m), the
// CPU API's default, so the bound is at most 1e-6 of the largest cost); on return the assignment is within K * eps of the optimum and
// *bound receives the certified duality gap sum_j p_j + sum_i max_j (a_ij - p_j) - primal
// (>= optimum - primal, in the benefit sense). Writes col4row[0..n) (-1 unassigned).
template <class Team, class T>
SEMRSM_HD int auction_solve(const Team& team, const CostView<T>& cost, int n, int m,
                            double eps_rel, double eps_factor, Scratch s, int* col4row,
                            double* bound, double* eps_used) {
  const int K = n > m ? n : m;
  double* price = s.d0;
  int* o4p = s.i0;  // object of person
  int* p4o = s.i1;  // person of object
  int* queue = s.i2;
  const int rk = team.rank(), sz = team.size();
  auto benefit = [&](int i, int j) -> double {
    return (i < n && j < m) ? -cost(i, j) : 0.0;
  };
  double amax = 0.0;
  for (int i = rk; i < n; i += sz)
    for (int j = 0; j < m; ++j) {
      const double a = fabs(cost(i, j));
      amax = a > amax ? a : amax;
    }
  amax = team.reduce(amax, MaxOp());
  for (int j = rk; j < K; j += sz) price[j] = 0.0;
  if (!(eps_rel > 0.0)) eps_rel = 1e-6 / K;
  // An all-zero problem has every assignment optimal; any positive epsilon ends it at once.
  const double eps_final = (amax > 0.0 ? amax : 1.0) * eps_rel;
  if (!(eps_factor > 1.0)) eps_factor = 7.0;
  double eps = amax / 2.0 > eps_final ? amax / 2.0 : eps_final;
  team.sync();
  for (;;) {
    for (int j = rk; j < K; j += sz) { o4p[j] = -1; p4o[j] = -1; queue[j] = K - 1 - j; }
    team.sync();
    // queue[0..qn) is a stack of unassigned persons (LIFO: a person that was just outbid
    // bids again at once, while its values are still in cache).
    int qn = K;
    while (qn > 0) {
      const int i = queue[qn - 1];
      Top2 b{-hd_inf(), 2147483647, -hd_inf()};
      for (int j = rk; j < K; j += sz) b = Top2Op()(b, Top2{benefit(i, j) - price[j], j, -hd_inf()});
      b = team.reduce(b, Top2Op());
      const int j1 = b.k;
      // With one object there is no second best; any positive increment keeps progress.
      const double incr = (K > 1 ? b.v1 - b.v2 : 0.0) + eps;
      team.sync();  // everyone has read price[] and queue[] before they change
      if (rk == 0) {
        price[j1] += incr;
        const int prev = p4o[j1];
        p4o[j1] = i;
        o4p[i] = j1;
        if (prev >= 0) { o4p[prev] = -1; queue[qn - 1] = prev; } else { queue[qn - 1] = -1; }
      }
      team.sync();
      // rank 0 writes queue[] again only after the next reduce, which every member reaches
      // after this read, so no further barrier is needed here.
      if (queue[qn - 1] < 0) --qn;
    }
    team.sync();  // the last read of queue[] above precedes the next phase's re-initialisation
    if (eps <= eps_final) break;
    eps /= eps_factor;
    if (eps < eps_final) eps = eps_final;
  }
  // Certified gap from the final prices: dual >= optimum >= primal.
  double part = 0.0;
  for (int j = rk; j < K; j += sz) part += price[j];
  double dual = team.reduce(part, SumOp());
  for (int i = 0; i < K; ++i) {
    double mx = -hd_inf();
    for (int j = rk; j < K; j += sz) {
      const double x = benefit(i, j) - price[j];
      mx = x > mx ? x : mx;
    }
    dual += team.reduce(mx, MaxOp());
  }
  double primal = 0.0;
  for (int i = rk; i < n; i += sz) {
    const int j = o4p[i];
    col4row[i] = j < m ? j : -1;
    if (j < m) primal += benefit(i, j);
  }
  primal = team.reduce(primal, SumOp());
  *bound = dual - primal > 0.0 ? dual - primal : 0.0;
  *eps_used = eps;
  team.sync();
  return kOk;
}

// ---------------------------------------------------------------------------------------
// The methods of core/vocabulary.hpp written here for a team (the GPU's matchers).
SEMRSM_HD constexpr bool team_method(Method method) {
  return method == Method::hungarian || method == Method::greedy || method == Method::auction;
}

// Entry used by both backends: orients the problem so that the exact solver sees n <= m,
// runs the method (one of team_method; anything else runs the exact solver) and writes
// col4row[0..n) (-1 for unassigned rows). `s` comes from scratch_bytes(n, m); its i3 array
// (unused by the matchers) holds a transposed solution.
template <class Team, class T>
SEMRSM_HD int solve_problem(const Team& team, const CostView<T>& cost, int n, int m, Method method,
                            double eps_rel, double eps_factor, Scratch s, int* col4row,
                            double* bound, double* eps_used) {
  *bound = 0.0;
  *eps_used = 0.0;
  if (n == 0 || m == 0) {
    for (int r = team.rank(); r < n; r += team.size()) col4row[r] = -1;
    team.sync();
    return kOk;
  }
  if (method == Method::greedy) return greedy_solve(team, cost, n, m, s, col4row);
  if (method == Method::auction)
    return auction_solve(team, cost, n, m, eps_rel, eps_factor, s, col4row, bound, eps_used);
  if (n <= m) return jv_solve(team, cost, n, m, s, col4row);
  // n > m: solve the transpose (m rows) and invert its assignment.
  int* tmp = s.i3;
  const int st = jv_solve(team, cost.transposed(), m, n, s, tmp);
  if (st != kOk) return st;
  for (int r = team.rank(); r < n; r += team.size()) col4row[r] = -1;
  team.sync();
  for (int r = team.rank(); r < m; r += team.size()) col4row[tmp[r]] = r;
  team.sync();
  return kOk;
}

}  // namespace semrsm::cudabk::lap_team
