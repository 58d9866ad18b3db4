// AVX-512 kernels (see kernels.hpp). Compiled with per-function target attributes so the
// library itself stays at the baseline ISA; only called when simd_level() says avx512. Each
// kernel is written once over a lane-traits type (Lanes512<float>: 16 floats, Lanes512<double>:
// 8 doubles) and instantiated at the end for the combinations kernels.cpp dispatches to.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "core/lap/kernels.hpp"
#include "core/lap/kernels_scalar.hpp"
#include "core/lap/kernels_simd.hpp"

#define SEMRSM_AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")))

namespace semrsm::lap::detail::avx512 {

// V: L values; M: their mask. I: L column indices in integer lanes as wide as the values
// (int32 for float, int64 for double), so that one mask moves a value and its index. P: L
// int32 lanes, for the row indices stored into path (or arg) and the column indices that
// collect compresses.
template <class T>
struct Lanes512;

template <>
struct Lanes512<float> {
  using V = __m512;
  using M = __mmask16;
  using I = __m512i;
  using P = __m512i;
  static constexpr int L = 16;
  SEMRSM_AVX512 static M first(int64_t count) {  // the lanes below count (count < L)
    return static_cast<M>((1u << count) - 1u);
  }
  SEMRSM_AVX512 static V load(const float* p) { return _mm512_loadu_ps(p); }
  SEMRSM_AVX512 static V loadz(M m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
  SEMRSM_AVX512 static V load_or(V src, M m, const float* p) { return _mm512_mask_loadu_ps(src, m, p); }
  SEMRSM_AVX512 static void store(float* p, M m, V x) { _mm512_mask_storeu_ps(p, m, x); }
  SEMRSM_AVX512 static V set1(float x) { return _mm512_set1_ps(x); }
  SEMRSM_AVX512 static V iota() {
    return _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  }
  SEMRSM_AVX512 static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  SEMRSM_AVX512 static V add(V a, V b) { return _mm512_add_ps(a, b); }
  SEMRSM_AVX512 static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  SEMRSM_AVX512 static V min(V a, V b) { return _mm512_min_ps(a, b); }
  SEMRSM_AVX512 static V max(V a, V b) { return _mm512_max_ps(a, b); }
  SEMRSM_AVX512 static V min(V src, M m, V a, V b) { return _mm512_mask_min_ps(src, m, a, b); }
  SEMRSM_AVX512 static M lt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  SEMRSM_AVX512 static M lt(M m, V a, V b) { return _mm512_mask_cmp_ps_mask(m, a, b, _CMP_LT_OQ); }
  SEMRSM_AVX512 static M le(M m, V a, V b) { return _mm512_mask_cmp_ps_mask(m, a, b, _CMP_LE_OQ); }
  SEMRSM_AVX512 static M eq(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
  SEMRSM_AVX512 static M eq(M m, V a, V b) { return _mm512_mask_cmp_ps_mask(m, a, b, _CMP_EQ_OQ); }
  SEMRSM_AVX512 static M neq(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_NEQ_UQ); }
  SEMRSM_AVX512 static M unord(M m, V a) { return _mm512_mask_cmp_ps_mask(m, a, a, _CMP_UNORD_Q); }
  SEMRSM_AVX512 static V blend(M m, V a, V b) { return _mm512_mask_blend_ps(m, a, b); }  // m ? b : a
  SEMRSM_AVX512 static V mov(V a, M m, V b) { return _mm512_mask_mov_ps(a, m, b); }
  SEMRSM_AVX512 static float reduce_min(V a) { return _mm512_reduce_min_ps(a); }
  SEMRSM_AVX512 static float reduce_min(M m, V a) { return _mm512_mask_reduce_min_ps(m, a); }

  static constexpr int64_t kNoIndex = std::numeric_limits<int32_t>::max();
  SEMRSM_AVX512 static I index_iota() {
    return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  }
  SEMRSM_AVX512 static I index_set1(int64_t j) { return _mm512_set1_epi32(static_cast<int32_t>(j)); }
  SEMRSM_AVX512 static I index_add(I a, I b) { return _mm512_add_epi32(a, b); }
  SEMRSM_AVX512 static I index_blend(M m, I a, I b) { return _mm512_mask_blend_epi32(m, a, b); }
  SEMRSM_AVX512 static I index_mov(I a, M m, I b) { return _mm512_mask_mov_epi32(a, m, b); }
  SEMRSM_AVX512 static M index_neq(I a, I b) { return _mm512_cmpneq_epi32_mask(a, b); }
  SEMRSM_AVX512 static M index_valid(I a) { return _mm512_cmpge_epi32_mask(a, _mm512_setzero_si512()); }
  // The least index of the lanes in m (kNoIndex when m is empty).
  SEMRSM_AVX512 static int64_t index_min(M m, I a) { return _mm512_mask_reduce_min_epi32(m, a); }

  SEMRSM_AVX512 static P p_iota() { return index_iota(); }
  SEMRSM_AVX512 static P p_set1(int32_t i) { return _mm512_set1_epi32(i); }
  SEMRSM_AVX512 static P p_add(P a, P b) { return _mm512_add_epi32(a, b); }
  SEMRSM_AVX512 static void p_store(int32_t* p, M m, P x) { _mm512_mask_storeu_epi32(p, m, x); }
  SEMRSM_AVX512 static void p_compress(int32_t* p, M m, P x) { _mm512_mask_compressstoreu_epi32(p, m, x); }
  // The lanes of `among` whose row4col entry (loaded under `load`) is negative: free columns.
  SEMRSM_AVX512 static M free(M load, M among, const int32_t* row4col) {
    return _mm512_mask_cmplt_epi32_mask(among, _mm512_maskz_loadu_epi32(load, row4col),
                                        _mm512_setzero_si512());
  }
};

template <>
struct Lanes512<double> {
  using V = __m512d;
  using M = __mmask8;
  using I = __m512i;
  using P = __m256i;
  static constexpr int L = 8;
  SEMRSM_AVX512 static M first(int64_t count) { return static_cast<M>((1u << count) - 1u); }
  SEMRSM_AVX512 static V load(const double* p) { return _mm512_loadu_pd(p); }
  SEMRSM_AVX512 static V loadz(M m, const double* p) { return _mm512_maskz_loadu_pd(m, p); }
  // float costs with double duals: the double-precision repair of a float32 solve.
  SEMRSM_AVX512 static V load(const float* p) { return _mm512_cvtps_pd(_mm256_loadu_ps(p)); }
  SEMRSM_AVX512 static V loadz(M m, const float* p) { return _mm512_cvtps_pd(_mm256_maskz_loadu_ps(m, p)); }
  SEMRSM_AVX512 static V load_or(V src, M m, const double* p) { return _mm512_mask_loadu_pd(src, m, p); }
  SEMRSM_AVX512 static void store(double* p, M m, V x) { _mm512_mask_storeu_pd(p, m, x); }
  SEMRSM_AVX512 static V set1(double x) { return _mm512_set1_pd(x); }
  SEMRSM_AVX512 static V iota() { return _mm512_setr_pd(0, 1, 2, 3, 4, 5, 6, 7); }
  SEMRSM_AVX512 static V sub(V a, V b) { return _mm512_sub_pd(a, b); }
  SEMRSM_AVX512 static V add(V a, V b) { return _mm512_add_pd(a, b); }
  SEMRSM_AVX512 static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
  SEMRSM_AVX512 static V min(V a, V b) { return _mm512_min_pd(a, b); }
  SEMRSM_AVX512 static V max(V a, V b) { return _mm512_max_pd(a, b); }
  SEMRSM_AVX512 static V min(V src, M m, V a, V b) { return _mm512_mask_min_pd(src, m, a, b); }
  SEMRSM_AVX512 static M lt(V a, V b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ); }
  SEMRSM_AVX512 static M lt(M m, V a, V b) { return _mm512_mask_cmp_pd_mask(m, a, b, _CMP_LT_OQ); }
  SEMRSM_AVX512 static M le(M m, V a, V b) { return _mm512_mask_cmp_pd_mask(m, a, b, _CMP_LE_OQ); }
  SEMRSM_AVX512 static M eq(V a, V b) { return _mm512_cmp_pd_mask(a, b, _CMP_EQ_OQ); }
  SEMRSM_AVX512 static M eq(M m, V a, V b) { return _mm512_mask_cmp_pd_mask(m, a, b, _CMP_EQ_OQ); }
  SEMRSM_AVX512 static M neq(V a, V b) { return _mm512_cmp_pd_mask(a, b, _CMP_NEQ_UQ); }
  SEMRSM_AVX512 static M unord(M m, V a) { return _mm512_mask_cmp_pd_mask(m, a, a, _CMP_UNORD_Q); }
  SEMRSM_AVX512 static V blend(M m, V a, V b) { return _mm512_mask_blend_pd(m, a, b); }
  SEMRSM_AVX512 static V mov(V a, M m, V b) { return _mm512_mask_mov_pd(a, m, b); }
  SEMRSM_AVX512 static double reduce_min(V a) { return _mm512_reduce_min_pd(a); }
  SEMRSM_AVX512 static double reduce_min(M m, V a) { return _mm512_mask_reduce_min_pd(m, a); }

