# Per-file instruction sets for the run-time-dispatched SIMD kernels.
#
# The GEMM kernels select AVX2 / AVX-512 with `#pragma GCC target`, which GCC honours and
# Clang ignores (Clang, e.g. Zig's, builds the wheels: tools/build_wheel.sh). Under Clang these
# files alone get the matching -m flags; never the whole target, so every other file stays at
# the x86-64 baseline and the wheel runs on any x86-64 CPU. The functions of these files are
# only called after simd_level() has checked the CPU (cpp/core/cpu_features.cpp), and they live
# in an anonymous namespace, so the wider instructions cannot leak into shared inline code
# (tools/check_simd.py checks the built module for that). The LAP kernels use per-function
# target attributes, which both compilers honour, and need nothing here.
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang" AND CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
  set_source_files_properties(
    ${CMAKE_CURRENT_SOURCE_DIR}/cpp/core/rsm/gemm_avx2.cpp
    PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma")
  set_source_files_properties(
    ${CMAKE_CURRENT_SOURCE_DIR}/cpp/core/rsm/gemm_avx512.cpp
    PROPERTIES COMPILE_OPTIONS "-mavx512f;-mavx512dq;-mavx512bw;-mavx512vl;-mavx2;-mfma")
endif()
