#include "core/cpu_features.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace semrsm {
namespace {

#if defined(__x86_64__) || defined(__i386__)
// CPUID and XGETBV read directly rather than through __builtin_cpu_supports: the compiler
// runtime behind that builtin differs per toolchain, and Zig's (which builds the wheels,
// tools/build_wheel.sh) reports no features at all. A level counts only if the CPU has the
// instructions AND the OS saves the registers they use (XCR0), as the Intel SDM prescribes.
uint64_t xcr0() {
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}
#endif

SimdLevel detect() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return SimdLevel::sse2;
  const bool osxsave = c & (1u << 27), avx = c & (1u << 28), fma = c & (1u << 12);
  if (!osxsave || !avx) return SimdLevel::sse2;
  const uint64_t xcr = xcr0();
  if ((xcr & 0x6) != 0x6) return SimdLevel::sse2;  // XMM and YMM state
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return SimdLevel::sse2;
  const bool avx2 = b & (1u << 5);
  const bool avx512 = (b & (1u << 16)) && (b & (1u << 17)) && (b & (1u << 30)) &&
                      (b & (1u << 31));  // F, DQ, BW, VL
  if (avx512 && avx2 && fma && (xcr & 0xE0) == 0xE0) return SimdLevel::avx512;  // opmask, ZMM
  if (avx2 && fma) return SimdLevel::avx2;
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
