// From matched linear values to kernel values: apply_kernel and the RBF's reference bandwidth
// (rsm.hpp), by the formulas of kernels.hpp.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "core/rsm/kernels.hpp"
#include "core/rsm/rsm.hpp"

namespace semrsm::rsm {

void apply_kernel(KernelKind kind, const double* linear, const double* d2, int64_t n,
                  int64_t m, const double* sqnorm_x, const double* sqnorm_y, double sigma,
                  double* out) {
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < m; ++j) {
      const int64_t e = i * m + j;
      switch (kind) {
        case KernelKind::linear: out[e] = linear[e]; break;
        case KernelKind::cosine:
          out[e] = cosine_from_linear(linear[e], sqnorm_x[i], sqnorm_y[j]);
          break;
        case KernelKind::rbf: {
          const double d = d2 != nullptr ? d2[e] : d2_from_linear(linear[e], sqnorm_x[i], sqnorm_y[j]);
          out[e] = rbf_from_d2(d, sigma);
          break;
        }
      }
    }
  }
}

double rbf_default_sigma(const double* d2, int64_t n, int64_t m, bool self) {
  std::vector<double> v;
  v.reserve(static_cast<size_t>(self ? n * (n - 1) / 2 : n * m));
  for (int64_t i = 0; i < n; ++i) {
    // Self mode: each unordered pair once. Counting (i, j) and (j, i) both would double
    // every value, which leaves the lower median unchanged.
    for (int64_t j = self ? i + 1 : 0; j < m; ++j) {
      const double d = d2[i * m + j];
      if (d != 0.0) v.push_back(d);
    }
  }
  double med = 0.0;
  if (!v.empty()) {
    const size_t k = (v.size() - 1) / 2;  // lower middle, as torch.median
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    med = v[k];
  }
  return rbf_sigma_from_median(med);
}

}  // namespace semrsm::rsm
