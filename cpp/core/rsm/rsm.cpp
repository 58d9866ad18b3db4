#include "core/rsm/rsm.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/lap/lap.hpp"
#include "core/lap/solve.hpp"

namespace semrsm::rsm {
namespace {

// Each sample is packed once per tile, so bigger tiles amortise packing over more pairs. A
// pair's GEMM only needs its own two packed samples in L2 (they are re-read there once per
// micro-panel); the rest of the tile may wait in L3, so the budget is an L3 share, not L2.
constexpr int64_t kTilePackBytes = 4 << 20;
constexpr int64_t kMaxTile = 16;

// ---------------------------------------------------------------------------------------
// Direct reductions in double from the raw vectors.

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

// ---------------------------------------------------------------------------------------
// Per-thread scratch, reused across the pairs and tiles a worker runs.

template <class T>
struct SlotWork {
  std::vector<T> apack, bpack;  // the tile's x samples (A panels) and y samples (B panels)
  std::vector<T> cost;          // one pair's S_x x S_y cost (negated inner products)
  std::vector<T> ga, gb;        // Batch-Optimal window packs
  std::vector<int64_t> col4row;
  std::vector<int64_t> mp, mq;  // matched position pairs
  std::vector<double> keys_x, keys_y;
  std::vector<uint8_t> mark;
  lap::Workspace ws;
};

struct Tile {
  int64_t i0, i1, j0, j1;  // x samples [i0, i1) against y samples [j0, j1)
  bool diagonal;           // self mode, i0 == j0: only i < j
};

template <class T>
class Engine {
 public:
  Engine(const Samples<T>& x, const Samples<T>* y, const double* xps, const double* xs,
         const double* yps, const double* ys, const Options& opts, const Output& out)
      : x_(x),
        y_(y != nullptr ? *y : x),
        self_(y == nullptr),
        xps_(xps),
        xs_(xs),
        yps_(y != nullptr ? yps : xps),
        ys_(y != nullptr ? ys : xs),
        opts_(opts),
        out_(out),
        K_(gemm_kernels<T>(simd_level())) {
    full_cost_ = lap::needs_dense_cost(opts.matcher);
    // Every solver minimises the negated inner products (see pair()).
    solve_opts_.method = opts.matcher;
    solve_opts_.maximize = false;
    solve_opts_.auction.eps_final = opts.auction_eps;
    solve_opts_.window = std::max<int64_t>(opts.window, 1);
    // The objective of an inner-product cost is the matched linear value itself; a cosine
    // cost or an RBF request needs sums over the raw permuted vectors.
    direct_lin_ = opts.cost == CostKind::cosine || opts.matcher == Matcher::identity;
  }

  std::vector<Tile> tiles() const {
    const int64_t n = x_.n, m = self_ ? x_.n : y_.n;
    const int64_t bytes = (x_.S + y_.S) * std::max<int64_t>(x_.C, 1) * sizeof(T);
    int64_t tb = std::clamp<int64_t>(kTilePackBytes / std::max<int64_t>(bytes, 1), 1, kMaxTile);
    // Enough tiles for load balance and a lively progress bar.
    const int64_t want = 8 * static_cast<int64_t>(opts_.threads);
    while (tb > 1) {
      const int64_t bx = (n + tb - 1) / tb, by = (m + tb - 1) / tb;
      const int64_t count = self_ ? bx * (bx + 1) / 2 : bx * by;
      if (count >= want) break;
      tb = tb / 2;
    }
    std::vector<Tile> t;
    for (int64_t i0 = 0; i0 < n; i0 += tb) {
      for (int64_t j0 = self_ ? i0 : 0; j0 < m; j0 += tb) {
        const Tile tile{i0, std::min(i0 + tb, n), j0, std::min(j0 + tb, m), self_ && i0 == j0};
        if (tile.diagonal && tile.i1 - tile.i0 < 2) continue;
        t.push_back(tile);
      }
    }
    return t;
  }

