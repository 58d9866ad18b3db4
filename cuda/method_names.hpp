// Matcher names of the CUDA bindings, read through the library's one name table
// (core/vocabulary.hpp). Host code only: shared by the _cuda module and its test hooks.
#pragma once

#include <stdexcept>
#include <string>

#include "core/vocabulary.hpp"
#include "lap_team.hpp"

namespace semrsm::cudabk {

// The Method called `name`, when the team matchers implement it; otherwise
// std::invalid_argument (ValueError in Python) naming `func` and the methods the GPU runs.
inline Method gpu_method(const std::string& name, const char* func) {
  const int code = code_of(kMethodNames, name);
  if (code >= 0 && lap_team::team_method(static_cast<Method>(code))) return static_cast<Method>(code);
  throw std::invalid_argument(std::string(func) + ": unknown method '" + name +
                              "' (the GPU runs 'hungarian', 'greedy' and 'auction')");
}

}  // namespace semrsm::cudabk
