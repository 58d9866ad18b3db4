// The one method dispatch of the assignment core: a caller names a Method of
// core/vocabulary.hpp and solve() runs the solver of lap.hpp that the method stands for. The
// batched LAP binding (bindings/bind_lap.cpp) and the RSM engine (rsm/engine.hpp) both go
// through here, so adding a matcher adds one case in solve.cpp and nowhere else in the core.
// (The CUDA backend has its own team-parallel matchers and dispatch: cuda/lap_team.hpp.)
#pragma once

#include <cstdint>

#include "core/lap/lap.hpp"
#include "core/status.hpp"
#include "core/vocabulary.hpp"

namespace semrsm::lap {

// Everything about *how* to solve, shared by every problem of a batch.
struct SolveOptions {
  Method method = Method::hungarian;
  bool maximize = false;
  AuctionOptions auction;  // Method::auction only
  int64_t window = 128;    // Method::batch_optimal only: rows and columns per exact window
};

// One n x m problem. The cost comes in exactly one of three forms:
//   cost     a dense row-major matrix the solver only reads;
//   scratch  the same in a buffer the caller lets the solver overwrite: the exact solver then
//            works in it in place when n == m (no copy; its contents are unspecified after);
//   blocks   Method::batch_optimal only: the window blocks on demand, so the whole matrix
//            never exists.
// row_keys / col_keys (lengths n and m) order the windows of batch_optimal; null keeps the
// natural order of that side.
template <class T>
struct Problem {
  int64_t n = 0, m = 0;
  const T* cost = nullptr;
  T* scratch = nullptr;
  const BlockCostFn<T>* blocks = nullptr;
  const double* row_keys = nullptr;
  const double* col_keys = nullptr;
};

// Where the answer goes: col4row (length n) and the objective as in lap.hpp. `bound`, when
// not null, receives a certified bound on |optimum - objective|: 0 for the exact solver, the
// auction's primal-dual gap, and for greedy and Batch-Optimal the gap to a dual bound
// (dual_bound.hpp; NaN for Batch-Optimal on window blocks, which give no whole matrix).
// Leaving it null spares the approximations the dual pass that certifies them.
struct Solution {
  int64_t* col4row = nullptr;
  double* objective = nullptr;
  double* bound = nullptr;
};

// Whether `method` reads the whole n x m matrix: batch_optimal asks only for its window
// blocks and identity reads no cost at all. Callers that compute costs themselves (the RSM
// engine) use this to decide whether to build the dense matrix.
constexpr bool needs_dense_cost(Method method) {
  return method != Method::batch_optimal && method != Method::identity;
}

// Solves `p` with `o.method`; statuses as the solver's (lap.hpp). Status::invalid_argument
// for Method::identity (an RSM-only code: nothing to solve), for a code outside the enum, and
// when a non-empty problem brings no cost form the method can read (blocks alone for a
// dense-only method, or nothing).
template <class T>
Status solve(const SolveOptions& o, const Problem<T>& p, const Solution& out, Scratch& scratch);

}  // namespace semrsm::lap
