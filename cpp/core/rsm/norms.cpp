// sample_norms: squared norms of every concept vector and every sample (rsm.hpp), the inputs
// of the cosine cost, the Batch-Optimal keys, the kernels and the non-finite check.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/rsm/rsm.hpp"

namespace semrsm::rsm {

template <class T>
Status sample_norms(const Samples<T>& X, int threads, double* pos_sqnorm, double* sqnorm,
                    int64_t* bad_sample, const PollFn& poll) {
  *bad_sample = -1;
  const int64_t n = X.n, S = X.S, C = X.C;
  if (n == 0) return Status::ok;
  std::vector<uint8_t> bad(static_cast<size_t>(n), 0);
  constexpr int64_t kChunk = 16;
  const int64_t tasks = (n + kChunk - 1) / kChunk;
  const bool finished = parallel_for(
      tasks, threads,
      [&](int64_t task, int) {
        for (int64_t i = task * kChunk; i < std::min(n, (task + 1) * kChunk); ++i) {
          const T* xi = X.data + i * S * C;
          double* ps = pos_sqnorm + i * S;
          if (X.layout == Layout::feature_major) {
            for (int64_t p = 0; p < S; ++p) ps[p] = 0.0;
            for (int64_t k = 0; k < C; ++k) {
              const T* row = xi + k * S;
              for (int64_t p = 0; p < S; ++p) {
                const double v = static_cast<double>(row[p]);
                ps[p] += v * v;
              }
            }
          } else {
            for (int64_t p = 0; p < S; ++p) {
              const T* v = xi + p * C;
              double s[4] = {0, 0, 0, 0};
              int64_t k = 0;
              for (; k + 4 <= C; k += 4)
                for (int u = 0; u < 4; ++u) s[u] += static_cast<double>(v[k + u]) * v[k + u];
              for (; k < C; ++k) s[0] += static_cast<double>(v[k]) * v[k];
              ps[p] = (s[0] + s[1]) + (s[2] + s[3]);
            }
          }
          double total = 0.0;
          for (int64_t p = 0; p < S; ++p) total += ps[p];
          sqnorm[i] = total;
          // NaN and inf propagate into the sum of squares, so one test per sample suffices.
          if (!std::isfinite(total)) bad[i] = 1;
        }
      },
      poll);
  if (!finished) return Status::cancelled;
  for (int64_t i = 0; i < n; ++i) {
    if (bad[i]) {
      *bad_sample = i;
      return Status::invalid_cost;
    }
  }
  return Status::ok;
}

template Status sample_norms<float>(const Samples<float>&, int, double*, double*, int64_t*,
                                    const PollFn&);
template Status sample_norms<double>(const Samples<double>&, int, double*, double*, int64_t*,
                                     const PollFn&);

}  // namespace semrsm::rsm