  static constexpr int64_t kNoIndex = std::numeric_limits<int64_t>::max();
  SEMRSM_AVX512 static I index_iota() { return _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7); }
  SEMRSM_AVX512 static I index_set1(int64_t j) { return _mm512_set1_epi64(j); }
  SEMRSM_AVX512 static I index_add(I a, I b) { return _mm512_add_epi64(a, b); }
  SEMRSM_AVX512 static I index_blend(M m, I a, I b) { return _mm512_mask_blend_epi64(m, a, b); }
  SEMRSM_AVX512 static I index_mov(I a, M m, I b) { return _mm512_mask_mov_epi64(a, m, b); }
  SEMRSM_AVX512 static M index_neq(I a, I b) { return _mm512_cmpneq_epi64_mask(a, b); }
  SEMRSM_AVX512 static M index_valid(I a) { return _mm512_cmpge_epi64_mask(a, _mm512_setzero_si512()); }
  SEMRSM_AVX512 static int64_t index_min(M m, I a) { return _mm512_mask_reduce_min_epi64(m, a); }

  SEMRSM_AVX512 static P p_iota() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
  SEMRSM_AVX512 static P p_set1(int32_t i) { return _mm256_set1_epi32(i); }
  SEMRSM_AVX512 static P p_add(P a, P b) { return _mm256_add_epi32(a, b); }
  SEMRSM_AVX512 static void p_store(int32_t* p, M m, P x) { _mm256_mask_storeu_epi32(p, m, x); }
  SEMRSM_AVX512 static void p_compress(int32_t* p, M m, P x) { _mm256_mask_compressstoreu_epi32(p, m, x); }
  SEMRSM_AVX512 static M free(M load, M among, const int32_t* row4col) {
    return _mm256_mask_cmplt_epi32_mask(among, _mm256_maskz_loadu_epi32(load, row4col),
                                        _mm256_setzero_si256());
  }
};

