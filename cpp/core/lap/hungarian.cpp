// Exact dense LAP by shortest augmenting paths with Dijkstra on reduced costs
// (Jonker & Volgenant 1987; the rectangular form follows Crouse, "On implementing 2D
// rectangular assignment algorithms", IEEE TAES 2016). Names follow Crouse: u, v (duals),
// shortest_path_costs, path, col4row, row4col.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/lap/lap.hpp"

namespace semrsm::lap {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Validates and copies the problem into ws.d3 as a minimisation with n <= m (transposed
// when n > m). Returns the status of the check.
template <class T>
Status prepare(const T* cost, int64_t n, int64_t m, bool maximize, bool transpose,
               std::vector<double>& c) {
  const int64_t nr = transpose ? m : n, nc = transpose ? n : m;
  c.resize(static_cast<size_t>(nr * nc));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < m; ++j) {
      double x = static_cast<double>(cost[i * m + j]);
      if (std::isnan(x)) return Status::invalid_cost;
      if (maximize) x = -x;
      if (x == -kInf) return Status::invalid_cost;
      if (transpose)
        c[j * nc + i] = x;
      else
        c[i * nc + j] = x;
    }
  }
  return Status::ok;
}

}  // namespace

template <class T>
Status hungarian(const T* cost, int64_t n, int64_t m, bool maximize, int64_t* col4row,
                 double* objective, Workspace& ws) {
  *objective = 0.0;
  if (n == 0 || m == 0) {
    for (int64_t i = 0; i < n; ++i) col4row[i] = -1;
    return Status::ok;
  }
  const bool transpose = n > m;
  auto& c = ws.d3;
  Status st = prepare(cost, n, m, maximize, transpose, c);
  if (st != Status::ok) return st;
  const int64_t nr = transpose ? m : n, nc = transpose ? n : m;

  auto& u = ws.d0;
  auto& v = ws.d1;
  auto& spc = ws.d2;  // shortest_path_costs
  u.assign(nr, 0.0);
  v.assign(nc, 0.0);
  spc.assign(nc, kInf);
  auto& path = ws.i0;
  auto& c4r = ws.i1;
  auto& r4c = ws.i2;
  auto& remaining = ws.i3;
  path.assign(nc, -1);
  c4r.assign(nr, -1);
  r4c.assign(nc, -1);
  remaining.resize(nc);
  auto& SR = ws.b0;
  auto& SC = ws.b1;
  SR.assign(nr, 0);
  SC.assign(nc, 0);

  for (int64_t cur_row = 0; cur_row < nr; ++cur_row) {
    double min_val = 0.0;
    int64_t i = cur_row;
    int64_t num_remaining = nc;
    for (int64_t it = 0; it < nc; ++it) remaining[it] = nc - it - 1;
    std::fill(SR.begin(), SR.end(), 0);
    std::fill(SC.begin(), SC.end(), 0);
    std::fill(spc.begin(), spc.end(), kInf);
    int64_t sink = -1;
    while (sink == -1) {
      int64_t index = -1;
      double lowest = kInf;
      SR[i] = 1;
      const double* ci = &c[i * nc];
      for (int64_t it = 0; it < num_remaining; ++it) {
        const int64_t j = remaining[it];
        const double r = min_val + ci[j] - u[i] - v[j];
        if (r < spc[j]) {
          path[j] = i;
          spc[j] = r;
        }
        // Prefer a free column among equals: it ends the search sooner.
        if (spc[j] < lowest || (spc[j] == lowest && r4c[j] == -1)) {
          lowest = spc[j];
          index = it;
        }
      }
      min_val = lowest;
      if (min_val == kInf) return Status::infeasible;
      const int64_t j = remaining[index];
      if (r4c[j] == -1)
        sink = j;
      else
        i = r4c[j];
      SC[j] = 1;
      remaining[index] = remaining[--num_remaining];
    }
    u[cur_row] += min_val;
    for (int64_t r = 0; r < nr; ++r)
      if (SR[r] && r != cur_row) u[r] += min_val - spc[c4r[r]];
    for (int64_t j = 0; j < nc; ++j)
      if (SC[j]) v[j] -= min_val - spc[j];
    int64_t j = sink;
    for (;;) {
      const int64_t r = path[j];
      r4c[j] = r;
      std::swap(c4r[r], j);
      if (r == cur_row) break;
    }
  }

  double obj = 0.0;
  if (transpose) {
    for (int64_t i = 0; i < n; ++i) col4row[i] = -1;
    for (int64_t r = 0; r < nr; ++r) col4row[c4r[r]] = r;
  } else {
    for (int64_t r = 0; r < nr; ++r) col4row[r] = c4r[r];
  }
  for (int64_t i = 0; i < n; ++i)
    if (col4row[i] >= 0) obj += static_cast<double>(cost[i * m + col4row[i]]);
  *objective = obj;
  return Status::ok;
}

template Status hungarian<float>(const float*, int64_t, int64_t, bool, int64_t*, double*,
                                 Workspace&);
template Status hungarian<double>(const double*, int64_t, int64_t, bool, int64_t*, double*,
                                  Workspace&);

}  // namespace semrsm::lap
