// AVX2 kernels (see kernels.hpp), compiled with per-function target attributes and only
// called when simd_level() is at least avx2. Each kernel is written once over a lane-traits
// type (Lanes<float>: 8 floats, Lanes<double>: 4 doubles) and instantiated at the end for the
// combinations kernels.cpp dispatches to.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <cstdint>
#include <limits>

#include "core/lap/kernels.hpp"
#include "core/lap/kernels_scalar.hpp"
#include "core/lap/kernels_simd.hpp"

#define SEMRSM_AVX2 __attribute__((target("avx2,fma")))

namespace semrsm::lap::detail::avx2 {

// Column indices travel in vectors of the value type where a kernel tracks them (exact below
// 2^24 for float; such kernels fall back to the scalar one beyond that), so a single blendv
// moves a value and its index together. `P` is what a masked store of the row index i into
// path needs.
template <class T>
struct Lanes;

template <>
struct Lanes<float> {
  using V = __m256;
  using P = __m256i;
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
  SEMRSM_AVX2 static V neq(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_NEQ_OQ); }
  SEMRSM_AVX2 static float reduce_min(V x) {
    __m128 m = _mm_min_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    m = _mm_min_ps(m, _mm_movehl_ps(m, m));
    return _mm_cvtss_f32(_mm_min_ss(m, _mm_shuffle_ps(m, m, 1)));
  }
  // Lanes whose row4col entry is negative (a free column), as bits.
  SEMRSM_AVX2 static int free_bits(const int32_t* row4col) {
    return _mm256_movemask_ps(
        _mm256_castsi256_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row4col))));
  }
  SEMRSM_AVX2 static P path_value(int32_t i) { return _mm256_set1_epi32(i); }
  // path[l] = i where lane l of m is set, by a blend of the whole vector.
  SEMRSM_AVX2 static void blend_path(int32_t* path, V m, P iv) {
    __m256i* p = reinterpret_cast<__m256i*>(path);
    const __m256 old = _mm256_castsi256_ps(_mm256_loadu_si256(p));
    const __m256 blended = _mm256_blendv_ps(old, _mm256_castsi256_ps(iv), m);
    _mm256_storeu_si256(p, _mm256_castps_si256(blended));
  }
};

template <>
struct Lanes<double> {
  using V = __m256d;
  using P = int32_t;
  static constexpr int L = 4;
  SEMRSM_AVX2 static V load(const double* p) { return _mm256_loadu_pd(p); }
  // float costs with double duals: the double-precision repair of a float32 solve.
  SEMRSM_AVX2 static V load(const float* p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }
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
  SEMRSM_AVX2 static V neq(V a, V b) { return _mm256_cmp_pd(a, b, _CMP_NEQ_OQ); }
  SEMRSM_AVX2 static double reduce_min(V x) {
    const __m128d m = _mm_min_pd(_mm256_castpd256_pd128(x), _mm256_extractf128_pd(x, 1));
    return _mm_cvtsd_f64(_mm_min_sd(m, _mm_unpackhi_pd(m, m)));
  }
  SEMRSM_AVX2 static int free_bits(const int32_t* row4col) {
    return _mm_movemask_ps(_mm_castsi128_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row4col))));
  }
  SEMRSM_AVX2 static P path_value(int32_t i) { return i; }
  // path[l] = i where lane l of m is set: the lanes' 64-bit masks narrowed to 32 bits.
  SEMRSM_AVX2 static void blend_path(int32_t* path, V m, P i) {
    const __m256i narrow = _mm256_permutevar8x32_epi32(_mm256_castpd_si256(m),
                                                       _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6));
    __m128i* p = reinterpret_cast<__m128i*>(path);
    const __m128 old = _mm_castsi128_ps(_mm_loadu_si128(p));
    const __m128 mask = _mm_castsi128_ps(_mm256_castsi256_si128(narrow));
    const __m128 blended = _mm_blendv_ps(old, _mm_castsi128_ps(_mm_set1_epi32(i)), mask);
    _mm_storeu_si128(p, _mm_castps_si128(blended));
  }
};

