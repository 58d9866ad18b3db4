// AVX2 kernels (see kernels.hpp), compiled with per-function target attributes and only
// called when simd_level() is at least avx2.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <cstdint>
#include <limits>

#include "core/lap/kernels.hpp"
#include "core/lap/kernels_scalar.hpp"

#define SEMRSM_AVX2 __attribute__((target("avx2,fma")))

namespace semrsm::lap::detail::avx2 {

// One vector of relax_f; two accumulators let neighbouring vectors' min chains overlap.
__attribute__((always_inline)) SEMRSM_AVX2 inline __m256 relax_step_f(
    const float* c, const float* v, float* d, int32_t* path, int64_t k, __m256 hv, __m256i iv,
    __m256 mn) {
  const __m256 ninf = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  const __m256 pinf = _mm256_set1_ps(std::numeric_limits<float>::infinity());
  const __m256 cand = _mm256_add_ps(_mm256_sub_ps(_mm256_loadu_ps(c + k), _mm256_loadu_ps(v + k)), hv);
  const __m256 dk = _mm256_loadu_ps(d + k);
  const __m256 lt = _mm256_cmp_ps(cand, dk, _CMP_LT_OQ);
  const __m256 nd = _mm256_blendv_ps(dk, cand, lt);
  if (_mm256_movemask_ps(lt)) {  // masked stores are slow on some x86 cores: store only here
    _mm256_storeu_ps(d + k, nd);
    _mm256_maskstore_epi32(path + k, _mm256_castps_si256(lt), iv);
  }
  const __m256 settled = _mm256_cmp_ps(nd, ninf, _CMP_EQ_OQ);
  return _mm256_min_ps(mn, _mm256_blendv_ps(nd, pinf, settled));
}

SEMRSM_AVX2 float relax_f(const float* c, const float* v, float* d, int32_t* path, int64_t n,
                          float h, int32_t i) {
  const __m256 hv = _mm256_set1_ps(h);
  const __m256i iv = _mm256_set1_epi32(i);
  __m256 mn0 = _mm256_set1_ps(std::numeric_limits<float>::infinity()), mn1 = mn0;
  int64_t k = 0;
  for (; k + 16 <= n; k += 16) {
    mn0 = relax_step_f(c, v, d, path, k, hv, iv, mn0);
    mn1 = relax_step_f(c, v, d, path, k + 8, hv, iv, mn1);
  }
  for (; k + 8 <= n; k += 8) mn0 = relax_step_f(c, v, d, path, k, hv, iv, mn0);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, _mm256_min_ps(mn0, mn1));
  float r = scalar::relax<float, float>(c + k, v + k, d + k, path + k, n - k, h, i);
  for (float x : lanes) r = x < r ? x : r;
  return r;
}

// float costs with double duals: the double-precision repair of a float32 solve.
SEMRSM_AVX2 double relax_fd(const float* c, const double* v, double* d, int32_t* path, int64_t n,
                            double h, int32_t i) {
  const __m256d hv = _mm256_set1_pd(h);
  const __m256d ninf = _mm256_set1_pd(-std::numeric_limits<double>::infinity());
  const __m256d pinf = _mm256_set1_pd(std::numeric_limits<double>::infinity());
  __m256d mn = pinf;
  int64_t k = 0;
  for (; k + 4 <= n; k += 4) {
    const __m256d ck = _mm256_cvtps_pd(_mm_loadu_ps(c + k));
    const __m256d cand = _mm256_add_pd(_mm256_sub_pd(ck, _mm256_loadu_pd(v + k)), hv);
    const __m256d dk = _mm256_loadu_pd(d + k);
    const __m256d lt = _mm256_cmp_pd(cand, dk, _CMP_LT_OQ);
    const __m256d nd = _mm256_blendv_pd(dk, cand, lt);
    int bits = _mm256_movemask_pd(lt);
    if (bits) {
      _mm256_storeu_pd(d + k, nd);
      while (bits) {
        path[k + __builtin_ctz(bits)] = i;
        bits &= bits - 1;
      }
    }
    const __m256d settled = _mm256_cmp_pd(nd, ninf, _CMP_EQ_OQ);
    mn = _mm256_min_pd(mn, _mm256_blendv_pd(nd, pinf, settled));
  }
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, mn);
  double r = scalar::relax<float, double>(c + k, v + k, d + k, path + k, n - k, h, i);
  for (double x : lanes) r = x < r ? x : r;
  return r;
}