  // Runs one tile; returns the number of pairs done (fewer only when cancelled) and sets
  // *st on a solver failure.
  int64_t run_tile(const Tile& t, SlotWork<T>& w, const std::atomic<bool>& cancel,
                   Status* st) {
    const int64_t Sx = x_.S, Sy = y_.S, C = x_.C;
    const int64_t sx = Sx * C, sy = Sy * C;
    const bool packed = full_cost_;
    if (packed) {
      const int64_t pa = K_.packed_a_size(Sx, C), pb = K_.packed_b_size(Sy, C);
      w.apack.resize(static_cast<size_t>(pa * (t.i1 - t.i0)));
      w.bpack.resize(static_cast<size_t>(pb * (t.j1 - t.j0)));
      const bool cos = opts_.cost == CostKind::cosine;
      for (int64_t i = t.i0; i < t.i1; ++i)
        K_.pack_a(x_.data + i * sx, x_.layout, Sx, C, nullptr, Sx, cos ? xps_ + i * Sx : nullptr,
                  w.apack.data() + (i - t.i0) * pa);
      for (int64_t j = t.j0; j < t.j1; ++j)
        K_.pack_b(y_.data + j * sy, y_.layout, Sy, C, nullptr, Sy, cos ? yps_ + j * Sy : nullptr,
                  w.bpack.data() + (j - t.j0) * pb);
      w.cost.resize(static_cast<size_t>(Sx * Sy));
    }
    w.col4row.resize(static_cast<size_t>(Sx));
    int64_t done = 0;
    for (int64_t i = t.i0; i < t.i1; ++i) {
      for (int64_t j = t.diagonal ? i + 1 : t.j0; j < t.j1; ++j) {
        if (cancel.load(std::memory_order_relaxed)) return done;
        const T* pa = packed ? w.apack.data() + (i - t.i0) * K_.packed_a_size(Sx, C) : nullptr;
        const T* pb = packed ? w.bpack.data() + (j - t.j0) * K_.packed_b_size(Sy, C) : nullptr;
        const Status s = pair(i, j, pa, pb, w);
        if (s != Status::ok) {
          *st = s;
          return done;
        }
        ++done;
      }
    }
    return done;
  }

  // Fills the self-mode diagonal: the identity is optimal for a sample against itself
  // (rearrangement inequality), so lin = |X_i|^2 and d2 = 0 without a solve.
  void fill_diagonal() {
    const int64_t n = x_.n, S = x_.S;
    for (int64_t i = 0; i < n; ++i) {
      out_.linear[i * n + i] = xs_[i];
      if (out_.d2) out_.d2[i * n + i] = 0.0;
      if (out_.perms)
        for (int64_t p = 0; p < S; ++p)
          out_.perms[(i * n + i) * S + p] = static_cast<int32_t>(p);
    }
  }

 private:
  // `cost` is this pair's scratch buffer (S_x x S_y): the exact solver may work in it in place.
  Status solve_dense(T* cost, int64_t* col4row, double* obj, lap::Workspace& ws) const {
    lap::Problem<T> p;
    p.n = x_.S;
    p.m = y_.S;
    p.scratch = cost;
    return lap::solve<T>(solve_opts_, p, lap::Solution{col4row, obj, nullptr}, ws);
  }

  Status pair(int64_t i, int64_t j, const T* pa, const T* pb, SlotWork<T>& w) {
    const int64_t Sx = x_.S, Sy = y_.S, C = x_.C;
    const T* xi = x_.data + i * Sx * C;
    const T* yj = y_.data + j * Sy * C;
    const int64_t m = self_ ? x_.n : y_.n;
    double lin = 0.0, d2 = 0.0, objective = 0.0;
    const bool want_d2 = out_.d2 != nullptr;

    if (opts_.matcher == Matcher::identity) {
      flat_sums(xi, yj, Sx * C, true, want_d2, &lin, &d2);
      store(i, j, m, lin, d2);
      return Status::ok;
    }

    int64_t* col4row = w.col4row.data();
    Status st;
    if (full_cost_) {
      // Negated inner products: every solver minimises, and no solver needs to copy the
      // matrix just to flip its sign.
      K_.gemm(pa, Sx, pb, Sy, C, w.cost.data(), Sy, true);
      st = solve_dense(w.cost.data(), col4row, &objective, w.ws);
    } else {
      st = batch_optimal(xi, yj, i, j, col4row, &objective, w);
    }
    if (st != Status::ok) return st;

    // Matched pairs in row order (fixed summation order for the direct sums).
    w.mp.clear();
    w.mq.clear();
    for (int64_t p = 0; p < Sx; ++p) {
      if (col4row[p] >= 0) {
        w.mp.push_back(p);
        w.mq.push_back(col4row[p]);
      }
    }
    const int64_t nm = static_cast<int64_t>(w.mp.size());
    if (direct_lin_ || want_d2) {
      matched_sums(xi, yj, x_.layout, Sx, Sy, C, w.mp.data(), w.mq.data(), nm, direct_lin_,
                   want_d2, &lin, &d2);
    }
    if (!direct_lin_) lin = 0.0 - objective;  // not -objective: no -0.0 for an empty match
    if (want_d2 && Sx != Sy) {
      // Zero padding: an unmatched vector is at distance |v|^2 from the zero it faces.
      const double* px = xps_ + i * Sx;
      const double* py = yps_ + j * Sy;
      w.mark.assign(static_cast<size_t>(Sy), 0);
      for (int64_t t = 0; t < nm; ++t) w.mark[w.mq[t]] = 1;
      for (int64_t p = 0; p < Sx; ++p)
        if (col4row[p] < 0) d2 += px[p];
      for (int64_t q = 0; q < Sy; ++q)
        if (!w.mark[q]) d2 += py[q];
    }
    store(i, j, m, lin, d2);
    if (out_.perms) {
      int32_t* pij = out_.perms + (i * m + j) * Sx;
      for (int64_t p = 0; p < Sx; ++p) pij[p] = static_cast<int32_t>(col4row[p]);
      if (self_) {
        int32_t* pji = out_.perms + (j * m + i) * Sx;
        for (int64_t p = 0; p < Sx; ++p) pji[col4row[p]] = static_cast<int32_t>(p);
      }
    }
    return Status::ok;
  }

