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

// ---------------------------------------------------------------------------------------
// Kernels written once for float and double through a lane-traits type: Lanes<float> holds
// 8 floats, Lanes<double> 4 doubles. Column indices travel in vectors of the value type
// (exact below 2^24 for float; callers fall back to the scalar kernel beyond that), so a
// single blendv moves a value and its index together.
template <class T>
struct Lanes;

template <>
struct Lanes<float> {
  using V = __m256;
  static constexpr int L = 8;
  SEMRSM_AVX2 static V load(const float* p) { return _mm256_loadu_ps(p); }
  SEMRSM_AVX2 static void store(float* p, V x) { _mm256_storeu_ps(p, x); }
  SEMRSM_AVX2 static V set1(float x) { return _mm256_set1_ps(x); }
  SEMRSM_AVX2 static V iota() { return _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7); }
  SEMRSM_AVX2 static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  SEMRSM_AVX2 static V add(V a, V b) { return _mm256_add_ps(a, b); }
  SEMRSM_AVX2 static V min(V a, V b) { return _mm256_min_ps(a, b); }
  SEMRSM_AVX2 static V max(V a, V b) { return _mm256_max_ps(a, b); }
  SEMRSM_AVX2 static V lt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  SEMRSM_AVX2 static V blend(V a, V b, V m) { return _mm256_blendv_ps(a, b, m); }  // m ? b : a
  SEMRSM_AVX2 static int bits(V m) { return _mm256_movemask_ps(m); }
  SEMRSM_AVX2 static V eq(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
  SEMRSM_AVX2 static V or_(V a, V b) { return _mm256_or_ps(a, b); }
  SEMRSM_AVX2 static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  SEMRSM_AVX2 static V unord(V a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
};

template <>
struct Lanes<double> {
  using V = __m256d;
  static constexpr int L = 4;
  SEMRSM_AVX2 static V load(const double* p) { return _mm256_loadu_pd(p); }
  SEMRSM_AVX2 static void store(double* p, V x) { _mm256_storeu_pd(p, x); }
  SEMRSM_AVX2 static V set1(double x) { return _mm256_set1_pd(x); }
  SEMRSM_AVX2 static V iota() { return _mm256_setr_pd(0, 1, 2, 3); }
  SEMRSM_AVX2 static V sub(V a, V b) { return _mm256_sub_pd(a, b); }
  SEMRSM_AVX2 static V add(V a, V b) { return _mm256_add_pd(a, b); }
  SEMRSM_AVX2 static V min(V a, V b) { return _mm256_min_pd(a, b); }
  SEMRSM_AVX2 static V max(V a, V b) { return _mm256_max_pd(a, b); }
  SEMRSM_AVX2 static V lt(V a, V b) { return _mm256_cmp_pd(a, b, _CMP_LT_OQ); }
  SEMRSM_AVX2 static V blend(V a, V b, V m) { return _mm256_blendv_pd(a, b, m); }
  SEMRSM_AVX2 static int bits(V m) { return _mm256_movemask_pd(m); }
  SEMRSM_AVX2 static V eq(V a, V b) { return _mm256_cmp_pd(a, b, _CMP_EQ_OQ); }
  SEMRSM_AVX2 static V or_(V a, V b) { return _mm256_or_pd(a, b); }
  SEMRSM_AVX2 static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
  SEMRSM_AVX2 static V unord(V a) { return _mm256_cmp_pd(a, a, _CMP_UNORD_Q); }
};

// two_min (see kernels.hpp): per lane the first two entries in (value, index) order; the
// global first two are among the lanes' first two and the scalar tail, merged in that order.
template <class T>
SEMRSM_AVX2 void two_min_t(const T* c, const T* v, int64_t n, T* u1, int64_t* j1, T* u2,
                           int64_t* j2) {
  using X = Lanes<T>;
  constexpr int L = X::L;
  if (n < 4 * L || n >= (int64_t{1} << 24)) return scalar::two_min<T, T>(c, v, n, u1, j1, u2, j2);
  const T kInf = std::numeric_limits<T>::infinity();
  typename X::V a = X::set1(kInf), b = a, ia = X::set1(T(-1)), ib = ia, idx = X::iota();
  const typename X::V step = X::set1(T(L));
  int64_t k = 0;
  for (; k + L <= n; k += L) {
    const typename X::V x = X::sub(X::load(c + k), X::load(v + k));
    const typename X::V lta = X::lt(x, a), ltb = X::lt(x, b);
    b = X::blend(X::blend(b, x, ltb), a, lta);
    ib = X::blend(X::blend(ib, idx, ltb), ia, lta);
    a = X::blend(a, x, lta);
    ia = X::blend(ia, idx, lta);
    idx = X::add(idx, step);
  }
  alignas(32) T av[L], bv[L], iav[L], ibv[L];
  X::store(av, a);
  X::store(bv, b);
  X::store(iav, ia);
  X::store(ibv, ib);
  T ra = kInf, rb = kInf;
  int64_t ja = -1, jb = -1;
  auto push = [&](T x, int64_t j) {  // lexicographic (value, index) insertion
    if (j < 0) return;
    if (ja < 0 || x < ra || (x == ra && j < ja)) {
      rb = ra;
      jb = ja;
      ra = x;
      ja = j;
    } else if (jb < 0 || x < rb || (x == rb && j < jb)) {
      rb = x;
      jb = j;
    }
  };
  for (int l = 0; l < L; ++l) {
    push(av[l], static_cast<int64_t>(iav[l]));
    push(bv[l], static_cast<int64_t>(ibv[l]));
  }
  for (; k < n; ++k) push(c[k] - v[k], k);
  // Lanes never record +inf entries; the scalar kernel would name the first indices.
  if (ja < 0) {
    ja = 0;
    ra = kInf;
  }
  if (jb < 0) {
    jb = ja == 0 ? 1 : 0;
    rb = kInf;
  }
  *u1 = ra;
  *j1 = ja;
  *u2 = rb;
  *j2 = jb;
}

template <class T>
SEMRSM_AVX2 T row_min_t(const T* c, const T* v, int64_t n) {
  using X = Lanes<T>;
  constexpr int L = X::L;
  typename X::V m0 = X::set1(std::numeric_limits<T>::infinity()), m1 = m0;
  int64_t k = 0;
  for (; k + 2 * L <= n; k += 2 * L) {
    m0 = X::min(m0, X::sub(X::load(c + k), X::load(v + k)));
    m1 = X::min(m1, X::sub(X::load(c + k + L), X::load(v + k + L)));
  }
  for (; k + L <= n; k += L) m0 = X::min(m0, X::sub(X::load(c + k), X::load(v + k)));
  alignas(32) T lanes[L];
  X::store(lanes, X::min(m0, m1));
  T r = scalar::row_min<T, T>(c + k, v + k, n - k);
  for (T x : lanes) r = x < r ? x : r;
  return r;
}

template <class T>
SEMRSM_AVX2 void col_min_t(const T* c, T* v, int32_t* arg, int64_t n, int32_t i) {
  using X = Lanes<T>;
  constexpr int L = X::L;
  int64_t k = 0;
  for (; k + L <= n; k += L) {
    const typename X::V x = X::load(c + k), vk = X::load(v + k);
    const typename X::V lt = X::lt(x, vk);
    int m = X::bits(lt);
    if (!m) continue;
    X::store(v + k, X::blend(vk, x, lt));
    while (m) {
      arg[k + __builtin_ctz(m)] = i;
      m &= m - 1;
    }
  }
  scalar::col_min<T, T>(c + k, v + k, arg + k, n - k, i);
}

// copy_check (see kernels.hpp).
template <class T>
SEMRSM_AVX2 uint32_t copy_check_t(const T* src, T* dst, int64_t count, bool negate) {
  using X = Lanes<T>;
  using V = typename X::V;
  constexpr int L = X::L;
  const T kInf = std::numeric_limits<T>::infinity();
  const V sign = X::set1(negate ? T(-1) : T(1)), pinf = X::set1(kInf);
  const V lowest = X::set1(-std::numeric_limits<T>::max());
  V bad = X::set1(T(0)), forbidden = bad;
  int64_t k = 0;
  for (; k + L <= count; k += L) {
    const V x = X::mul(X::load(src + k), sign);
    if (dst) X::store(dst + k, x);
    // NaN compares unordered (x == x is false); -inf is the only value below -max.
    bad = X::or_(bad, X::or_(X::unord(x), X::lt(x, lowest)));
    forbidden = X::or_(forbidden, X::eq(x, pinf));
  }
  uint32_t r = scalar::copy_check<T>(src + k, dst ? dst + k : nullptr, count - k, negate);
  if (X::bits(bad)) r |= 1u;
  if (X::bits(forbidden)) r |= 2u;
  return r;
}

SEMRSM_AVX2 uint32_t copy_check_f(const float* src, float* dst, int64_t count, bool negate) {
  return copy_check_t<float>(src, dst, count, negate);
}
SEMRSM_AVX2 uint32_t copy_check_d(const double* src, double* dst, int64_t count, bool negate) {
  return copy_check_t<double>(src, dst, count, negate);
}

// bid (see kernels.hpp): per lane the smallest value a (with its first index) and the second
// smallest b = min(b, max(a, x)), which needs no blend; the global pair is the two smallest
// of the lanes' (a, b) values and the scalar tail.
template <class T>
SEMRSM_AVX2 void bid_t(const T* c, const T* v, int64_t n, T* u1, int64_t* j1, T* u2) {
  using X = Lanes<T>;
  using V = typename X::V;
  constexpr int L = X::L;
  if (n < 4 * L || n >= (int64_t{1} << 24)) return scalar::bid<T, T>(c, v, n, u1, j1, u2);
  const T kInf = std::numeric_limits<T>::infinity();
  V a = X::set1(kInf), b = a, ia = X::set1(T(-1)), idx = X::iota();
  const V step = X::set1(T(L));
  int64_t k = 0;
  for (; k + L <= n; k += L) {
    const V x = X::sub(X::load(c + k), X::load(v + k));
    b = X::min(b, X::max(a, x));  // the old a or x, whichever is larger, may be second
    const V lt = X::lt(x, a);
    a = X::min(a, x);
    ia = X::blend(ia, idx, lt);
    idx = X::add(idx, step);
  }
  alignas(32) T av[L], bv[L], iav[L];
  X::store(av, a);
  X::store(bv, b);
  X::store(iav, ia);
  T ra = kInf, rb = kInf;
  int64_t ja = -1;
  for (int l = 0; l < L; ++l) {
    const int64_t j = static_cast<int64_t>(iav[l]);
    const T x = av[l];
    if (j >= 0 && (ja < 0 || x < ra || (x == ra && j < ja))) {
      rb = ra < rb ? ra : rb;
      ra = x;
      ja = j;
    } else {
      rb = x < rb ? x : rb;
    }
    rb = bv[l] < rb ? bv[l] : rb;
  }
  for (; k < n; ++k) {  // the tail has higher indices: strict wins only
    const T x = c[k] - v[k];
    if (x < ra || ja < 0) {
      rb = ra < rb ? ra : rb;
      ra = x;
      ja = k;
    } else {
      rb = x < rb ? x : rb;
    }
  }
  *u1 = ra;
  *j1 = ja < 0 ? 0 : ja;  // every entry +inf: the scalar kernel names the first
  *u2 = rb;
}

SEMRSM_AVX2 void bid_f(const float* c, const float* v, int64_t n, float* u1, int64_t* j1, float* u2) {
  bid_t<float>(c, v, n, u1, j1, u2);
}
SEMRSM_AVX2 void bid_d(const double* c, const double* v, int64_t n, double* u1, int64_t* j1,
                       double* u2) {
  bid_t<double>(c, v, n, u1, j1, u2);
}

SEMRSM_AVX2 void two_min_f(const float* c, const float* v, int64_t n, float* u1, int64_t* j1,
                           float* u2, int64_t* j2) {
  two_min_t<float>(c, v, n, u1, j1, u2, j2);
}
SEMRSM_AVX2 void two_min_d(const double* c, const double* v, int64_t n, double* u1, int64_t* j1,
                           double* u2, int64_t* j2) {
  two_min_t<double>(c, v, n, u1, j1, u2, j2);
}
SEMRSM_AVX2 float row_min_f(const float* c, const float* v, int64_t n) { return row_min_t<float>(c, v, n); }
SEMRSM_AVX2 double row_min_d(const double* c, const double* v, int64_t n) { return row_min_t<double>(c, v, n); }
SEMRSM_AVX2 void col_min_f(const float* c, float* v, int32_t* arg, int64_t n, int32_t i) {
  col_min_t<float>(c, v, arg, n, i);
}
SEMRSM_AVX2 void col_min_d(const double* c, double* v, int32_t* arg, int64_t n, int32_t i) {
  col_min_t<double>(c, v, arg, n, i);
}

}  // namespace semrsm::lap::detail::avx2
#endif
