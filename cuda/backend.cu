// Host orchestration of the CUDA backend (see backend.hpp for the contract).
//
// One RSM call: validate the activations (one small device->host read: the only sync before
// the end), then for each tile of sample pairs enqueue a cost GEMM and one LAP launch whose
// sink writes the matched similarities straight into the output; finally the kernel values
// (cosine, RBF with its bandwidth found by a device sort). Nothing returns to the host per
// pair or per tile; tiles are sized to the free device memory.
#include <cub/cub.cuh>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "backend.hpp"
#include "kernels.cuh"

namespace semrsm::cudabk {

namespace {

[[noreturn]] void fail(const char* func, const std::string& what, cudaError_t e) {
  throw std::runtime_error(std::string(func) + ": " + what + ": " + cudaGetErrorName(e) + " (" +
                           cudaGetErrorString(e) + ")");
}

void check(cudaError_t e, const char* func, const char* what) {
  if (e != cudaSuccess) {
    if (e == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      throw DeviceMemoryError(std::string(func) + ": out of device memory during " + what);
    }
    fail(func, what, e);
  }
}

void check_launch(const char* func, const char* kernel) { check(cudaGetLastError(), func, kernel); }

// Every entry point starts here: a driverless or GPU-less machine gets a RuntimeError that
// says why, never a crash (cudart is static, so this is the first CUDA call).
void require_device(const char* func, int device) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    throw std::runtime_error(std::string(func) + ": no usable CUDA device: " + cudaGetErrorString(e));
  }
  if (count == 0) throw std::runtime_error(std::string(func) + ": no CUDA device found");
  if (device < 0 || device >= count)
    throw std::invalid_argument(std::string(func) + ": CUDA device index " + std::to_string(device) +
                                " out of range (" + std::to_string(count) + " devices)");
}

// Scoped device switch (faiss DeviceScope): the caller's current device is restored.
class DeviceGuard {
 public:
  DeviceGuard(int device, const char* func) {
    check(cudaGetDevice(&prev_), func, "cudaGetDevice");
    if (prev_ != device) check(cudaSetDevice(device), func, "cudaSetDevice");
  }
  ~DeviceGuard() {
    int cur = -1;
    if (cudaGetDevice(&cur) == cudaSuccess && cur != prev_) (void)cudaSetDevice(prev_);
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int prev_ = 0;
};

// Stream-ordered device buffer: freed on the same stream, so no synchronisation is needed
// and the memory returns to the pool once the queued work is done. Falls back to plain
// cudaMalloc where the driver has no memory pools.
class DevBuf {
 public:
  DevBuf() = default;
  DevBuf(size_t bytes, cudaStream_t s, const char* func, const char* what) : s_(s) {
    if (bytes == 0) return;
    cudaError_t e = cudaMallocAsync(&p_, bytes, s);
    if (e == cudaErrorNotSupported) {
      (void)cudaGetLastError();
      async_ = false;
      e = cudaMalloc(&p_, bytes);
    }
    if (e != cudaSuccess) {
      (void)cudaGetLastError();
      p_ = nullptr;
      if (e == cudaErrorMemoryAllocation)
        throw DeviceMemoryError(std::string(func) + ": cannot allocate " + std::to_string(bytes) +
                                " bytes of device memory for " + what);
      fail(func, std::string("allocating ") + what, e);
    }
  }
  ~DevBuf() { reset(); }
  DevBuf(DevBuf&& o) noexcept : p_(o.p_), s_(o.s_), async_(o.async_) { o.p_ = nullptr; }
  DevBuf& operator=(DevBuf&& o) noexcept {
    if (this != &o) {
      reset();
      p_ = o.p_; s_ = o.s_; async_ = o.async_;
      o.p_ = nullptr;
    }
    return *this;
  }
  template <class U>
  U* as() const { return static_cast<U*>(p_); }