// One vector of relax; two accumulators let neighbouring vectors' min chains overlap.
template <class Tc, class W>
__attribute__((always_inline)) SEMRSM_AVX2 inline typename Lanes<W>::V relax_step(
    const Tc* c, const W* v, W* d, int32_t* path, int64_t k, typename Lanes<W>::V hv,
    typename Lanes<W>::P iv, typename Lanes<W>::V mn) {
  using X = Lanes<W>;
  using V = typename X::V;
  const V ninf = X::set1(-std::numeric_limits<W>::infinity());
  const V pinf = X::set1(std::numeric_limits<W>::infinity());
  const V cand = X::add(X::sub(X::load(c + k), X::load(v + k)), hv);
  const V dk = X::load(d + k);
  const V lt = X::lt(cand, dk);
  const V nd = X::blend(dk, cand, lt);
  // Unconditional stores: a branch on whether any lane improved mispredicts often.
  X::store(d + k, nd);
  X::blend_path(path + k, lt, iv);
  const V settled = X::eq(nd, ninf);
  return X::min(mn, X::blend(nd, pinf, settled));
}

template <class Tc, class W>
SEMRSM_AVX2 W relax(const Tc* c, const W* v, W* d, int32_t* path, int64_t n, W h, int32_t i) {
  using X = Lanes<W>;
  constexpr int L = X::L;
  const typename X::V hv = X::set1(h);
  const typename X::P iv = X::path_value(i);
  typename X::V mn0 = X::set1(std::numeric_limits<W>::infinity()), mn1 = mn0;
  int64_t k = 0;
  for (; k + 2 * L <= n; k += 2 * L) {
    mn0 = relax_step<Tc, W>(c, v, d, path, k, hv, iv, mn0);
    mn1 = relax_step<Tc, W>(c, v, d, path, k + L, hv, iv, mn1);
  }
  for (; k + L <= n; k += L) mn0 = relax_step<Tc, W>(c, v, d, path, k, hv, iv, mn0);
  const W r = scalar::relax<Tc, W>(c + k, v + k, d + k, path + k, n - k, h, i);
  const W m = X::reduce_min(X::min(mn0, mn1));
  return m < r ? m : r;
}

template <class W>
SEMRSM_AVX2 int64_t argmin_free(const W* d, const int32_t* row4col, int64_t n, W mu) {
  using X = Lanes<W>;
  constexpr int L = X::L;
  const typename X::V m = X::set1(mu);
  int64_t first = -1, k = 0;
  for (; k + L <= n; k += L) {
    const int eq = X::bits(X::eq(X::load(d + k), m));
    if (!eq) continue;
    const int fr = eq & X::free_bits(row4col + k);
    if (fr) return k + __builtin_ctz(fr);
    if (first < 0) first = k + __builtin_ctz(eq);
  }
  return scalar::argmin_free_from<W>(d, row4col, k, n, mu, first);
}

// The lowest index among the lanes whose value equals x (indices travel as T, exact below
// 2^24; 2^24 where no lane does).
template <class T>
SEMRSM_AVX2 inline int64_t first_index_at(typename Lanes<T>::V values, typename Lanes<T>::V idx,
                                          T x) {
  using X = Lanes<T>;
  const typename X::V none = X::set1(T(int64_t{1} << 24));
  return static_cast<int64_t>(X::reduce_min(X::blend(none, idx, X::eq(values, X::set1(x)))));
}

