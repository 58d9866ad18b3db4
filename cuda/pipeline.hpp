// Host/device pieces of the RSM pipeline: compiled into the kernels (kernels.cuh) and into
// the CPU emulation of the GPU pipeline in testing/module.cpp (host_rsm), which the CPU tests compare
// with the CPU engine, so the GEMM tiling, the pair mapping and the reductions of the sink
// are checked without a GPU.
#pragma once

#include <cstdint>

#include "core/hd.hpp"
#include "lap_team.hpp"
#include "pairs.hpp"

namespace semrsm::cudabk {

namespace lt = semrsm::cudabk::lap_team;

// Fixed-trip loops over a thread's register tile must unroll on the GPU, or acc[][] would be
// indexed at run time and live in local memory.
#if defined(__CUDACC__)
#define SEMRSM_UNROLL _Pragma("unroll")
#else
#define SEMRSM_UNROLL
#endif

// Strided view of activations: element (sample, position, feature).
template <class T>
struct Acts {
  const T* p;
  int64_t sn, ss, sc;
  SEMRSM_HD T at(int64_t i, int64_t s, int64_t c) const { return p[i * sn + s * ss + c * sc]; }
};

// Tiles of the pair cost GEMM: 64 x 64 outputs per block of 256 threads, 4 x 4 per thread;
// the input tiles go through shared memory k-major so that a thread's four rows/columns are
// one 16-byte read. Loads follow whichever of position/feature has unit stride, so NCHW
// (positions contiguous) and NTD (features contiguous) both coalesce.
constexpr int kBM = 64, kBN = 64, kBK = 16;

// kDist = true accumulates sum_c (x - y)^2 instead (the spatio-semantic RBF distance summed
// directly, so identical samples give exactly 0, as on the CPU).
template <class T, class Acc, bool kDist>
struct PairTile {
  SEMRSM_HD static void load(int tid, const Acts<T>& x, const Acts<T>& y, int64_t i, int64_t j, int S1, int S2,
                             int C, int row0, int col0, int c0, Acc (*As)[kBM + 4], Acc (*Bs)[kBN + 4]) {
    SEMRSM_UNROLL
    for (int q = 0; q < 4; ++q) {
      const int e = tid + q * 256;
      int s, c;
      if (x.sc == 1) { c = e & 15; s = e >> 4; } else { s = e & 63; c = e >> 6; }
      const int gs = row0 + s, gc = c0 + c;
      As[c][s] = (gs < S1 && gc < C) ? static_cast<Acc>(x.at(i, gs, gc)) : Acc(0);
      if (y.sc == 1) { c = e & 15; s = e >> 4; } else { s = e & 63; c = e >> 6; }
      const int gt = col0 + s, gc2 = c0 + c;
      Bs[c][s] = (gt < S2 && gc2 < C) ? static_cast<Acc>(y.at(j, gt, gc2)) : Acc(0);
    }
  }
  SEMRSM_HD static void compute(int tid, const Acc (*As)[kBM + 4], const Acc (*Bs)[kBN + 4], Acc (&acc)[4][4]) {
    const int tx = tid & 15, ty = tid >> 4;
    SEMRSM_UNROLL
    for (int k = 0; k < kBK; ++k) {
      Acc a[4], b[4];
      SEMRSM_UNROLL
      for (int q = 0; q < 4; ++q) { a[q] = As[k][ty * 4 + q]; b[q] = Bs[k][tx * 4 + q]; }
      SEMRSM_UNROLL
      for (int r = 0; r < 4; ++r)
        SEMRSM_UNROLL
        for (int q = 0; q < 4; ++q) {
          if constexpr (kDist) {
            const Acc d = a[r] - b[q];
            acc[r][q] += d * d;
          } else {
            acc[r][q] += a[r] * b[q];
          }
        }
    }
  }
  template <class Out>
  SEMRSM_HD static void store(int tid, const Acc (&acc)[4][4], int64_t i, int64_t j, int S1, int S2, int row0,
                              int col0, const float* xpn, const float* ypn, Out* o, int64_t ld) {
    const int tx = tid & 15, ty = tid >> 4;
    SEMRSM_UNROLL
    for (int r = 0; r < 4; ++r) {
      const int s = row0 + ty * 4 + r;
      if (s >= S1) continue;
      SEMRSM_UNROLL
      for (int q = 0; q < 4; ++q) {
        const int t = col0 + tx * 4 + q;
        if (t >= S2) continue;
        Acc v = acc[r][q];
        if (xpn) {
          const float nx = xpn[i * S1 + s], ny = ypn[j * S2 + t];
          v = (nx > 0.f && ny > 0.f) ? v / (static_cast<Acc>(nx) * static_cast<Acc>(ny)) : Acc(0);
        }
        o[static_cast<int64_t>(s) * ld + t] = static_cast<Out>(v);
      }
    }
  }
};

// Results of one RSM tile: the matched linear similarity sum_s <x_i[s], y_j[pi(s)]> of the
// raw vectors (the cosine cost is undone with the position norms), written to (i, j) and,
// for x against itself, (j, i); optionally the permutation and its inverse, and the RBF
// distance |x_i - P y_j|^2 summed directly over the matched vectors (unmatched positions
// count as matched to zero), which avoids the cancellation of |x|^2 + |y|^2 - 2 lin and
// gives exactly 0 for identical samples, as the CPU engine does.
template <class T>
struct RsmSink {
  PairMap pm;
  const float* xpn;  // position norms when the cost was cosine, else null
  const float* ypn;
  double* linear;    // n x m
  int* perm;         // n x m x S1 or null
  double* d2;        // n x m or null
  Acts<T> xa, ya;
  int C;
  const double* ysq;
  template <class Team>
  SEMRSM_HD void operator()(const Team& team, int64_t b, const T* g, int64_t rs, int64_t cs,
                            const int* col4row, int n, int m, int, double) const {
    // Activations are validated finite before any launch, so every status here is kOk.
    int64_t i, j;
    pm.pair(b, i, j);
    const int lane = team.rank();
    double part = 0.0;
    for (int r = lane; r < n; r += team.size()) {
      const int c = col4row[r];
      if (c < 0) continue;
      double v = static_cast<double>(g[r * rs + c * cs]);
      if (xpn) v *= static_cast<double>(xpn[i * n + r]) * static_cast<double>(ypn[j * m + c]);
      part += v;
    }
    part = team.reduce(part, lt::SumOp());
    if (lane == 0) {
      linear[i * pm.m + j] = part;
      if (pm.symmetric) linear[j * pm.m + i] = part;
    }
    if (perm) {
      for (int r = lane; r < n; r += team.size()) {
        const int c = col4row[r];
        perm[(i * pm.m + j) * n + r] = c;
        if (pm.symmetric && c >= 0) perm[(j * pm.m + i) * n + c] = r;
      }
    }
    if (d2) {
      // Lanes split the features of one matched pair at a time (coalesced for NTD input).
      double acc = 0.0, ymatched = 0.0;
      for (int r = 0; r < n; ++r) {
        const int c = col4row[r];
        if (c >= 0) {
          for (int f = lane; f < C; f += team.size()) {
            const double yv = static_cast<double>(ya.at(j, c, f));
            const double dv = static_cast<double>(xa.at(i, r, f)) - yv;
            acc += dv * dv;
            ymatched += yv * yv;
          }
        } else {
          for (int f = lane; f < C; f += team.size()) {
            const double xv = static_cast<double>(xa.at(i, r, f));
            acc += xv * xv;
          }
        }
      }
      acc = team.reduce(acc, lt::SumOp());
      ymatched = team.reduce(ymatched, lt::SumOp());
      if (m > n) {  // y positions left unmatched contribute |y_t|^2
        const double rest = ysq[j] - ymatched;
        acc += rest > 0.0 ? rest : 0.0;
      }
      if (lane == 0) {
        d2[i * pm.m + j] = acc;
        if (pm.symmetric) d2[j * pm.m + i] = acc;
      }
    }
  }
};

}  // namespace semrsm::cudabk