 private:
  void reset() {
    if (!p_) return;
    if (async_) (void)cudaFreeAsync(p_, s_); else (void)cudaFree(p_);
    p_ = nullptr;
  }
  void* p_ = nullptr;
  cudaStream_t s_ = nullptr;
  bool async_ = true;
};

struct DeviceProps {
  int sms = 0, smem_optin = 0, smem_per_sm = 0;
};
DeviceProps props(int device, const char* func) {
  DeviceProps p;
  check(cudaDeviceGetAttribute(&p.sms, cudaDevAttrMultiProcessorCount, device), func, "attributes");
  check(cudaDeviceGetAttribute(&p.smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device), func,
        "attributes");
  check(cudaDeviceGetAttribute(&p.smem_per_sm, cudaDevAttrMaxSharedMemoryPerMultiprocessor, device), func,
        "attributes");
  return p;
}

// placement="auto" keeps a warp's cost matrix in shared memory only when enough warps stay
// resident per SM to hide the latency of the solver's dependent steps (each Dijkstra step is
// a scan plus a 5-round shuffle reduction). A 196 x 196 float32 matrix fits (150 KB) but
// leaves one warp per SM, so it reads from L2/HBM with ~20 warps per SM instead; a 49 x 49
// one (10 KB) stays in shared memory with ~19 warps per SM. To be confirmed on the device
// by benchmarks/bench_gpu.py, which times both placements.
constexpr int kMinResidentWarpsForSmem = 8;

// ------------------------------------------------------------------------------------------
// Launch of the warp-per-problem LAP kernel with its shared-memory plan.
template <class T, class Sink>
void launch_lap(const char* func, int device, cudaStream_t stream, ProblemCost<T> pc, int64_t B, int n,
                int m, double sign, Method method, double eps_rel, double eps_factor, Placement placement,
                const Sink& sink, std::vector<DevBuf>& keep) {
  if (B == 0) return;
  const DeviceProps dp = props(device, func);
  const int64_t K = std::max(n, m);
  const int64_t scratch_total = lap_team::scratch_bytes(n, m) + lap_team::align16(4 * K);
  const int64_t cost_bytes = lap_team::align16(static_cast<int64_t>(n) * m * sizeof(T));
  const bool fits = cost_bytes + scratch_total <= dp.smem_optin;
  const bool worth_it = fits && (dp.smem_per_sm / (cost_bytes + scratch_total)) >= kMinResidentWarpsForSmem;
  if (placement == Placement::shared && !fits)
    throw std::invalid_argument(std::string(func) + ": placement='shared' needs " +
                                std::to_string(cost_bytes + scratch_total) +
                                " bytes of shared memory per problem, the device allows " +
                                std::to_string(dp.smem_optin));
  const bool cost_smem = placement == Placement::shared || (placement == Placement::automatic && worth_it);
  LapLaunch L{};
  L.B = B; L.n = n; L.m = m; L.sign = sign; L.method = method;
  L.eps_rel = eps_rel; L.eps_factor = eps_factor;
  int warps = 4;
  if (cost_smem) {
    L.per_warp = cost_bytes + scratch_total;
    warps = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(4, dp.smem_optin / L.per_warp)));
    L.scratch_in_smem = 1;
  } else if (4 * scratch_total <= dp.smem_optin) {
    L.per_warp = scratch_total;
    L.scratch_in_smem = 1;
  } else {
    L.per_warp = 0;
    L.scratch_in_smem = 0;
  }
  const size_t dyn = static_cast<size_t>(warps * L.per_warp);
  auto kernel = cost_smem ? lap_warp_kernel<T, true, Sink> : lap_warp_kernel<T, false, Sink>;
  // >48 KB of dynamic shared memory per block needs an explicit opt-in (a 196 x 196 float32
  // matrix alone is 150 KB).
  check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(dyn)),
        func, "cudaFuncSetAttribute");
  int per_sm = 0;
  check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, warps * 32, dyn), func, "occupancy");
  if (per_sm < 1) throw std::runtime_error(std::string(func) + ": LAP kernel cannot be resident");
  const int64_t need = (B + warps - 1) / warps;
  const int grid = static_cast<int>(std::min<int64_t>(need, static_cast<int64_t>(per_sm) * dp.sms));
  if (!L.scratch_in_smem) {
    L.gscratch_stride = scratch_total;
    keep.emplace_back(static_cast<size_t>(grid) * warps * scratch_total, stream, func, "LAP scratch");
    L.gscratch = keep.back().as<unsigned char>();
  }
  keep.emplace_back(sizeof(unsigned long long), stream, func, "work counter");
  L.counter = keep.back().as<unsigned long long>();
  check(cudaMemsetAsync(L.counter, 0, sizeof(unsigned long long), stream), func, "memset");
  kernel<<<grid, warps * 32, dyn, stream>>>(L, pc, sink);
  check_launch(func, "lap_warp_kernel");
}

