// Greedy matching: repeatedly take the globally best remaining entry (ties: lower row, then
// lower column), i.e. scan all n*m entries in (key, row, col) order and keep each entry
// whose row and column are both still free. Without sorting all n*m entries:
//
// the entries are processed in bands of increasing key. Each band holds every entry of a
// free row and a free column whose key is <= a threshold t (ties included), so processing
// bands one after the other in sorted order is the same as processing the full sorted list;
// entries of rows or columns matched meanwhile are skipped as they would be there. t is the
// quantile of a fixed (deterministic) sample of the remaining entries that makes the band
// about as large as the number of free rows, and grows when a band matches little
// (inner-product costs make every row want the same columns). The last band (t = +inf)
// takes every allowed entry left, so the loop ends. Forbidden (infinite) entries are never
// taken. Stops as soon as min(n, m) pairs are made.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <limits>
#include <vector>

#include "core/lap/detail.hpp"
#include "core/lap/kernels.hpp"
#include "core/lap/lap.hpp"

namespace semrsm::lap {
namespace {

template <class T>
struct Entry {
  T key;  // cost in the minimisation sense
  int32_t row, col;
};

// float bands sort as one 64-bit word: an order-preserving image of the key above the flat
// index row * m + col, which orders ties by row, then column (needs n * m < 2^32).
inline uint64_t pack(float key, uint64_t flat) {
  key += 0.0f;  // -0 -> +0: equal keys must tie
  uint32_t u;
  std::memcpy(&u, &key, sizeof u);
  u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
  return (static_cast<uint64_t>(u) << 32) | flat;
}

// Sorts the band (entries of free rows within the threshold) into greedy order.
template <class T>
void sort_band(std::vector<Entry<T>>& band, std::vector<uint64_t>& words, int64_t m) {
  if (std::is_same<T, float>::value && m > 0 && band.size() > 1) {
    words.resize(band.size());
    for (size_t q = 0; q < band.size(); ++q)
      words[q] = pack(static_cast<float>(band[q].key),
                      static_cast<uint64_t>(band[q].row) * static_cast<uint64_t>(m) +
                          static_cast<uint64_t>(band[q].col));
    std::sort(words.begin(), words.end());
    for (size_t q = 0; q < band.size(); ++q) {
      const uint64_t flat = words[q] & 0xffffffffull;
      band[q].row = static_cast<int32_t>(flat / static_cast<uint64_t>(m));
      band[q].col = static_cast<int32_t>(flat % static_cast<uint64_t>(m));
    }  // keys are not needed after sorting
    return;
  }
  std::sort(band.begin(), band.end(), [](const Entry<T>& a, const Entry<T>& b) {
    if (a.key != b.key) return a.key < b.key;
    if (a.row != b.row) return a.row < b.row;
    return a.col < b.col;
  });
}


}  // namespace

template <class T>
Status greedy(const T* cost, int64_t n, int64_t m, bool maximize, int64_t* col4row,
              double* objective) {
  constexpr T kInf = std::numeric_limits<T>::infinity();
  *objective = 0.0;
  std::fill(col4row, col4row + n, int64_t{-1});
  if (n == 0 || m == 0) return Status::ok;
  const auto& K = detail::kernels<T, T>();
  if (K.copy_check(cost, nullptr, n * m, maximize) & 1u) return Status::invalid_cost;
  const T sign = maximize ? T(-1) : T(1);
  const int64_t want = std::min(n, m);

  std::vector<T> pen(m, T(0));
  std::vector<int32_t> free_rows(n), free_cols(m);
  for (int64_t i = 0; i < n; ++i) free_rows[i] = static_cast<int32_t>(i);
  for (int64_t j = 0; j < m; ++j) free_cols[j] = static_cast<int32_t>(j);
  std::vector<Entry<T>> band;
  std::vector<T> sample;
  std::vector<int32_t> idx;
  std::vector<uint64_t> words;
  const bool packable = static_cast<uint64_t>(n) * static_cast<uint64_t>(m) < (1ull << 32);
  std::vector<uint8_t> row_taken(n, 0);
  int64_t matched = 0;
  // Band size / free rows. Small bands sort fast; a band that matches under a quarter of the
  // free rows doubles it (measured on inner-product costs at S = 196..3136).
  double growth = 1.0;
  uint64_t lcg = 0x9E3779B97F4A7C15ull;  // fixed seed: the sample, hence t, is deterministic

  while (matched < want) {
    const int64_t nfr = static_cast<int64_t>(free_rows.size());
    const int64_t nfc = static_cast<int64_t>(free_cols.size());
    const double remaining = static_cast<double>(nfr) * static_cast<double>(nfc);
    const double target = growth * static_cast<double>(nfr);
    T t = kInf;
    if (target < remaining) {
      // A sample of ~1/16 of the entries (32..1024) places t well enough; small problems
      // must not pay for a large one.
      const int64_t ns = std::min<int64_t>(1024, static_cast<int64_t>(remaining / 16) + 32);
      sample.clear();
      for (int64_t s = 0; s < ns; ++s) {
        lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
        const int64_t r = free_rows[(lcg >> 33) % nfr];
        const int64_t c = free_cols[(lcg >> 11) % nfc];
        sample.push_back(sign * cost[r * m + c]);
      }
      const int64_t q = static_cast<int64_t>(static_cast<double>(ns) * target / remaining);
      std::nth_element(sample.begin(), sample.begin() + q, sample.end());
      t = sample[q];  // +inf here (mostly forbidden entries) simply takes every allowed one
    }
    band.clear();
    idx.resize(m);
    for (const int32_t r : free_rows) {
      const T* cr = cost + r * m;
      const int64_t cnt = K.collect(cr, pen.data(), m, sign, t, idx.data());
      for (int64_t q = 0; q < cnt; ++q) band.push_back(Entry<T>{sign * cr[idx[q]], r, idx[q]});
    }
    sort_band(band, words, packable ? m : 0);
    int64_t got = 0;
    for (const Entry<T>& e : band) {
      if (row_taken[e.row] || pen[e.col] != T(0)) continue;
      row_taken[e.row] = 1;
      pen[e.col] = kInf;
      col4row[e.row] = e.col;
      ++got;
      if (++matched == want) break;
    }
    if (t == kInf) break;  // every allowed entry of a free pair was in this band
    free_rows.erase(std::remove_if(free_rows.begin(), free_rows.end(),
                                   [&](int32_t r) { return row_taken[r] != 0; }),
                    free_rows.end());
    free_cols.erase(std::remove_if(free_cols.begin(), free_cols.end(),
                                   [&](int32_t c) { return pen[c] != T(0); }),
                    free_cols.end());
    if (got * 4 < nfr) growth *= 2.0;
  }
  if (matched < want) {
    std::fill(col4row, col4row + n, int64_t{-1});
    return Status::infeasible;
  }
  *objective = detail::objective_of(cost, n, m, col4row);
  return Status::ok;
}

template Status greedy<float>(const float*, int64_t, int64_t, bool, int64_t*, double*);
template Status greedy<double>(const double*, int64_t, int64_t, bool, int64_t*, double*);

}  // namespace semrsm::lap