  Status batch_optimal(const T* xi, const T* yj, int64_t i, int64_t j, int64_t* col4row,
                       double* objective, SlotWork<T>& w) {
    const int64_t Sx = x_.S, Sy = y_.S, C = x_.C;
    const double* px = xps_ + i * Sx;
    const double* py = yps_ + j * Sy;
    w.keys_x.resize(static_cast<size_t>(Sx));
    w.keys_y.resize(static_cast<size_t>(Sy));
    for (int64_t p = 0; p < Sx; ++p) w.keys_x[p] = std::sqrt(px[p]);
    for (int64_t q = 0; q < Sy; ++q) w.keys_y[q] = std::sqrt(py[q]);
    const bool cos = opts_.cost == CostKind::cosine;
    const int64_t win = solve_opts_.window;
    w.ga.resize(static_cast<size_t>(K_.packed_a_size(std::min(win, Sx), C)));
    w.gb.resize(static_cast<size_t>(K_.packed_b_size(std::min(win, Sy), C)));
    // Only the window blocks are ever computed: gather the window's vectors, then GEMM.
    const lap::BlockCostFn<T> block = [&](const int64_t* rows, int64_t nr, const int64_t* cols,
                                          int64_t nc, T* out) {
      if (K_.packed_a_size(nr, C) > static_cast<int64_t>(w.ga.size()))
        w.ga.resize(static_cast<size_t>(K_.packed_a_size(nr, C)));
      if (K_.packed_b_size(nc, C) > static_cast<int64_t>(w.gb.size()))
        w.gb.resize(static_cast<size_t>(K_.packed_b_size(nc, C)));
      K_.pack_a(xi, x_.layout, Sx, C, rows, nr, cos ? px : nullptr, w.ga.data());
      K_.pack_b(yj, y_.layout, Sy, C, cols, nc, cos ? py : nullptr, w.gb.data());
      K_.gemm(w.ga.data(), nr, w.gb.data(), nc, C, out, nc, true);
    };
    lap::Problem<T> p;
    p.n = Sx;
    p.m = Sy;
    p.blocks = &block;
    p.row_keys = w.keys_x.data();
    p.col_keys = w.keys_y.data();
    return lap::solve<T>(solve_opts_, p, lap::Solution{col4row, objective, nullptr}, w.ws);
  }

  void store(int64_t i, int64_t j, int64_t m, double lin, double d2) {
    out_.linear[i * m + j] = lin;
    if (out_.d2) out_.d2[i * m + j] = d2;
    if (self_) {
      out_.linear[j * m + i] = lin;
      if (out_.d2) out_.d2[j * m + i] = d2;
    }
  }

