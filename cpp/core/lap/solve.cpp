#include "core/lap/solve.hpp"

#include <algorithm>
#include <limits>

#include "core/lap/dual_bound.hpp"

namespace semrsm::lap {
namespace {

// Greedy and Batch-Optimal do not certify themselves; asked for a bound, they report the gap
// between their objective and the dual bound of dual_bound.hpp, warm-started from their own
// assignment: |optimum - objective| <= gap by weak duality (the bound minimises, so a
// maximisation is bounded on its negated cost). +inf where the cost has an infinite entry
// (the dual bound is then -inf: valid, and says nothing).
template <class T>
double dual_gap(const T* cost, int64_t n, int64_t m, bool maximize, const int64_t* col4row,
                double objective, DualGapScratch<T>& s) {
  const T* c = cost;
  if (maximize) {
    s.min_sense.resize(static_cast<size_t>(n * m));
    std::transform(cost, cost + n * m, s.min_sense.begin(), [](T x) { return -x; });
    c = s.min_sense.data();
  }
  const double lb = dual_lower_bound<T>(c, n, m, kDualSweeps, s.work, col4row);
  const double upper = maximize ? 0.0 - objective : objective;  // the min-sense objective
  return std::max(0.0, upper - lb);
}

}  // namespace

template <class T>
Status solve(const SolveOptions& o, const Problem<T>& p, const Solution& out, Scratch& scratch) {
  if (out.bound != nullptr) *out.bound = 0.0;
  // The dense matrix, read only: the caller's, or the scratch buffer that holds it.
  const T* dense = p.cost != nullptr ? p.cost : p.scratch;
  const bool use_blocks = p.blocks != nullptr && o.method == Method::batch_optimal;
  // An empty problem may come with no buffer at all (an empty vector's data()).
  if (dense == nullptr && !use_blocks && p.n > 0 && p.m > 0) return Status::invalid_argument;
  switch (o.method) {
    case Method::hungarian:
      if (p.scratch != nullptr && p.n == p.m)
        return hungarian_square_inplace<T>(p.scratch, p.n, o.maximize, out.col4row,
                                           out.objective, scratch.exact);
      return hungarian<T>(dense, p.n, p.m, o.maximize, out.col4row, out.objective,
                          scratch.exact);
    case Method::greedy: {
      const Status st = greedy<T>(dense, p.n, p.m, o.maximize, out.col4row, out.objective);
      if (st == Status::ok && out.bound != nullptr)
        *out.bound = dual_gap<T>(dense, p.n, p.m, o.maximize, out.col4row, *out.objective,
                                 scratch.gap<T>());
      return st;
    }
    case Method::auction: {
      AuctionReport report;
      const Status st = auction<T>(dense, p.n, p.m, o.maximize, o.auction, out.col4row,
                                   out.objective, nullptr, out.bound ? &report : nullptr,
                                   scratch.auction);
      if (out.bound != nullptr) *out.bound = report.bound;
      return st;
    }
    case Method::batch_optimal: {
      if (use_blocks) {
        // No whole matrix to bound the optimum with (the RSM engine computes it for its own
        // dual bound when it wants one).
        if (out.bound != nullptr) *out.bound = std::numeric_limits<double>::quiet_NaN();
        return batch_optimal<T>(p.n, p.m, p.row_keys, p.col_keys, o.window, *p.blocks,
                                o.maximize, out.col4row, out.objective, scratch.exact);
      }
      const Status st = batch_optimal_dense<T>(dense, p.n, p.m, p.row_keys, p.col_keys,
                                               o.window, o.maximize, out.col4row,
                                               out.objective, scratch.exact);
      if (st == Status::ok && out.bound != nullptr)
        *out.bound = dual_gap<T>(dense, p.n, p.m, o.maximize, out.col4row, *out.objective,
                                 scratch.gap<T>());
      return st;
    }
    case Method::identity:  // the RSM engine's "no matching": nothing to solve
      break;
  }
  return Status::invalid_argument;
}

template Status solve<float>(const SolveOptions&, const Problem<float>&, const Solution&,
                             Scratch&);
template Status solve<double>(const SolveOptions&, const Problem<double>&, const Solution&,
                              Scratch&);

}  // namespace semrsm::lap
