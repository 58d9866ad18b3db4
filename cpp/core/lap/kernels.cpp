// Run-time choice of the kernels in kernels.hpp.
#include "core/lap/kernels.hpp"

#include "core/lap/kernels_scalar.hpp"

#include <limits>

namespace semrsm::lap::detail {

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SEMRSM_HAVE_X86_KERNELS 1
namespace avx2 {
float relax_f(const float*, const float*, float*, int32_t*, int64_t, float, int32_t);
double relax_d(const double*, const double*, double*, int32_t*, int64_t, double, int32_t);
int64_t argmin_free_f(const float*, const int32_t*, int64_t, float);
int64_t argmin_free_d(const double*, const int32_t*, int64_t, double);
double relax_fd(const float*, const double*, double*, int32_t*, int64_t, double, int32_t);
double row_min_fd(const float*, const double*, int64_t);
void two_min_f(const float*, const float*, int64_t, float*, int64_t*, float*, int64_t*);
void two_min_d(const double*, const double*, int64_t, double*, int64_t*, double*, int64_t*);
float row_min_f(const float*, const float*, int64_t);
double row_min_d(const double*, const double*, int64_t);
void col_min_f(const float*, float*, int32_t*, int64_t, int32_t);
void col_min_d(const double*, double*, int32_t*, int64_t, int32_t);
uint32_t copy_check_f(const float*, float*, int64_t, bool);
uint32_t copy_check_d(const double*, double*, int64_t, bool);
void bid_f(const float*, const float*, int64_t, float*, int64_t*, float*);
void bid_d(const double*, const double*, int64_t, double*, int64_t*, double*);
}  // namespace avx2
namespace avx512 {
float relax_f(const float*, const float*, float*, int32_t*, int64_t, float, int32_t);
double relax_d(const double*, const double*, double*, int32_t*, int64_t, double, int32_t);
int64_t argmin_free_f(const float*, const int32_t*, int64_t, float);
int64_t argmin_free_d(const double*, const int32_t*, int64_t, double);
void two_min_f(const float*, const float*, int64_t, float*, int64_t*, float*, int64_t*);
void two_min_d(const double*, const double*, int64_t, double*, int64_t*, double*, int64_t*);
double relax_fd(const float*, const double*, double*, int32_t*, int64_t, double, int32_t);
double row_min_fd(const float*, const double*, int64_t);
float row_min_f(const float*, const float*, int64_t);
int64_t collect_f(const float*, const float*, int64_t, float, float, int32_t*);
int64_t collect_d(const double*, const double*, int64_t, double, double, int32_t*);
uint32_t copy_check_f(const float*, float*, int64_t, bool);
float relax_argmin_f(const float*, const float*, float*, int32_t*, const int32_t*, int64_t, float,
                     int32_t, int64_t*);
double relax_argmin_d(const double*, const double*, double*, int32_t*, const int32_t*, int64_t,
                      double, int32_t, int64_t*);
double relax_argmin_fd(const float*, const double*, double*, int32_t*, const int32_t*, int64_t,
                       double, int32_t, int64_t*);
uint32_t copy_check_d(const double*, double*, int64_t, bool);
void col_min_f(const float*, float*, int32_t*, int64_t, int32_t);
void col_min_d(const double*, double*, int32_t*, int64_t, int32_t);
double row_min_d(const double*, const double*, int64_t);
void bid_f(const float*, const float*, int64_t, float*, int64_t*, float*);
void bid_d(const double*, const double*, int64_t, double*, int64_t*, double*);
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

template <class Tc, class W>
Kernels<Tc, W> scalar_kernels() {
  return {&scalar::relax<Tc, W>, &scalar::relax_argmin<Tc, W>, &scalar::argmin_free<W>, &scalar::two_min<Tc, W>,
          &scalar::col_min<Tc, W>, &scalar::row_min<Tc, W>, &scalar::copy_check<W>, &scalar::collect<W>,
          &scalar::bid<Tc, W>, SimdLevel::scalar};
}

}  // namespace

template <>
Kernels<float, float> kernels_for<float, float>(SimdLevel level) {
#ifdef SEMRSM_HAVE_X86_KERNELS
  if (level == SimdLevel::avx512)
    return {&avx512::relax_f, &avx512::relax_argmin_f, &avx512::argmin_free_f, &avx512::two_min_f, &avx512::col_min_f,
            &avx512::row_min_f, &avx512::copy_check_f, &avx512::collect_f, &avx512::bid_f,
            level};
  if (level == SimdLevel::avx2)
    // The fused relax_argmin costs more than relax + argmin_free on AVX2 (measured: +13%
    // instructions, +35% time at S = 49): without mask registers, tracking the argmin per lane
    // needs blend chains, while argmin_free skips most vectors with one compare.
    return {&avx2::relax_f,
            &relax_then_argmin<float, float, &avx2::relax_f, &avx2::argmin_free_f>,
            &avx2::argmin_free_f, &avx2::two_min_f,
            &avx2::col_min_f, &avx2::row_min_f, &avx2::copy_check_f, &scalar::collect<float>,
            &avx2::bid_f, level};
#endif
  (void)level;
  return scalar_kernels<float, float>();
}

template <>
Kernels<double, double> kernels_for<double, double>(SimdLevel level) {
#ifdef SEMRSM_HAVE_X86_KERNELS
  if (level == SimdLevel::avx512)
    return {&avx512::relax_d, &avx512::relax_argmin_d, &avx512::argmin_free_d, &avx512::two_min_d, &avx512::col_min_d,
            &avx512::row_min_d, &avx512::copy_check_d, &avx512::collect_d, &avx512::bid_d,
            level};
  if (level == SimdLevel::avx2)
    return {&avx2::relax_d,
            &relax_then_argmin<double, double, &avx2::relax_d, &avx2::argmin_free_d>,
            &avx2::argmin_free_d, &avx2::two_min_d,
            &avx2::col_min_d, &avx2::row_min_d, &avx2::copy_check_d, &scalar::collect<double>,
            &avx2::bid_d, level};
#endif
  (void)level;
  return scalar_kernels<double, double>();
}

template <>
Kernels<float, double> kernels_for<float, double>(SimdLevel level) {
#ifdef SEMRSM_HAVE_X86_KERNELS
  if (level == SimdLevel::avx512)
    return {&avx512::relax_fd, &avx512::relax_argmin_fd, &avx512::argmin_free_d, &scalar::two_min<float, double>,
            &scalar::col_min<float, double>, &avx512::row_min_fd,
            &scalar::copy_check<double>, &scalar::collect<double>, &scalar::bid<float, double>, level};
  if (level == SimdLevel::avx2)
    return {&avx2::relax_fd,
            &relax_then_argmin<float, double, &avx2::relax_fd, &avx2::argmin_free_d>,
            &avx2::argmin_free_d, &scalar::two_min<float, double>,
            &scalar::col_min<float, double>, &avx2::row_min_fd,
            &scalar::copy_check<double>, &scalar::collect<double>, &scalar::bid<float, double>, level};
#endif
  (void)level;
  return scalar_kernels<float, double>();
}

template <class Tc, class W>
const Kernels<Tc, W>& kernels() {
  static const Kernels<Tc, W> k = kernels_for<Tc, W>(simd_level());
  return k;
}

template const Kernels<float, float>& kernels<float, float>();
template const Kernels<double, double>& kernels<double, double>();
template const Kernels<float, double>& kernels<float, double>();

}  // namespace semrsm::lap::detail
