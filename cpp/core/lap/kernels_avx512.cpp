// AVX-512 kernels (see kernels.hpp). Compiled with per-function target attributes so the
// library itself stays at the baseline ISA; only called when simd_level() says avx512.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "core/lap/kernels.hpp"
#include "core/lap/kernels_scalar.hpp"

#define SEMRSM_AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")))

namespace semrsm::lap::detail::avx512 {

SEMRSM_AVX512 float relax_f(const float* c, const float* v, float* d, int32_t* path, int64_t n,
                            float h, int32_t i) {
  const __m512 hv = _mm512_set1_ps(h);
  const __m512 ninf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  const __m512i iv = _mm512_set1_epi32(i);
  __m512 mn = _mm512_set1_ps(std::numeric_limits<float>::infinity());
  int64_t k = 0;
  for (; k + 16 <= n; k += 16) {
    const __m512 cand = _mm512_add_ps(_mm512_sub_ps(_mm512_loadu_ps(c + k), _mm512_loadu_ps(v + k)), hv);
    const __m512 dk = _mm512_loadu_ps(d + k);
    const __mmask16 lt = _mm512_cmp_ps_mask(cand, dk, _CMP_LT_OQ);
    _mm512_mask_storeu_ps(d + k, lt, cand);
    _mm512_mask_storeu_epi32(path + k, lt, iv);
    const __m512 nd = _mm512_mask_blend_ps(lt, dk, cand);
    const __mmask16 live = _mm512_cmp_ps_mask(nd, ninf, _CMP_NEQ_UQ);
    mn = _mm512_mask_min_ps(mn, live, mn, nd);
  }
  if (k < n) {
    const __mmask16 tail = static_cast<__mmask16>((1u << (n - k)) - 1u);
    const __m512 cand = _mm512_add_ps(
        _mm512_sub_ps(_mm512_maskz_loadu_ps(tail, c + k), _mm512_maskz_loadu_ps(tail, v + k)), hv);
    const __m512 dk = _mm512_mask_loadu_ps(ninf, tail, d + k);  // absent lanes look settled
    const __mmask16 lt = _mm512_cmp_ps_mask(cand, dk, _CMP_LT_OQ) & tail;
    _mm512_mask_storeu_ps(d + k, lt, cand);
    _mm512_mask_storeu_epi32(path + k, lt, iv);
    const __m512 nd = _mm512_mask_blend_ps(lt, dk, cand);
    const __mmask16 live = _mm512_cmp_ps_mask(nd, ninf, _CMP_NEQ_UQ);
    mn = _mm512_mask_min_ps(mn, live, mn, nd);
  }
  return _mm512_reduce_min_ps(mn);
}

SEMRSM_AVX512 double relax_d(const double* c, const double* v, double* d, int32_t* path,
                             int64_t n, double h, int32_t i) {
  const __m512d hv = _mm512_set1_pd(h);
  const __m512d ninf = _mm512_set1_pd(-std::numeric_limits<double>::infinity());
  const __m256i iv = _mm256_set1_epi32(i);
  __m512d mn = _mm512_set1_pd(std::numeric_limits<double>::infinity());
  int64_t k = 0;
  for (; k < n; k += 8) {
    const __mmask8 tail = n - k >= 8 ? static_cast<__mmask8>(0xff)
                                     : static_cast<__mmask8>((1u << (n - k)) - 1u);
    const __m512d cand = _mm512_add_pd(
        _mm512_sub_pd(_mm512_maskz_loadu_pd(tail, c + k), _mm512_maskz_loadu_pd(tail, v + k)), hv);
    const __m512d dk = _mm512_mask_loadu_pd(ninf, tail, d + k);
    const __mmask8 lt = _mm512_cmp_pd_mask(cand, dk, _CMP_LT_OQ) & tail;
    _mm512_mask_storeu_pd(d + k, lt, cand);
    _mm256_mask_storeu_epi32(path + k, lt, iv);
    const __m512d nd = _mm512_mask_blend_pd(lt, dk, cand);
    const __mmask8 live = _mm512_cmp_pd_mask(nd, ninf, _CMP_NEQ_UQ);
    mn = _mm512_mask_min_pd(mn, live, mn, nd);
  }
  return _mm512_reduce_min_pd(mn);
}

SEMRSM_AVX512 int64_t argmin_free_f(const float* d, const int32_t* row4col, int64_t n, float mu) {
  const __m512 m = _mm512_set1_ps(mu);
  const __m512i zero = _mm512_setzero_si512();
  int64_t first = -1;
  for (int64_t k = 0; k < n; k += 16) {
    const __mmask16 tail = n - k >= 16 ? static_cast<__mmask16>(0xffff)
                                       : static_cast<__mmask16>((1u << (n - k)) - 1u);
    const __mmask16 eq = _mm512_mask_cmp_ps_mask(tail, _mm512_maskz_loadu_ps(tail, d + k), m, _CMP_EQ_OQ);
    if (!eq) continue;
    const __mmask16 fr =
        _mm512_mask_cmplt_epi32_mask(eq, _mm512_maskz_loadu_epi32(eq, row4col + k), zero);
    if (fr) return k + __builtin_ctz(fr);
    if (first < 0) first = k + __builtin_ctz(eq);
  }
  return first;
}

SEMRSM_AVX512 int64_t argmin_free_d(const double* d, const int32_t* row4col, int64_t n, double mu) {
  const __m512d m = _mm512_set1_pd(mu);
  const __m256i zero = _mm256_setzero_si256();
  int64_t first = -1;
  for (int64_t k = 0; k < n; k += 8) {
    const __mmask8 tail = n - k >= 8 ? static_cast<__mmask8>(0xff)
                                     : static_cast<__mmask8>((1u << (n - k)) - 1u);
    const __mmask8 eq = _mm512_mask_cmp_pd_mask(tail, _mm512_maskz_loadu_pd(tail, d + k), m, _CMP_EQ_OQ);
    if (!eq) continue;
    const __mmask8 fr =
        _mm256_mask_cmplt_epi32_mask(eq, _mm256_maskz_loadu_epi32(eq, row4col + k), zero);
    if (fr) return k + __builtin_ctz(fr);
    if (first < 0) first = k + __builtin_ctz(eq);
  }
  return first;
}

// relax + argmin_free fused: per lane the first minimum over all live columns and over free
// live columns (strict <, lanes see increasing k), merged by lowest index; a free column at
// the overall minimum wins, as in the scalar argmin_free.
// One vector of relax_argmin_f; the caller keeps two sets of accumulators so that the
// compare-and-move chains of neighbouring vectors run in parallel (one chain alone costs
// ~5 cycles per vector, the rest of the body ~4).
struct ArgminLanesF {
  __m512 mn, mnf;
  __m512i ix, ixf;
};

__attribute__((always_inline)) SEMRSM_AVX512 inline void relax_argmin_step_f(
    const float* c, const float* v, float* d, int32_t* path, const int32_t* row4col, int64_t k,
    __mmask16 tail, __m512 hv, __m512i iv, __m512i kv, ArgminLanesF& a) {
  const __m512 ninf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  const __m512 cand = _mm512_add_ps(
      _mm512_sub_ps(_mm512_maskz_loadu_ps(tail, c + k), _mm512_maskz_loadu_ps(tail, v + k)), hv);
  const __m512 dk = _mm512_mask_loadu_ps(ninf, tail, d + k);  // absent lanes look settled
  const __mmask16 lt = _mm512_cmp_ps_mask(cand, dk, _CMP_LT_OQ) & tail;
  _mm512_mask_storeu_ps(d + k, lt, cand);
  _mm512_mask_storeu_epi32(path + k, lt, iv);
  const __m512 nd = _mm512_mask_blend_ps(lt, dk, cand);
  const __mmask16 live = _mm512_cmp_ps_mask(nd, ninf, _CMP_NEQ_UQ);
  const __mmask16 fr = _mm512_mask_cmplt_epi32_mask(
      live, _mm512_maskz_loadu_epi32(tail, row4col + k), _mm512_setzero_si512());
  const __mmask16 b = _mm512_mask_cmp_ps_mask(live, nd, a.mn, _CMP_LT_OQ);
  a.mn = _mm512_mask_mov_ps(a.mn, b, nd);
  a.ix = _mm512_mask_mov_epi32(a.ix, b, kv);
  const __mmask16 bf = _mm512_mask_cmp_ps_mask(fr, nd, a.mnf, _CMP_LT_OQ);
  a.mnf = _mm512_mask_mov_ps(a.mnf, bf, nd);
  a.ixf = _mm512_mask_mov_epi32(a.ixf, bf, kv);
}

SEMRSM_AVX512 float relax_argmin_f(const float* c, const float* v, float* d, int32_t* path,
                                   const int32_t* row4col, int64_t n, float h, int32_t i,
                                   int64_t* jmin) {
  const float kInf = std::numeric_limits<float>::infinity();
  const __m512 hv = _mm512_set1_ps(h);
  const __m512i iv = _mm512_set1_epi32(i);
  ArgminLanesF a{_mm512_set1_ps(kInf), _mm512_set1_ps(kInf), _mm512_set1_epi32(-1),
                 _mm512_set1_epi32(-1)};
  ArgminLanesF b = a;
  __m512i kv = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i step = _mm512_set1_epi32(16);
  const __mmask16 full = 0xffff;
  int64_t k = 0;
  for (; k + 32 <= n; k += 32) {
    relax_argmin_step_f(c, v, d, path, row4col, k, full, hv, iv, kv, a);
    kv = _mm512_add_epi32(kv, step);
    relax_argmin_step_f(c, v, d, path, row4col, k + 16, full, hv, iv, kv, b);
    kv = _mm512_add_epi32(kv, step);
  }
  for (; k < n; k += 16) {
    const __mmask16 tail = n - k >= 16 ? full : static_cast<__mmask16>((1u << (n - k)) - 1u);
    relax_argmin_step_f(c, v, d, path, row4col, k, tail, hv, iv, kv, a);
    kv = _mm512_add_epi32(kv, step);
  }
  const float mu = std::min(_mm512_reduce_min_ps(a.mn), _mm512_reduce_min_ps(b.mn));
  if (!(mu < kInf)) {
    *jmin = -1;
    return mu;
  }
  // Lowest index among the lanes (of both sets) holding mu, free columns first.
  const __m512 muv = _mm512_set1_ps(mu);
  const __mmask16 fa = _mm512_cmp_ps_mask(a.mnf, muv, _CMP_EQ_OQ);
  const __mmask16 fb = _mm512_cmp_ps_mask(b.mnf, muv, _CMP_EQ_OQ);
  if (fa | fb) {
    *jmin = std::min(_mm512_mask_reduce_min_epi32(fa, a.ixf), _mm512_mask_reduce_min_epi32(fb, b.ixf));
  } else {
    const __mmask16 ea = _mm512_cmp_ps_mask(a.mn, muv, _CMP_EQ_OQ);
    const __mmask16 eb = _mm512_cmp_ps_mask(b.mn, muv, _CMP_EQ_OQ);
    *jmin = std::min(_mm512_mask_reduce_min_epi32(ea, a.ix), _mm512_mask_reduce_min_epi32(eb, b.ix));
  }
  return mu;
}

SEMRSM_AVX512 double relax_argmin_d(const double* c, const double* v, double* d, int32_t* path,
                                    const int32_t* row4col, int64_t n, double h, int32_t i,
                                    int64_t* jmin) {
  const double kInf = std::numeric_limits<double>::infinity();
  const __m512d hv = _mm512_set1_pd(h);
  const __m512d ninf = _mm512_set1_pd(-kInf);
  const __m256i iv = _mm256_set1_epi32(i);
  const __m256i zero = _mm256_setzero_si256();
  __m512d mn = _mm512_set1_pd(kInf), mnf = mn;
  __m512i ix = _mm512_set1_epi64(-1), ixf = ix;
  __m512i kv = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
  const __m512i step = _mm512_set1_epi64(8);
  for (int64_t k = 0; k < n; k += 8) {
    const __mmask8 tail = n - k >= 8 ? static_cast<__mmask8>(0xff)
                                     : static_cast<__mmask8>((1u << (n - k)) - 1u);
    const __m512d cand = _mm512_add_pd(
        _mm512_sub_pd(_mm512_maskz_loadu_pd(tail, c + k), _mm512_maskz_loadu_pd(tail, v + k)), hv);
    const __m512d dk = _mm512_mask_loadu_pd(ninf, tail, d + k);
    const __mmask8 lt = _mm512_cmp_pd_mask(cand, dk, _CMP_LT_OQ) & tail;
    _mm512_mask_storeu_pd(d + k, lt, cand);
    _mm256_mask_storeu_epi32(path + k, lt, iv);
    const __m512d nd = _mm512_mask_blend_pd(lt, dk, cand);
    const __mmask8 live = _mm512_cmp_pd_mask(nd, ninf, _CMP_NEQ_UQ);
    const __mmask8 fr = _mm256_mask_cmplt_epi32_mask(live, _mm256_maskz_loadu_epi32(tail, row4col + k), zero);
    const __mmask8 b = _mm512_mask_cmp_pd_mask(live, nd, mn, _CMP_LT_OQ);
    mn = _mm512_mask_mov_pd(mn, b, nd);
    ix = _mm512_mask_mov_epi64(ix, b, kv);
    const __mmask8 bf = _mm512_mask_cmp_pd_mask(fr, nd, mnf, _CMP_LT_OQ);
    mnf = _mm512_mask_mov_pd(mnf, bf, nd);
    ixf = _mm512_mask_mov_epi64(ixf, bf, kv);
    kv = _mm512_add_epi64(kv, step);
  }
  const double mu = _mm512_reduce_min_pd(mn);
  if (!(mu < kInf)) {
    *jmin = -1;
    return mu;
  }
  const __m512d muv = _mm512_set1_pd(mu);
  const __mmask8 eqf = _mm512_cmp_pd_mask(mnf, muv, _CMP_EQ_OQ);
  *jmin = eqf ? _mm512_mask_reduce_min_epi64(eqf, ixf)
              : _mm512_mask_reduce_min_epi64(_mm512_cmp_pd_mask(mn, muv, _CMP_EQ_OQ), ix);
  return mu;
}

// bid (see kernels.hpp and the AVX2 version): lanes keep the smallest value with its first
// index and the second smallest through min / max; then a merge of the lanes.
template <class T>
struct Lanes512;
template <>
struct Lanes512<float> {
  using V = __m512;
  using M = __mmask16;
  static constexpr int L = 16;
  SEMRSM_AVX512 static V loadz(M m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
  SEMRSM_AVX512 static V load_or(V src, M m, const float* p) { return _mm512_mask_loadu_ps(src, m, p); }
  SEMRSM_AVX512 static V set1(float x) { return _mm512_set1_ps(x); }
  SEMRSM_AVX512 static V iota() {
    return _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  }
  SEMRSM_AVX512 static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  SEMRSM_AVX512 static V add(V a, V b) { return _mm512_add_ps(a, b); }
  SEMRSM_AVX512 static V min(V a, V b) { return _mm512_min_ps(a, b); }
  SEMRSM_AVX512 static V max(V a, V b) { return _mm512_max_ps(a, b); }
  SEMRSM_AVX512 static M lt(M m, V a, V b) { return _mm512_mask_cmp_ps_mask(m, a, b, _CMP_LT_OQ); }
  SEMRSM_AVX512 static V mov(V a, M m, V b) { return _mm512_mask_mov_ps(a, m, b); }
  SEMRSM_AVX512 static M eq(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
  SEMRSM_AVX512 static M neq(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_NEQ_UQ); }
  SEMRSM_AVX512 static float reduce_min(V a) { return _mm512_reduce_min_ps(a); }
  SEMRSM_AVX512 static float mask_reduce_min(M m, V a) { return _mm512_mask_reduce_min_ps(m, a); }
};
template <>
struct Lanes512<double> {
  using V = __m512d;
  using M = __mmask8;
  static constexpr int L = 8;
  SEMRSM_AVX512 static V loadz(M m, const double* p) { return _mm512_maskz_loadu_pd(m, p); }
  SEMRSM_AVX512 static V load_or(V src, M m, const double* p) { return _mm512_mask_loadu_pd(src, m, p); }
  SEMRSM_AVX512 static V set1(double x) { return _mm512_set1_pd(x); }
  SEMRSM_AVX512 static V iota() { return _mm512_setr_pd(0, 1, 2, 3, 4, 5, 6, 7); }
  SEMRSM_AVX512 static V sub(V a, V b) { return _mm512_sub_pd(a, b); }
  SEMRSM_AVX512 static V add(V a, V b) { return _mm512_add_pd(a, b); }
  SEMRSM_AVX512 static V min(V a, V b) { return _mm512_min_pd(a, b); }
  SEMRSM_AVX512 static V max(V a, V b) { return _mm512_max_pd(a, b); }
  SEMRSM_AVX512 static M lt(M m, V a, V b) { return _mm512_mask_cmp_pd_mask(m, a, b, _CMP_LT_OQ); }
  SEMRSM_AVX512 static V mov(V a, M m, V b) { return _mm512_mask_mov_pd(a, m, b); }
  SEMRSM_AVX512 static M eq(V a, V b) { return _mm512_cmp_pd_mask(a, b, _CMP_EQ_OQ); }
  SEMRSM_AVX512 static M neq(V a, V b) { return _mm512_cmp_pd_mask(a, b, _CMP_NEQ_UQ); }
  SEMRSM_AVX512 static double reduce_min(V a) { return _mm512_reduce_min_pd(a); }
  SEMRSM_AVX512 static double mask_reduce_min(M m, V a) { return _mm512_mask_reduce_min_pd(m, a); }
};

template <class T>
SEMRSM_AVX512 void bid_t(const T* c, const T* v, int64_t n, T* u1, int64_t* j1, T* u2) {
  using X = Lanes512<T>;
  using V = typename X::V;
  using M = typename X::M;
  constexpr int L = X::L;
  if (n < 2 * L || n >= (int64_t{1} << 24)) return scalar::bid<T, T>(c, v, n, u1, j1, u2);
  const T kInf = std::numeric_limits<T>::infinity();
  V a = X::set1(kInf), b = a, ia = X::set1(T(-1)), idx = X::iota();
  const V step = X::set1(T(L));
  for (int64_t k = 0; k < n; k += L) {
    const M m = n - k >= L ? static_cast<M>(~M(0)) : static_cast<M>((1u << (n - k)) - 1u);
    // Absent lanes read +inf - 0 and change nothing.
    const V x = X::sub(X::load_or(X::set1(kInf), m, c + k), X::loadz(m, v + k));
    b = X::min(b, X::max(a, x));
    const M lt = X::lt(m, x, a);
    a = X::min(a, x);
    ia = X::mov(ia, lt, idx);
    idx = X::add(idx, step);
  }
  // Merge with vector reductions (a scalar loop over the lanes costs branch misses): u1 and
  // the lowest index holding it; u2 the least b, or the a of any other lane.
  const T ra = X::reduce_min(a);
  *u1 = ra;
  if (!(ra < kInf)) {  // every entry +inf: the scalar kernel names the first
    *j1 = 0;
    *u2 = kInf;
    return;
  }
  const T ja = X::mask_reduce_min(X::eq(a, X::set1(ra)), ia);
  const M others = X::neq(ia, X::set1(ja));
  const T rb = X::reduce_min(b), ro = X::mask_reduce_min(others, a);
  *j1 = static_cast<int64_t>(ja);
  *u2 = ro < rb ? ro : rb;
}

SEMRSM_AVX512 void bid_f(const float* c, const float* v, int64_t n, float* u1, int64_t* j1, float* u2) {
  bid_t<float>(c, v, n, u1, j1, u2);
}
SEMRSM_AVX512 void bid_d(const double* c, const double* v, int64_t n, double* u1, int64_t* j1,
                         double* u2) {
  bid_t<double>(c, v, n, u1, j1, u2);
}

// two_min: per lane the two smallest values seen and their indices; lanes see increasing k
// and strict comparisons keep the earliest index, so the merge reproduces the scalar order
// for finite values (j2 may differ, or be -1, only where u2 is +inf).

SEMRSM_AVX512 void two_min_f(const float* c, const float* v, int64_t n, float* u1, int64_t* j1,
                             float* u2, int64_t* j2) {
  if (n < 32) return scalar::two_min<float, float>(c, v, n, u1, j1, u2, j2);
  const float kInf = std::numeric_limits<float>::infinity();
  __m512 a = _mm512_set1_ps(kInf), b = _mm512_set1_ps(kInf);
  __m512i ia = _mm512_set1_epi32(-1), ib = _mm512_set1_epi32(-1);
  __m512i idx = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i step = _mm512_set1_epi32(16);
  int64_t k = 0;
  for (; k + 16 <= n; k += 16) {
    const __m512 x = _mm512_sub_ps(_mm512_loadu_ps(c + k), _mm512_loadu_ps(v + k));
    const __mmask16 lta = _mm512_cmp_ps_mask(x, a, _CMP_LT_OQ);
    // b takes the old a where x beats a, else x where x beats b.
    const __mmask16 ltb = _mm512_cmp_ps_mask(x, b, _CMP_LT_OQ);
    b = _mm512_mask_blend_ps(lta, _mm512_mask_blend_ps(ltb, b, x), a);
    ib = _mm512_mask_blend_epi32(lta, _mm512_mask_blend_epi32(ltb, ib, idx), ia);
    a = _mm512_mask_blend_ps(lta, a, x);
    ia = _mm512_mask_blend_epi32(lta, ia, idx);
    idx = _mm512_add_epi32(idx, step);
  }
  // Merge the lanes with vector reductions: u1 and the lowest index holding it; u2 is the
  // best of the other lanes' a and all lanes' b, again with its lowest index.
  const __m512i big = _mm512_set1_epi32(INT32_MAX);
  float ra = _mm512_reduce_min_ps(a);
  int64_t ja = _mm512_mask_reduce_min_epi32(_mm512_cmp_ps_mask(a, _mm512_set1_ps(ra), _CMP_EQ_OQ), ia);
  if (ra == kInf) ja = -1;
  const __mmask16 not_ja = _mm512_cmpneq_epi32_mask(ia, _mm512_set1_epi32(static_cast<int32_t>(ja)));
  // Lanes other than j1's offer their a; j1's lane offers its b.
  const __m512 cand = _mm512_mask_blend_ps(not_ja, b, a);
  const __m512i icand = _mm512_mask_blend_epi32(not_ja, ib, ia);
  const __m512 cand2 = _mm512_mask_blend_ps(not_ja, _mm512_set1_ps(kInf), b);  // other lanes' b
  const __m512i icand2 = _mm512_mask_blend_epi32(not_ja, big, ib);
  float rb = std::min(_mm512_reduce_min_ps(cand), _mm512_reduce_min_ps(cand2));
  const __m512 rbv = _mm512_set1_ps(rb);
  const __mmask16 e1 = _mm512_cmp_ps_mask(cand, rbv, _CMP_EQ_OQ) &
                       _mm512_cmpge_epi32_mask(icand, _mm512_setzero_si512());
  const __mmask16 e2 = _mm512_cmp_ps_mask(cand2, rbv, _CMP_EQ_OQ) &
                       _mm512_cmpge_epi32_mask(icand2, _mm512_setzero_si512());
  int64_t jb = std::min(_mm512_mask_reduce_min_epi32(e1, icand), _mm512_mask_reduce_min_epi32(e2, icand2));
  if (rb == kInf || jb == INT32_MAX) jb = -1;
  auto push = [&](float x, int64_t j) {
    if (ja < 0 || x < ra) {
      rb = ra;
      jb = ja;
      ra = x;
      ja = j;
    } else if (jb < 0 || x < rb) {
      rb = x;
      jb = j;
    }
  };
  for (; k < n; ++k) push(c[k] - v[k], k);  // the tail has higher indices: strict wins only
  *u1 = ra;
  *j1 = ja;
  *u2 = rb;
  *j2 = jb;
}

SEMRSM_AVX512 void two_min_d(const double* c, const double* v, int64_t n, double* u1, int64_t* j1,
                             double* u2, int64_t* j2) {
  if (n < 16) return scalar::two_min<double, double>(c, v, n, u1, j1, u2, j2);
  const double kInf = std::numeric_limits<double>::infinity();
  __m512d a = _mm512_set1_pd(kInf), b = _mm512_set1_pd(kInf);
  __m512i ia = _mm512_set1_epi64(-1), ib = _mm512_set1_epi64(-1);
  __m512i idx = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
  const __m512i step = _mm512_set1_epi64(8);
  int64_t k = 0;
  for (; k + 8 <= n; k += 8) {
    const __m512d x = _mm512_sub_pd(_mm512_loadu_pd(c + k), _mm512_loadu_pd(v + k));
    const __mmask8 lta = _mm512_cmp_pd_mask(x, a, _CMP_LT_OQ);
    const __mmask8 ltb = _mm512_cmp_pd_mask(x, b, _CMP_LT_OQ);
    b = _mm512_mask_blend_pd(lta, _mm512_mask_blend_pd(ltb, b, x), a);
    ib = _mm512_mask_blend_epi64(lta, _mm512_mask_blend_epi64(ltb, ib, idx), ia);
    a = _mm512_mask_blend_pd(lta, a, x);
    ia = _mm512_mask_blend_epi64(lta, ia, idx);
    idx = _mm512_add_epi64(idx, step);
  }
  const __m512i big = _mm512_set1_epi64(INT64_MAX);
  double ra = _mm512_reduce_min_pd(a);
  int64_t ja = _mm512_mask_reduce_min_epi64(_mm512_cmp_pd_mask(a, _mm512_set1_pd(ra), _CMP_EQ_OQ), ia);
  if (ra == kInf) ja = -1;
  const __mmask8 not_ja = _mm512_cmpneq_epi64_mask(ia, _mm512_set1_epi64(ja));
  const __m512d cand = _mm512_mask_blend_pd(not_ja, b, a);
  const __m512i icand = _mm512_mask_blend_epi64(not_ja, ib, ia);
  const __m512d cand2 = _mm512_mask_blend_pd(not_ja, _mm512_set1_pd(kInf), b);
  const __m512i icand2 = _mm512_mask_blend_epi64(not_ja, big, ib);
  double rb = std::min(_mm512_reduce_min_pd(cand), _mm512_reduce_min_pd(cand2));
  const __m512d rbv = _mm512_set1_pd(rb);
  const __mmask8 e1 = _mm512_cmp_pd_mask(cand, rbv, _CMP_EQ_OQ) &
                      _mm512_cmpge_epi64_mask(icand, _mm512_setzero_si512());
  const __mmask8 e2 = _mm512_cmp_pd_mask(cand2, rbv, _CMP_EQ_OQ) &
                      _mm512_cmpge_epi64_mask(icand2, _mm512_setzero_si512());
  int64_t jb = std::min(_mm512_mask_reduce_min_epi64(e1, icand), _mm512_mask_reduce_min_epi64(e2, icand2));
  if (rb == kInf || jb == INT64_MAX) jb = -1;
  auto push = [&](double x, int64_t j) {
    if (ja < 0 || x < ra) {
      rb = ra;
      jb = ja;
      ra = x;
      ja = j;
    } else if (jb < 0 || x < rb) {
      rb = x;
      jb = j;
    }
  };
  for (; k < n; ++k) push(c[k] - v[k], k);
  *u1 = ra;
  *j1 = ja;
  *u2 = rb;
  *j2 = jb;
}

// float costs with double duals: the double-precision repair of a float32 solve.
SEMRSM_AVX512 double relax_fd(const float* c, const double* v, double* d, int32_t* path,
                              int64_t n, double h, int32_t i) {
  const __m512d hv = _mm512_set1_pd(h);
  const __m512d ninf = _mm512_set1_pd(-std::numeric_limits<double>::infinity());
  const __m256i iv = _mm256_set1_epi32(i);
  __m512d mn = _mm512_set1_pd(std::numeric_limits<double>::infinity());
  for (int64_t k = 0; k < n; k += 8) {
    const __mmask8 tail = n - k >= 8 ? static_cast<__mmask8>(0xff)
                                     : static_cast<__mmask8>((1u << (n - k)) - 1u);
    const __m512d ck = _mm512_cvtps_pd(_mm256_maskz_loadu_ps(tail, c + k));
    const __m512d cand = _mm512_add_pd(_mm512_sub_pd(ck, _mm512_maskz_loadu_pd(tail, v + k)), hv);
    const __m512d dk = _mm512_mask_loadu_pd(ninf, tail, d + k);
    const __mmask8 lt = _mm512_cmp_pd_mask(cand, dk, _CMP_LT_OQ) & tail;
    _mm512_mask_storeu_pd(d + k, lt, cand);
    _mm256_mask_storeu_epi32(path + k, lt, iv);
    const __m512d nd = _mm512_mask_blend_pd(lt, dk, cand);
    const __mmask8 live = _mm512_cmp_pd_mask(nd, ninf, _CMP_NEQ_UQ);
    mn = _mm512_mask_min_pd(mn, live, mn, nd);
  }
  return _mm512_reduce_min_pd(mn);
}

SEMRSM_AVX512 double row_min_fd(const float* c, const double* v, int64_t n) {
  __m512d mn = _mm512_set1_pd(std::numeric_limits<double>::infinity());
  for (int64_t k = 0; k < n; k += 8) {
    const __mmask8 tail = n - k >= 8 ? static_cast<__mmask8>(0xff)
                                     : static_cast<__mmask8>((1u << (n - k)) - 1u);
    const __m512d x = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_maskz_loadu_ps(tail, c + k)),
                                    _mm512_maskz_loadu_pd(tail, v + k));
    mn = _mm512_mask_min_pd(mn, tail, mn, x);
  }
  return _mm512_reduce_min_pd(mn);
}

