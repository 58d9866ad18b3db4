// The library's own thread pool. We do not use OpenMP so that we never load a second
// OpenMP runtime next to Torch's (a source of crashes reported against faiss wheels).
//
// Workers are created on demand and kept for the life of the process. Several callers may
// run jobs at the same time (two Python threads with the GIL released): the pool grows so
// that each posted job gets its own workers instead of queueing behind another job.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

namespace semrsm {

// fn(task, slot): task in [0, n_tasks), slot in [0, threads) identifies the worker of this
// job, so callers can keep one scratch workspace per slot. Which slot runs which task is not
// deterministic; results must depend on the task index only.
using TaskFn = std::function<void(int64_t task, int slot)>;

// Called on the submitting thread about every poll_interval_ms while the job runs; returning
// true cancels the job (remaining tasks are skipped, running ones finish). The binding layer
// uses it to check for Ctrl-C while the workers compute.
using PollFn = std::function<bool()>;

// Runs fn for every task on `threads` workers (threads >= 1) and returns when all have
// finished. Returns true when every task ran, false when the job was cancelled through
// `poll` or `cancel`. The first exception thrown by a task is rethrown here after the
// job has drained. The calling thread only waits and polls; it does no task itself.
bool parallel_for(int64_t n_tasks, int threads, const TaskFn& fn, const PollFn& poll = nullptr,
                  std::atomic<bool>* cancel = nullptr, int poll_interval_ms = 50);

// Number of worker threads the pool holds now (for build_info and tests).
int pool_size();

// Cores available to this process (sched_getaffinity where supported).
int available_cores();

}  // namespace semrsm
