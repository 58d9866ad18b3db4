# semrsm_native/_build.py: how this build was made, for build_info() and `semrsm info`.
#
# Written at configure time into the build tree and installed next to the modules, so a wheel
# or an installed package says which compilers, options and CUDA settings produced it; a
# source checkout has no such file (build_info() then says "source tree").
# SEMRSM_BUILD_TOOLCHAIN (environment) names the toolchain; tools/build_wheel.sh sets it.
if(DEFINED ENV{SEMRSM_BUILD_TOOLCHAIN})
  set(_semrsm_toolchain "$ENV{SEMRSM_BUILD_TOOLCHAIN}")
else()
  set(_semrsm_toolchain "source build (pip install)")
endif()
if(TARGET _cuda)
  set(_semrsm_cuda_built "True")
  if(CMAKE_CUDA_HOST_COMPILER)
    set(_semrsm_cuda_host "${CMAKE_CUDA_HOST_COMPILER}")
  else()
    set(_semrsm_cuda_host "nvcc's default")
  endif()
  set(_semrsm_cuda_compiler "nvcc ${CMAKE_CUDA_COMPILER_VERSION}, host compiler ${_semrsm_cuda_host}")
  set(_semrsm_cuda_archs "${CMAKE_CUDA_ARCHITECTURES}")
else()
  set(_semrsm_cuda_built "False")
  set(_semrsm_cuda_compiler "")
  set(_semrsm_cuda_archs "")
endif()
if(SEMRSM_SANITIZE)
  set(_semrsm_sanitize "${SEMRSM_SANITIZE}")
else()
  set(_semrsm_sanitize "")
endif()
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/cmake/_build.py.in ${CMAKE_CURRENT_BINARY_DIR}/_build.py @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/_build.py DESTINATION semrsm_native)
