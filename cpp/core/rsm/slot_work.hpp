// Per-thread scratch of the RSM engine, reused across the pairs and tiles a worker runs, so
// that no pair allocates once the buffers have grown to the problem's size.
#pragma once

#include <cstdint>
#include <vector>

#include "core/lap/dual_bound.hpp"
#include "core/lap/lap.hpp"

namespace semrsm::rsm::detail {

template <class T>
struct SlotWork {
  std::vector<T> apack, bpack;  // the tile's x samples (A panels) and y samples (B panels)
  std::vector<T> cost;          // one pair's S_x x S_y cost (negated inner products)
  lap::DualBoundWork<T> dual;   // the dual bound of greedy / Batch-Optimal (rsm::Output::gap)
  std::vector<T> ga, gb;        // Batch-Optimal window packs
  std::vector<int64_t> col4row;
  std::vector<int64_t> mp, mq;  // matched position pairs
  std::vector<double> keys_x, keys_y;
  std::vector<uint8_t> mark;
  lap::Scratch matcher;  // the assignment solvers' (lap/scratch.hpp)
};

}  // namespace semrsm::rsm::detail