template <class T>
Acts<T> acts(const ActsDesc& d) {
  return Acts<T>{reinterpret_cast<const T*>(d.ptr), d.sn, d.ss, d.sc};
}

// |X_i|^2, position norms (for the cosine cost) and the finiteness check of one side.
template <class T>
void norms(const char* func, const char* side, const ActsDesc& d, cudaStream_t stream, double* sq,
           float* posnorm, std::vector<DevBuf>& keep) {
  if (d.n == 0) return;
  keep.emplace_back(static_cast<size_t>(d.n) * sizeof(int), stream, func, "flags");
  int* bad = keep.back().as<int>();
  sample_norms_kernel<T><<<static_cast<unsigned>(d.n), 256, 0, stream>>>(acts<T>(d), static_cast<int>(d.S),
                                                                          static_cast<int>(d.C), sq, posnorm, bad);
  check_launch(func, "sample_norms_kernel");
  std::vector<int> host(static_cast<size_t>(d.n));
  check(cudaMemcpyAsync(host.data(), bad, host.size() * sizeof(int), cudaMemcpyDeviceToHost, stream), func,
        "copy of the validation flags");
  check(cudaStreamSynchronize(stream), func, "validation");
  for (int64_t i = 0; i < d.n; ++i)
    if (host[static_cast<size_t>(i)])
      throw std::invalid_argument(std::string(func) + ": " + side + " contains NaN or inf in sample " +
                                  std::to_string(i));  // the CPU engine's message
}

// linear -> cosine / rbf on the device; the RBF bandwidth is the lower median of the nonzero
// off-diagonal d^2 (a device radix sort), so no matrix comes back to the host.
void finish(const char* func, cudaStream_t stream, int64_t n, int64_t m, bool symmetric, const double* xsq,
            const double* ysq, double* linear, const double* d2, double* cosine, double* rbf, double sigma,
            std::vector<DevBuf>& keep) {
  const int64_t total = n * m;
  if (total == 0 || (!cosine && !rbf)) return;
  if (total > 2147483647LL)
    throw std::invalid_argument(std::string(func) + ": RSM of " + std::to_string(total) +
                                " entries exceeds 2^31 - 1");
  keep.emplace_back(sizeof(double), stream, func, "sigma");
  double* dsigma = keep.back().as<double>();
  if (rbf) {
    keep.emplace_back(sizeof(unsigned long long), stream, func, "count");
    auto* count = keep.back().as<unsigned long long>();
    check(cudaMemsetAsync(count, 0, sizeof(unsigned long long), stream), func, "memset");
    if (sigma > 0.0) {
      rbf_sigma_kernel<<<1, 1, 0, stream>>>(nullptr, count, sigma, dsigma);
    } else {
      keep.emplace_back(static_cast<size_t>(total) * sizeof(double), stream, func, "RBF candidates");
      double* cand = keep.back().as<double>();
      keep.emplace_back(static_cast<size_t>(total) * sizeof(double), stream, func, "RBF candidates");
      double* sorted = keep.back().as<double>();
      const unsigned blocks = static_cast<unsigned>((total + 255) / 256);
      rbf_candidates_kernel<<<blocks, 256, 0, stream>>>(n, m, symmetric ? 1 : 0, d2, cand, count);
      check_launch(func, "rbf_candidates_kernel");
      size_t tmp_bytes = 0;
      check(cub::DeviceRadixSort::SortKeys(nullptr, tmp_bytes, cand, sorted, static_cast<int>(total), 0, 64,
                                           stream),
            func, "sort");
      keep.emplace_back(std::max<size_t>(tmp_bytes, 1), stream, func, "sort scratch");
      check(cub::DeviceRadixSort::SortKeys(keep.back().as<void>(), tmp_bytes, cand, sorted,
                                           static_cast<int>(total), 0, 64, stream),
            func, "sort");
      rbf_sigma_kernel<<<1, 1, 0, stream>>>(sorted, count, 0.0, dsigma);
    }
    check_launch(func, "rbf_sigma_kernel");
  }
  const unsigned blocks = static_cast<unsigned>((total + 255) / 256);
  finish_kernel<<<blocks, 256, 0, stream>>>(n, m, xsq, ysq, linear, d2, cosine, rbf, dsigma);
  check_launch(func, "finish_kernel");
}