SEMRSM_AVX2 double row_min_fd(const float* c, const double* v, int64_t n) {
  __m256d mn = _mm256_set1_pd(std::numeric_limits<double>::infinity());
  int64_t k = 0;
  for (; k + 4 <= n; k += 4)
    mn = _mm256_min_pd(mn, _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(c + k)), _mm256_loadu_pd(v + k)));
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, mn);
  double r = scalar::row_min<float, double>(c + k, v + k, n - k);
  for (double x : lanes) r = x < r ? x : r;
  return r;
}

SEMRSM_AVX2 double relax_d(const double* c, const double* v, double* d, int32_t* path, int64_t n,
                           double h, int32_t i) {
  const __m256d hv = _mm256_set1_pd(h);
  const __m256d ninf = _mm256_set1_pd(-std::numeric_limits<double>::infinity());
  const __m256d pinf = _mm256_set1_pd(std::numeric_limits<double>::infinity());
  __m256d mn = pinf;
  int64_t k = 0;
  for (; k + 4 <= n; k += 4) {
    const __m256d cand = _mm256_add_pd(_mm256_sub_pd(_mm256_loadu_pd(c + k), _mm256_loadu_pd(v + k)), hv);
    const __m256d dk = _mm256_loadu_pd(d + k);
    const __m256d lt = _mm256_cmp_pd(cand, dk, _CMP_LT_OQ);
    const __m256d nd = _mm256_blendv_pd(dk, cand, lt);
    int bits = _mm256_movemask_pd(lt);
    if (bits) {
      _mm256_storeu_pd(d + k, nd);
      while (bits) {
        path[k + __builtin_ctz(bits)] = i;
        bits &= bits - 1;
      }
    }
    const __m256d settled = _mm256_cmp_pd(nd, ninf, _CMP_EQ_OQ);
    mn = _mm256_min_pd(mn, _mm256_blendv_pd(nd, pinf, settled));
  }
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, mn);
  double r = scalar::relax<double, double>(c + k, v + k, d + k, path + k, n - k, h, i);
  for (double x : lanes) r = x < r ? x : r;
  return r;
}

SEMRSM_AVX2 int64_t argmin_free_f(const float* d, const int32_t* row4col, int64_t n, float mu) {
  const __m256 m = _mm256_set1_ps(mu);
  int64_t first = -1, k = 0;
  for (; k + 8 <= n; k += 8) {
    const int eq = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(d + k), m, _CMP_EQ_OQ));
    if (!eq) continue;
    const __m256i r = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row4col + k));
    const int fr = eq & _mm256_movemask_ps(_mm256_castsi256_ps(r));  // sign bit: row4col < 0
    if (fr) return k + __builtin_ctz(fr);
    if (first < 0) first = k + __builtin_ctz(eq);
  }
  for (; k < n; ++k) {
    if (d[k] == mu) {
      if (row4col[k] < 0) return k;
      if (first < 0) first = k;
    }
  }
  return first;
}

SEMRSM_AVX2 int64_t argmin_free_d(const double* d, const int32_t* row4col, int64_t n, double mu) {
  const __m256d m = _mm256_set1_pd(mu);
  int64_t first = -1, k = 0;
  for (; k + 4 <= n; k += 4) {
    int eq = _mm256_movemask_pd(_mm256_cmp_pd(_mm256_loadu_pd(d + k), m, _CMP_EQ_OQ));
    if (!eq) continue;
    if (first < 0) first = k + __builtin_ctz(eq);
    while (eq) {
      const int b = __builtin_ctz(eq);
      if (row4col[k + b] < 0) return k + b;
      eq &= eq - 1;
    }
  }
  for (; k < n; ++k) {
    if (d[k] == mu) {
      if (row4col[k] < 0) return k;
      if (first < 0) first = k;
    }
  }
  return first;
}

}  // namespace semrsm::lap::detail::avx2
#endif
