/* Two glibc symbols that gcc 12's static libstdc++ refers to and that the wheel's glibc target
 * (tools/zig-cuda-link, 2.28) lacks. Hidden: they bind inside the CUDA module only, so a newer
 * glibc's own definitions are neither replaced nor used by it. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* glibc 2.32: libstdc++ skips atomic reference counting while it is nonzero. Zero ("threads may
 * exist") always takes the atomic path, which is correct whether or not threads exist. */
__attribute__((visibility("hidden"))) char __libc_single_threaded = 0;

/* glibc 2.36: one of std::random_device's sources (linked in with libstdc++'s string code; the
 * module never constructs one). The same contract from getentropy (glibc 2.25): uniformly
 * random, never fails (glibc aborts too when the kernel has no randomness to give). */
__attribute__((visibility("hidden"))) uint32_t arc4random(void) {
  uint32_t value;
  if (getentropy(&value, sizeof value) != 0) abort();
  return value;
}
