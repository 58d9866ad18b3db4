// The RSM engine's work on one tile and one pair (see rsm.hpp for the contract): per tile the
// samples are packed once for the cost GEMM, per pair the S_x x S_y cost goes to the thread's
// buffer, lap::solve matches it, and the direct sums reduce the match to the pair's scalars.
// Internal: engine.cpp runs the tiles on the thread pool.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/cpu_features.hpp"
#include "core/lap/dual_bound.hpp"
#include "core/lap/solve.hpp"
#include "core/rsm/gemm.hpp"
#include "core/rsm/rsm.hpp"
#include "core/rsm/slot_work.hpp"
#include "core/rsm/sums.hpp"
#include "core/rsm/tiling.hpp"

namespace semrsm::rsm::detail {

template <class T>
class Engine {
 public:
  Engine(const Samples<T>& x, const Samples<T>* y, const double* xps, const double* xs,
         const double* yps, const double* ys, const Options& opts, const Output& out)
      : x_(x),
        y_(y != nullptr ? *y : x),
        self_(y == nullptr),
        xps_(xps),
        xs_(xs),
        yps_(y != nullptr ? yps : xps),
        ys_(y != nullptr ? ys : xs),
        opts_(opts),
        out_(out),
        K_(gemm_kernels<T>(simd_level())) {
    // Greedy and Batch-Optimal certify nothing themselves: asked for a gap, the engine
    // bounds their optimum from the dual (lap/dual_bound.hpp), which needs the whole cost.
    dual_gap_ = out.gap != nullptr && opts.cost == CostKind::inner &&
                (opts.matcher == Matcher::greedy || opts.matcher == Matcher::batch_optimal);
    full_cost_ = lap::needs_dense_cost(opts.matcher) || dual_gap_;
    // Every solver minimises the negated inner products (see pair()).
    solve_opts_.method = opts.matcher;
    solve_opts_.maximize = false;
    solve_opts_.auction.eps_final = opts.auction_eps;
    solve_opts_.window = std::max<int64_t>(opts.window, 1);
    // The objective of an inner-product cost is the matched linear value itself; a cosine
    // cost or an RBF request needs sums over the raw permuted vectors.
    direct_lin_ = opts.cost == CostKind::cosine || opts.matcher == Matcher::identity;
  }

  std::vector<Tile> tiles() const {
    const int64_t pack_bytes = (x_.S + y_.S) * std::max<int64_t>(x_.C, 1) * sizeof(T);
    return make_tiles(x_.n, self_ ? x_.n : y_.n, self_, pack_bytes, opts_.threads);
  }

  // Runs one tile; returns the number of pairs done (fewer only when cancelled) and sets
  // *st on a solver failure.
  int64_t run_tile(const Tile& t, SlotWork<T>& w, const std::atomic<bool>& cancel,
                   Status* st) {
    const int64_t Sx = x_.S, Sy = y_.S, C = x_.C;
    const int64_t sx = Sx * C, sy = Sy * C;
    const bool packed = full_cost_;
    if (packed) {
      const int64_t pa = K_.packed_a_size(Sx, C), pb = K_.packed_b_size(Sy, C);
      w.apack.resize(static_cast<size_t>(pa * (t.i1 - t.i0)));
      w.bpack.resize(static_cast<size_t>(pb * (t.j1 - t.j0)));
      const bool cos = opts_.cost == CostKind::cosine;
      for (int64_t i = t.i0; i < t.i1; ++i)
        K_.pack_a(x_.data + i * sx, x_.layout, Sx, C, nullptr, Sx, cos ? xps_ + i * Sx : nullptr,
                  w.apack.data() + (i - t.i0) * pa);
      for (int64_t j = t.j0; j < t.j1; ++j)
        K_.pack_b(y_.data + j * sy, y_.layout, Sy, C, nullptr, Sy, cos ? yps_ + j * Sy : nullptr,
                  w.bpack.data() + (j - t.j0) * pb);
      w.cost.resize(static_cast<size_t>(Sx * Sy));
    }
    w.col4row.resize(static_cast<size_t>(Sx));
    int64_t done = 0;
    for (int64_t i = t.i0; i < t.i1; ++i) {
      for (int64_t j = t.diagonal ? i + 1 : t.j0; j < t.j1; ++j) {
        if (cancel.load(std::memory_order_relaxed)) return done;
        const T* pa = packed ? w.apack.data() + (i - t.i0) * K_.packed_a_size(Sx, C) : nullptr;
        const T* pb = packed ? w.bpack.data() + (j - t.j0) * K_.packed_b_size(Sy, C) : nullptr;
        const Status s = pair(i, j, pa, pb, w);
        if (s != Status::ok) {
          *st = s;
          return done;
        }
        ++done;
      }
    }
    return done;
  }