SEMRSM_AVX512 void col_min_f(const float* c, float* v, int32_t* arg, int64_t n, int32_t i) {
  const __m512i iv = _mm512_set1_epi32(i);
  for (int64_t k = 0; k < n; k += 16) {
    const __mmask16 tail = n - k >= 16 ? static_cast<__mmask16>(0xffff)
                                       : static_cast<__mmask16>((1u << (n - k)) - 1u);
    const __m512 x = _mm512_maskz_loadu_ps(tail, c + k);
    const __mmask16 lt = _mm512_mask_cmp_ps_mask(tail, x, _mm512_maskz_loadu_ps(tail, v + k), _CMP_LT_OQ);
    _mm512_mask_storeu_ps(v + k, lt, x);
    _mm512_mask_storeu_epi32(arg + k, lt, iv);
  }
}

SEMRSM_AVX512 void col_min_d(const double* c, double* v, int32_t* arg, int64_t n, int32_t i) {
  const __m256i iv = _mm256_set1_epi32(i);
  for (int64_t k = 0; k < n; k += 8) {
    const __mmask8 tail = n - k >= 8 ? static_cast<__mmask8>(0xff)
                                     : static_cast<__mmask8>((1u << (n - k)) - 1u);
    const __m512d x = _mm512_maskz_loadu_pd(tail, c + k);
    const __mmask8 lt = _mm512_mask_cmp_pd_mask(tail, x, _mm512_maskz_loadu_pd(tail, v + k), _CMP_LT_OQ);
    _mm512_mask_storeu_pd(v + k, lt, x);
    _mm256_mask_storeu_epi32(arg + k, lt, iv);
  }
}