template <class T>
void semantic_rsm_t(const RsmRequest& r, cudaStream_t stream) {
  const char* func = r.func;
  const ActsDesc& x = r.x;
  const ActsDesc& y = r.symmetric ? r.x : r.y;
  const int64_t n = x.n, m = y.n, S1 = x.S, S2 = y.S, C = x.C;
  std::vector<DevBuf> keep;
  keep.reserve(32);
  keep.emplace_back(static_cast<size_t>(n) * sizeof(double), stream, func, "norms");
  double* xsq = keep.back().as<double>();
  double* ysq = xsq;
  float *xpn = nullptr, *ypn = nullptr;
  if (r.cosine_cost && n > 0) {
    keep.emplace_back(static_cast<size_t>(n * S1) * sizeof(float), stream, func, "position norms");
    xpn = keep.back().as<float>();
    ypn = xpn;
  }
  norms<T>(func, "x", x, stream, xsq, xpn, keep);
  if (!r.symmetric) {
    keep.emplace_back(static_cast<size_t>(std::max<int64_t>(m, 1)) * sizeof(double), stream, func, "norms");
    ysq = keep.back().as<double>();
    if (r.cosine_cost && m > 0) {
      keep.emplace_back(static_cast<size_t>(m * S2) * sizeof(float), stream, func, "position norms");
      ypn = keep.back().as<float>();
    }
    norms<T>(func, "y", y, stream, ysq, ypn, keep);
  }
  double* linear = reinterpret_cast<double*>(r.linear);
  int* perm = reinterpret_cast<int*>(r.perm);
  double* d2 = reinterpret_cast<double*>(r.d2);  // the caller's, when it wants them
  if (!d2 && r.rbf && n * m > 0) {
    keep.emplace_back(static_cast<size_t>(n * m) * sizeof(double), stream, func, "RBF distances");
    d2 = keep.back().as<double>();
  }
  if (r.symmetric && n > 0) {
    diagonal_kernel<<<static_cast<unsigned>(n), 128, 0, stream>>>(n, xsq, linear, d2, perm, static_cast<int>(S1));
    check_launch(func, "diagonal_kernel");
  }
  const int64_t total_pairs = r.symmetric ? n * (n - 1) / 2 : n * m;
  if (total_pairs > 0 && S1 > 0 && S2 > 0) {
    // Tile of pairs: half of the free memory, at most 4 GiB (larger tiles only add latency).
    size_t free_b = 0, total_b = 0;
    check(cudaMemGetInfo(&free_b, &total_b), func, "cudaMemGetInfo");
    const int64_t pair_bytes = S1 * S2 * static_cast<int64_t>(sizeof(T));
    const int64_t budget = std::min<int64_t>(static_cast<int64_t>(free_b / 2), int64_t(4) << 30);
    int64_t tile = std::min<int64_t>(total_pairs, budget / pair_bytes);
    if (r.max_tile_pairs > 0) tile = std::min(tile, r.max_tile_pairs);
    if (tile < 1)
      throw DeviceMemoryError(std::string(func) + ": one " + std::to_string(S1) + " x " + std::to_string(S2) +
                              " cost matrix needs " + std::to_string(pair_bytes) + " bytes, only " +
                              std::to_string(free_b) + " bytes of device memory are free (release cached "
                              "memory, e.g. torch.cuda.empty_cache(), or use fewer positions)");
    DevBuf costs(static_cast<size_t>(tile * pair_bytes), stream, func, "pair cost matrices");
    const int tiles_mn = static_cast<int>(((S1 + kBM - 1) / kBM) * ((S2 + kBN - 1) / kBN));
    if (tiles_mn > 65535)
      throw std::invalid_argument(std::string(func) + ": " + std::to_string(S1) + " x " + std::to_string(S2) +
                                  " positions exceed the cost kernel's grid");
    for (int64_t k0 = 0; k0 < total_pairs; k0 += tile) {
      const int64_t P = std::min(tile, total_pairs - k0);
      PairMap pm{n, m, k0, r.symmetric ? 1 : 0};
      const dim3 grid(static_cast<unsigned>(P), static_cast<unsigned>(tiles_mn));
      if constexpr (std::is_same<T, float>::value) {
        if (r.precision == Precision::tf32)
          pair_cost_mma_kernel<false><<<grid, 128, 0, stream>>>(acts<float>(x), acts<float>(y), S1, S2, C, pm,
                                                                 xpn, ypn, costs.as<float>(), S1 * S2);
        else if (r.precision == Precision::bf16)
          pair_cost_mma_kernel<true><<<grid, 128, 0, stream>>>(acts<float>(x), acts<float>(y), S1, S2, C, pm,
                                                                xpn, ypn, costs.as<float>(), S1 * S2);
        else
          pair_cost_kernel<float, float, float><<<grid, 256, 0, stream>>>(
              acts<float>(x), acts<float>(y), S1, S2, C, pm, xpn, ypn, costs.as<float>(), S1 * S2, S2);
      } else {
        pair_cost_kernel<double, double, double><<<grid, 256, 0, stream>>>(
            acts<double>(x), acts<double>(y), S1, S2, C, pm, xpn, ypn, costs.as<double>(), S1 * S2, S2);
      }
      check_launch(func, "pair cost kernel");
      RsmSink<T> sink{pm, xpn, ypn, linear, perm, d2, acts<T>(x), acts<T>(y), static_cast<int>(C), ysq};
      launch_lap<T>(func, r.device, stream, ProblemCost<T>{costs.as<T>(), S1 * S2, S2, 1}, P,
                    static_cast<int>(S1), static_cast<int>(S2), -1.0, r.matcher, r.eps_rel, r.eps_factor,
                    r.placement, sink, keep);
    }
  } else if (total_pairs > 0) {
    // No positions on one side: every matched similarity is 0 and d^2 = |x|^2 + |y|^2.
    check(cudaMemsetAsync(linear, 0, static_cast<size_t>(n * m) * sizeof(double), stream), func, "memset");
    if (d2) {
      const unsigned blocks = static_cast<unsigned>((n * m + 255) / 256);
      unmatched_d2_kernel<<<blocks, 256, 0, stream>>>(n, m, r.symmetric ? 1 : 0, xsq, ysq, d2);
      check_launch(func, "unmatched_d2_kernel");
    }
  }
  finish(func, stream, n, m, r.symmetric, xsq, ysq, linear, d2, reinterpret_cast<double*>(r.cosine),
         reinterpret_cast<double*>(r.rbf), r.sigma, keep);
}

}  // namespace

