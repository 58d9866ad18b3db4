#include <pybind11/pybind11.h>

#include "core/cpu_features.hpp"
#include "core/thread_pool.hpp"
#include "core/vocabulary.hpp"

namespace py = pybind11;

namespace semrsm::bind {

namespace {

std::string compiler() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("gcc ") + __VERSION__;
#elif defined(_MSC_VER)
  return "msvc " + std::to_string(_MSC_VER);
#else
  return "unknown";
#endif
}

template <size_t N>
py::dict table(const NamedCode (&names)[N]) {
  py::dict d;
  for (const NamedCode& e : names) d[e.name] = e.code;
  return d;
}

}  // namespace

void register_info(py::module_& m) {
  m.def("native_info", []() {
    py::dict d;
    d["version"] = SEMRSM_VERSION;
    d["compiler"] = compiler();
    d["simd"] = simd_name(simd_level());
    d["available_cores"] = available_cores();
    d["pool_threads"] = pool_size();
    return d;
  }, "Facts about the compiled core (see semrsm_native.build_info).");
  m.def("available_cores", &available_cores);
  m.def("vocabulary", []() {
    py::dict d;
    d["method"] = table(kMethodNames);
    d["kernel"] = table(kKernelNames);
    d["cost"] = table(kCostNames);
    d["layout"] = table(kLayoutNames);
    return d;
  }, "The names and integer codes of core/vocabulary.hpp: {'method'|'kernel'|'cost'|'layout': {name: code}}.");
}

}  // namespace semrsm::bind