SEMRSM_AVX512 float row_min_f(const float* c, const float* v, int64_t n) {
  __m512 mn = _mm512_set1_ps(std::numeric_limits<float>::infinity());
  for (int64_t k = 0; k < n; k += 16) {
    const __mmask16 tail = n - k >= 16 ? static_cast<__mmask16>(0xffff)
                                       : static_cast<__mmask16>((1u << (n - k)) - 1u);
    const __m512 x = _mm512_sub_ps(_mm512_maskz_loadu_ps(tail, c + k), _mm512_maskz_loadu_ps(tail, v + k));
    mn = _mm512_mask_min_ps(mn, tail, mn, x);
  }
  return _mm512_reduce_min_ps(mn);
}

SEMRSM_AVX512 double row_min_d(const double* c, const double* v, int64_t n) {
  __m512d mn = _mm512_set1_pd(std::numeric_limits<double>::infinity());
  for (int64_t k = 0; k < n; k += 8) {
    const __mmask8 tail = n - k >= 8 ? static_cast<__mmask8>(0xff)
                                     : static_cast<__mmask8>((1u << (n - k)) - 1u);
    const __m512d x = _mm512_sub_pd(_mm512_maskz_loadu_pd(tail, c + k), _mm512_maskz_loadu_pd(tail, v + k));
    mn = _mm512_mask_min_pd(mn, tail, mn, x);
  }
  return _mm512_reduce_min_pd(mn);
}

