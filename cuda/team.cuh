// WarpTeam: the CUDA instantiation of the team of the LAP matchers (lap_team.hpp).
// One warp solves one problem; its lanes split rows and columns by index modulo 32 and meet
// in butterfly shuffles, which leave the same value in every lane. __syncwarp() is the
// barrier *and* the memory fence between lanes for shared/global scratch.
#pragma once

#include "lap_team.hpp"

namespace semrsm::cudabk {

struct WarpTeam {
  __device__ __forceinline__ int rank() const { return threadIdx.x & 31; }
  __device__ __forceinline__ int size() const { return 32; }
  __device__ __forceinline__ void sync() const { __syncwarp(); }

  // Member-wise shuffles: a generic memcpy through an int array would put the payload in
  // local memory (a stack frame in ptxas -v), which costs an L1 round trip per round.
  __device__ __forceinline__ static double shfl_xor(double x, int lane_mask) {
    return __shfl_xor_sync(0xffffffffu, x, lane_mask);
  }
  __device__ __forceinline__ static lap_team::MinCand shfl_xor(const lap_team::MinCand& x, int lane_mask) {
    return lap_team::MinCand{__shfl_xor_sync(0xffffffffu, x.v, lane_mask),
                           __shfl_xor_sync(0xffffffffu, x.k, lane_mask),
                           __shfl_xor_sync(0xffffffffu, x.aux, lane_mask)};
  }
  __device__ __forceinline__ static lap_team::Top2 shfl_xor(const lap_team::Top2& x, int lane_mask) {
    return lap_team::Top2{__shfl_xor_sync(0xffffffffu, x.v1, lane_mask),
                        __shfl_xor_sync(0xffffffffu, x.k, lane_mask),
                        __shfl_xor_sync(0xffffffffu, x.v2, lane_mask)};
  }

  // Butterfly: after log2(32) rounds every lane holds f folded over all lanes. The shared
  // reductions are commutative and associative, so the lanes agree bit for bit.
  template <class X, class F>
  __device__ __forceinline__ X reduce(X x, F f) const {
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) x = f(x, shfl_xor(x, off));
    return x;
  }
};

}  // namespace semrsm::cudabk
