// Shared helpers of the binding layer: the only C++ that knows about Python.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <stdexcept>
#include <string>
#include <utility>

#include "core/status.hpp"
#include "core/thread_pool.hpp"

namespace semrsm::bind {

namespace py = pybind11;

// Runs fn(task, slot) for n_tasks tasks on `threads` pool workers with the GIL released.
// The calling thread waits and, every 50 ms, takes the GIL to run pending signal handlers:
// Ctrl-C cancels the job (running tasks finish, the rest are skipped) and KeyboardInterrupt
// is raised here once every worker has stopped, so no thread is left running.
template <class Fn>
void run_parallel(int64_t n_tasks, int threads, Fn&& fn) {
  bool interrupted = false;
  {
    py::gil_scoped_release release;
    const TaskFn task = std::forward<Fn>(fn);
    parallel_for(n_tasks, threads, task, [&interrupted]() {
      py::gil_scoped_acquire gil;
      if (PyErr_CheckSignals() != 0) {
        interrupted = true;
        return true;
      }
      return false;
    });
  }
  if (interrupted) throw py::error_already_set();
}

// Maps a core status to the exception type scipy uses for the same condition.
[[noreturn]] inline void throw_status(Status st, const std::string& where) {
  const std::string msg = where.empty() ? status_message(st) : where + ": " + status_message(st);
  switch (st) {
    case Status::cancelled: throw py::error_already_set();
    case Status::out_of_memory: throw std::bad_alloc();
    default: throw py::value_error(msg);
  }
}

}  // namespace semrsm::bind
