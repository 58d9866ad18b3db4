// Forward auction with epsilon scaling: Bertsekas, "The auction algorithm: a distributed
// relaxation method for the assignment problem", Ann. Oper. Res. 14 (1988); Bertsekas &
// Castanon, "A forward/reverse auction algorithm for asymmetric assignment problems" (1992).
//
// Works in the minimisation sense: row i bids for j1 = argmin_j (c_ij + p_j), raising p_j1 by
// the gap to its second best plus eps. A rectangular problem (rows the shorter side after a
// transpose) is padded with nc - nr virtual rows of cost 0, whose optimal value equals the
// rectangular optimum; the virtual rows bid like real ones but cost nothing to store.
//
// Certified bound: for any prices p, LB = sum_i min_j (c_ij + p_j) - sum_j p_j (virtual rows
// included) is a lower bound on the optimum, so objective - LB >= objective - optimum >= 0.
// With eps-complementary slackness at the end, objective - LB <= nc * eps.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/lap/detail.hpp"
#include "core/lap/kernels.hpp"
#include "core/lap/lap.hpp"

namespace semrsm::lap {
namespace {

using detail::inf;

struct Auction {
  const double* c;  // nr x nc, min sense
  int64_t nr, nc;   // rows nr..nc-1 are virtual (cost 0)
  double* q;        // q = -p, so that the kernels' c - v is c + p
  int32_t* owner;   // row4col
  int32_t* col4row;
  double spread;    // max - min finite cost: the increment where a row has one choice
  const detail::Kernels<double, double>* K;
  const double* zeros;  // the cost row of every virtual row

  // The bid kernel: the best value, its first column and the second best value (the best
  // again when it occurs twice), which is all a bid needs; two_min would also track the
  // second column, a blend chain more per vector (measured: the auction 2.1-2.4x faster with
  // bid on the AVX2 path, 1.1-1.2x on AVX-512, same results).
  void best_two(int64_t i, double* w1, int64_t* j1, double* w2) {
    const double* ci = i < nr ? c + i * nc : zeros;
    K->bid(ci, q, nc, w1, j1, w2);
  }

  // One phase at the given eps: every row starts unassigned, prices carry over.
  void phase(double eps, std::vector<int32_t>& queue) {
    const int64_t n = nc;  // padded square size
    std::fill(owner, owner + n, -1);
    std::fill(col4row, col4row + n, -1);
    queue.clear();
    for (int64_t i = 0; i < n; ++i) queue.push_back(static_cast<int32_t>(i));
    size_t head = 0;
    while (head < queue.size()) {
      const int32_t i = queue[head++];
      if (head > static_cast<size_t>(n) && head * 2 > queue.size()) {  // compact the FIFO
        queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(head));
        head = 0;
      }
      double w1, w2;
      int64_t j1;
      best_two(i, &w1, &j1, &w2);
      const double inc = (w2 < inf<double>() ? w2 - w1 : spread) + eps;
      const double old = q[j1];
      double nq = old - inc;
      if (!(nq < old)) nq = std::nextafter(old, -inf<double>());  // progress below rounding
      q[j1] = nq;
      const int32_t prev = owner[j1];
      owner[j1] = i;
      col4row[i] = static_cast<int32_t>(j1);
      if (prev >= 0) {
        col4row[prev] = -1;
        queue.push_back(prev);
      }
    }
  }

  // objective of the real rows minus the dual lower bound (see the header comment).
  double gap(double primal) {
    double lb = 0.0, sum_p = 0.0;
    for (int64_t j = 0; j < nc; ++j) sum_p += -q[j];
    for (int64_t i = 0; i < nc; ++i) {
      double w1, w2;
      int64_t j1;
      best_two(i, &w1, &j1, &w2);
      lb += w1;
    }
    lb -= sum_p;
    return std::max(0.0, primal - lb);
  }
};

}  // namespace

template <class T>
Status auction(const T* cost, int64_t n, int64_t m, bool maximize, const AuctionOptions& opts,
               int64_t* col4row, double* objective, double* prices, AuctionReport* report,
               AuctionScratch& scratch) {
  *objective = 0.0;
  if (report) *report = AuctionReport{};
  std::fill(col4row, col4row + n, int64_t{-1});
  if (n == 0 || m == 0) {
    if (prices) std::fill(prices, prices + std::max(n, m), 0.0);
    return Status::ok;
  }
  if (!(opts.eps_factor > 1.0) || !(opts.eps_final >= 0.0)) return Status::invalid_argument;
  const bool transpose = n > m;
  const int64_t nr = transpose ? m : n, nc = transpose ? n : m;
  auto& c = scratch.cost;
  c.resize(static_cast<size_t>(n * m));
  bool forbidden = false;
  Status st = detail::prepare_min<double>(cost, n, m, maximize, transpose, c.data(), &forbidden);
  if (st != Status::ok) return st;
  if (forbidden && !detail::perfect_matching_exists(c.data(), nr, nc)) return Status::infeasible;

  double lo = inf<double>(), hi = -inf<double>(), maxabs = 0.0;
  for (const double x : c) {
    if (x == inf<double>()) continue;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    maxabs = std::max(maxabs, std::abs(x));
  }
  if (maxabs == 0.0) maxabs = 1.0;
  const double spread = std::max(hi - lo, maxabs * 1e-12);
  // Absolute final eps; never so small that prices stop moving in double.
  double eps_final = (opts.eps_final > 0.0 ? opts.eps_final : 1e-6 / static_cast<double>(nc)) * maxabs;
  eps_final = std::max(eps_final, 1e-13 * maxabs);

  scratch.neg_prices.assign(nc, 0.0);
  scratch.zeros.assign(nc, 0.0);
  scratch.owner.resize(nc);
  scratch.col4row.resize(nc);
  Auction a{c.data(), nr, nc, scratch.neg_prices.data(), scratch.owner.data(),
            scratch.col4row.data(), spread, &detail::kernels<double, double>(),
            scratch.zeros.data()};
  std::vector<int32_t>& queue = scratch.queue;
  queue.reserve(2 * nc);
  double eps = std::max(spread / 4.0, eps_final);
  for (;;) {
    a.phase(eps, queue);
    if (eps <= eps_final) break;
    eps = std::max(eps / opts.eps_factor, eps_final);
  }
  // Internal rows 0..nr-1 are the real ones.
  if (transpose) {
    for (int64_t r = 0; r < nr; ++r) col4row[a.col4row[r]] = r;
  } else {
    for (int64_t r = 0; r < nr; ++r) col4row[r] = a.col4row[r];
  }
  *objective = detail::objective_of(cost, n, m, col4row);
  if (prices)
    for (int64_t j = 0; j < nc; ++j) prices[j] = -a.q[j];
  if (report) {
    double primal = 0.0;
    for (int64_t r = 0; r < nr; ++r) primal += c[r * nc + a.col4row[r]];
    report->eps_final = eps_final;
    report->bound = a.gap(primal);
  }
  return Status::ok;
}

template Status auction<float>(const float*, int64_t, int64_t, bool, const AuctionOptions&,
                               int64_t*, double*, double*, AuctionReport*, AuctionScratch&);
template Status auction<double>(const double*, int64_t, int64_t, bool, const AuctionOptions&,
                                int64_t*, double*, double*, AuctionReport*, AuctionScratch&);

}  // namespace semrsm::lap