// ------------------------------------------------------------------------------------------
RuntimeInfo runtime_info() {
  RuntimeInfo info;
  (void)cudaRuntimeGetVersion(&info.runtime_version);
  (void)cudaDriverGetVersion(&info.driver_version);
  const cudaError_t e = cudaGetDeviceCount(&info.device_count);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    info.device_count = 0;
    info.error = std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
    return info;
  }
  for (int d = 0; d < info.device_count; ++d) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, d) == cudaSuccess) {
      info.device_names.emplace_back(p.name);
      info.compute_capabilities.push_back(p.major * 10 + p.minor);
    }
  }
  return info;
}

void semantic_rsm(const RsmRequest& r) {
  require_device(r.func, r.device);
  DeviceGuard guard(r.device, r.func);
  const auto stream = reinterpret_cast<cudaStream_t>(r.stream);
  if (r.precision != Precision::exact && r.x.dtype != DType::f32)
    throw std::invalid_argument(std::string(r.func) + ": precision 'tf32'/'bf16' needs float32 activations");
  if (!r.symmetric && r.x.dtype != r.y.dtype)
    throw std::invalid_argument(std::string(r.func) + ": x and y must have the same dtype");
  if (r.x.S > 2147483647LL / 4 || r.y.S > 2147483647LL / 4)
    throw std::invalid_argument(std::string(r.func) + ": too many positions per sample");
  if (r.x.dtype == DType::f32) semantic_rsm_t<float>(r, stream); else semantic_rsm_t<double>(r, stream);
}

