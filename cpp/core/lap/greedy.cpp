// Greedy matching: repeatedly take the globally best remaining entry (ties: lower row, then
// lower column). Equivalent to scanning all n*m entries in sorted order, without sorting
// them: each row keeps a short sorted list of its best entries among the columns free when
// the list was made, and a heap holds each unmatched row's current head. A head whose
// column was taken meanwhile is advanced (or its list rebuilt) when it surfaces; since a
// head never beats its row's true best free entry, the first valid head popped is the
// global best. Stops as soon as min(n, m) pairs are made.
#include <algorithm>
#include <cstdint>
#include <queue>
#include <vector>

#include "core/lap/detail.hpp"
#include "core/lap/lap.hpp"

namespace semrsm::lap {
namespace {

template <class T>
struct Entry {
  T key;  // cost in the minimisation sense
  int32_t row, col;
};

template <class T>
struct Later {  // priority_queue is a max-heap: "later" pops last
  bool operator()(const Entry<T>& a, const Entry<T>& b) const {
    if (a.key != b.key) return a.key > b.key;
    if (a.row != b.row) return a.row > b.row;
    return a.col > b.col;
  }
};

template <class T>
class RowLists {
 public:
  RowLists(const T* cost, int64_t n, int64_t m, bool maximize, int64_t k)
      : cost_(cost), m_(m), k_(k), sign_(maximize ? T(-1) : T(1)),
        keys_(static_cast<size_t>(n * k)), cols_(static_cast<size_t>(n * k)),
        len_(n, 0), pos_(n, 0) {}

  // Rebuilds row r's list: its k best (key, column) entries among free, allowed columns.
  void rebuild(int64_t r, const std::vector<uint8_t>& taken) {
    T* keys = &keys_[r * k_];
    int32_t* cols = &cols_[r * k_];
    const T* cr = cost_ + r * m_;
    int64_t len = 0;
    T worst = detail::inf<T>();
    for (int64_t j = 0; j < m_; ++j) {
      const T x = sign_ * cr[j];
      // Strict: among equal keys the earlier column is already in the list.
      if (!(x < worst) || taken[j]) continue;
      int64_t p = len < k_ ? len : k_ - 1;
      while (p > 0 && keys[p - 1] > x) {
        keys[p] = keys[p - 1];
        cols[p] = cols[p - 1];
        --p;
      }
      keys[p] = x;
      cols[p] = static_cast<int32_t>(j);
      if (len < k_) ++len;
      if (len == k_) worst = keys[k_ - 1];
    }
    len_[r] = len;
    pos_[r] = 0;
  }

  // The row's best entry among free columns, or false when none is allowed.
  bool head(int64_t r, const std::vector<uint8_t>& taken, Entry<T>* e) {
    for (;;) {
      while (pos_[r] < len_[r] && taken[cols_[r * k_ + pos_[r]]]) ++pos_[r];
      if (pos_[r] < len_[r]) {
        *e = Entry<T>{keys_[r * k_ + pos_[r]], static_cast<int32_t>(r), cols_[r * k_ + pos_[r]]};
        return true;
      }
      // A short list held every allowed free column: nothing left for this row.
      if (len_[r] < k_) return false;
      rebuild(r, taken);
      if (len_[r] == 0) return false;
    }
  }

 private:
  const T* cost_;
  int64_t m_, k_;
  T sign_;
  std::vector<T> keys_;
  std::vector<int32_t> cols_;
  std::vector<int64_t> len_, pos_;
};

}  // namespace

template <class T>
Status greedy(const T* cost, int64_t n, int64_t m, bool maximize, int64_t* col4row,
              double* objective, Workspace& ws) {
  *objective = 0.0;
  std::fill(col4row, col4row + n, int64_t{-1});
  if (n == 0 || m == 0) return Status::ok;
  Status st = detail::check_costs(cost, n, n == 0 ? 0 : m, maximize, nullptr);
  if (st != Status::ok) return st;
  // A list long enough that most rows find a free column in it, short enough to build fast.
  const int64_t k = std::min<int64_t>(m, 16);
  RowLists<T> lists(cost, n, m, maximize, k);
  auto& taken = ws.b0;
  taken.assign(m, 0);
  std::vector<Entry<T>> heap_store;
  heap_store.reserve(n);
  std::priority_queue<Entry<T>, std::vector<Entry<T>>, Later<T>> heap(Later<T>(),
                                                                     std::move(heap_store));
  for (int64_t r = 0; r < n; ++r) {
    lists.rebuild(r, taken);
    Entry<T> e;
    if (lists.head(r, taken, &e)) heap.push(e);
  }
  const int64_t want = std::min(n, m);
  int64_t matched = 0;
  while (matched < want && !heap.empty()) {
    const Entry<T> e = heap.top();
    heap.pop();
    if (taken[e.col]) {  // stale head: the row's best free entry is later in its list
      Entry<T> next;
      if (lists.head(e.row, taken, &next)) heap.push(next);
      continue;
    }
    taken[e.col] = 1;
    col4row[e.row] = e.col;
    ++matched;
  }
  if (matched < want) {
    std::fill(col4row, col4row + n, int64_t{-1});
    return Status::infeasible;
  }
  *objective = detail::objective_of(cost, n, m, col4row);
  return Status::ok;
}

template Status greedy<float>(const float*, int64_t, int64_t, bool, int64_t*, double*,
                              Workspace&);
template Status greedy<double>(const double*, int64_t, int64_t, bool, int64_t*, double*,
                               Workspace&);

}  // namespace semrsm::lap
