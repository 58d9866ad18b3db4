// Status codes returned by every native entry point. The core never throws across its
// public boundary for expected conditions; the binding layer maps these to exceptions.
#pragma once

namespace semrsm {

enum class Status : int {
  ok = 0,
  infeasible = 1,    // no complete assignment avoids the forbidden (+inf / -inf) entries
  invalid_cost = 2,  // NaN, or -inf when minimising / +inf when maximising
  invalid_argument = 3,
  cancelled = 4,     // a cancel flag was raised (Ctrl-C in Python)
  out_of_memory = 5,
};

inline const char* status_message(Status s) {
  switch (s) {
    case Status::ok: return "ok";
    case Status::infeasible: return "cost matrix is infeasible";
    case Status::invalid_cost: return "matrix contains invalid numeric entries";
    case Status::invalid_argument: return "invalid argument";
    case Status::cancelled: return "cancelled";
    case Status::out_of_memory: return "out of memory";
  }
  return "unknown status";
}

}  // namespace semrsm
