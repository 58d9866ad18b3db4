// Cost GEMM of the semantic RSM: C = A B^T for two samples' concept vectors, where A holds
// the rows' positions (rows x K) and B the columns' positions (cols x K), K = features.
//
// BLIS-style structure (Van Zee & van de Geijn, "BLIS: A Framework for Rapidly Instantiating
// BLAS Functionality", TOMS 2015): both operands are first packed into micro-panels (MR
// positions x K for A, NR positions x K for B, k-major inside a panel) so that the register
// micro-kernel streams both contiguously; K is cut into blocks of KC so one A micro-panel
// stays in L1 while the B panels stream from L2. A whole sample (S x C) fits in L2 for the
// layer sizes of interest, so no further blocking level is needed.
//
// Packing is where the layouts meet: a sample is either feature-major (C x S, as NCHW
// activations store it) or position-major (S x C, NHWC / token layouts), optionally gathered
// through an index list (Batch-Optimal windows) and optionally scaled per position (cosine
// cost: every concept vector divided by its norm, 0 for a zero vector).
//
// Kernels exist for the scalar baseline, AVX2+FMA and AVX-512, compiled with per-file target
// pragmas and selected at run time (gemm_kernels), never with -march=native.
#pragma once

#include <cstdint>

#include "core/cpu_features.hpp"
#include "core/vocabulary.hpp"

namespace semrsm::rsm {

using semrsm::Layout;  // core/vocabulary.hpp

template <class T>
struct GemmKernels {
  int mr = 0;  // positions per A micro-panel
  int nr = 0;  // positions per B micro-panel
  SimdLevel level = SimdLevel::scalar;

  // Packs `rows` positions of the sample X (S positions, K features, `layout`) into
  // ceil(rows / mr) micro-panels of mr x K at `out` (padding rows are zero). Position r is
  // idx[r] when idx is given, else r. When pos_sqnorm is given (length S) each vector is
  // divided by its norm (0 for a zero vector).
  void (*pack_a)(const T* X, Layout layout, int64_t S, int64_t K, const int64_t* idx,
                 int64_t rows, const double* pos_sqnorm, T* out) = nullptr;
  // The same for the B side with nr positions per micro-panel.
  void (*pack_b)(const T* X, Layout layout, int64_t S, int64_t K, const int64_t* idx,
                 int64_t rows, const double* pos_sqnorm, T* out) = nullptr;
  // C (rows x cols, leading dimension ldc) = sign * A B^T from packed panels; sign is -1
  // when `negate` (a minimisation cost), +1 otherwise. Every entry of C is written.
  void (*gemm)(const T* Ap, int64_t rows, const T* Bp, int64_t cols, int64_t K, T* C,
               int64_t ldc, bool negate) = nullptr;

  // Elements of a packed buffer holding `rows` positions of K features.
  int64_t packed_a_size(int64_t rows, int64_t K) const { return (rows + mr - 1) / mr * mr * K; }
  int64_t packed_b_size(int64_t rows, int64_t K) const { return (rows + nr - 1) / nr * nr * K; }
};

// Kernels for the given SIMD level (lowered to the best compiled level not above it).
const GemmKernels<float>& gemm_kernels_f32(SimdLevel level);
const GemmKernels<double>& gemm_kernels_f64(SimdLevel level);

template <class T>
const GemmKernels<T>& gemm_kernels(SimdLevel level);
template <>
inline const GemmKernels<float>& gemm_kernels<float>(SimdLevel level) {
  return gemm_kernels_f32(level);
}
template <>
inline const GemmKernels<double>& gemm_kernels<double>(SimdLevel level) {
  return gemm_kernels_f64(level);
}

// Per-ISA tables (defined in gemm_<isa>.cpp; the x86 ones only on x86).
extern const GemmKernels<float> kGemmScalarF32;
extern const GemmKernels<double> kGemmScalarF64;
#if defined(__x86_64__) || defined(__i386__)
extern const GemmKernels<float> kGemmAvx2F32;
extern const GemmKernels<double> kGemmAvx2F64;
extern const GemmKernels<float> kGemmAvx512F32;
extern const GemmKernels<double> kGemmAvx512F64;
#endif

}  // namespace semrsm::rsm
