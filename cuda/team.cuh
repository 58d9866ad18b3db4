// WarpTeam: the CUDA instantiation of the shared matchers' team (cpp/core/shared/lap_team.hpp).
// One warp solves one problem; its lanes split rows and columns by index modulo 32 and meet
// in butterfly shuffles, which leave the same value in every lane. __syncwarp() is the
// barrier *and* the memory fence between lanes for shared/global scratch.
#pragma once

#include <cstring>

namespace semrsm::cudabk {

struct WarpTeam {
  __device__ __forceinline__ int rank() const { return threadIdx.x & 31; }
  __device__ __forceinline__ int size() const { return 32; }
  __device__ __forceinline__ void sync() const { __syncwarp(); }

  template <class X>
  __device__ __forceinline__ static X shfl_xor(const X& x, int lane_mask) {
    constexpr int kWords = (sizeof(X) + 3) / 4;
    int w[kWords];
    memcpy(w, &x, sizeof(X));
#pragma unroll
    for (int k = 0; k < kWords; ++k) w[k] = __shfl_xor_sync(0xffffffffu, w[k], lane_mask);
    X y;
    memcpy(&y, w, sizeof(X));
    return y;
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