SEMRSM_AVX512 uint32_t copy_check_f(const float* src, float* dst, int64_t count, bool negate) {
  const __m512 sign = _mm512_set1_ps(negate ? -1.0f : 1.0f);
  const __m512 pinf = _mm512_set1_ps(std::numeric_limits<float>::infinity());
  __mmask16 bad = 0, forbidden = 0;
  for (int64_t k = 0; k < count; k += 16) {
    const __mmask16 tail = count - k >= 16 ? static_cast<__mmask16>(0xffff)
                                           : static_cast<__mmask16>((1u << (count - k)) - 1u);
    const __m512 x = _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, src + k), sign);
    if (dst) _mm512_mask_storeu_ps(dst + k, tail, x);
    // NaN compares unordered; -inf is the only value with x < -FLT_MAX.
    bad |= _mm512_mask_cmp_ps_mask(tail, x, x, _CMP_UNORD_Q) |
           _mm512_mask_cmp_ps_mask(tail, x, _mm512_set1_ps(-std::numeric_limits<float>::max()), _CMP_LT_OQ);
    forbidden |= _mm512_mask_cmp_ps_mask(tail, x, pinf, _CMP_EQ_OQ);
  }
  return (bad ? 1u : 0u) | (forbidden ? 2u : 0u);
}