// The mask of the lanes k, k + 1, ... below n.
template <class X>
SEMRSM_AVX512 inline typename X::M lanes_below(int64_t n, int64_t k) {
  return n - k >= X::L ? static_cast<typename X::M>(~typename X::M(0)) : X::first(n - k);
}

// Full vectors unmasked, then one masked tail whose absent lanes look settled (-inf).
template <class Tc, class W>
SEMRSM_AVX512 W relax(const Tc* c, const W* v, W* d, int32_t* path, int64_t n, W h, int32_t i) {
  using X = Lanes512<W>;
  using V = typename X::V;
  using M = typename X::M;
  constexpr int L = X::L;
  const V hv = X::set1(h);
  const V ninf = X::set1(-std::numeric_limits<W>::infinity());
  const typename X::P iv = X::p_set1(i);
  V mn = X::set1(std::numeric_limits<W>::infinity());
  int64_t k = 0;
  for (; k + L <= n; k += L) {
    const V cand = X::add(X::sub(X::load(c + k), X::load(v + k)), hv);
    const V dk = X::load(d + k);
    const M lt = X::lt(cand, dk);
    X::store(d + k, lt, cand);
    X::p_store(path + k, lt, iv);
    const V nd = X::blend(lt, dk, cand);
    const M live = X::neq(nd, ninf);
    mn = X::min(mn, live, mn, nd);
  }
  if (k < n) {
    const M tail = X::first(n - k);
    const V cand = X::add(X::sub(X::loadz(tail, c + k), X::loadz(tail, v + k)), hv);
    const V dk = X::load_or(ninf, tail, d + k);
    const M lt = X::lt(cand, dk) & tail;
    X::store(d + k, lt, cand);
    X::p_store(path + k, lt, iv);
    const V nd = X::blend(lt, dk, cand);
    const M live = X::neq(nd, ninf);
    mn = X::min(mn, live, mn, nd);
  }
  return X::reduce_min(mn);
}

