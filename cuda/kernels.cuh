// CUDA kernels of the semantic RSM pipeline. Host orchestration is in backend.cu.
//
//   pair_cost_kernel        cost matrices of a tile of sample pairs, CUDA-core FMA (fp32/fp64)
//   pair_cost_mma_kernel    the same on tensor cores (tf32 or bf16 inputs, fp32 accumulation)
//   lap_warp_kernel         one warp per assignment problem (shared matchers), cost matrix in
//                           shared memory when it fits, results reduced right away by a sink
//   sample_norms_kernel     |X_i|^2, per-position norms, non-finite detection
//   finish_kernel, ...      linear -> cosine / rbf, RBF bandwidth on the device
#pragma once

#include <cuda_runtime.h>
#include <mma.h>
#include <cuda_bf16.h>

#include <cstdint>

#include "core/rsm/kernels.hpp"
#include "lap_team.hpp"
#include "pairs.hpp"
#include "pipeline.hpp"
#include "team.cuh"

namespace semrsm::cudabk {

namespace lt = semrsm::cudabk::lap_team;

// ------------------------------------------------------------------------------------------
// ------------------------------------------------------------------------------------------
// Cost of every pair of the tile: out[k][s][t] = <x_i[s], y_j[t]> (row-major S1 x S2), or the
// cosine of the two concept vectors when pos norms are given (0 when either vector is zero).
// The block's phases (load, FMA, store) are PairTile in pipeline.hpp, shared with the CPU
// emulation the tests run; this kernel only adds shared memory and the barriers.
template <class T, class Acc, class Out, bool kDist = false>
__global__ void __launch_bounds__(256) pair_cost_kernel(Acts<T> x, Acts<T> y, int S1, int S2, int C,
                                                        PairMap pm, const float* xpn,
                                                        const float* ypn, Out* out,
                                                        int64_t out_pair_stride, int64_t ld) {
  using Tile = PairTile<T, Acc, kDist>;
  __shared__ __align__(16) Acc As[kBK][kBM + 4];
  __shared__ __align__(16) Acc Bs[kBK][kBN + 4];
  int64_t i, j;
  pm.pair(blockIdx.x, i, j);
  const int tiles_n = (S2 + kBN - 1) / kBN;
  const int row0 = (blockIdx.y / tiles_n) * kBM, col0 = (blockIdx.y % tiles_n) * kBN;
  const int tid = threadIdx.x;
  Acc acc[4][4] = {};
  for (int c0 = 0; c0 < C; c0 += kBK) {
    Tile::load(tid, x, y, i, j, S1, S2, C, row0, col0, c0, As, Bs);
    __syncthreads();
    Tile::compute(tid, As, Bs, acc);
    __syncthreads();
  }
  Tile::store(tid, acc, i, j, S1, S2, row0, col0, xpn, ypn, out + static_cast<int64_t>(blockIdx.x) * out_pair_stride, ld);
}

// Tensor-core variant (float32 activations only). kBf16 = false: TF32 (10-bit mantissa,
// products exact in fp32 accumulation, relative input rounding 2^-11); true: BF16 (7-bit
// mantissa, rounding 2^-8). 4 warps, each a 32 x 32 quarter of the 64 x 64 tile as 2 x 2
// fragments of 16 x 16; the accumulators are staged through shared memory for the bounds
// checks and the cosine epilogue.
template <bool kBf16>
__global__ void __launch_bounds__(128) pair_cost_mma_kernel(Acts<float> x, Acts<float> y, int S1, int S2,
                                                            int C, PairMap pm, const float* xpn,
                                                            const float* ypn, float* out,
                                                            int64_t out_pair_stride) {
  using namespace nvcuda;
  using In = typename std::conditional<kBf16, __nv_bfloat16, float>::type;
  constexpr int kLd = kBf16 ? kBK + 8 : kBK + 4;  // rows stay 16/32-byte aligned for wmma
  constexpr int kFragK = kBf16 ? 16 : 8;
  __shared__ __align__(32) In As[kBM][kLd];
  __shared__ __align__(32) In Bs[kBN][kLd];
  __shared__ __align__(32) float Cs[kBM][kBN + 4];
  int64_t i, j;
  pm.pair(blockIdx.x, i, j);
  const int tiles_n = (S2 + kBN - 1) / kBN;
  const int row0 = (blockIdx.y / tiles_n) * kBM, col0 = (blockIdx.y % tiles_n) * kBN;
  const int tid = threadIdx.x, warp = tid >> 5;
  const int wm = (warp >> 1) * 32, wn = (warp & 1) * 32;
  using FragA = typename std::conditional<
      kBf16, wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major>,
      wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major>>::type;
  using FragB = typename std::conditional<
      kBf16, wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major>,
      wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::col_major>>::type;
  wmma::fragment<wmma::accumulator, 16, 16, kFragK, float> acc[2][2];
#pragma unroll
  for (int a = 0; a < 2; ++a)
#pragma unroll
    for (int b = 0; b < 2; ++b) wmma::fill_fragment(acc[a][b], 0.0f);
  for (int c0 = 0; c0 < C; c0 += kBK) {
#pragma unroll
    for (int q = 0; q < 8; ++q) {
      const int e = tid + q * 128;
      int s, c;
      if (x.sc == 1) { c = e & 15; s = e >> 4; } else { s = e & 63; c = e >> 6; }
      const int gs = row0 + s, gc = c0 + c;
      As[s][c] = In((gs < S1 && gc < C) ? x.at(i, gs, gc) : 0.0f);
      if (y.sc == 1) { c = e & 15; s = e >> 4; } else { s = e & 63; c = e >> 6; }
      const int gt = col0 + s, gc2 = c0 + c;
      Bs[s][c] = In((gt < S2 && gc2 < C) ? y.at(j, gt, gc2) : 0.0f);
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kBK; kk += kFragK) {
      FragA fa[2];
      FragB fb[2];
#pragma unroll
      for (int a = 0; a < 2; ++a) {
        wmma::load_matrix_sync(fa[a], &As[wm + 16 * a][kk], kLd);
        wmma::load_matrix_sync(fb[a], &Bs[wn + 16 * a][kk], kLd);
        if constexpr (!kBf16) {
#pragma unroll
          for (int e = 0; e < fa[a].num_elements; ++e) fa[a].x[e] = wmma::__float_to_tf32(fa[a].x[e]);
#pragma unroll
          for (int e = 0; e < fb[a].num_elements; ++e) fb[a].x[e] = wmma::__float_to_tf32(fb[a].x[e]);
        }
      }
#pragma unroll
      for (int a = 0; a < 2; ++a)
#pragma unroll
        for (int b = 0; b < 2; ++b) wmma::mma_sync(acc[a][b], fa[a], fb[b], acc[a][b]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int a = 0; a < 2; ++a)
#pragma unroll
    for (int b = 0; b < 2; ++b)
      wmma::store_matrix_sync(&Cs[wm + 16 * a][wn + 16 * b], acc[a][b], kBN + 4, wmma::mem_row_major);
  __syncthreads();
  float* o = out + static_cast<int64_t>(blockIdx.x) * out_pair_stride;
  for (int e = tid; e < kBM * kBN; e += 128) {
    const int s = row0 + e / kBN, t = col0 + e % kBN;
    if (s >= S1 || t >= S2) continue;
    float v = Cs[e / kBN][e % kBN];
    if (xpn) {
      const float nx = xpn[i * S1 + s], ny = ypn[j * S2 + t];
      v = (nx > 0.f && ny > 0.f) ? v / (nx * ny) : 0.f;
    }
    o[static_cast<int64_t>(s) * S2 + t] = v;
  }
}

// ------------------------------------------------------------------------------------------
// One warp per assignment problem. Persistent grid: warps take problems from an atomic
// counter (solve times vary a lot between problems), so the grid is sized to what is
// resident. Each warp owns `per_warp` bytes of dynamic shared memory: the problem's cost
// matrix when kCostSmem (laid out so the exact solver always walks contiguous rows), then
// the matcher scratch unless that lives in global memory (huge problems).
struct LapLaunch {
  int64_t B;                // problems
  int n, m;                 // rows and columns of every problem
  double sign;              // +1 minimise, -1 maximise
  Method method;            // hungarian, greedy or auction (lt::team_method)
  double eps_rel, eps_factor;
  int64_t per_warp;         // dynamic shared bytes per warp
  int scratch_in_smem;
  unsigned char* gscratch;  // per resident warp, when scratch is in global memory
  int64_t gscratch_stride;
  unsigned long long* counter;  // zeroed before the launch
};

template <class T>
struct ProblemCost {  // where problem b's matrix lives in global memory
  const T* base;
  int64_t bstride, rs, cs;
};

template <class T, bool kCostSmem, class Sink>
__global__ void __launch_bounds__(128) lap_warp_kernel(LapLaunch L, ProblemCost<T> pc, Sink sink) {
  extern __shared__ __align__(16) unsigned char smem[];
  WarpTeam team;
  const int lane = team.rank();
  const int warp = threadIdx.x >> 5;
  const int gwarp = blockIdx.x * (blockDim.x >> 5) + warp;
  unsigned char* mine = smem + static_cast<int64_t>(warp) * L.per_warp;
  const int n = L.n, m = L.m;
  const bool transpose_smem = (L.method == Method::hungarian) && n > m;
  const int64_t cost_bytes = kCostSmem ? lt::align16(static_cast<int64_t>(n) * m * sizeof(T)) : 0;
  unsigned char* scratch_base =
      L.scratch_in_smem ? mine + cost_bytes : L.gscratch + static_cast<int64_t>(gwarp) * L.gscratch_stride;
  const int K = n > m ? n : m;
  const lt::Scratch s = lt::Scratch::carve(scratch_base, n, m);
  int* col4row = reinterpret_cast<int*>(scratch_base + lt::scratch_bytes(n, m));
  (void)K;
  for (;;) {
    unsigned long long b = 0;
    if (lane == 0) b = atomicAdd(L.counter, 1ull);
    b = __shfl_sync(0xffffffffu, b, 0);
    if (b >= static_cast<unsigned long long>(L.B)) break;
    const T* g = pc.base + static_cast<int64_t>(b) * pc.bstride;
    lt::CostView<T> view{g, pc.rs, pc.cs, L.sign};
    if constexpr (kCostSmem) {
      T* cs = reinterpret_cast<T*>(mine);
      // Stored so that the solver's rows are contiguous: transposed when the exact solver
      // will run on the transpose (n > m), since strided columns would hit one bank.
      const int64_t total = static_cast<int64_t>(n) * m;
      for (int64_t e = lane; e < total; e += 32) {
        const int r = static_cast<int>(e / m), c = static_cast<int>(e - static_cast<int64_t>(r) * m);
        const T v = g[r * pc.rs + c * pc.cs];
        if (transpose_smem) cs[static_cast<int64_t>(c) * n + r] = v; else cs[e] = v;
      }
      __syncwarp();
      view = transpose_smem ? lt::CostView<T>{cs, 1, n, L.sign} : lt::CostView<T>{cs, m, 1, L.sign};
    }
    double bound = 0.0, eps_used = 0.0;
    const int st = lt::solve_problem(team, view, n, m, L.method, L.eps_rel, L.eps_factor, s, col4row,
                                     &bound, &eps_used);
    __syncwarp();
    sink(team, static_cast<int64_t>(b), g, pc.rs, pc.cs, col4row, n, m, st, bound);
    __syncwarp();
  }
}

// Results of linear_sum_assignment_batch: col4row (int64, -1 unassigned), objective of the
// original matrix, the auction's certified bound, status.
template <class T>
struct LapSink {
  int64_t* col;
  double* objective;
  double* bound;
  int* status;
  __device__ void operator()(const WarpTeam& team, int64_t b, const T* g, int64_t rs, int64_t cs,
                             const int* col4row, int n, int m, int st, double bnd) const {
    double part = 0.0;
    for (int r = team.rank(); r < n; r += 32) {
      const int c = col4row[r];
      col[b * n + r] = st == lt::kOk ? c : -1;
      if (st == lt::kOk && c >= 0) part += static_cast<double>(g[r * rs + c * cs]);
    }
    part = team.reduce(part, lt::SumOp());
    if (team.rank() == 0) {
      objective[b] = st == lt::kOk ? part : 0.0;
      if (bound) bound[b] = bnd;
      status[b] = st;
    }
  }
};

// ------------------------------------------------------------------------------------------
// Per sample: |X_i|^2 (double), optionally the norm of every position's concept vector, and
// a flag when anything is non-finite (a NaN/inf anywhere makes the sum non-finite).
template <class T>
__global__ void sample_norms_kernel(Acts<T> x, int S, int C, double* sq, float* posnorm, int* bad) {
  __shared__ double red[256];
  const int64_t i = blockIdx.x;
  double total = 0.0;
  for (int s = threadIdx.x; s < S; s += blockDim.x) {
    double p = 0.0;
    for (int c = 0; c < C; ++c) {
      const double v = static_cast<double>(x.at(i, s, c));
      p += v * v;
    }
    if (posnorm) posnorm[i * S + s] = static_cast<float>(sqrt(p));
    total += p;
  }
  red[threadIdx.x] = total;
  __syncthreads();
  for (int w = blockDim.x / 2; w > 0; w >>= 1) {
    if (threadIdx.x < w) red[threadIdx.x] += red[threadIdx.x + w];
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    sq[i] = red[0];
    bad[i] = isfinite(red[0]) ? 0 : 1;
  }
}

// Validation of user cost matrices before any solve (no assert on user data in a kernel):
// status 2 = NaN or an infinity of the wrong sign; has_inf marks forbidden entries.
template <class T>
__global__ void validate_costs_kernel(ProblemCost<T> pc, int64_t B, int n, int m, int maximize,
                                      int* status, int* has_inf) {
  const int64_t b = blockIdx.x;
  if (b >= B) return;
  int bad = 0, inf = 0;
  const int64_t total = static_cast<int64_t>(n) * m;
  for (int64_t e = threadIdx.x; e < total; e += blockDim.x) {
    const int r = static_cast<int>(e / m), c = static_cast<int>(e % m);
    const double v = static_cast<double>(pc.base[b * pc.bstride + r * pc.rs + c * pc.cs]);
    if (isnan(v) || (maximize ? v == HUGE_VAL : v == -HUGE_VAL)) bad = 1;
    if (isinf(v)) inf = 1;
  }
  bad = __syncthreads_or(bad);
  inf = __syncthreads_or(inf);
  if (threadIdx.x == 0) {
    status[b] = bad ? lt::kInvalid : 0;
    has_inf[b] = inf;
  }
}

// Self-pairs: the identity is optimal (rearrangement inequality), so linear = |X_i|^2.
__global__ void diagonal_kernel(int64_t n, const double* sq, double* linear, double* d2, int* perm, int S) {
  const int64_t i = blockIdx.x;
  if (threadIdx.x == 0) {
    linear[i * n + i] = sq[i];
    if (d2) d2[i * n + i] = 0.0;
  }
  if (perm)
    for (int s = threadIdx.x; s < S; s += blockDim.x) perm[(i * n + i) * S + s] = s;
}

// Candidates of the RBF bandwidth: nonzero d^2 off the diagonal (all entries for x vs y);
// zeros are written as +inf so that a sort puts them last and `count` says how many count.
__global__ void rbf_candidates_kernel(int64_t n, int64_t m, int symmetric, const double* d2, double* cand,
                                      unsigned long long* count) {
  const int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (e >= n * m) return;
  const int64_t i = e / m, j = e % m;
  const double d = d2[e];
  const bool use = d > 0.0 && !(symmetric && i == j);
  cand[e] = use ? d : HUGE_VAL;
  if (use) atomicAdd(count, 1ull);
}

// Samples without positions: nothing is matched, so d^2 = |x_i|^2 + |y_j|^2.
__global__ void unmatched_d2_kernel(int64_t n, int64_t m, int symmetric, const double* xsq, const double* ysq,
                                    double* d2) {
  const int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (e >= n * m) return;
  const int64_t i = e / m, j = e % m;
  d2[e] = (symmetric && i == j) ? 0.0 : xsq[i] + ysq[j];
}

// The reference bandwidth from the lower median of the candidates (the lower middle, as
// torch.median in the reference code), by the CPU engine's formula (core/rsm/kernels.hpp).
__global__ void rbf_sigma_kernel(const double* sorted, const unsigned long long* count,
                                 double user_sigma, double* sigma) {
  if (user_sigma > 0.0) { *sigma = user_sigma; return; }
  const unsigned long long c = *count;
  *sigma = rsm::rbf_sigma_from_median(c == 0 ? 0.0 : sorted[(c - 1) / 2]);
}

// Cosine and RBF values from the matched linear values, d^2 and the sample norms, by the CPU
// engine's formulas and constants (core/rsm/kernels.hpp).
__global__ void finish_kernel(int64_t n, int64_t m, const double* xsq, const double* ysq,
                              const double* linear, const double* d2, double* cosine, double* rbf,
                              const double* sigma) {
  const int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (e >= n * m) return;
  const int64_t i = e / m, j = e % m;
  const double lin = linear[e];
  if (cosine) {
    cosine[e] = rsm::cosine_from_linear(lin, xsq[i], ysq[j]);
  }
  if (rbf) {
    rbf[e] = rsm::rbf_from_d2(d2[e], *sigma);
  }
}

}  // namespace semrsm::cudabk
