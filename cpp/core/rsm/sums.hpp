// Direct reductions of one pair in double from the raw vectors: the matched linear value and
// d^2 summed over the matched positions (matched_sums) or over every element (flat_sums, the
// identity matching). Internal to the RSM engine (engine.hpp).
#pragma once

#include <cstdint>
#include <utility>

#include "core/vocabulary.hpp"

namespace semrsm::rsm::detail {

// Adds a(e) * b(e) and (a(e) - b(e))^2 over e < count into four partial sums each, in double,
// where load(e) returns the pair (a(e), b(e)). Four chains keep the dependency chains short;
// the element-to-chain order is fixed, so the sums are deterministic.
template <class Load>
inline void accumulate4(int64_t count, const Load& load, bool want_lin, bool want_d2, double* l,
                        double* d) {
  auto add = [&](int u, double av, double bv) {
    if (want_lin) l[u] += av * bv;
    if (want_d2) d[u] += (av - bv) * (av - bv);
  };
  int64_t e = 0;
  for (; e + 4 <= count; e += 4) {
    for (int u = 0; u < 4; ++u) {
      const auto ab = load(e + u);
      add(u, ab.first, ab.second);
    }
  }
  for (; e < count; ++e) {
    const auto ab = load(e);
    add(0, ab.first, ab.second);
  }
}

inline void combine4(const double* l, const double* d, double* lin, double* d2) {
  *lin = (l[0] + l[1]) + (l[2] + l[3]);
  *d2 = (d[0] + d[1]) + (d[2] + d[3]);
}

// Sum of products and of squared differences over the matched (p, q) pairs.
template <class T>
void matched_sums(const T* xi, const T* yj, Layout layout, int64_t Sx, int64_t Sy, int64_t C,
                  const int64_t* mp, const int64_t* mq, int64_t n_matched, bool want_lin,
                  bool want_d2, double* lin, double* d2) {
  double l[4] = {0, 0, 0, 0}, d[4] = {0, 0, 0, 0};
  if (layout == Layout::position_major) {
    for (int64_t t = 0; t < n_matched; ++t) {
      const T* a = xi + mp[t] * C;
      const T* b = yj + mq[t] * C;
      accumulate4(C, [&](int64_t k) {
        return std::make_pair(static_cast<double>(a[k]), static_cast<double>(b[k]));
      }, want_lin, want_d2, l, d);
    }
  } else {
    for (int64_t k = 0; k < C; ++k) {
      const T* a = xi + k * Sx;
      const T* b = yj + k * Sy;
      accumulate4(n_matched, [&](int64_t t) {
        return std::make_pair(static_cast<double>(a[mp[t]]), static_cast<double>(b[mq[t]]));
      }, want_lin, want_d2, l, d);
    }
  }
  combine4(l, d, lin, d2);
}

// Identity matching of two equally shaped samples: position p with p in either layout, so
// the sums run over the flat S * C elements (the spatio-semantic inner product).
template <class T>
void flat_sums(const T* xi, const T* yj, int64_t len, bool want_lin, bool want_d2, double* lin,
               double* d2) {
  double l[4] = {0, 0, 0, 0}, d[4] = {0, 0, 0, 0};
  accumulate4(len, [&](int64_t e) {
    return std::make_pair(static_cast<double>(xi[e]), static_cast<double>(yj[e]));
  }, want_lin, want_d2, l, d);
  combine4(l, d, lin, d2);
}

}  // namespace semrsm::rsm::detail
