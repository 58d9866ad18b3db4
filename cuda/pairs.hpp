// Pair enumeration of an RSM tile, shared by the kernels and the CPU tests (SEMRSM_HD).
#pragma once

#include <cmath>
#include <cstdint>

#include "core/hd.hpp"

namespace semrsm::cudabk {

// Tile-local index k -> (i, j). A symmetric RSM (x against itself) enumerates i < j row by
// row, so no pair list is uploaded and any N fits; x against y enumerates all (i, j).
struct PairMap {
  int64_t n, m;  // rows (x samples) and columns (y samples) of the RSM
  int64_t k0;    // first pair of this tile
  int symmetric;

  SEMRSM_HD static int64_t row_start(int64_t n, int64_t r) { return r * (2 * n - r - 1) / 2; }

  SEMRSM_HD void pair(int64_t k, int64_t& i, int64_t& j) const {
    k += k0;
    if (!symmetric) {
      i = k / m;
      j = k - i * m;
      return;
    }
    // Row r holds pairs (r, r+1..n-1); row_start(r) pairs come before it. The closed form
    // inverts that quadratic; the square root can be off by one either way, hence the fix-up.
    const double b = 2.0 * static_cast<double>(n) - 1.0;
    const double disc = b * b - 8.0 * static_cast<double>(k);
    int64_t r = static_cast<int64_t>((b - sqrt(disc > 0.0 ? disc : 0.0)) / 2.0);
    if (r < 0) r = 0;
    if (r > n - 2) r = n - 2;
    while (r > 0 && row_start(n, r) > k) --r;
    while (r < n - 2 && row_start(n, r + 1) <= k) ++r;
    i = r;
    j = k - row_start(n, r) + r + 1;
  }
};

}  // namespace semrsm::cudabk
