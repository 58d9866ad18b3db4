// Per-pair kernel reductions of the semantic RSM, shared by the CPU engine (apply_kernel,
// rbf_default_sigma) and the CUDA kernels (finish_kernel, rbf_sigma_kernel in
// cuda/kernels.cuh) through SEMRSM_HD, so that both finish an RSM with the same arithmetic
// and every constant below exists once.
//
// Every kernel of a pair (X_i, P X_j) follows from three numbers: the matched linear value
// lin = sum_p <X_i[p], X_j[perm p]>, and the squared norms |X_i|^2, |X_j|^2, which no
// permutation changes (Wald et al. 2024, Sec. 3). The engine therefore stores only the
// N x M matrix of matched linear values (and, for RBF, the directly summed d^2), and the
// kernels are an O(N M) pass afterwards.
#pragma once

#include <cmath>

#include "core/hd.hpp"
#include "core/vocabulary.hpp"

namespace semrsm::rsm {

using semrsm::KernelKind;  // core/vocabulary.hpp

// The reference code divides each flattened sample by (norm + 1e-13) before the inner product
// (TaWald/semantic_rsm, sim_func.cosine_sim): a zero-norm sample gets similarity 0, never NaN.
constexpr double kCosineOffset = 1e-13;
// The reference RBF adds 1e-3 to the median-heuristic bandwidth "to avoid overflows by zero".
constexpr double kRbfSigmaOffset = 1e-3;

SEMRSM_HD double cosine_from_linear(double lin, double sqnorm_x, double sqnorm_y) {
  return lin / ((sqrt(sqnorm_x) + kCosineOffset) * (sqrt(sqnorm_y) + kCosineOffset));
}

// Squared distance of X_i and P X_j when it was not summed directly: |X_i|^2 + |X_j|^2 - 2 lin,
// clamped at 0 (rounding can make it slightly negative for near-identical samples).
SEMRSM_HD double d2_from_linear(double lin, double sqnorm_x, double sqnorm_y) {
  const double d2 = sqnorm_x + sqnorm_y - 2.0 * lin;
  return d2 > 0.0 ? d2 : 0.0;
}

SEMRSM_HD double rbf_from_d2(double d2, double sigma) { return exp(-0.5 * d2 / (sigma * sigma)); }

// The reference bandwidth from the lower median of the nonzero d^2 entries (0 when there is
// none): sqrt(median) + 1e-3.
SEMRSM_HD double rbf_sigma_from_median(double median_d2) {
  return sqrt(median_d2) + kRbfSigmaOffset;
}

}  // namespace semrsm::rsm
