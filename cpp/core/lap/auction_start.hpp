// Warm start of the exact solver on hard square problems: a short auction with epsilon
// scaling (Bertsekas 1988), or a single phase at a fine epsilon where no outliers dominate
// the costs, in place of JV's augmenting row reduction, then the duals made feasible and the
// assignment tight, so that shortest augmenting paths finish the solve.
//
// Why: on inner-product costs of real features (position norms that vary widely, see
// benchmarks/families.py) most rows prefer the same few columns. JV's column reduction then
// leaves almost every row free (measured after the row reduction jv.cpp starts with: 92-98% at
// S = 196..784 against 43-53% on i.i.d. ReLU features),
// its augmenting row reduction (bids with epsilon 0) turns into price wars of tiny steps,
// and the Dijkstra phase inherits ~90% free rows with poor duals (S = 784: ~270 rows scanned
// per augmenting path). Bids with epsilon > 0 end those wars in a few rounds per phase;
// stopping at a coarse epsilon (1e-3 of the typical row's range) already gives near-optimal prices,
// and the paths that remain are short (~20 rows at S = 784): 5x fewer row scans overall.
//
// Exactness does not depend on the auction: afterwards u_i = min_j (c_ij - v_j) makes
// (u, v) dual feasible; a row whose auction column is not a minimiser (its slack is <= eps)
// keeps that column only where raising v_j by the slack leaves every other row's reduced
// cost at j non-negative (then it is tight), otherwise it is freed. The shortest augmenting
// path phase needs exactly this: feasible duals, tight assigned rows.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <cstdlib>

#include "core/lap/kernels.hpp"
#include "core/lap/scratch.hpp"

namespace semrsm::lap::detail {

// Parameters of the warm start (measured on the families of benchmarks/families.py,
// S = 49..784, float32, both SIMD paths).
struct AuctionStart {
  // Used when more than this fraction of the rows won no column minimum (the hard case;
  // i.i.d. ReLU and uniform costs stay below 0.8, the hard families above 0.9 from S = 196).
  static constexpr double kFreeFraction = 0.85;
  // Below this size the epsilon-scaling schedule costs more than it saves (S = 49: 1.1-2x
  // the whole solve): such problems take the single-phase start or JV's own initialisation.
  static constexpr int64_t kMinSize = 64;
  // A problem below kSingleMaxSize whose cost spread is within kOutlierSpread typical row
  // ranges has no outlier rows or columns whose prices must move far: one auction phase at
  // epsilon = kEpsSingle x typical / n replaces the schedule. Measured on the gamma / photo
  // families against the schedule (JV's initialisation at S = 49), both SIMD paths: S = 49
  // 0.63-0.7x / 0.92-0.95x, S = 196 0.69-0.74x / 0.91-1.04x, S = 400-784 0.92-1.0x; at
  // S = 3136 gamma 0.9x but photo 1.05-1.07x, hence the cap. Outlier tokens (spread 17-60x
  // typical) need the schedule's large first steps: one fine phase made them 1.3-2.7x slower.
  // kEpsSingle: 1 beat 0.5, 2 and 4 (S = 49..784).
  static constexpr double kOutlierSpread = 10.0;
  static constexpr double kEpsSingle = 1.0;
  static constexpr int64_t kSingleMaxSize = 1024;
  // First epsilon relative to the spread of all costs, last relative to the median row
  // range, and the factor between phases (measured: 1e-3 beats 3e-3 and 3e-4, 0.25 beats
  // 0.1, 7 beats 5 and 10).
  static constexpr double kEpsFirst = 0.25;
  static constexpr double kEpsLast = 1e-3;
  static constexpr double kEpsFactor = 7.0;
};

// Whether the warm start pays on a square problem after the column reduction; `matches[i]`
// is the number of columns whose minimum row i holds.
inline bool auction_start_pays(const int32_t* matches, int64_t n) {
  int64_t unmatched = 0;
  for (int64_t i = 0; i < n; ++i) unmatched += matches[i] == 0;
  return static_cast<double>(unmatched) > AuctionStart::kFreeFraction * static_cast<double>(n);
}

// Least and largest entry of a row, in eight independent lanes the compiler can vectorise
// (a max reduction in one accumulator it may not reorder).
template <class W>
void row_range(const W* c, int64_t n, W* lo, W* hi) {
  constexpr W kInf = std::numeric_limits<W>::infinity();
  W a[8], b[8];
  for (int l = 0; l < 8; ++l) {
    a[l] = kInf;
    b[l] = -kInf;
  }
  int64_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int l = 0; l < 8; ++l) {
      const W x = c[k + l];
      a[l] = x < a[l] ? x : a[l];
      b[l] = x > b[l] ? x : b[l];
    }
  for (; k < n; ++k) {
    a[0] = c[k] < a[0] ? c[k] : a[0];
    b[0] = c[k] > b[0] ? c[k] : b[0];
  }
  for (int l = 1; l < 8; ++l) {
    a[0] = a[l] < a[0] ? a[l] : a[0];
    b[0] = b[l] > b[0] ? b[l] : b[0];
  }
  *lo = a[0];
  *hi = b[0];
}

