// Tiles of the RSM engine: blocks of x samples against blocks of y samples, the unit of work
// of the thread pool. Each sample is packed once per tile for the cost GEMM.
#pragma once

#include <cstdint>
#include <vector>

namespace semrsm::rsm::detail {

struct Tile {
  int64_t i0, i1, j0, j1;  // x samples [i0, i1) against y samples [j0, j1)
  bool diagonal;           // self mode, i0 == j0: only i < j
};

// The tiles of an n x m RSM (self: x against itself, only i < j; the diagonal tiles hold one
// more triangle and single-sample diagonal tiles are skipped). `pack_bytes` is the packed size
// of one x sample and one y sample; the side length follows from a cache budget, halved until
// there are enough tiles to balance `threads` workers.
std::vector<Tile> make_tiles(int64_t n, int64_t m, bool self, int64_t pack_bytes, int threads);

}  // namespace semrsm::rsm::detail
