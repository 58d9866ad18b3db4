#include "core/thread_pool.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif

namespace semrsm {
namespace {

struct Job {
  const TaskFn* fn = nullptr;
  int64_t n_tasks = 0;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> finished{0};
  std::atomic<bool>* cancel = nullptr;
  std::atomic<bool> own_cancel{false};

  std::mutex mutex;
  std::condition_variable done_cv;
  int tokens_left = 0;  // workers of this job that have not finished yet
  std::exception_ptr error;

  bool cancelled() const {
    return own_cancel.load(std::memory_order_relaxed) ||
           (cancel != nullptr && cancel->load(std::memory_order_relaxed));
  }
};

struct Token {
  std::shared_ptr<Job> job;
  int slot;
};

class Pool {
 public:
  static Pool& instance() {
    // Leaked on purpose: joining threads during static destruction at interpreter exit
    // deadlocks on some platforms. The OS reclaims the idle workers.
    static Pool* pool = new Pool();
    return *pool;
  }

  void post(const std::shared_ptr<Job>& job, int threads) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int s = 0; s < threads; ++s) queue_.push_back(Token{job, s});
    // Grow so that every queued token has an idle worker: concurrent callers overlap.
    const int wanted = busy_ + static_cast<int>(queue_.size());
    while (static_cast<int>(workers_.size()) < wanted && workers_.size() < kMaxWorkers) {
      workers_.emplace_back([this] { work(); });
      workers_.back().detach();
    }
    cv_.notify_all();
  }

  int size() {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(workers_.size());
  }

 private:
  static constexpr size_t kMaxWorkers = 512;

  void work() {
    for (;;) {
      Token token;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [this] { return !queue_.empty(); });
        token = std::move(queue_.front());
        queue_.pop_front();
        ++busy_;
      }
      run(token);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        --busy_;
      }
    }
  }

  static void run(const Token& token) {
    Job& job = *token.job;
    try {
      for (;;) {
        if (job.cancelled()) break;
        const int64_t t = job.next.fetch_add(1, std::memory_order_relaxed);
        if (t >= job.n_tasks) break;
        (*job.fn)(t, token.slot);
        job.finished.fetch_add(1, std::memory_order_relaxed);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(job.mutex);
      if (!job.error) job.error = std::current_exception();
      job.own_cancel.store(true);
    }
    std::lock_guard<std::mutex> lock(job.mutex);
    if (--job.tokens_left == 0) job.done_cv.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Token> queue_;
  std::vector<std::thread> workers_;
  int busy_ = 0;
};

}  // namespace

bool parallel_for(int64_t n_tasks, int threads, const TaskFn& fn, const PollFn& poll,
                  std::atomic<bool>* cancel, int poll_interval_ms) {
  if (n_tasks <= 0) return !(cancel && cancel->load());
  if (threads < 1) threads = 1;
  if (threads > n_tasks) threads = static_cast<int>(n_tasks);

  auto job = std::make_shared<Job>();
  job->fn = &fn;
  job->n_tasks = n_tasks;
  job->cancel = cancel;
  job->tokens_left = threads;
  Pool::instance().post(job, threads);

  std::unique_lock<std::mutex> lock(job->mutex);
  while (job->tokens_left > 0) {
    job->done_cv.wait_for(lock, std::chrono::milliseconds(poll_interval_ms));
    if (job->tokens_left > 0 && poll) {
      lock.unlock();
      const bool stop = poll();
      lock.lock();
      if (stop) job->own_cancel.store(true);
    }
  }
  if (job->error) std::rethrow_exception(job->error);
  return job->finished.load() == n_tasks;
}

int pool_size() { return Pool::instance().size(); }

int available_cores() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
#endif
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

}  // namespace semrsm
