// SEMRSM_HD marks functions compiled for both the CPU core and the CUDA kernels, so that one
// source serves both and the CPU tests exercise the logic the GPU runs.
#pragma once

#if defined(__CUDACC__)
#define SEMRSM_HD __host__ __device__ __forceinline__
#else
#define SEMRSM_HD inline
#endif