SEMRSM_AVX512 uint32_t copy_check_d(const double* src, double* dst, int64_t count, bool negate) {
  const __m512d sign = _mm512_set1_pd(negate ? -1.0 : 1.0);
  const __m512d pinf = _mm512_set1_pd(std::numeric_limits<double>::infinity());
  __mmask8 bad = 0, forbidden = 0;
  for (int64_t k = 0; k < count; k += 8) {
    const __mmask8 tail = count - k >= 8 ? static_cast<__mmask8>(0xff)
                                         : static_cast<__mmask8>((1u << (count - k)) - 1u);
    const __m512d x = _mm512_mul_pd(_mm512_maskz_loadu_pd(tail, src + k), sign);
    if (dst) _mm512_mask_storeu_pd(dst + k, tail, x);
    bad |= _mm512_mask_cmp_pd_mask(tail, x, x, _CMP_UNORD_Q) |
           _mm512_mask_cmp_pd_mask(tail, x, _mm512_set1_pd(-std::numeric_limits<double>::max()), _CMP_LT_OQ);
    forbidden |= _mm512_mask_cmp_pd_mask(tail, x, pinf, _CMP_EQ_OQ);
  }
  return (bad ? 1u : 0u) | (forbidden ? 2u : 0u);
}

SEMRSM_AVX512 int64_t collect_f(const float* c, const float* pen, int64_t n, float sign, float t,
                                int32_t* idx) {
  const __m512 sv = _mm512_set1_ps(sign), tv = _mm512_set1_ps(t);
  const __m512 pinf = _mm512_set1_ps(std::numeric_limits<float>::infinity());
  __m512i kv = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i step = _mm512_set1_epi32(16);
  int64_t cnt = 0;
  for (int64_t k = 0; k < n; k += 16) {
    const __mmask16 tail = n - k >= 16 ? static_cast<__mmask16>(0xffff)
                                       : static_cast<__mmask16>((1u << (n - k)) - 1u);
    const __m512 x = _mm512_add_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(tail, c + k), sv),
                                   _mm512_maskz_loadu_ps(tail, pen + k));
    const __mmask16 keep = _mm512_mask_cmp_ps_mask(tail, x, tv, _CMP_LE_OQ) &
                           _mm512_cmp_ps_mask(x, pinf, _CMP_LT_OQ);
    if (keep) {
      _mm512_mask_compressstoreu_epi32(idx + cnt, keep, kv);
      cnt += __builtin_popcount(keep);
    }
    kv = _mm512_add_epi32(kv, step);
  }
  return cnt;
}