// two_min (see kernels.hpp): per lane the first two entries in (value, index) order; the
// global first two are among the lanes' first two and the scalar tail, merged in that order.
template <class T>
SEMRSM_AVX2 void two_min(const T* c, const T* v, int64_t n, T* u1, int64_t* j1, T* u2,
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
  // Merge the lanes with shuffle reductions: u1 and the lowest index holding it; u2 the best
  // of the other lanes' a and of j1's lane's b (other lanes' b are never better than their
  // own a), again with its lowest index. Indices are exact in T. (A scalar pass over the
  // lanes mispredicts: with it two_min took 57% of an S = 49 solve on i.i.d. costs, and the
  // solve was 1.6x slower.)
  using V = typename X::V;
  T ra = X::reduce_min(a);
  if (!(ra < kInf)) return scalar::two_min<T, T>(c, v, n, u1, j1, u2, j2);  // no finite lane
  int64_t ja = first_index_at<T>(a, ia, ra);
  const V other = X::neq(ia, X::set1(static_cast<T>(ja)));  // lanes but j1's
  const V cand = X::blend(b, a, other), icand = X::blend(ib, ia, other);
  T rb = X::reduce_min(cand);
  int64_t jb = rb < kInf ? first_index_at<T>(cand, icand, rb) : -1;
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

template <class Tc, class W>
SEMRSM_AVX2 W row_min(const Tc* c, const W* v, int64_t n) {
  using X = Lanes<W>;
  constexpr int L = X::L;
  typename X::V m0 = X::set1(std::numeric_limits<W>::infinity()), m1 = m0;
  int64_t k = 0;
  for (; k + 2 * L <= n; k += 2 * L) {
    m0 = X::min(m0, X::sub(X::load(c + k), X::load(v + k)));
    m1 = X::min(m1, X::sub(X::load(c + k + L), X::load(v + k + L)));
  }
  for (; k + L <= n; k += L) m0 = X::min(m0, X::sub(X::load(c + k), X::load(v + k)));
  alignas(32) W lanes[L];
  X::store(lanes, X::min(m0, m1));
  W r = scalar::row_min<Tc, W>(c + k, v + k, n - k);
  for (W x : lanes) r = x < r ? x : r;
  return r;
}

template <class T>
SEMRSM_AVX2 void col_min(const T* c, T* v, int32_t* arg, int64_t n, T h, int32_t i) {
  using X = Lanes<T>;
  constexpr int L = X::L;
  const typename X::V hv = X::set1(h);
  int64_t k = 0;
  for (; k + L <= n; k += L) {
    const typename X::V x = X::sub(X::load(c + k), hv), vk = X::load(v + k);
    const typename X::V lt = X::lt(x, vk);
    int m = X::bits(lt);
    if (!m) continue;
    X::store(v + k, X::blend(vk, x, lt));
    while (m) {
      arg[k + __builtin_ctz(m)] = i;
      m &= m - 1;
    }
  }
  scalar::col_min<T, T>(c + k, v + k, arg + k, n - k, h, i);
}

// copy_check (see kernels.hpp).
template <class T>
SEMRSM_AVX2 uint32_t copy_check(const T* src, T* dst, int64_t count, bool negate) {
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

// bid (see kernels.hpp): per lane the smallest value a (with its first index) and the second
// smallest b = min(b, max(a, x)), which needs no blend; the global pair is the two smallest
// of the lanes' (a, b) values and the scalar tail.
template <class T>
SEMRSM_AVX2 void bid(const T* c, const T* v, int64_t n, T* u1, int64_t* j1, T* u2) {
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
  // Shuffle reductions, as in two_min: u1 and its lowest index; u2 the least of all lanes'
  // b and of the other lanes' a (an a equal to u1 elsewhere makes u2 = u1). With every lane
  // at +inf, ja stays -1 (the lanes hold index -1) and the tail decides.
  T ra = X::reduce_min(a);
  int64_t ja = first_index_at<T>(a, ia, ra);  // -1 (the lanes' index) when all are +inf
  const V others = X::blend(X::set1(kInf), a, X::neq(ia, X::set1(static_cast<T>(ja))));
  T rb = X::reduce_min(X::min(b, others));
  for (; k < n; ++k) {  // the tail has higher indices: strict wins only
    const T x = c[k] - v[k];
    if (x < ra) {  // never +inf: with every entry +inf j1 is the first, as in scalar
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

SEMRSM_LAP_SIMD_INSTANCES

}  // namespace semrsm::lap::detail::avx2
#endif