template <class W>
SEMRSM_AVX512 int64_t argmin_free(const W* d, const int32_t* row4col, int64_t n, W mu) {
  using X = Lanes512<W>;
  using M = typename X::M;
  const typename X::V m = X::set1(mu);
  int64_t first = -1;
  for (int64_t k = 0; k < n; k += X::L) {
    const M tail = lanes_below<X>(n, k);
    const M eq = X::eq(tail, X::loadz(tail, d + k), m);
    if (!eq) continue;
    const M fr = X::free(eq, eq, row4col + k);
    if (fr) return k + __builtin_ctz(fr);
    if (first < 0) first = k + __builtin_ctz(eq);
  }
  return first;
}

// relax + argmin_free fused: per lane the first minimum over all live columns and over free
// live columns (strict <, lanes see increasing k), merged by lowest index; a free column at
// the overall minimum wins, as in the scalar argmin_free. The caller keeps two sets of
// accumulators so that the compare-and-move chains of neighbouring vectors run in parallel
// (one chain alone costs ~5 cycles per vector, the rest of the body ~4).
template <class W>
struct ArgminLanes {
  typename Lanes512<W>::V mn, mnf;
  typename Lanes512<W>::I ix, ixf;
};

template <class W>
__attribute__((always_inline)) SEMRSM_AVX512 inline void relax_argmin_step(
    const W* c, const W* v, W* d, int32_t* path, const int32_t* row4col, int64_t k,
    typename Lanes512<W>::M tail, typename Lanes512<W>::V hv, typename Lanes512<W>::P iv,
    typename Lanes512<W>::I kv, ArgminLanes<W>& a) {
  using X = Lanes512<W>;
  using V = typename X::V;
  using M = typename X::M;
  const V ninf = X::set1(-std::numeric_limits<W>::infinity());
  const V cand = X::add(X::sub(X::loadz(tail, c + k), X::loadz(tail, v + k)), hv);
  const V dk = X::load_or(ninf, tail, d + k);  // absent lanes look settled
  const M lt = X::lt(cand, dk) & tail;
  X::store(d + k, lt, cand);
  X::p_store(path + k, lt, iv);
  const V nd = X::blend(lt, dk, cand);
  const M live = X::neq(nd, ninf);
  const M fr = X::free(tail, live, row4col + k);
  const M b = X::lt(live, nd, a.mn);
  a.mn = X::mov(a.mn, b, nd);
  a.ix = X::index_mov(a.ix, b, kv);
  const M bf = X::lt(fr, nd, a.mnf);
  a.mnf = X::mov(a.mnf, bf, nd);
  a.ixf = X::index_mov(a.ixf, bf, kv);
}

template <class W>
SEMRSM_AVX512 W relax_argmin(const W* c, const W* v, W* d, int32_t* path,
                             const int32_t* row4col, int64_t n, W h, int32_t i, int64_t* jmin) {
  using X = Lanes512<W>;
  using V = typename X::V;
  using M = typename X::M;
  constexpr int L = X::L;
  const W kInf = std::numeric_limits<W>::infinity();
  const V hv = X::set1(h);
  const typename X::P iv = X::p_set1(i);
  ArgminLanes<W> a{X::set1(kInf), X::set1(kInf), X::index_set1(-1), X::index_set1(-1)};
  ArgminLanes<W> b = a;
  typename X::I kv = X::index_iota();
  const typename X::I step = X::index_set1(L);
  const M full = static_cast<M>(~M(0));
  int64_t k = 0;
  for (; k + 2 * L <= n; k += 2 * L) {
    relax_argmin_step<W>(c, v, d, path, row4col, k, full, hv, iv, kv, a);
    kv = X::index_add(kv, step);
    relax_argmin_step<W>(c, v, d, path, row4col, k + L, full, hv, iv, kv, b);
    kv = X::index_add(kv, step);
  }
  for (; k < n; k += L) {
    relax_argmin_step<W>(c, v, d, path, row4col, k, lanes_below<X>(n, k), hv, iv, kv, a);
    kv = X::index_add(kv, step);
  }
  const W mu = std::min(X::reduce_min(a.mn), X::reduce_min(b.mn));
  if (!(mu < kInf)) {
    *jmin = -1;
    return mu;
  }
  // Lowest index among the lanes (of both sets) holding mu, free columns first.
  const V muv = X::set1(mu);
  const M fa = X::eq(a.mnf, muv), fb = X::eq(b.mnf, muv);
  if (fa | fb) {
    *jmin = std::min(X::index_min(fa, a.ixf), X::index_min(fb, b.ixf));
  } else {
    *jmin = std::min(X::index_min(X::eq(a.mn, muv), a.ix), X::index_min(X::eq(b.mn, muv), b.ix));
  }
  return mu;
}