SEMRSM_AVX512 int64_t collect_d(const double* c, const double* pen, int64_t n, double sign,
                                double t, int32_t* idx) {
  const __m512d sv = _mm512_set1_pd(sign), tv = _mm512_set1_pd(t);
  const __m512d pinf = _mm512_set1_pd(std::numeric_limits<double>::infinity());
  __m256i kv = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i step = _mm256_set1_epi32(8);
  int64_t cnt = 0;
  for (int64_t k = 0; k < n; k += 8) {
    const __mmask8 tail = n - k >= 8 ? static_cast<__mmask8>(0xff)
                                     : static_cast<__mmask8>((1u << (n - k)) - 1u);
    const __m512d x = _mm512_add_pd(_mm512_mul_pd(_mm512_maskz_loadu_pd(tail, c + k), sv),
                                    _mm512_maskz_loadu_pd(tail, pen + k));
    const __mmask8 keep = _mm512_mask_cmp_pd_mask(tail, x, tv, _CMP_LE_OQ) &
                          _mm512_cmp_pd_mask(x, pinf, _CMP_LT_OQ);
    if (keep) {
      _mm256_mask_compressstoreu_epi32(idx + cnt, keep, kv);
      cnt += __builtin_popcount(keep);
    }
    kv = _mm256_add_epi32(kv, step);
  }
  return cnt;
}

SEMRSM_AVX512 double relax_argmin_fd(const float* c, const double* v, double* d, int32_t* path,
                                     const int32_t* row4col, int64_t n, double h, int32_t i,
                                     int64_t* jmin) {
  const double mu = relax_fd(c, v, d, path, n, h, i);
  *jmin = mu < std::numeric_limits<double>::infinity() ? argmin_free_d(d, row4col, n, mu) : -1;
  return mu;
}

}  // namespace semrsm::lap::detail::avx512
#endif
