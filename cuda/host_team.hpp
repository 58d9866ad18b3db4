// Host teams for the CPU instantiation of the CUDA backend's LAP matchers (lap_team.hpp).
//
// ThreadTeam runs the SPMD code with `size` real threads, a barrier and a slot-per-member
// reduction: it is how the CPU tests check the ownership and barrier placement that the
// CUDA warps rely on, with any team size (1 equals SeqTeam, 32 is a warp's partitioning).
#pragma once

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace semrsm::cudabk {

class Barrier {
 public:
  explicit Barrier(int n) : n_(n) {}
  void wait() {
    std::unique_lock<std::mutex> lk(mu_);
    const unsigned long gen = gen_;
    if (++count_ == n_) {
      count_ = 0;
      ++gen_;
      cv_.notify_all();
    } else {
      cv_.wait(lk, [&] { return gen_ != gen; });
    }
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_;
  int count_ = 0;
  unsigned long gen_ = 0;
};

struct ThreadTeamShared {
  explicit ThreadTeamShared(int n) : barrier(n), slots(static_cast<size_t>(n) * 32) {}
  Barrier barrier;
  std::vector<unsigned char> slots;  // 32 bytes per member
};

class ThreadTeam {
 public:
  ThreadTeam(ThreadTeamShared* sh, int rank, int size) : sh_(sh), rank_(rank), size_(size) {}
  int rank() const { return rank_; }
  int size() const { return size_; }
  void sync() const { sh_->barrier.wait(); }
  template <class X, class F>
  X reduce(const X& x, F f) const {
    static_assert(sizeof(X) <= 32, "reduction payload too large");
    std::memcpy(&sh_->slots[static_cast<size_t>(rank_) * 32], &x, sizeof(X));
    sh_->barrier.wait();
    // Fold in a rank-dependent order: a non-commutative f would give members different
    // results and the tests would catch it, as a warp's butterfly would on the GPU.
    X acc = x;
    for (int k = 1; k < size_; ++k) {
      X other;
      std::memcpy(&other, &sh_->slots[static_cast<size_t>((rank_ + k) % size_) * 32], sizeof(X));
      acc = f(acc, other);
    }
    sh_->barrier.wait();
    return acc;
  }

 private:
  ThreadTeamShared* sh_;
  int rank_, size_;
};

// Runs body(team) on `size` threads (the caller's thread is member 0) and returns member 0's
// result; with size == 1 no thread is started.
template <class Body>
auto run_team(int size, Body body) -> decltype(body(std::declval<ThreadTeam&>())) {
  ThreadTeamShared sh(size);
  std::vector<std::thread> workers;
  for (int r = 1; r < size; ++r)
    workers.emplace_back([&sh, r, size, &body] {
      ThreadTeam t(&sh, r, size);
      body(t);
    });
  ThreadTeam t0(&sh, 0, size);
  auto result = body(t0);
  for (auto& w : workers) w.join();
  return result;
}

}  // namespace semrsm::cudabk
