// AVX-512 cost GEMM, selected at run time (gemm_kernels_*). Everything after the pragma
// is local to this file (see gemm_impl.hpp).
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include <cstdint>

#include "core/rsm/gemm.hpp"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")

namespace semrsm::rsm {
namespace {

struct VecF {
  using T = float;
  using R = __m512;
  static constexpr int W = 16;
  static R zero() { return _mm512_setzero_ps(); }
  static R load(const T* p) { return _mm512_loadu_ps(p); }
  static void store(T* p, R v) { _mm512_storeu_ps(p, v); }
  static R bcast(const T* p) { return _mm512_set1_ps(*p); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  static R neg(R a) { return _mm512_xor_ps(a, _mm512_set1_ps(-0.0f)); }
};

struct VecD {
  using T = double;
  using R = __m512d;
  static constexpr int W = 8;
  static R zero() { return _mm512_setzero_pd(); }
  static R load(const T* p) { return _mm512_loadu_pd(p); }
  static void store(T* p, R v) { _mm512_storeu_pd(p, v); }
  static R bcast(const T* p) { return _mm512_set1_pd(*p); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_pd(a, b, c); }
  static R add(R a, R b) { return _mm512_add_pd(a, b); }
  static R neg(R a) { return _mm512_xor_pd(a, _mm512_set1_pd(-0.0)); }
};

#include "core/rsm/gemm_impl.hpp"

// 12 x 32 floats: 24 accumulators + 2 B vectors + 1 broadcast of the 32 zmm registers.
using ImplF = GemmImpl<VecF, 12, 2, 512>;
using ImplD = GemmImpl<VecD, 12, 2, 256>;

}  // namespace

// Constant-initialised (addresses only): no code of this file runs before dispatch.
extern const GemmKernels<float> kGemmAvx512F32 = {ImplF::kMR, ImplF::NR, SimdLevel::avx512, &ImplF::pack_a,
                                                &ImplF::pack_b, &ImplF::gemm};
extern const GemmKernels<double> kGemmAvx512F64 = {ImplD::kMR, ImplD::NR, SimdLevel::avx512, &ImplD::pack_a,
                                                 &ImplD::pack_b, &ImplD::gemm};

}  // namespace semrsm::rsm

#pragma GCC pop_options
#endif