// The warm start on an n x n min-sense matrix c without forbidden entries, from the column
// reduction's duals v. Overwrites col4row / row4col and v; writes the rows left free to
// free_rows. Returns false, having changed nothing, where it does not apply (the caller then
// takes JV's path): a spread of the costs that is not finite, or a problem below kMinSize
// whose spread is dominated by outliers.
// One forward-auction phase at step e (Bertsekas 1988): every row starts unassigned, the
// prices v carry over; the unassigned rows wait in a FIFO ring (at most n at a time). A row
// with a single finite choice bids big_step. Shared by the warm start below and the top-k
// screen (core/rsm/screen.cpp).
template <class W>
inline void auction_phase(const W* c, W* v, int64_t n, W e, W big_step, int32_t* col4row,
                          int32_t* row4col, int32_t* ring, const Kernels<W, W>& K) {
  constexpr W kInf = std::numeric_limits<W>::infinity();
  std::fill(col4row, col4row + n, -1);
  std::fill(row4col, row4col + n, -1);
  for (int64_t i = 0; i < n; ++i) ring[i] = static_cast<int32_t>(i);
  int64_t head = 0, count = n;
  while (count > 0) {
    const int32_t i = ring[head];
    head = head + 1 == n ? 0 : head + 1;
    --count;
    W w1, w2;
    int64_t j1;
    K.bid(c + i * n, v, n, &w1, &j1, &w2);
    const W old = v[j1];
    W nv = old - ((w2 < kInf ? w2 - w1 : big_step) + e);
    if (!(nv < old)) nv = std::nextafter(old, -kInf);  // progress below rounding
    v[j1] = nv;
    const int32_t prev = row4col[j1];
    row4col[j1] = i;
    col4row[i] = static_cast<int32_t>(j1);
    if (prev >= 0) {
      col4row[prev] = -1;
      int64_t tail = head + count;
      if (tail >= n) tail -= n;
      ring[tail] = prev;
      ++count;
    }
  }
}

template <class W>
bool auction_start(const W* c, int64_t n, W* v, int32_t* col4row, int32_t* row4col,
                   int32_t* free_rows, int64_t* n_free, AuctionStartScratch<W>& scratch,
                   const Kernels<W, W>& K) {
  constexpr W kInf = std::numeric_limits<W>::infinity();
  scratch.ring.resize(n);
  scratch.u.resize(n);
  scratch.colmin.resize(n);
  int32_t* ring = scratch.ring.data();
  W* u = scratch.u.data();
  W* colmin = scratch.colmin.data();
  // Scales of the bids: the spread of all costs (hi - lo) sets the first epsilon, so that
  // the first phase settles the few columns every row wants in a few large steps (outlier
  // tokens: 5x fewer bids than a start at the typical scale); the median over rows of the
  // row range sets the last, so that the typical rows end near-optimal whatever a few
  // outliers weigh. u holds the row ranges for the median.
  W lo = kInf, hi = -kInf, cost_lo = kInf;
  for (int64_t j = 0; j < n; ++j) lo = v[j] < lo ? v[j] : lo;
  for (int64_t i = 0; i < n; ++i) {
    W rlo, rhi;
    row_range(c + i * n, n, &rlo, &rhi);
    u[i] = rhi - rlo;
    hi = rhi > hi ? rhi : hi;
    cost_lo = rlo < cost_lo ? rlo : cost_lo;
  }
  const W spread = hi - lo;
  const W cost_spread = hi - cost_lo;  // of the costs themselves, for the outlier test
  if (!(spread < kInf)) return false;
  const W big_step = spread > W(0) ? spread : W(1);  // a row with a single finite choice
  std::nth_element(u, u + n / 2, u + n);
  const W typical = u[n / 2] > W(0) ? u[n / 2] : big_step;
  double eps = AuctionStart::kEpsFirst * static_cast<double>(big_step);
  double eps_last = AuctionStart::kEpsLast * static_cast<double>(typical);
  const bool no_outliers = static_cast<double>(cost_spread) <=
                           AuctionStart::kOutlierSpread * static_cast<double>(typical);
  if (no_outliers && n < AuctionStart::kSingleMaxSize) {  // one phase (see AuctionStart)
    eps = AuctionStart::kEpsSingle * static_cast<double>(typical) / static_cast<double>(n);
    eps_last = eps;
  } else if (n < AuctionStart::kMinSize) {
    return false;
  }
  for (;;) {
    auction_phase(c, v, n, static_cast<W>(eps), big_step, col4row, row4col, ring, K);
    if (eps <= eps_last) break;
    eps = std::max(eps / AuctionStart::kEpsFactor, eps_last);
  }
  // Feasible duals: u_i = row minimum. colmin_j = min over rows k other than j's owner of
  // the reduced cost c_kj - v_j - u_k (>= 0): how far v_j may rise.
  for (int64_t i = 0; i < n; ++i) u[i] = K.row_min(c + i * n, v, n);
  std::fill(colmin, colmin + n, kInf);
  for (int64_t k = 0; k < n; ++k) {
    const W* ck = c + k * n;
    const int32_t own = col4row[k];
    const W keep = colmin[own];  // row k does not limit its own column
    const W uk = u[k];
    for (int64_t j = 0; j < n; ++j) {
      const W r = (ck[j] - v[j]) - uk;
      colmin[j] = r < colmin[j] ? r : colmin[j];
    }
    colmin[own] = keep;
  }
  // Tighten: raise v_j by its owner's slack where the other rows allow it, else free the row.
  for (int64_t i = 0; i < n; ++i) {
    const int32_t j = col4row[i];
    const W slack = (c[i * n + j] - v[j]) - u[i];
    if (!(slack > W(0))) continue;
    if (slack <= colmin[j]) {
      v[j] += slack;
    } else {
      col4row[i] = -1;
      row4col[j] = -1;
    }
  }
  // The raises were computed with rounding: keep a row only if its column is a minimiser
  // in the arithmetic the augmentation uses.
  int64_t nf = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t j = col4row[i];
    if (j >= 0 && !(c[i * n + j] - v[j] > K.row_min(c + i * n, v, n))) continue;
    if (j >= 0) {
      col4row[i] = -1;
      row4col[j] = -1;
    }
    free_rows[nf++] = static_cast<int32_t>(i);
  }
  *n_free = nf;
  return true;
}

}  // namespace semrsm::lap::detail
