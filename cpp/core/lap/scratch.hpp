// Scratch memory of the assignment solvers: one struct per solver, each buffer named for what
// the algorithm keeps in it. Buffers grow on demand and keep their capacity, so a thread that
// solves many problems allocates only while the sizes grow; one set per thread.
// Index buffers are 32-bit, the width the SIMD kernels use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "core/lap/dual_bound.hpp"

namespace semrsm::lap {

namespace detail {
// Heap bytes held by the buffers (their capacity, not their size).
template <class... V>
size_t capacity_bytes(const V&... v) {
  return (size_t{0} + ... + (v.capacity() * sizeof(typename V::value_type)));
}
}  // namespace detail

// The auction warm start of the exact solver (auction_start.hpp) in precision W.
template <class W>
struct AuctionStartScratch {
  std::vector<int32_t> ring;  // FIFO of the rows still unassigned in a phase
  std::vector<W> u;           // row ranges (for their median), then row duals
  std::vector<W> colmin;      // least reduced cost of each column over the rows but its
                              // owner: how far its dual may rise

  size_t bytes() const { return detail::capacity_bytes(ring, u, colmin); }
};

// The exact solver's state (jv.cpp) in one working precision W: JV's column duals, Dijkstra's
// distances, and the warm start's.
template <class W>
struct JvDuals {
  std::vector<W> v;           // column duals
  std::vector<W> d;           // shortest-path distances of the current search
  std::vector<W> settled_at;  // distance at which each scanned column was settled
  AuctionStartScratch<W> start;

  size_t bytes() const { return detail::capacity_bytes(v, d, settled_at) + start.bytes(); }
};

// The exact solver (jv.cpp): square float problems run in float and are repaired in double,
// so both precisions have their own duals; the assignment and the lists are shared.
struct JvScratch {
  std::vector<double> cost;        // min-sense working matrix in double
  std::vector<float> cost_float;   // min-sense working matrix in float (a float32 input, or
                                   // the float copy that steers a square float64 solve)
  JvDuals<float> float_duals;
  JvDuals<double> double_duals;    // the double solve's, and the repair's
  std::vector<int32_t> col4row, row4col;
  std::vector<int32_t> path;       // pred: the row from which each column was reached
  std::vector<int32_t> scanned;    // columns settled by the current search, in order
  std::vector<int32_t> free_rows;  // rows left to augment
  std::vector<int32_t> matches;    // column reduction: columns whose minimum each row holds
  std::vector<int32_t> argmin_row; // column reduction: each column's minimising row

  size_t bytes() const {
    return detail::capacity_bytes(cost, cost_float, col4row, row4col, path, scanned, free_rows,
                                  matches, argmin_row) +
           float_duals.bytes() + double_duals.bytes();
  }

  // The duals of working precision W (float or double).
  template <class W>
  JvDuals<W>& duals() {
    if constexpr (std::is_same<W, float>::value)
      return float_duals;
    else
      return double_duals;
  }
};

// The forward auction (auction.cpp).
struct AuctionScratch {
  std::vector<double> cost;        // min-sense working matrix, rows the shorter side
  std::vector<double> neg_prices;  // q = -p, so that the kernels' c - v is c + p
  std::vector<double> zeros;       // the cost row of a virtual row (padding to square)
  std::vector<int32_t> owner;      // row4col: the row holding each column
  std::vector<int32_t> col4row;
  std::vector<int32_t> queue;      // FIFO of the rows still unassigned in a phase

  size_t bytes() const {
    return detail::capacity_bytes(cost, neg_prices, zeros, owner, col4row, queue);
  }
};

// The dual bound that certifies greedy and Batch-Optimal when a caller of lap::solve asks
// for a bound (dual_bound.hpp), in the cost's precision T.
template <class T>
struct DualGapScratch {
  DualBoundWork<T> work;
  std::vector<T> min_sense;  // the negated cost of a maximisation (the bound minimises)

  size_t bytes() const { return work.bytes() + detail::capacity_bytes(min_sense); }
};

// Everything a thread needs to run any method of lap::solve (solve.hpp). Greedy keeps no
// scratch; Batch-Optimal solves its windows in `exact`.
struct Scratch {
  JvScratch exact;
  AuctionScratch auction;
  DualGapScratch<float> gap_float;
  DualGapScratch<double> gap_double;

  size_t bytes() const {
    return exact.bytes() + auction.bytes() + gap_float.bytes() + gap_double.bytes();
  }

  // The dual-bound scratch of precision T (float or double).
  template <class T>
  DualGapScratch<T>& gap() {
    if constexpr (std::is_same<T, float>::value)
      return gap_float;
    else
      return gap_double;
  }
};

}  // namespace semrsm::lap
