// Dense linear assignment solvers: the public contract of the assignment core.
//
// Conventions shared by every solver here:
// - `cost` is a dense row-major n x m matrix (element (i, j) at cost[i * m + j]), T is float
//   or double. n > m and n < m are both allowed; min(n, m) pairs are assigned.
// - `maximize` selects the sense. A forbidden entry is +inf when minimising and -inf when
//   maximising; NaN anywhere, or an infinity of the other sign, is Status::invalid_cost.
// - On success `col4row[i]` (length n) is the column of row i, or -1 when row i is left
//   unassigned (only when n > m), and `*objective` is the sum of the assigned entries of the
//   original cost matrix, accumulated in double.
// - Inputs are never modified. Each solver takes its scratch struct (scratch.hpp), whose
//   buffers grow on demand, so a batch reuses them instead of allocating per problem; one
//   set per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/lap/scratch.hpp"
#include "core/status.hpp"

namespace semrsm::lap {

// Exact solver (shortest augmenting paths, Jonker-Volgenant family; see jv.cpp). Returns
// Status::infeasible when no complete assignment avoids the forbidden entries, and
// Status::invalid_argument when a side exceeds 2^31 - 1. Square float problems run in float
// with SIMD kernels and finish with a repair in double, so every result is optimal in double
// arithmetic (as scipy's is) whatever the dtype.
template <class T>
Status hungarian(const T* cost, int64_t n, int64_t m, bool maximize, int64_t* col4row,
                 double* objective, JvScratch& scratch);

// Addition to the contract: the same exact solver on a square n x n problem whose buffer the
// caller owns and lets the solver overwrite (it is negated in place when maximising and
// then used as the working matrix, which saves the copy `hungarian` makes). The contents
// of `cost` are unspecified afterwards; `*objective` is still the sum of the original
// assigned entries. Intended for the RSM engine, which computes each cost block itself.
template <class T>
Status hungarian_square_inplace(T* cost, int64_t n, bool maximize, int64_t* col4row,
                                double* objective, JvScratch& scratch);

// Greedy: repeatedly takes the best remaining entry (ties broken by lower row, then lower
// column). Not optimal; forbidden entries are never taken, so it can report
// Status::infeasible where an exact solver would not. Its buffers are its own (no scratch).
template <class T>
Status greedy(const T* cost, int64_t n, int64_t m, bool maximize, int64_t* col4row,
              double* objective);

struct AuctionOptions {
  // Final epsilon, relative to the largest absolute finite cost. 0 uses 1e-6 / max(n, m), so
  // that the certified gap max(n, m) * eps is at most 1e-6 of the largest cost (far inside
  // 1e-4 of the optimum on realistic costs). Clamped below at 1e-13 so prices keep moving.
  double eps_final = 0.0;
  // Factor by which epsilon shrinks between scaling phases (> 1).
  double eps_factor = 7.0;
};

struct AuctionReport {
  double eps_final = 0.0;  // absolute epsilon of the last phase
  double bound = 0.0;      // certified: |optimum - objective| <= bound (dual gap from prices)
};

// Forward auction with epsilon scaling (Bertsekas). `prices` (length max(n, m), may be null)
// receives the final prices (in the minimisation sense) of the longer side's items (the
// columns, or the rows when n > m) behind the certified bound. Infeasible problems are
// detected up front (Hopcroft-Karp on the allowed entries) since prices would rise forever.
template <class T>
Status auction(const T* cost, int64_t n, int64_t m, bool maximize, const AuctionOptions& opts,
               int64_t* col4row, double* objective, double* prices, AuctionReport* report,
               AuctionScratch& scratch);

// Fills `out` (nr x nc, row-major) with the cost block of the given rows and columns.
template <class T>
using BlockCostFn =
    std::function<void(const int64_t* rows, int64_t nr, const int64_t* cols, int64_t nc, T* out)>;

// Batch-Optimal (Wald et al. 2024): order rows by row_keys and columns by col_keys
// (descending), cut both orders into consecutive windows of `window`, solve each window
// exactly. Only the window blocks are ever requested from `block_cost`. With n != m the
// surplus of the longer side is left unassigned in the last windows. Ties in the keys keep
// the lower index first; NaN keys or window < 1 are Status::invalid_argument; a block that
// is infeasible or invalid makes the whole call fail with that block's status. The windows
// are solved by `hungarian` in `exact`.
template <class T>
Status batch_optimal(int64_t n, int64_t m, const double* row_keys, const double* col_keys,
                     int64_t window, const BlockCostFn<T>& block_cost, bool maximize,
                     int64_t* col4row, double* objective, JvScratch& exact);

// Addition to the contract: batch_optimal on a dense row-major n x m matrix (the blocks are
// gathered from it). Null keys keep the natural order of that side.
template <class T>
Status batch_optimal_dense(const T* cost, int64_t n, int64_t m, const double* row_keys,
                           const double* col_keys, int64_t window, bool maximize,
                           int64_t* col4row, double* objective, JvScratch& exact);

}  // namespace semrsm::lap