void spatio_rsm(const SpatioRequest& r) {
  require_device(r.func, r.device);
  DeviceGuard guard(r.device, r.func);
  const auto stream = reinterpret_cast<cudaStream_t>(r.stream);
  const char* func = r.func;
  std::vector<DevBuf> keep;
  const int64_t n = r.n, m = r.symmetric ? r.n : r.m, F = r.F;
  keep.emplace_back(static_cast<size_t>(std::max<int64_t>(n, 1)) * sizeof(double), stream, func, "norms");
  double* xsq = keep.back().as<double>();
  double* ysq = xsq;
  double* d2 = nullptr;
  // Norms treat the F features as F one-feature positions, which spreads them over threads.
  auto run = [&](auto tag) {
    using T = decltype(tag);
    ActsDesc dx{r.x, r.dtype, n, F, 1, F, 1, 1};
    norms<T>(func, "x", dx, stream, xsq, nullptr, keep);
    ActsDesc dy = dx;
    if (!r.symmetric) {
      keep.emplace_back(static_cast<size_t>(std::max<int64_t>(m, 1)) * sizeof(double), stream, func, "norms");
      ysq = keep.back().as<double>();
      dy = ActsDesc{r.y, r.dtype, m, F, 1, F, 1, 1};
      norms<T>(func, "y", dy, stream, ysq, nullptr, keep);
    }
    double* linear = reinterpret_cast<double*>(r.linear);
    if (n == 0 || m == 0) return;
    if (F == 0) {
      check(cudaMemsetAsync(linear, 0, static_cast<size_t>(n * m) * sizeof(double), stream), func, "memset");
      if (r.rbf) {
        keep.emplace_back(static_cast<size_t>(n * m) * sizeof(double), stream, func, "RBF distances");
        d2 = keep.back().as<double>();
        check(cudaMemsetAsync(d2, 0, static_cast<size_t>(n * m) * sizeof(double), stream), func, "memset");
      }
      return;
    }
    // The Gram matrix as one "pair" whose positions are the samples; double accumulation,
    // because the flattened vectors are long (F = S * C, 150k for a ViT layer).
    const Acts<T> ax{reinterpret_cast<const T*>(r.x), 0, F, 1};
    const Acts<T> ay{reinterpret_cast<const T*>(r.symmetric ? r.x : r.y), 0, F, 1};
    const int64_t tiles = ((n + kBM - 1) / kBM) * ((m + kBN - 1) / kBN);
    if (tiles > 65535) throw std::invalid_argument(std::string(func) + ": too many samples for one launch");
    pair_cost_kernel<T, double, double><<<dim3(1, static_cast<unsigned>(tiles)), 256, 0, stream>>>(
        ax, ay, static_cast<int>(n), static_cast<int>(m), static_cast<int>(F), PairMap{1, 1, 0, 0}, nullptr,
        nullptr, linear, 0, m);
    check_launch(func, "gram kernel");
    if (r.rbf) {
      keep.emplace_back(static_cast<size_t>(n * m) * sizeof(double), stream, func, "RBF distances");
      d2 = keep.back().as<double>();
      pair_cost_kernel<T, double, double, true><<<dim3(1, static_cast<unsigned>(tiles)), 256, 0, stream>>>(
          ax, ay, static_cast<int>(n), static_cast<int>(m), static_cast<int>(F), PairMap{1, 1, 0, 0}, nullptr,
          nullptr, d2, 0, m);
      check_launch(func, "distance kernel");
    }
  };
  if (F > 2147483647LL) throw std::invalid_argument(std::string(func) + ": too many features per sample");
  if (r.dtype == DType::f32) run(float{}); else run(double{});
  finish(func, stream, n, m, r.symmetric, xsq, ysq, reinterpret_cast<double*>(r.linear), d2,
         reinterpret_cast<double*>(r.cosine), reinterpret_cast<double*>(r.rbf), r.sigma, keep);
}

