// Portable versions of the kernels in kernels.hpp; the SIMD versions must give the same
// results (same operations in the same order per element, same tie-breaking).
#pragma once

#include <cstdint>
#include <limits>

namespace semrsm::lap::detail::scalar {

template <class Tc, class W>
W relax(const Tc* c, const W* v, W* d, int32_t* path, int64_t n, W h, int32_t i) {
  constexpr W kInf = std::numeric_limits<W>::infinity();
  W mn = kInf;
  for (int64_t k = 0; k < n; ++k) {
    const W cand = (static_cast<W>(c[k]) - v[k]) + h;
    W dk = d[k];
    if (cand < dk) {  // false for settled columns (-inf)
      dk = cand;
      d[k] = cand;
      path[k] = i;
    }
    if (dk != -kInf && dk < mn) mn = dk;
  }
  return mn;
}

// argmin_free over the columns k0..n-1, continuing a search of 0..k0-1 that found no free
// column at mu and `first` as its first column at mu (-1: none). The SIMD kernels finish
// their tails with it.
template <class W>
inline int64_t argmin_free_from(const W* d, const int32_t* row4col, int64_t k0, int64_t n, W mu,
                                int64_t first) {
  for (int64_t k = k0; k < n; ++k) {
    if (d[k] == mu) {
      if (row4col[k] < 0) return k;
      if (first < 0) first = k;
    }
  }
  return first;
}

template <class W>
int64_t argmin_free(const W* d, const int32_t* row4col, int64_t n, W mu) {
  return argmin_free_from<W>(d, row4col, 0, n, mu, -1);
}

template <class Tc, class W>
W relax_argmin(const Tc* c, const W* v, W* d, int32_t* path, const int32_t* row4col, int64_t n,
               W h, int32_t i, int64_t* jmin) {
  const W mu = relax<Tc, W>(c, v, d, path, n, h, i);
  *jmin = mu < std::numeric_limits<W>::infinity() ? argmin_free<W>(d, row4col, n, mu) : -1;
  return mu;
}

template <class Tc, class W>
void two_min(const Tc* c, const W* v, int64_t n, W* u1, int64_t* j1, W* u2, int64_t* j2) {
  constexpr W kInf = std::numeric_limits<W>::infinity();
  W a = kInf, b = kInf;
  int64_t ja = -1, jb = -1;
  for (int64_t k = 0; k < n; ++k) {
    const W x = static_cast<W>(c[k]) - v[k];
    if (x < b || jb < 0) {
      if (x < a || ja < 0) {
        b = a;
        jb = ja;
        a = x;
        ja = k;
      } else {
        b = x;
        jb = k;
      }
    }
  }
  *u1 = a;
  *j1 = ja;
  *u2 = b;
  *j2 = jb;
}

template <class Tc, class W>
void bid(const Tc* c, const W* v, int64_t n, W* u1, int64_t* j1, W* u2) {
  int64_t j2;
  two_min<Tc, W>(c, v, n, u1, j1, u2, &j2);
}

template <class Tc, class W>
void col_min(const Tc* c, W* v, int32_t* arg, int64_t n, W h, int32_t i) {
  for (int64_t k = 0; k < n; ++k) {
    const W x = static_cast<W>(c[k]) - h;
    if (x < v[k]) {
      v[k] = x;
      arg[k] = i;
    }
  }
}

template <class Tc, class W>
W row_min(const Tc* c, const W* v, int64_t n) {
  W mn = std::numeric_limits<W>::infinity();
  for (int64_t k = 0; k < n; ++k) {
    const W x = static_cast<W>(c[k]) - v[k];
    mn = x < mn ? x : mn;
  }
  return mn;
}

template <class W>
uint32_t copy_check(const W* src, W* dst, int64_t count, bool negate) {
  constexpr W kInf = std::numeric_limits<W>::infinity();
  const W sign = negate ? W(-1) : W(1);
  bool bad = false, forbidden = false;
  for (int64_t k = 0; k < count; ++k) {
    const W x = sign * src[k];
    if (dst) dst[k] = x;
    bad |= (x != x) | (x == -kInf);
    forbidden |= (x == kInf);
  }
  return (bad ? 1u : 0u) | (forbidden ? 2u : 0u);
}

template <class W>
int64_t collect(const W* c, const W* pen, int64_t n, W sign, W t, int32_t* idx) {
  constexpr W kInf = std::numeric_limits<W>::infinity();
  int64_t cnt = 0;
  for (int64_t k = 0; k < n; ++k) {
    const W x = sign * c[k] + pen[k];
    idx[cnt] = static_cast<int32_t>(k);
    cnt += (x <= t) & (x < kInf);  // branch-free: the store is overwritten when not kept
  }
  return cnt;
}

}  // namespace semrsm::lap::detail::scalar
