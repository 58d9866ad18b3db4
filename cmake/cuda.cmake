# Optional CUDA backend: the private module semrsm_native._cuda.
#
# SEMRSM_CUDA (top-level cache variable): AUTO builds it when a CUDA toolkit is found, ON
# requires one (a missing toolkit is a configure error, so a GPU build can never silently
# come out CPU-only; torch-linear-assignment #30), OFF skips it. Whether a GPU is visible at
# build time never matters: the module is compiled for a fixed list of architectures.
#
# SEMRSM_CUDA_ARCHS overrides the architectures (CMake syntax, e.g. "90" during development).
# The default ships machine code for Ampere, Hopper and Blackwell plus PTX for the newest,
# so a later GPU can JIT it ("no kernel image is available", torch-linear-assignment #21).

string(TOUPPER "${SEMRSM_CUDA}" _semrsm_cuda_mode)
if(_semrsm_cuda_mode STREQUAL "OFF")
  message(STATUS "semrsm_native: CUDA backend disabled (SEMRSM_CUDA=OFF)")
  return()
endif()
if(NOT _semrsm_cuda_mode MATCHES "^(AUTO|ON)$")
  message(FATAL_ERROR "SEMRSM_CUDA must be AUTO, ON or OFF, got '${SEMRSM_CUDA}'")
endif()

include(CheckLanguage)
check_language(CUDA)
if(NOT CMAKE_CUDA_COMPILER)
  if(_semrsm_cuda_mode STREQUAL "ON")
    message(FATAL_ERROR "semrsm_native: SEMRSM_CUDA=ON but no CUDA compiler was found "
                        "(set CMAKE_CUDA_COMPILER or put nvcc on PATH)")
  endif()
  message(STATUS "semrsm_native: no CUDA toolkit found; building the CPU backend only")
  return()
endif()

set(SEMRSM_CUDA_ARCHS "80-real;90-real;100" CACHE STRING
    "CUDA architectures of the _cuda module (CMake CUDA_ARCHITECTURES syntax)")
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
  set(CMAKE_CUDA_ARCHITECTURES "${SEMRSM_CUDA_ARCHS}")
endif()
enable_language(CUDA)
set(CMAKE_CUDA_STANDARD 17)
set(CMAKE_CUDA_STANDARD_REQUIRED ON)
find_package(CUDAToolkit REQUIRED)

file(GLOB SEMRSM_CUDA_SOURCES CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_SOURCE_DIR}/cuda/*.cu ${CMAKE_CURRENT_SOURCE_DIR}/cuda/*.cpp)
# SEMRSM_CUDA_LINKER: a link driver for _cuda instead of nvcc's host compiler. The wheel build
# (tools/build_wheel.sh) sets tools/zig-cuda-link: its C++ compiler, Zig's clang with libc++,
# cannot parse CUDA's host headers, so _cuda is then compiled entirely by nvcc and its host
# compiler (the binding too) and linked against an old glibc by Zig. _cuda shares no C++
# objects with _core (Python objects and integers cross between them, nothing else), so the two
# modules may use different C++ standard libraries.
set(SEMRSM_CUDA_LINKER "" CACHE FILEPATH "Link driver of the _cuda module (default: nvcc's host compiler)")
if(SEMRSM_CUDA_LINKER)
  set_source_files_properties(${SEMRSM_CUDA_SOURCES} PROPERTIES LANGUAGE CUDA)
  set(CMAKE_CUDA_HOST_LINK_LAUNCHER "${SEMRSM_CUDA_LINKER}")
endif()
pybind11_add_module(_cuda MODULE WITH_SOABI ${SEMRSM_CUDA_SOURCES})
target_include_directories(_cuda PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cpp ${CMAKE_CURRENT_SOURCE_DIR}/cuda)
# cudart linked statically: the module imports on a machine with a driver but no toolkit,
# and on a machine with neither (the first CUDA call then reports the missing driver).
set_target_properties(_cuda PROPERTIES
  CUDA_RUNTIME_LIBRARY Static
  CUDA_ARCHITECTURES "${CMAKE_CUDA_ARCHITECTURES}"
  CUDA_SEPARABLE_COMPILATION OFF
  CUDA_VISIBILITY_PRESET hidden)
target_link_libraries(_cuda PRIVATE Threads::Threads CUDA::cudart_static)
semrsm_private_pybind11_internals(_cuda)
# -Xfatbin=-compress-all: every architecture's image and the PTX stored compressed (the driver
# decompresses the one it loads), which keeps the wheel small with three architectures inside.
target_compile_options(_cuda PRIVATE
  $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr -lineinfo -Xcudafe --diag_suppress=20012
  -Xfatbin=-compress-all>)
string(REPLACE ";" "," _semrsm_archs_str "${CMAKE_CUDA_ARCHITECTURES}")
target_compile_definitions(_cuda PRIVATE
  SEMRSM_CUDA_ARCHS="${_semrsm_archs_str}"
  SEMRSM_CUDA_TOOLKIT="${CMAKE_CUDA_COMPILER_VERSION}")
install(TARGETS _cuda DESTINATION semrsm_native)

# The backend's host/device code run on the CPU, for the test suite only (never imported by
# the package): host compiler, no CUDA runtime, so its tests need no GPU.
pybind11_add_module(_cuda_testing MODULE WITH_SOABI ${CMAKE_CURRENT_SOURCE_DIR}/cuda/testing/module.cpp)
target_include_directories(_cuda_testing PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cpp ${CMAKE_CURRENT_SOURCE_DIR}/cuda)
target_link_libraries(_cuda_testing PRIVATE Threads::Threads)
semrsm_private_pybind11_internals(_cuda_testing)
install(TARGETS _cuda_testing DESTINATION semrsm_native)
message(STATUS "semrsm_native: CUDA backend for architectures ${CMAKE_CUDA_ARCHITECTURES} "
               "(nvcc ${CMAKE_CUDA_COMPILER_VERSION})")
