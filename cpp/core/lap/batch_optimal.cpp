// Batch-Optimal (Wald et al., NeurIPS 2024): rows and columns are ordered by their keys
// (descending, ties by index so the order is deterministic), both orders are cut into
// aligned windows of `window`, and each window's block is solved exactly. Only the window
// blocks are requested from the caller, so the full matrix is never needed.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/lap/detail.hpp"
#include "core/lap/lap.hpp"

namespace semrsm::lap {
namespace {

bool order_by_key(const double* keys, int64_t n, std::vector<int64_t>& order) {
  order.resize(n);
  std::iota(order.begin(), order.end(), int64_t{0});
  if (keys == nullptr) return true;  // no keys: natural order
  for (int64_t i = 0; i < n; ++i)
    if (std::isnan(keys[i])) return false;
  std::stable_sort(order.begin(), order.end(),
                   [keys](int64_t a, int64_t b) { return keys[a] > keys[b]; });
  return true;
}

}  // namespace

template <class T>
Status batch_optimal(int64_t n, int64_t m, const double* row_keys, const double* col_keys,
                     int64_t window, const BlockCostFn<T>& block_cost, bool maximize,
                     int64_t* col4row, double* objective, JvScratch& exact) {
  *objective = 0.0;
  std::fill(col4row, col4row + n, int64_t{-1});
  if (window < 1 || !block_cost) return Status::invalid_argument;
  std::vector<int64_t> rows, cols;
  if (!order_by_key(row_keys, n, rows) || !order_by_key(col_keys, m, cols))
    return Status::invalid_argument;
  std::vector<T> block;
  std::vector<int64_t> block_c4r;
  double total = 0.0;
  for (int64_t start = 0; start < n && start < m; start += window) {
    const int64_t nr = std::min(window, n - start), nc = std::min(window, m - start);
    block.resize(static_cast<size_t>(nr * nc));
    block_c4r.resize(nr);
    block_cost(rows.data() + start, nr, cols.data() + start, nc, block.data());
    double obj = 0.0;
    const Status st = hungarian<T>(block.data(), nr, nc, maximize, block_c4r.data(), &obj, exact);
    if (st != Status::ok) {
      std::fill(col4row, col4row + n, int64_t{-1});
      return st;
    }
    for (int64_t r = 0; r < nr; ++r)
      if (block_c4r[r] >= 0) col4row[rows[start + r]] = cols[start + block_c4r[r]];
    total += obj;
  }
  *objective = total;
  return Status::ok;
}

template <class T>
Status batch_optimal_dense(const T* cost, int64_t n, int64_t m, const double* row_keys,
                           const double* col_keys, int64_t window, bool maximize,
                           int64_t* col4row, double* objective, JvScratch& exact) {
  const BlockCostFn<T> gather = [cost, m](const int64_t* r, int64_t nr, const int64_t* c,
                                          int64_t nc, T* out) {
    for (int64_t a = 0; a < nr; ++a) {
      const T* src = cost + r[a] * m;
      for (int64_t b = 0; b < nc; ++b) out[a * nc + b] = src[c[b]];
    }
  };
  return batch_optimal<T>(n, m, row_keys, col_keys, window, gather, maximize, col4row, objective,
                          exact);
}

template Status batch_optimal<float>(int64_t, int64_t, const double*, const double*, int64_t,
                                     const BlockCostFn<float>&, bool, int64_t*, double*,
                                     JvScratch&);
template Status batch_optimal<double>(int64_t, int64_t, const double*, const double*, int64_t,
                                      const BlockCostFn<double>&, bool, int64_t*, double*,
                                      JvScratch&);
template Status batch_optimal_dense<float>(const float*, int64_t, int64_t, const double*,
                                           const double*, int64_t, bool, int64_t*, double*,
                                           JvScratch&);
template Status batch_optimal_dense<double>(const double*, int64_t, int64_t, const double*,
                                            const double*, int64_t, bool, int64_t*, double*,
                                            JvScratch&);

}  // namespace semrsm::lap
