#include "core/cpu_features.hpp"

#include <cstdlib>
#include <cstring>

namespace semrsm {
namespace {

SimdLevel detect() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    return SimdLevel::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SimdLevel::avx2;
  return SimdLevel::sse2;
#elif defined(__aarch64__)
  return SimdLevel::neon;
#else
  return SimdLevel::scalar;
#endif
}

SimdLevel parse(const char* s, SimdLevel fallback) {
  if (std::strcmp(s, "scalar") == 0) return SimdLevel::scalar;
  if (std::strcmp(s, "sse2") == 0) return SimdLevel::sse2;
  if (std::strcmp(s, "avx2") == 0) return SimdLevel::avx2;
  if (std::strcmp(s, "avx512") == 0) return SimdLevel::avx512;
  if (std::strcmp(s, "neon") == 0) return SimdLevel::neon;
  return fallback;
}

}  // namespace

SimdLevel simd_level() {
  static const SimdLevel level = [] {
    const SimdLevel best = detect();
    const char* env = std::getenv("SEMRSM_SIMD");
    if (env == nullptr || *env == '\0') return best;
    const SimdLevel asked = parse(env, best);
    // Never go above what the CPU has; NEON and x86 levels do not mix.
    if (best == SimdLevel::neon) return asked == SimdLevel::scalar ? asked : best;
    if (asked == SimdLevel::neon) return best;
    return static_cast<int>(asked) < static_cast<int>(best) ? asked : best;
  }();
  return level;
}

const char* simd_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::scalar: return "scalar";
    case SimdLevel::sse2: return "sse2";
    case SimdLevel::avx2: return "avx2";
    case SimdLevel::avx512: return "avx512";
    case SimdLevel::neon: return "neon";
  }
  return "unknown";
}

}  // namespace semrsm
