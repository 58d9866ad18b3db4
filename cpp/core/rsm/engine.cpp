// semantic_linear: the engine's tiles on the thread pool, with cancellation, progress and
// the first failure reported (rsm.hpp).
#include <algorithm>
#include <atomic>
#include <memory>
#include <new>
#include <vector>

#include "core/rsm/engine.hpp"
#include "core/rsm/rsm.hpp"

namespace semrsm::rsm {

using detail::Engine;
using detail::SlotWork;
using detail::Tile;

int64_t pair_count(int64_t n, int64_t m, bool self) { return self ? n * (n - 1) / 2 : n * m; }

template <class T>
Status semantic_linear(const Samples<T>& x, const Samples<T>* y, const double* x_pos_sqnorm,
                       const double* x_sqnorm, const double* y_pos_sqnorm,
                       const double* y_sqnorm, const Options& opts, const Output& out,
                       const Control& ctl) {
  if (out.linear == nullptr) return Status::invalid_argument;
  if (y != nullptr && (y->C != x.C || y->layout != x.layout)) return Status::invalid_argument;
  if (opts.matcher == Matcher::identity && y != nullptr && y->S != x.S)
    return Status::invalid_argument;
  try {
    Engine<T> engine(x, y, x_pos_sqnorm, x_sqnorm, y_pos_sqnorm, y_sqnorm, opts, out);
    if (y == nullptr) engine.fill_diagonal();
    const std::vector<Tile> tiles = engine.tiles();
    const int threads = std::max(1, opts.threads);
    std::vector<std::unique_ptr<SlotWork<T>>> slots(static_cast<size_t>(threads));
    std::atomic<bool> cancel{false};
    std::atomic<int> failure{static_cast<int>(Status::ok)};
    const PollFn poll = [&]() {
      if (ctl.poll != nullptr && *ctl.poll && (*ctl.poll)()) {
        cancel.store(true);
        return true;
      }
      return false;
    };
    parallel_for(
        static_cast<int64_t>(tiles.size()), threads,
        [&](int64_t task, int slot) {
          if (!slots[slot]) slots[slot] = std::make_unique<SlotWork<T>>();
          Status st = Status::ok;
          const int64_t done = engine.run_tile(tiles[task], *slots[slot], cancel, &st);
          if (ctl.pairs_done) ctl.pairs_done->fetch_add(done, std::memory_order_relaxed);
          if (st != Status::ok) {
            int expected = static_cast<int>(Status::ok);
            failure.compare_exchange_strong(expected, static_cast<int>(st));
            cancel.store(true);
          }
        },
        poll, &cancel);
    if (failure.load() != static_cast<int>(Status::ok)) return static_cast<Status>(failure.load());
    if (cancel.load()) return Status::cancelled;
  } catch (const std::bad_alloc&) {
    return Status::out_of_memory;
  }
  return Status::ok;
}

template Status semantic_linear<float>(const Samples<float>&, const Samples<float>*,
                                       const double*, const double*, const double*,
                                       const double*, const Options&, const Output&,
                                       const Control&);
template Status semantic_linear<double>(const Samples<double>&, const Samples<double>*,
                                        const double*, const double*, const double*,
                                        const double*, const Options&, const Output&,
                                        const Control&);

}  // namespace semrsm::rsm
