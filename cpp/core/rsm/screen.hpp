// Threshold screen of exact top-k retrieval (issue 11): for a list of pairs, each with a
// threshold tau on the matched linear value, decide as cheaply as possible whether the exact
// value lies below tau, with certified bounds.
//
// Per pair: the cost GEMM once, then the epsilon-scaling forward auction (Bertsekas, "The
// auction algorithm", Ann. Oper. Res. 14, 1988) phase by phase from a coarse epsilon, the
// prices carried from phase to phase. After every phase (every row assigned) the bounds are
//     lower = the matched value of the auction's assignment (a feasible matching), and
//     upper = -D(u, v') with u_i = min_j (c_ij - v_j) and v'_j = min_i (c_ij - u_i),
// the dual objective of the prices made feasible and then improved by one column step of
// coordinate ascent (min-sense cost c = -inner products; weak LP duality: D <= optimum of
// the same entries). -D(u, v) is checked first: where it already lies below the threshold,
// the column step is skipped. The pair stops as soon as upper < tau (excluded: the caller
// needs no more), or lower >= tau (it reaches the threshold: only an exact solve can place
// it), or the final epsilon is reached; only straddling pairs pay for the finer phases.
//
// Rounding: the auction runs in the sample type (float for float32 input, on the SIMD bid
// kernels); lower and upper are evaluated in double from the cost entries (a float converts
// exactly), so their only errors are those of double sums over 2 S terms (relative 2^-53
// each), which a caller comparing them with the exact solver's value must allow for
// (semrsm_native._bounds._SLACK). Rectangular pairs are zero-padded to square (rsm.hpp's
// convention), which leaves the optimum unchanged.
#pragma once

#include <cstdint>

#include "core/rsm/rsm.hpp"

namespace semrsm::rsm {

struct ScreenOptions {
  double eps_final = 1e-2;   // last epsilon, relative to the pair's largest absolute cost
                             // (at least 64 units in the last place of T: see screen.cpp)
  double eps_first = 0.25;   // first epsilon, relative to the spread of the pair's costs
  double eps_factor = 7.0;   // epsilon divided by this from phase to phase (> 1)
  int threads = 1;
};

// The pairs (x sample pair_i[t], y sample pair_j[t]) with thresholds tau[t] on the matched
// linear value (either infinity stops every pair after its first phase: -inf is reached by
// every lower bound, +inf exceeds every finite upper bound).
struct ScreenPairs {
  const int64_t* pair_i = nullptr;
  const int64_t* pair_j = nullptr;
  const double* tau = nullptr;
  int64_t n = 0;
};

struct ScreenOutput {
  double* lower = nullptr;   // n: lower bound on the exact matched linear value
  double* upper = nullptr;   // n: upper bound on it
  int32_t* phases = nullptr; // n or null: auction phases run
};

// Screens every pair (see the header comment). x and y share C and layout (checked: else
// Status::invalid_argument, as an index out of range). Samples must be finite (the caller
// checks). Status::cancelled when `ctl.poll` stopped it; ctl.pairs_done counts pairs.
template <class T>
Status screen_pairs(const Samples<T>& x, const Samples<T>& y, const ScreenPairs& pairs,
                    const ScreenOptions& opts, const ScreenOutput& out, const Control& ctl);

}  // namespace semrsm::rsm
