// Portable cost GEMM (baseline ISA; the compiler may still vectorise it with SSE2 / NEON).
// No FMA contraction: this path is also the reference for the wider ones in tests.
#include <cstdint>

#include "core/rsm/gemm.hpp"

namespace semrsm::rsm {
namespace {

template <class TT>
struct VecScalar {
  using T = TT;
  using R = TT;
  static constexpr int W = 1;
  static R zero() { return T(0); }
  static R load(const T* p) { return *p; }
  static void store(T* p, R v) { *p = v; }
  static R bcast(const T* p) { return *p; }
  static R fma(R a, R b, R c) { return a * b + c; }
  static R add(R a, R b) { return a + b; }
  static R neg(R a) { return -a; }
};

#include "core/rsm/gemm_impl.hpp"

using ImplF = GemmImpl<VecScalar<float>, 4, 8, 512>;
using ImplD = GemmImpl<VecScalar<double>, 4, 8, 256>;

}  // namespace

extern const GemmKernels<float> kGemmScalarF32 = {ImplF::kMR, ImplF::NR, SimdLevel::scalar, &ImplF::pack_a,
                                                  &ImplF::pack_b, &ImplF::gemm};
extern const GemmKernels<double> kGemmScalarF64 = {ImplD::kMR, ImplD::NR, SimdLevel::scalar, &ImplD::pack_a,
                                                   &ImplD::pack_b, &ImplD::gemm};

const GemmKernels<float>& gemm_kernels_f32(SimdLevel level) {
#if defined(__x86_64__) || defined(__i386__)
  if (level == SimdLevel::avx512) return kGemmAvx512F32;
  if (level == SimdLevel::avx2) return kGemmAvx2F32;
#endif
  (void)level;
  return kGemmScalarF32;
}

const GemmKernels<double>& gemm_kernels_f64(SimdLevel level) {
#if defined(__x86_64__) || defined(__i386__)
  if (level == SimdLevel::avx512) return kGemmAvx512F64;
  if (level == SimdLevel::avx2) return kGemmAvx2F64;
#endif
  (void)level;
  return kGemmScalarF64;
}

}  // namespace semrsm::rsm
