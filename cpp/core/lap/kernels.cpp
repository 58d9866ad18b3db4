// Run-time choice of the kernels in kernels.hpp.
#include "core/lap/kernels.hpp"

#include "core/lap/kernels_scalar.hpp"
#include "core/lap/kernels_simd.hpp"

#include <limits>
#include <type_traits>

namespace semrsm::lap::detail {

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SEMRSM_HAVE_X86_KERNELS 1
// The SIMD kernels, one template per kernel (kernels_simd.hpp).
namespace avx2 {
SEMRSM_LAP_SIMD_KERNELS
}  // namespace avx2
namespace avx512 {
SEMRSM_LAP_SIMD_KERNELS
template <class W>
W relax_argmin(const W*, const W*, W*, int32_t*, const int32_t*, int64_t, W, int32_t, int64_t*);
template <class T>
int64_t collect(const T*, const T*, int64_t, T, T, int32_t*);
}  // namespace avx512
#endif

namespace {

// relax then argmin_free, for the levels without a fused kernel.
template <class Tc, class W, auto Relax, auto Argmin>
W relax_then_argmin(const Tc* c, const W* v, W* d, int32_t* path, const int32_t* row4col,
                    int64_t n, W h, int32_t i, int64_t* jmin) {
  const W mu = Relax(c, v, d, path, n, h, i);
  *jmin = mu < std::numeric_limits<W>::infinity() ? Argmin(d, row4col, n, mu) : -1;
  return mu;
}

}  // namespace

// Starts from the scalar kernels and takes each SIMD one the level has. Tc == W: every kernel
// has SIMD versions (AVX2 has no collect). Float costs with double duals (the repair): only
// the Dijkstra kernels and row_min are SIMD; the rest never runs on the repair's hot path.
template <class Tc, class W>
Kernels<Tc, W> kernels_for(SimdLevel level) {
  Kernels<Tc, W> k{&scalar::relax<Tc, W>,  &scalar::relax_argmin<Tc, W>, &scalar::argmin_free<W>,
                   &scalar::two_min<Tc, W>, &scalar::col_min<Tc, W>,     &scalar::row_min<Tc, W>,
                   &scalar::copy_check<W>,  &scalar::collect<W>,         &scalar::bid<Tc, W>,
                   SimdLevel::scalar};
#ifdef SEMRSM_HAVE_X86_KERNELS
  constexpr bool same = std::is_same<Tc, W>::value;
  if (level == SimdLevel::avx512) {
    k.relax = &avx512::relax<Tc, W>;
    k.argmin_free = &avx512::argmin_free<W>;
    k.row_min = &avx512::row_min<Tc, W>;
    if constexpr (same) {
      k.relax_argmin = &avx512::relax_argmin<W>;
      k.two_min = &avx512::two_min<W>;
      k.col_min = &avx512::col_min<W>;
      k.copy_check = &avx512::copy_check<W>;
      k.collect = &avx512::collect<W>;
      k.bid = &avx512::bid<W>;
    } else {
      k.relax_argmin = &relax_then_argmin<Tc, W, &avx512::relax<Tc, W>, &avx512::argmin_free<W>>;
    }
    k.level = level;
  } else if (level == SimdLevel::avx2) {
    k.relax = &avx2::relax<Tc, W>;
    // A fused relax_argmin costs more than relax + argmin_free on AVX2 (measured: +13%
    // instructions, +35% time at S = 49; written again branch-free beside the branch-free
    // relax: still +8-10% at S = 49..196): without mask registers, tracking the argmin per
    // lane needs blend chains, while argmin_free skips most vectors with one compare.
    k.relax_argmin = &relax_then_argmin<Tc, W, &avx2::relax<Tc, W>, &avx2::argmin_free<W>>;
    k.argmin_free = &avx2::argmin_free<W>;
    k.row_min = &avx2::row_min<Tc, W>;
    if constexpr (same) {
      k.two_min = &avx2::two_min<W>;
      k.col_min = &avx2::col_min<W>;
      k.copy_check = &avx2::copy_check<W>;
      k.bid = &avx2::bid<W>;
    }
    k.level = level;
  }
#endif
  (void)level;
  return k;
}

template Kernels<float, float> kernels_for<float, float>(SimdLevel);
template Kernels<double, double> kernels_for<double, double>(SimdLevel);
template Kernels<float, double> kernels_for<float, double>(SimdLevel);

template <class Tc, class W>
const Kernels<Tc, W>& kernels() {
  static const Kernels<Tc, W> k = kernels_for<Tc, W>(simd_level());
  return k;
}

template const Kernels<float, float>& kernels<float, float>();
template const Kernels<double, double>& kernels<double, double>();
template const Kernels<float, double>& kernels<float, double>();

}  // namespace semrsm::lap::detail