  // Fills the self-mode diagonal: the identity is optimal for a sample against itself
  // (rearrangement inequality), so lin = |X_i|^2 and d2 = 0 without a solve.
  void fill_diagonal() {
    const int64_t n = x_.n, S = x_.S;
    for (int64_t i = 0; i < n; ++i) {
      out_.linear[i * n + i] = xs_[i];
      if (out_.d2) out_.d2[i * n + i] = 0.0;
      if (out_.gap) out_.gap[i * n + i] = 0.0;  // exact, whatever the matcher
      if (out_.perms)
        for (int64_t p = 0; p < S; ++p)
          out_.perms[(i * n + i) * S + p] = static_cast<int32_t>(p);
    }
  }

 private:
  // `cost` is this pair's scratch buffer (S_x x S_y): the exact solver may work in it in place.
  // `bound` (null: not wanted) receives the solver's certified gap.
  Status solve_dense(T* cost, int64_t* col4row, double* obj, double* bound,
                     lap::Scratch& scratch) const {
    lap::Problem<T> p;
    p.n = x_.S;
    p.m = y_.S;
    p.scratch = cost;
    return lap::solve<T>(solve_opts_, p, lap::Solution{col4row, obj, bound}, scratch);
  }

  Status pair(int64_t i, int64_t j, const T* pa, const T* pb, SlotWork<T>& w) {
    const int64_t Sx = x_.S, Sy = y_.S, C = x_.C;
    const T* xi = x_.data + i * Sx * C;
    const T* yj = y_.data + j * Sy * C;
    const int64_t m = self_ ? x_.n : y_.n;
    double lin = 0.0, d2 = 0.0, objective = 0.0;
    const bool want_d2 = out_.d2 != nullptr;
    // The exact solver and the auction certify their distance to the optimum (asking the
    // auction costs one dual pass per pair, lap::Solution::bound); greedy and Batch-Optimal
    // get a dual bound when a gap is wanted (dual_gap_).
    const bool certifies = opts_.matcher == Matcher::hungarian ||
                           opts_.matcher == Matcher::auction || dual_gap_;
    double gap = certifies ? 0.0 : std::numeric_limits<double>::quiet_NaN();
    double* want_gap = out_.gap != nullptr && opts_.matcher == Matcher::auction ? &gap : nullptr;

    if (opts_.matcher == Matcher::identity) {
      flat_sums(xi, yj, Sx * C, true, want_d2, &lin, &d2);
      store(i, j, m, lin, d2, gap);
      return Status::ok;
    }

    int64_t* col4row = w.col4row.data();
    Status st;
    if (opts_.matcher != Matcher::batch_optimal) {
      // Negated inner products: every solver minimises, and no solver needs to copy the
      // matrix just to flip its sign.
      K_.gemm(pa, Sx, pb, Sy, C, w.cost.data(), Sy, true);
      st = solve_dense(w.cost.data(), col4row, &objective, want_gap, w.matcher);
    } else {
      // Its windows only, as without a gap, so the matched value does not depend on it.
      st = batch_optimal(xi, yj, i, j, col4row, &objective, w);
      // Each GEMM entry is one fixed sequence of operations whatever block holds it
      // (gemm_impl.hpp), so the whole matrix has the windows' entries bit for bit.
      if (st == Status::ok && dual_gap_) K_.gemm(pa, Sx, pb, Sy, C, w.cost.data(), Sy, true);
    }
    if (st != Status::ok) return st;
    if (dual_gap_) {
      // Greedy only reads the cost, so w.cost still holds every entry here. The dual starts
      // from the matcher's own assignment (the bound is tightest near complementary slackness).
      const double lb = lap::dual_lower_bound(w.cost.data(), Sx, Sy, lap::kDualSweeps, w.dual, col4row);
      gap = std::max(0.0, (0.0 - lb) - (0.0 - objective));
    }

    // Matched pairs in row order (fixed summation order for the direct sums).
    w.mp.clear();
    w.mq.clear();
    for (int64_t p = 0; p < Sx; ++p) {
      if (col4row[p] >= 0) {
        w.mp.push_back(p);
        w.mq.push_back(col4row[p]);
      }
    }
    const int64_t nm = static_cast<int64_t>(w.mp.size());
    if (direct_lin_ || want_d2) {
      matched_sums(xi, yj, x_.layout, Sx, Sy, C, w.mp.data(), w.mq.data(), nm, direct_lin_,
                   want_d2, &lin, &d2);
    }
    if (!direct_lin_) lin = 0.0 - objective;  // not -objective: no -0.0 for an empty match
    if (want_d2 && Sx != Sy) {
      // Zero padding: an unmatched vector is at distance |v|^2 from the zero it faces.
      const double* px = xps_ + i * Sx;
      const double* py = yps_ + j * Sy;
      w.mark.assign(static_cast<size_t>(Sy), 0);
      for (int64_t t = 0; t < nm; ++t) w.mark[w.mq[t]] = 1;
      for (int64_t p = 0; p < Sx; ++p)
        if (col4row[p] < 0) d2 += px[p];
      for (int64_t q = 0; q < Sy; ++q)
        if (!w.mark[q]) d2 += py[q];
    }
    store(i, j, m, lin, d2, gap);
    if (out_.perms) {
      int32_t* pij = out_.perms + (i * m + j) * Sx;
      for (int64_t p = 0; p < Sx; ++p) pij[p] = static_cast<int32_t>(col4row[p]);
      if (self_) {
        int32_t* pji = out_.perms + (j * m + i) * Sx;
        for (int64_t p = 0; p < Sx; ++p) pji[col4row[p]] = static_cast<int32_t>(p);
      }
    }
    return Status::ok;
  }

