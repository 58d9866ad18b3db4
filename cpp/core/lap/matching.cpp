// Structural feasibility: does a matching saturating the shorter side exist among the
// finite entries? Hopcroft & Karp, "An n^5/2 algorithm for maximum matchings in bipartite
// graphs" (SIAM J. Comput. 1973), on the dense matrix (an entry is an edge when finite).
#include <cstdint>
#include <vector>

#include "core/lap/detail.hpp"

namespace semrsm::lap::detail {
namespace {

template <class W>
bool hopcroft_karp(const W* c, int64_t nr, int64_t nc) {
  // Work with rows as the shorter side (the caller's matrices already are, but be safe).
  if (nr > nc) {
    std::vector<W> t(static_cast<size_t>(nr * nc));
    for (int64_t i = 0; i < nr; ++i)
      for (int64_t j = 0; j < nc; ++j) t[j * nr + i] = c[i * nc + j];
    return hopcroft_karp(t.data(), nc, nr);
  }
  const W forbidden = inf<W>();
  std::vector<int64_t> match_r(nr, -1), match_c(nc, -1), dist(nr), queue(nr), it(nr), stack;
  // Greedy start: most rows are matched before the phases begin.
  int64_t matched = 0;
  for (int64_t i = 0; i < nr; ++i)
    for (int64_t j = 0; j < nc; ++j)
      if (c[i * nc + j] != forbidden && match_c[j] < 0) {
        match_r[i] = j;
        match_c[j] = i;
        ++matched;
        break;
      }
  constexpr int64_t kUnreached = INT64_MAX;
  while (matched < nr) {
    // BFS from free rows over alternating paths, layering rows by distance.
    int64_t head = 0, tail = 0;
    for (int64_t i = 0; i < nr; ++i) {
      if (match_r[i] < 0) {
        dist[i] = 0;
        queue[tail++] = i;
      } else {
        dist[i] = kUnreached;
      }
    }
    bool found = false;
    while (head < tail) {
      const int64_t i = queue[head++];
      for (int64_t j = 0; j < nc; ++j) {
        if (c[i * nc + j] == forbidden) continue;
        const int64_t k = match_c[j];
        if (k < 0) {
          found = true;
        } else if (dist[k] == kUnreached) {
          dist[k] = dist[i] + 1;
          queue[tail++] = k;
        }
      }
    }
    if (!found) return false;
    // DFS along the layers (iterative: paths can be as long as nr).
    for (int64_t i = 0; i < nr; ++i) it[i] = 0;
    for (int64_t root = 0; root < nr; ++root) {
      if (match_r[root] >= 0) continue;
      stack.assign(1, root);
      bool augmented = false;
      while (!stack.empty() && !augmented) {
        const int64_t i = stack.back();
        bool advanced = false;
        // it[r] always points at the edge of r on the current path (or the next to try).
        for (; it[i] < nc; ++it[i]) {
          const int64_t j = it[i];
          if (c[i * nc + j] == forbidden) continue;
          const int64_t k = match_c[j];
          if (k < 0) {
            for (const int64_t r : stack) {  // flip root -> ... -> i -> j
              match_r[r] = it[r];
              match_c[it[r]] = r;
            }
            augmented = true;
            break;
          }
          if (dist[k] == dist[i] + 1) {
            stack.push_back(k);
            advanced = true;
            break;
          }
        }
        if (augmented || advanced) continue;
        dist[i] = kUnreached;  // dead end: prune it for the rest of the phase
        stack.pop_back();
        if (!stack.empty()) ++it[stack.back()];
      }
      if (augmented) ++matched;
    }
  }
  return true;
}

}  // namespace

bool perfect_matching_exists(const double* c, int64_t nr, int64_t nc) {
  return hopcroft_karp(c, nr, nc);
}
bool perfect_matching_exists(const float* c, int64_t nr, int64_t nc) {
  return hopcroft_karp(c, nr, nc);
}

}  // namespace semrsm::lap::detail
