// Internal helpers shared by the solvers of the assignment core (not part of the contract).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/lap/lap.hpp"

namespace semrsm::lap::detail {

template <class W>
constexpr W inf() {
  return std::numeric_limits<W>::infinity();
}

// Copies the n x m problem into `out` as a minimisation whose rows are the shorter side
// (transposed when n > m), validating it on the way: NaN, or -inf after the sign flip of
// `maximize`, is invalid_cost. `*has_forbidden` tells whether any +inf (after the flip) was
// seen, so that solvers can skip structural feasibility checks on dense problems.
template <class W, class T>
Status prepare_min(const T* cost, int64_t n, int64_t m, bool maximize, bool transpose, W* out,
                   bool* has_forbidden) {
  const int64_t nc = transpose ? n : m;
  bool forbidden = false;
  bool bad = false;
  for (int64_t i = 0; i < n; ++i) {
    const T* ci = cost + i * m;
    for (int64_t j = 0; j < m; ++j) {
      W x = static_cast<W>(ci[j]);
      if (maximize) x = -x;
      // One pass, no early exit: keeps the loop branch-free for the vectoriser.
      bad |= (x != x) | (x == -inf<W>());
      forbidden |= (x == inf<W>());
      if (transpose)
        out[j * nc + i] = x;
      else
        out[i * nc + j] = x;
    }
  }
  if (has_forbidden) *has_forbidden = forbidden;
  return bad ? Status::invalid_cost : Status::ok;
}

// Checks the entries only (used where no copy is made).
template <class T>
Status check_costs(const T* cost, int64_t n, int64_t m, bool maximize, bool* has_forbidden) {
  const T bad_inf = maximize ? inf<T>() : -inf<T>();
  const T ok_inf = maximize ? -inf<T>() : inf<T>();
  bool forbidden = false, bad = false;
  for (int64_t k = 0; k < n * m; ++k) {
    const T x = cost[k];
    bad |= (x != x) | (x == bad_inf);
    forbidden |= (x == ok_inf);
  }
  if (has_forbidden) *has_forbidden = forbidden;
  return bad ? Status::invalid_cost : Status::ok;
}

// Sum of the assigned entries of the original matrix, in double.
template <class T>
double objective_of(const T* cost, int64_t n, int64_t m, const int64_t* col4row) {
  double obj = 0.0;
  for (int64_t i = 0; i < n; ++i)
    if (col4row[i] >= 0) obj += static_cast<double>(cost[i * m + col4row[i]]);
  return obj;
}

// Whether a matching of size min(nr, nc) exists using only entries with allowed(i, j)
// (Hopcroft-Karp on the finite entries). `c` is a min-sense nr x nc matrix; +inf is
// forbidden. Used where a solver would otherwise not notice infeasibility (auction prices
// would rise forever).
bool perfect_matching_exists(const double* c, int64_t nr, int64_t nc);
bool perfect_matching_exists(const float* c, int64_t nr, int64_t nc);

}  // namespace semrsm::lap::detail