namespace {
template <class T>
void lap_batch_t(const LapRequest& r, cudaStream_t stream) {
  const char* func = r.func;
  std::vector<DevBuf> keep;
  const ProblemCost<T> pc{reinterpret_cast<const T*>(r.cost), r.n * r.m, r.m, 1};
  keep.emplace_back(static_cast<size_t>(r.B) * sizeof(int), stream, func, "status");
  int* status = keep.back().as<int>();
  keep.emplace_back(static_cast<size_t>(r.B) * sizeof(int), stream, func, "flags");
  int* has_inf = keep.back().as<int>();
  validate_costs_kernel<T><<<static_cast<unsigned>(r.B), 256, 0, stream>>>(pc, r.B, static_cast<int>(r.n),
                                                                           static_cast<int>(r.m),
                                                                           r.maximize ? 1 : 0, status, has_inf);
  check_launch(func, "validate_costs_kernel");
  std::vector<int> st(static_cast<size_t>(r.B)), inf(static_cast<size_t>(r.B));
  check(cudaMemcpyAsync(st.data(), status, st.size() * sizeof(int), cudaMemcpyDeviceToHost, stream), func, "copy");
  check(cudaMemcpyAsync(inf.data(), has_inf, inf.size() * sizeof(int), cudaMemcpyDeviceToHost, stream), func,
        "copy");
  check(cudaStreamSynchronize(stream), func, "validation");
  for (int64_t b = 0; b < r.B; ++b) {
    if (st[static_cast<size_t>(b)] != 0)
      throw std::invalid_argument(std::string(func) + ": problem " + std::to_string(b) +
                                  ": matrix contains invalid numeric entries");
    if (r.method == Method::auction && inf[static_cast<size_t>(b)])
      throw std::invalid_argument(std::string(func) + ": problem " + std::to_string(b) +
                                  ": method='auction' on the GPU needs finite costs (use 'hungarian' for "
                                  "forbidden entries)");
  }
  LapSink<T> sink{reinterpret_cast<int64_t*>(r.col), reinterpret_cast<double*>(r.objective),
                  reinterpret_cast<double*>(r.bound), status};
  launch_lap<T>(func, r.device, stream, pc, r.B, static_cast<int>(r.n), static_cast<int>(r.m),
                r.maximize ? -1.0 : 1.0, r.method, r.eps_rel, r.eps_factor, r.placement, sink, keep);
  check(cudaMemcpyAsync(st.data(), status, st.size() * sizeof(int), cudaMemcpyDeviceToHost, stream), func, "copy");
  check(cudaStreamSynchronize(stream), func, "solve");
  for (int64_t b = 0; b < r.B; ++b)
    if (st[static_cast<size_t>(b)] == lap_team::kInfeasible)
      throw std::invalid_argument(std::string(func) + ": problem " + std::to_string(b) +
                                  ": cost matrix is infeasible");
}
}  // namespace

void lap_batch(const LapRequest& r) {
  require_device(r.func, r.device);
  DeviceGuard guard(r.device, r.func);
  const auto stream = reinterpret_cast<cudaStream_t>(r.stream);
  if (r.B == 0) return;
  if (r.n > 2147483647LL / 4 || r.m > 2147483647LL / 4 || r.B > 2147483647LL)
    throw std::invalid_argument(std::string(r.func) + ": problem too large");
  if (r.n == 0 || r.m == 0) {
    // Nothing to assign: all rows unassigned, objective 0.
    if (r.n > 0)  // an empty tensor may have a null data pointer
      check(cudaMemsetAsync(reinterpret_cast<void*>(r.col), 0xff, static_cast<size_t>(r.B * r.n) * 8, stream),
            r.func, "memset");
    check(cudaMemsetAsync(reinterpret_cast<void*>(r.objective), 0, static_cast<size_t>(r.B) * 8, stream),
          r.func, "memset");
    if (r.bound)
      check(cudaMemsetAsync(reinterpret_cast<void*>(r.bound), 0, static_cast<size_t>(r.B) * 8, stream), r.func,
            "memset");
    return;
  }
  if (r.dtype == DType::f32) lap_batch_t<float>(r, stream); else lap_batch_t<double>(r, stream);
}

}  // namespace semrsm::cudabk
