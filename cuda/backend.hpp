// Host entry points of the CUDA backend. Plain C++ (no CUDA types), so that the pybind11
// binding (module.cpp) compiles with the host compiler. Every function:
//   - checks for a usable driver/device first and throws std::runtime_error naming `func`
//     when there is none (the module itself imports without a driver: cudart is static and
//     nothing touches CUDA before the first call);
//   - switches to `device` with a scoped guard and restores the caller's device on return;
//   - enqueues all work on `stream` (the caller's current stream; 0 is the legacy default);
//   - throws std::invalid_argument for bad input (-> ValueError), DeviceMemoryError when the
//     problem cannot fit the free device memory (-> MemoryError), std::runtime_error for
//     CUDA failures.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/vocabulary.hpp"

namespace semrsm::cudabk {

struct DeviceMemoryError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class DType : int { f32 = 0, f64 = 1 };
enum class Precision : int { exact = 0, tf32 = 1, bf16 = 2 };
enum class Placement : int { automatic = 0, shared = 1, global = 2 };

struct RuntimeInfo {
  int device_count = 0;
  std::string error;  // empty when the runtime works
  int driver_version = 0;
  int runtime_version = 0;
  std::vector<std::string> device_names;
  std::vector<int> compute_capabilities;  // major * 10 + minor
};
RuntimeInfo runtime_info();

// Activations of one side: element (sample, position, feature) at
// ptr + sample * sn + position * ss + feature * sc (strides in elements).
struct ActsDesc {
  uintptr_t ptr = 0;
  DType dtype = DType::f32;
  int64_t n = 0, S = 0, C = 0;
  int64_t sn = 0, ss = 0, sc = 0;
};

struct RsmRequest {
  const char* func = "semantic_rsm";
  ActsDesc x, y;               // y ignored when symmetric
  bool symmetric = true;
  Method matcher = Method::hungarian;  // hungarian, greedy or auction (lap_team::team_method)
  bool cosine_cost = false;    // match by cosine of concept vectors instead of inner products
  Precision precision = Precision::exact;
  double eps_rel = 0.0, eps_factor = 7.0;
  uintptr_t linear = 0;        // n x m float64, always written
  uintptr_t cosine = 0, rbf = 0;  // n x m float64 or 0
  uintptr_t perm = 0;          // n x m x S1 int32 or 0
  uintptr_t d2 = 0;            // n x m float64 or 0: the matched squared distances
                               // |x_i - P y_j|^2, summed directly (the CPU engine's d2; a tile
                               // of a stored RBF RSM keeps them for the bandwidth's median)
  double sigma = 0.0;          // <= 0: the reference rule
  int device = 0;
  uintptr_t stream = 0;
  Placement placement = Placement::automatic;
  int64_t max_tile_pairs = 0;  // 0: sized from free memory (tests force small tiles)
};
void semantic_rsm(const RsmRequest& req);

// Classic RSM of flattened samples: x (n, F) and y (m, F) row-major, contiguous.
struct SpatioRequest {
  const char* func = "spatio_semantic_rsm";
  uintptr_t x = 0, y = 0;
  DType dtype = DType::f32;
  int64_t n = 0, m = 0, F = 0;
  bool symmetric = true;
  uintptr_t linear = 0, cosine = 0, rbf = 0;
  double sigma = 0.0;
  int device = 0;
  uintptr_t stream = 0;
};
void spatio_rsm(const SpatioRequest& req);

// Batch of dense problems (B, n, m), C-contiguous.
struct LapRequest {
  const char* func = "linear_sum_assignment_batch";
  uintptr_t cost = 0;
  DType dtype = DType::f64;
  int64_t B = 0, n = 0, m = 0;
  bool maximize = false;
  Method method = Method::hungarian;  // hungarian, greedy or auction (lap_team::team_method)
  double eps_rel = 0.0, eps_factor = 7.0;
  uintptr_t col = 0;        // (B, n) int64
  uintptr_t objective = 0;  // (B,) float64
  uintptr_t bound = 0;      // (B,) float64 or 0
  int device = 0;
  uintptr_t stream = 0;
  Placement placement = Placement::automatic;
};
void lap_batch(const LapRequest& req);

}  // namespace semrsm::cudabk
