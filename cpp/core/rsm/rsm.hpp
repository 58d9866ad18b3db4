// Semantic RSM engine on the CPU (Wald et al., "Decoupling Semantic Similarity from Spatial
// Alignment for Neural Networks", NeurIPS 2024).
//
// For samples X_i (S_x positions x C features) and Y_j (S_y x C), the engine computes the
// matched linear value
//     lin_ij = max over assignments P of sum_p <X_i[p], Y_j[P(p)]>
// with the chosen matcher, and optionally the squared distance d2_ij = |X_i - P Y_j|^2 and
// the assignment itself. Every kernel (linear, cosine, RBF) is a function of lin_ij (or
// d2_ij) and the two sample norms (kernels.hpp), so one matching pass serves them all.
//
// Rectangular pairs (S_x != S_y) follow the zero-padding convention: the smaller sample is
// padded with zero vectors to the larger size. Zero vectors add nothing to an inner product,
// so the optimum is the rectangular assignment of the smaller set into the larger one, and
// the norms and d2 are those of the padded samples (unmatched vectors count fully in d2).
//
// Work is cut into tiles (a block of x samples against a block of y samples). Per tile the
// samples are packed once for the cost GEMM (gemm.hpp); per pair the S_x x S_y cost goes to
// a per-thread buffer, is solved at once and reduced to scalars. Memory: the inputs, the
// outputs and O(threads x (S_x S_y + tile packs)); no all-pairs cost tensor exists.
//
// Results depend only on the pair, never on the thread that ran it or the tile it was in:
// identical for any thread count.
//
// Implementation, one job a file: engine.cpp (tiles on the thread pool), engine.hpp (one
// tile, one pair), tiling.{hpp,cpp} (tile sizes), slot_work.hpp (per-thread scratch),
// sums.hpp (direct sums in double), norms.cpp (sample_norms), kernel_values.cpp
// (apply_kernel, rbf_default_sigma).
#pragma once

#include <atomic>
#include <cstdint>

#include "core/rsm/gemm.hpp"
#include "core/rsm/kernels.hpp"
#include "core/status.hpp"
#include "core/thread_pool.hpp"
#include "core/vocabulary.hpp"

namespace semrsm::rsm {

// The matcher and cost codes are the library's one vocabulary (core/vocabulary.hpp).
using Matcher = Method;
using semrsm::CostKind;

// n samples of S positions and C features, contiguous: sample i starts at data + i * S * C.
template <class T>
struct Samples {
  const T* data = nullptr;
  int64_t n = 0;
  int64_t S = 0;
  int64_t C = 0;
  Layout layout = Layout::feature_major;
};

// Squared norm of every concept vector (pos_sqnorm, n x S) and every sample (sqnorm, n),
// summed in double in a fixed order. Returns Status::invalid_cost with *bad_sample set to the
// first sample whose squared norm is not finite (a NaN or inf in it, or a float64 value whose
// square overflows). `poll` as in parallel_for; Status::cancelled when it stopped the pass.
template <class T>
Status sample_norms(const Samples<T>& X, int threads, double* pos_sqnorm, double* sqnorm,
                    int64_t* bad_sample, const PollFn& poll);

struct Options {
  Matcher matcher = Matcher::hungarian;
  CostKind cost = CostKind::inner;
  int64_t window = 128;      // batch_optimal window (>= 1)
  double auction_eps = 0.0;  // auction final epsilon, relative (0: the solver's default)
  int threads = 1;
};

struct Output {
  double* linear = nullptr;  // n x m, required: matched linear values
  double* d2 = nullptr;      // n x m or null: |X_i - P Y_j|^2 summed directly in double
  int32_t* perms = nullptr;  // n x m x S_x or null: perms[(i m + j) S_x + p] = q, the position
                             // of Y_j matched to position p of X_i (-1 if none, S_x > S_y)
  // n x m or null: a certified bound on (optimum - matched value) of each pair's assignment,
  // so that linear <= exact <= linear + gap with an inner-product cost, up to the rounding of
  // double sums over the same cost entries in other orders: 0 for the exact matcher, the
  // primal-dual gap of the final prices for the auction (lap.hpp), a dual bound for greedy
  // and batch_optimal (lap/dual_bound.hpp: it needs the whole cost, so batch_optimal then
  // computes every entry, not only its windows), NaN for identity and, with a cosine cost,
  // for greedy and batch_optimal (a bound on the summed cosines is none on the linear value).
  double* gap = nullptr;
};

struct Control {
  const PollFn* poll = nullptr;                // run on the waiting thread, true cancels
  std::atomic<int64_t>* pairs_done = nullptr;  // advanced once per finished tile
};

// Number of pairs solved: n (n - 1) / 2 in self mode (y == nullptr), n m otherwise.
int64_t pair_count(int64_t n, int64_t m, bool self);

// Computes the outputs for x against y (y == nullptr: x against itself, only i < j is
// solved; the diagonal is the identity, the lower triangle mirrors the upper one and its
// permutations are the inverses). x_pos_sqnorm / x_sqnorm (and y's) come from sample_norms.
// Requirements checked by the caller: x and y share C and layout; S_x == S_y for
// Matcher::identity. Returns Status::cancelled when `ctl.poll` stopped it.
template <class T>
Status semantic_linear(const Samples<T>& x, const Samples<T>* y, const double* x_pos_sqnorm,
                       const double* x_sqnorm, const double* y_pos_sqnorm,
                       const double* y_sqnorm, const Options& opts, const Output& out,
                       const Control& ctl);

// out = kernel(linear or d2) for every entry (out may alias linear or d2). For RBF, d2 may be
// null, then d2_from_linear is used.
void apply_kernel(KernelKind kind, const double* linear, const double* d2, int64_t n,
                  int64_t m, const double* sqnorm_x, const double* sqnorm_y, double sigma,
                  double* out);

// The reference bandwidth: sqrt(lower median of the nonzero d2 entries) + 1e-3, where the
// entries are the off-diagonal ones in self mode and all of them otherwise. The lower middle
// value for an even count matches torch.median, which the reference code calls. With no
// nonzero entry the median is taken as 0.
double rbf_default_sigma(const double* d2, int64_t n, int64_t m, bool self);

}  // namespace semrsm::rsm
