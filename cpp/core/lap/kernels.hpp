// Inner loops of the shortest-augmenting-path solvers, with scalar, AVX2 and AVX-512
// versions chosen once per process from semrsm::simd_level(). `Tc` is the type of the cost
// row, `W` the type of the duals and distances (Tc = float, W = double serves the
// double-precision repair of a float32 solve).
#pragma once

#include <cstdint>

#include "core/cpu_features.hpp"

namespace semrsm::lap::detail {

template <class Tc, class W>
struct Kernels {
  // Dijkstra relaxation of one row: for every column k whose d[k] is not -inf (settled
  // columns are marked -inf), cand = (c[k] - v[k]) + h; where cand < d[k] it stores
  // d[k] = cand and path[k] = i. Returns the minimum of the d[k] that are not -inf
  // (+inf when there is none).
  W (*relax)(const Tc* c, const W* v, W* d, int32_t* path, int64_t n, W h, int32_t i);
  // relax followed by argmin_free in one pass: returns mu and stores its column in *jmin
  // (-1 when mu is +inf).
  W (*relax_argmin)(const Tc* c, const W* v, W* d, int32_t* path, const int32_t* row4col,
                    int64_t n, W h, int32_t i, int64_t* jmin);
  // The first k with d[k] == mu and row4col[k] < 0 (a free column ends the search), else the
  // first k with d[k] == mu, else -1.
  int64_t (*argmin_free)(const W* d, const int32_t* row4col, int64_t n, W mu);
  // The two smallest c[k] - v[k] in (value, index) order: u1 at j1, u2 at j2 != j1
  // (u2 = +inf and j2 = -1 when n == 1).
  void (*two_min)(const Tc* c, const W* v, int64_t n, W* u1, int64_t* j1, W* u2, int64_t* j2);
  // Column reduction step for row i with row dual h: where c[k] - h < v[k], v[k] = c[k] - h
  // and arg[k] = i.
  void (*col_min)(const Tc* c, W* v, int32_t* arg, int64_t n, W h, int32_t i);
  // min over k of c[k] - v[k] (+inf when n == 0).
  W (*row_min)(const Tc* c, const W* v, int64_t n);
  // Copies count entries (dst may be null: check only), negated when `negate`, and returns
  // bit 0 set when any value is NaN or -inf after the sign flip (invalid in the minimisation
  // sense), bit 1 when any is +inf (forbidden).
  uint32_t (*copy_check)(const W* src, W* dst, int64_t count, bool negate);
  // Greedy band collection: writes the k with x = sign * c[k] + pen[k] <= t and x < +inf to
  // idx (in increasing k) and returns their count.
  int64_t (*collect)(const W* c, const W* pen, int64_t n, W sign, W t, int32_t* idx);
  // An auction bid: u1 = min over k of c[k] - v[k] at its first index j1, u2 = the second
  // smallest value (u1 again when the minimum occurs twice; +inf when n == 1). two_min
  // without j2, which lets the SIMD versions keep the second value with min / max only.
  void (*bid)(const Tc* c, const W* v, int64_t n, W* u1, int64_t* j1, W* u2);
  SimdLevel level;
};

// The kernels for the current simd_level() (scalar for combinations without SIMD code).
template <class Tc, class W>
const Kernels<Tc, W>& kernels();

// The kernels of one level, for tests and benchmarks of each path.
template <class Tc, class W>
Kernels<Tc, W> kernels_for(SimdLevel level);

}  // namespace semrsm::lap::detail