  Status batch_optimal(const T* xi, const T* yj, int64_t i, int64_t j, int64_t* col4row,
                       double* objective, SlotWork<T>& w) {
    const int64_t Sx = x_.S, Sy = y_.S, C = x_.C;
    const double* px = xps_ + i * Sx;
    const double* py = yps_ + j * Sy;
    w.keys_x.resize(static_cast<size_t>(Sx));
    w.keys_y.resize(static_cast<size_t>(Sy));
    for (int64_t p = 0; p < Sx; ++p) w.keys_x[p] = std::sqrt(px[p]);
    for (int64_t q = 0; q < Sy; ++q) w.keys_y[q] = std::sqrt(py[q]);
    const bool cos = opts_.cost == CostKind::cosine;
    const int64_t win = solve_opts_.window;
    w.ga.resize(static_cast<size_t>(K_.packed_a_size(std::min(win, Sx), C)));
    w.gb.resize(static_cast<size_t>(K_.packed_b_size(std::min(win, Sy), C)));
    // Only the window blocks are ever computed: gather the window's vectors, then GEMM.
    const lap::BlockCostFn<T> block = [&](const int64_t* rows, int64_t nr, const int64_t* cols,
                                          int64_t nc, T* out) {
      if (K_.packed_a_size(nr, C) > static_cast<int64_t>(w.ga.size()))
        w.ga.resize(static_cast<size_t>(K_.packed_a_size(nr, C)));
      if (K_.packed_b_size(nc, C) > static_cast<int64_t>(w.gb.size()))
        w.gb.resize(static_cast<size_t>(K_.packed_b_size(nc, C)));
      K_.pack_a(xi, x_.layout, Sx, C, rows, nr, cos ? px : nullptr, w.ga.data());
      K_.pack_b(yj, y_.layout, Sy, C, cols, nc, cos ? py : nullptr, w.gb.data());
      K_.gemm(w.ga.data(), nr, w.gb.data(), nc, C, out, nc, true);
    };
    lap::Problem<T> p;
    p.n = Sx;
    p.m = Sy;
    p.blocks = &block;
    p.row_keys = w.keys_x.data();
    p.col_keys = w.keys_y.data();
    return lap::solve<T>(solve_opts_, p, lap::Solution{col4row, objective, nullptr}, w.matcher);
  }

  void store(int64_t i, int64_t j, int64_t m, double lin, double d2, double gap) {
    out_.linear[i * m + j] = lin;
    if (out_.d2) out_.d2[i * m + j] = d2;
    if (out_.gap) out_.gap[i * m + j] = gap;
    if (self_) {
      out_.linear[j * m + i] = lin;
      if (out_.d2) out_.d2[j * m + i] = d2;
      if (out_.gap) out_.gap[j * m + i] = gap;
    }
  }

  const Samples<T> x_, y_;
  const bool self_;
  const double *xps_, *xs_, *yps_, *ys_;
  const Options opts_;
  const Output out_;
  const GemmKernels<T>& K_;
  lap::SolveOptions solve_opts_;
  bool full_cost_ = true;  // the matcher (or the dual bound) needs the whole S_x x S_y matrix
  bool dual_gap_ = false;  // the gap of greedy / Batch-Optimal comes from a dual bound
  bool direct_lin_ = false;
};

}  // namespace semrsm::rsm::detail