// bid (see kernels.hpp and the AVX2 version): lanes keep the smallest value with its first
// index and the second smallest through min / max; then a merge of the lanes.
template <class T>
SEMRSM_AVX512 void bid(const T* c, const T* v, int64_t n, T* u1, int64_t* j1, T* u2) {
  using X = Lanes512<T>;
  using V = typename X::V;
  using M = typename X::M;
  constexpr int L = X::L;
  if (n < 2 * L || n >= (int64_t{1} << 24)) return scalar::bid<T, T>(c, v, n, u1, j1, u2);
  const T kInf = std::numeric_limits<T>::infinity();
  V a = X::set1(kInf), b = a, ia = X::set1(T(-1)), idx = X::iota();
  const V step = X::set1(T(L));
  for (int64_t k = 0; k < n; k += L) {
    const M m = lanes_below<X>(n, k);
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
  const T ja = X::reduce_min(X::eq(a, X::set1(ra)), ia);
  const M others = X::neq(ia, X::set1(ja));
  const T rb = X::reduce_min(b), ro = X::reduce_min(others, a);
  *j1 = static_cast<int64_t>(ja);
  *u2 = ro < rb ? ro : rb;
}

// two_min: per lane the two smallest values seen and their indices; lanes see increasing k
// and strict comparisons keep the earliest index, so the merge reproduces the scalar order
// for finite values (j2 may differ, or be -1, only where u2 is +inf).
template <class T>
SEMRSM_AVX512 void two_min(const T* c, const T* v, int64_t n, T* u1, int64_t* j1, T* u2,
                           int64_t* j2) {
  using X = Lanes512<T>;
  using V = typename X::V;
  using M = typename X::M;
  using I = typename X::I;
  constexpr int L = X::L;
  if (n < 2 * L) return scalar::two_min<T, T>(c, v, n, u1, j1, u2, j2);
  const T kInf = std::numeric_limits<T>::infinity();
  V a = X::set1(kInf), b = X::set1(kInf);
  I ia = X::index_set1(-1), ib = X::index_set1(-1);
  I idx = X::index_iota();
  const I step = X::index_set1(L);
  int64_t k = 0;
  for (; k + L <= n; k += L) {
    const V x = X::sub(X::load(c + k), X::load(v + k));
    const M lta = X::lt(x, a);
    // b takes the old a where x beats a, else x where x beats b.
    const M ltb = X::lt(x, b);
    b = X::blend(lta, X::blend(ltb, b, x), a);
    ib = X::index_blend(lta, X::index_blend(ltb, ib, idx), ia);
    a = X::blend(lta, a, x);
    ia = X::index_blend(lta, ia, idx);
    idx = X::index_add(idx, step);
  }
  // Merge the lanes with vector reductions: u1 and the lowest index holding it; u2 is the
  // best of the other lanes' a and all lanes' b, again with its lowest index.
  const I big = X::index_set1(X::kNoIndex);
  T ra = X::reduce_min(a);
  // No finite entry in the vector part: the scalar kernel names indices as its contract says.
  if (!(ra < kInf)) return scalar::two_min<T, T>(c, v, n, u1, j1, u2, j2);
  int64_t ja = X::index_min(X::eq(a, X::set1(ra)), ia);
  const M not_ja = X::index_neq(ia, X::index_set1(ja));
  // Lanes other than j1's offer their a; j1's lane offers its b.
  const V cand = X::blend(not_ja, b, a);
  const I icand = X::index_blend(not_ja, ib, ia);
  const V cand2 = X::blend(not_ja, X::set1(kInf), b);  // other lanes' b
  const I icand2 = X::index_blend(not_ja, big, ib);
  T rb = std::min(X::reduce_min(cand), X::reduce_min(cand2));
  const V rbv = X::set1(rb);
  const M e1 = X::eq(cand, rbv) & X::index_valid(icand);
  const M e2 = X::eq(cand2, rbv) & X::index_valid(icand2);
  int64_t jb = std::min(X::index_min(e1, icand), X::index_min(e2, icand2));
  if (rb == kInf || jb == X::kNoIndex) jb = -1;
  auto push = [&](T x, int64_t j) {
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

template <class Tc, class W>
SEMRSM_AVX512 W row_min(const Tc* c, const W* v, int64_t n) {
  using X = Lanes512<W>;
  typename X::V mn = X::set1(std::numeric_limits<W>::infinity());
  for (int64_t k = 0; k < n; k += X::L) {
    const typename X::M tail = lanes_below<X>(n, k);
    mn = X::min(mn, tail, mn, X::sub(X::loadz(tail, c + k), X::loadz(tail, v + k)));
  }
  return X::reduce_min(mn);
}

template <class T>
SEMRSM_AVX512 void col_min(const T* c, T* v, int32_t* arg, int64_t n, T h, int32_t i) {
  using X = Lanes512<T>;
  const typename X::P iv = X::p_set1(i);
  const typename X::V hv = X::set1(h);
  for (int64_t k = 0; k < n; k += X::L) {
    const typename X::M tail = lanes_below<X>(n, k);
    const typename X::V x = X::sub(X::loadz(tail, c + k), hv);
    const typename X::M lt = X::lt(tail, x, X::loadz(tail, v + k));
    X::store(v + k, lt, x);
    X::p_store(arg + k, lt, iv);
  }
}

template <class T>
SEMRSM_AVX512 uint32_t copy_check(const T* src, T* dst, int64_t count, bool negate) {
  using X = Lanes512<T>;
  using M = typename X::M;
  const typename X::V sign = X::set1(negate ? T(-1) : T(1));
  const typename X::V pinf = X::set1(std::numeric_limits<T>::infinity());
  M bad = 0, forbidden = 0;
  for (int64_t k = 0; k < count; k += X::L) {
    const M tail = lanes_below<X>(count, k);
    const typename X::V x = X::mul(X::loadz(tail, src + k), sign);
    if (dst) X::store(dst + k, tail, x);
    // NaN compares unordered; -inf is the only value below -max.
    bad |= X::unord(tail, x) | X::lt(tail, x, X::set1(-std::numeric_limits<T>::max()));
    forbidden |= X::eq(tail, x, pinf);
  }
  return (bad ? 1u : 0u) | (forbidden ? 2u : 0u);
}

template <class T>
SEMRSM_AVX512 int64_t collect(const T* c, const T* pen, int64_t n, T sign, T t, int32_t* idx) {
  using X = Lanes512<T>;
  using M = typename X::M;
  const typename X::V sv = X::set1(sign), tv = X::set1(t);
  const typename X::V pinf = X::set1(std::numeric_limits<T>::infinity());
  typename X::P kv = X::p_iota();
  const typename X::P step = X::p_set1(X::L);
  int64_t cnt = 0;
  for (int64_t k = 0; k < n; k += X::L) {
    const M tail = lanes_below<X>(n, k);
    const typename X::V x = X::add(X::mul(X::loadz(tail, c + k), sv), X::loadz(tail, pen + k));
    const M keep = X::le(tail, x, tv) & X::lt(x, pinf);
    if (keep) {
      X::p_compress(idx + cnt, keep, kv);
      cnt += __builtin_popcount(keep);
    }
    kv = X::p_add(kv, step);
  }
  return cnt;
}

SEMRSM_LAP_SIMD_INSTANCES
template float relax_argmin<float>(const float*, const float*, float*, int32_t*, const int32_t*,
                                   int64_t, float, int32_t, int64_t*);
template double relax_argmin<double>(const double*, const double*, double*, int32_t*,
                                     const int32_t*, int64_t, double, int32_t, int64_t*);
template int64_t collect<float>(const float*, const float*, int64_t, float, float, int32_t*);
template int64_t collect<double>(const double*, const double*, int64_t, double, double,
                                 int32_t*);

}  // namespace semrsm::lap::detail::avx512
#endif
