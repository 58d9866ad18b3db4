// Run-time choice of SIMD paths. Wheels are built for the baseline ISA; wider kernels are
// compiled with per-function target attributes and selected here once per process.
#pragma once

namespace semrsm {

enum class SimdLevel : int { scalar = 0, sse2 = 1, avx2 = 2, avx512 = 3, neon = 4 };

// Best level this CPU supports, lowered by the SEMRSM_SIMD environment variable
// ("scalar", "sse2", "avx2", "avx512") so that tests can exercise every path on one machine.
SimdLevel simd_level();

const char* simd_name(SimdLevel level);

}  // namespace semrsm
