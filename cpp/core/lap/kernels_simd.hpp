// The kernel templates every SIMD level defines (kernels_avx2.cpp, kernels_avx512.cpp): one
// list, expanded inside each level's namespace, as declarations for kernels.cpp and as the
// explicit instances the level's file compiles. AVX-512 also has a fused relax_argmin and
// collect (declared and instantiated in its own file and kernels.cpp).
#pragma once

#include <cstdint>

// Declarations, for use inside namespace semrsm::lap::detail::<level>.
#define SEMRSM_LAP_SIMD_KERNELS                                                                \
  template <class Tc, class W>                                                                 \
  W relax(const Tc*, const W*, W*, int32_t*, int64_t, W, int32_t);                             \
  template <class W>                                                                           \
  int64_t argmin_free(const W*, const int32_t*, int64_t, W);                                   \
  template <class T>                                                                           \
  void two_min(const T*, const T*, int64_t, T*, int64_t*, T*, int64_t*);                       \
  template <class Tc, class W>                                                                 \
  W row_min(const Tc*, const W*, int64_t);                                                     \
  template <class T>                                                                           \
  void col_min(const T*, T*, int32_t*, int64_t, T, int32_t);                                      \
  template <class T>                                                                           \
  uint32_t copy_check(const T*, T*, int64_t, bool);                                            \
  template <class T>                                                                           \
  void bid(const T*, const T*, int64_t, T*, int64_t*, T*);

// The instances kernels.cpp dispatches to: each kernel for T costs and duals ...
#define SEMRSM_LAP_SIMD_INSTANCES_OF(T)                                                        \
  template T relax<T, T>(const T*, const T*, T*, int32_t*, int64_t, T, int32_t);               \
  template int64_t argmin_free<T>(const T*, const int32_t*, int64_t, T);                       \
  template void two_min<T>(const T*, const T*, int64_t, T*, int64_t*, T*, int64_t*);           \
  template T row_min<T, T>(const T*, const T*, int64_t);                                       \
  template void col_min<T>(const T*, T*, int32_t*, int64_t, T, int32_t);                          \
  template uint32_t copy_check<T>(const T*, T*, int64_t, bool);                                \
  template void bid<T>(const T*, const T*, int64_t, T*, int64_t*, T*);

// ... for float and double, and the repair's float-cost / double-dual ones.
#define SEMRSM_LAP_SIMD_INSTANCES                                                              \
  SEMRSM_LAP_SIMD_INSTANCES_OF(float)                                                          \
  SEMRSM_LAP_SIMD_INSTANCES_OF(double)                                                         \
  template double relax<float, double>(const float*, const double*, double*, int32_t*,         \
                                       int64_t, double, int32_t);                              \
  template double row_min<float, double>(const float*, const double*, int64_t);
