// AVX2 + FMA cost GEMM, selected at run time (gemm_kernels_*). Everything after the pragma
// is local to this file (see gemm_impl.hpp).
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include <cstdint>

#include "core/rsm/gemm.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma")

namespace semrsm::rsm {
namespace {

struct VecF {
  using T = float;
  using R = __m256;
  static constexpr int W = 8;
  static R zero() { return _mm256_setzero_ps(); }
  static R load(const T* p) { return _mm256_loadu_ps(p); }
  static void store(T* p, R v) { _mm256_storeu_ps(p, v); }
  static R bcast(const T* p) { return _mm256_broadcast_ss(p); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
  static R neg(R a) { return _mm256_xor_ps(a, _mm256_set1_ps(-0.0f)); }
};

struct VecD {
  using T = double;
  using R = __m256d;
  static constexpr int W = 4;
  static R zero() { return _mm256_setzero_pd(); }
  static R load(const T* p) { return _mm256_loadu_pd(p); }
  static void store(T* p, R v) { _mm256_storeu_pd(p, v); }
  static R bcast(const T* p) { return _mm256_broadcast_sd(p); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_pd(a, b, c); }
  static R add(R a, R b) { return _mm256_add_pd(a, b); }
  static R neg(R a) { return _mm256_xor_pd(a, _mm256_set1_pd(-0.0)); }
};

#include "core/rsm/gemm_impl.hpp"

// 6 x 16 floats: 12 accumulators + 2 B vectors + 1 broadcast of the 16 ymm registers.
using ImplF = GemmImpl<VecF, 6, 2, 512>;
using ImplD = GemmImpl<VecD, 6, 2, 256>;

}  // namespace

// Constant-initialised (addresses only): no code of this file runs before dispatch.
extern const GemmKernels<float> kGemmAvx2F32 = {ImplF::kMR, ImplF::NR, SimdLevel::avx2, &ImplF::pack_a,
                                                &ImplF::pack_b, &ImplF::gemm};
extern const GemmKernels<double> kGemmAvx2F64 = {ImplD::kMR, ImplD::NR, SimdLevel::avx2, &ImplD::pack_a,
                                                 &ImplD::pack_b, &ImplD::gemm};

}  // namespace semrsm::rsm

#pragma GCC pop_options
#endif
