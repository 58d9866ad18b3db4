// The one vocabulary of the library: every matcher, kernel, cost and layout has one name and
// one integer code, defined here and nowhere else. The core engines, the bindings and the
// Python package (semrsm_native._vocabulary, built from _core.vocabulary()) all use these
// codes, so a matcher is the same number from the Python call down to the solver.
#pragma once

#include <cstddef>
#include <string_view>

namespace semrsm {

// Assignment methods. identity is "no matching" (position p with position p, the
// spatio-semantic RSM): valid for the RSM engine only, not for the LAP entry points.
enum class Method : int { hungarian = 0, greedy = 1, auction = 2, batch_optimal = 3, identity = 4 };

// Similarity kernels applied to the matched linear values (core/rsm/kernels.hpp).
enum class KernelKind : int { linear = 0, cosine = 1, rbf = 2 };

// What the RSM matcher maximises.
enum class CostKind : int {
  inner = 0,   // the summed inner products (the paper's objective)
  cosine = 1,  // the summed cosines of concept vectors; lin is still reported raw
};

// Memory layout of one sample.
enum class Layout : int {
  feature_major = 0,   // sample stored C x S: element (pos, feat) at [feat * S + pos]
  position_major = 1,  // sample stored S x C: element (pos, feat) at [pos * C + feat]
};

// A name of the vocabulary with its code.
struct NamedCode {
  const char* name;
  int code;
};

// Name tables, in code order (exported to Python by the binding's vocabulary()).
inline constexpr NamedCode kMethodNames[] = {
    {"hungarian", 0}, {"greedy", 1}, {"auction", 2}, {"batch_optimal", 3}, {"identity", 4}};
inline constexpr NamedCode kKernelNames[] = {{"linear", 0}, {"cosine", 1}, {"rbf", 2}};
inline constexpr NamedCode kCostNames[] = {{"inner", 0}, {"cosine", 1}};
inline constexpr NamedCode kLayoutNames[] = {{"feature_major", 0}, {"position_major", 1}};

// The code of `name` in one of the tables above, or -1 when the table has no such name (for
// bindings that take names, as the CUDA module does, instead of Python's codes).
template <std::size_t N>
constexpr int code_of(const NamedCode (&table)[N], std::string_view name) {
  for (const NamedCode& entry : table)
    if (name == entry.name) return entry.code;
  return -1;
}

}  // namespace semrsm