  const Samples<T> x_, y_;
  const bool self_;
  const double *xps_, *xs_, *yps_, *ys_;
  const Options opts_;
  const Output out_;
  const GemmKernels<T>& K_;
  lap::SolveOptions solve_opts_;
  bool full_cost_ = true;  // the matcher needs the whole S_x x S_y matrix
  bool direct_lin_ = false;
};

}  // namespace

int64_t pair_count(int64_t n, int64_t m, bool self) { return self ? n * (n - 1) / 2 : n * m; }

template <class T>
Status sample_norms(const Samples<T>& X, int threads, double* pos_sqnorm, double* sqnorm,
                    int64_t* bad_sample, const PollFn& poll) {
  *bad_sample = -1;
  const int64_t n = X.n, S = X.S, C = X.C;
  if (n == 0) return Status::ok;
  std::vector<uint8_t> bad(static_cast<size_t>(n), 0);
  constexpr int64_t kChunk = 16;
  const int64_t tasks = (n + kChunk - 1) / kChunk;
  const bool finished = parallel_for(
      tasks, threads,
      [&](int64_t task, int) {
        for (int64_t i = task * kChunk; i < std::min(n, (task + 1) * kChunk); ++i) {
          const T* xi = X.data + i * S * C;
          double* ps = pos_sqnorm + i * S;
          if (X.layout == Layout::feature_major) {
            for (int64_t p = 0; p < S; ++p) ps[p] = 0.0;
            for (int64_t k = 0; k < C; ++k) {
              const T* row = xi + k * S;
              for (int64_t p = 0; p < S; ++p) {
                const double v = static_cast<double>(row[p]);
                ps[p] += v * v;
              }
            }
          } else {
            for (int64_t p = 0; p < S; ++p) {
              const T* v = xi + p * C;
              double s[4] = {0, 0, 0, 0};
              int64_t k = 0;
              for (; k + 4 <= C; k += 4)
                for (int u = 0; u < 4; ++u) s[u] += static_cast<double>(v[k + u]) * v[k + u];
              for (; k < C; ++k) s[0] += static_cast<double>(v[k]) * v[k];
              ps[p] = (s[0] + s[1]) + (s[2] + s[3]);
            }
          }
          double total = 0.0;
          for (int64_t p = 0; p < S; ++p) total += ps[p];
          sqnorm[i] = total;
          // NaN and inf propagate into the sum of squares, so one test per sample suffices.
          if (!std::isfinite(total)) bad[i] = 1;
        }
      },
      poll);
  if (!finished) return Status::cancelled;
  for (int64_t i = 0; i < n; ++i) {
    if (bad[i]) {
      *bad_sample = i;
      return Status::invalid_cost;
    }
  }
  return Status::ok;
}

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

void apply_kernel(KernelKind kind, const double* linear, const double* d2, int64_t n,
                  int64_t m, const double* sqnorm_x, const double* sqnorm_y, double sigma,
                  double* out) {
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < m; ++j) {
      const int64_t e = i * m + j;
      switch (kind) {
        case KernelKind::linear: out[e] = linear[e]; break;
        case KernelKind::cosine:
          out[e] = cosine_from_linear(linear[e], sqnorm_x[i], sqnorm_y[j]);
          break;
        case KernelKind::rbf: {
          const double d = d2 != nullptr ? d2[e] : d2_from_linear(linear[e], sqnorm_x[i], sqnorm_y[j]);
          out[e] = rbf_from_d2(d, sigma);
          break;
        }
      }
    }
  }
}

double rbf_default_sigma(const double* d2, int64_t n, int64_t m, bool self) {
  std::vector<double> v;
  v.reserve(static_cast<size_t>(self ? n * (n - 1) / 2 : n * m));
  for (int64_t i = 0; i < n; ++i) {
    // Self mode: each unordered pair once. Counting (i, j) and (j, i) both would double
    // every value, which leaves the lower median unchanged.
    for (int64_t j = self ? i + 1 : 0; j < m; ++j) {
      const double d = d2[i * m + j];
      if (d != 0.0) v.push_back(d);
    }
  }
  double med = 0.0;
  if (!v.empty()) {
    const size_t k = (v.size() - 1) / 2;  // lower middle, as torch.median
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    med = v[k];
  }
  return rbf_sigma_from_median(med);
}

template Status sample_norms<float>(const Samples<float>&, int, double*, double*, int64_t*,
                                    const PollFn&);
template Status sample_norms<double>(const Samples<double>&, int, double*, double*, int64_t*,
                                     const PollFn&);
template Status semantic_linear<float>(const Samples<float>&, const Samples<float>*,
                                       const double*, const double*, const double*,
                                       const double*, const Options&, const Output&,
                                       const Control&);
template Status semantic_linear<double>(const Samples<double>&, const Samples<double>*,
                                        const double*, const double*, const double*,
                                        const double*, const Options&, const Output&,
                                        const Control&);

}  // namespace semrsm::rsm
