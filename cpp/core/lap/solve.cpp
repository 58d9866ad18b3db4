#include "core/lap/solve.hpp"

namespace semrsm::lap {

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
    case Method::greedy:
      return greedy<T>(dense, p.n, p.m, o.maximize, out.col4row, out.objective);
    case Method::auction: {
      AuctionReport report;
      const Status st = auction<T>(dense, p.n, p.m, o.maximize, o.auction, out.col4row,
                                   out.objective, nullptr, out.bound ? &report : nullptr,
                                   scratch.auction);
      if (out.bound != nullptr) *out.bound = report.bound;
      return st;
    }
    case Method::batch_optimal:
      if (use_blocks)
        return batch_optimal<T>(p.n, p.m, p.row_keys, p.col_keys, o.window, *p.blocks,
                                o.maximize, out.col4row, out.objective, scratch.exact);
      return batch_optimal_dense<T>(dense, p.n, p.m, p.row_keys, p.col_keys, o.window,
                                    o.maximize, out.col4row, out.objective, scratch.exact);
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
