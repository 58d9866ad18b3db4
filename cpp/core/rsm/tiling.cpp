#include "core/rsm/tiling.hpp"

#include <algorithm>

namespace semrsm::rsm::detail {
namespace {

// Each sample is packed once per tile, so bigger tiles amortise packing over more pairs. A
// pair's GEMM only needs its own two packed samples in L2 (they are re-read there once per
// micro-panel); the rest of the tile may wait in L3, so the budget is an L3 share, not L2.
constexpr int64_t kTilePackBytes = 4 << 20;
constexpr int64_t kMaxTile = 16;

}  // namespace

std::vector<Tile> make_tiles(int64_t n, int64_t m, bool self, int64_t pack_bytes, int threads) {
  int64_t tb = std::clamp<int64_t>(kTilePackBytes / std::max<int64_t>(pack_bytes, 1), 1, kMaxTile);
  // Enough tiles for load balance and a lively progress bar.
  const int64_t want = 8 * static_cast<int64_t>(threads);
  while (tb > 1) {
    const int64_t bx = (n + tb - 1) / tb, by = (m + tb - 1) / tb;
    const int64_t count = self ? bx * (bx + 1) / 2 : bx * by;
    if (count >= want) break;
    tb = tb / 2;
  }
  std::vector<Tile> t;
  for (int64_t i0 = 0; i0 < n; i0 += tb) {
    for (int64_t j0 = self ? i0 : 0; j0 < m; j0 += tb) {
      const Tile tile{i0, std::min(i0 + tb, n), j0, std::min(j0 + tb, m), self && i0 == j0};
      if (tile.diagonal && tile.i1 - tile.i0 < 2) continue;
      t.push_back(tile);
    }
  }
  return t;
}

}  // namespace semrsm::rsm::detail
