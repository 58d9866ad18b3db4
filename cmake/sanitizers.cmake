# Optional sanitizer build of the native core and the bindings (issue 14).
#
# SEMRSM_SANITIZE: a comma- or semicolon-separated list of sanitizers, e.g. "address,undefined";
# empty (the default) builds without them. Only for testing: the resulting module needs the
# ASan runtime preloaded into Python (LD_PRELOAD=$(gcc -print-file-name=libasan.so)), which
# .ci/sanitize.sh does. Frame pointers and -O1 keep the reports' stack traces readable;
# -fno-sanitize-recover makes UBSan findings fatal instead of a line on stderr nobody reads.
set(SEMRSM_SANITIZE "" CACHE STRING "Sanitizers for the native code, e.g. address,undefined")

if(SEMRSM_SANITIZE)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    message(FATAL_ERROR "SEMRSM_SANITIZE needs GCC or Clang, got ${CMAKE_CXX_COMPILER_ID}")
  endif()
  string(REPLACE ";" "," _semrsm_sanitize "${SEMRSM_SANITIZE}")
  foreach(_san IN LISTS SEMRSM_SANITIZE)
    string(REPLACE "," ";" _san_list "${_san}")
    foreach(_one IN LISTS _san_list)
      if(NOT _one MATCHES "^(address|undefined|leak)$")
        message(FATAL_ERROR "SEMRSM_SANITIZE: unknown sanitizer '${_one}' (address, undefined, leak)")
      endif()
    endforeach()
  endforeach()
  message(STATUS "semrsm_native: sanitizers on: ${_semrsm_sanitize}")
  set(_semrsm_san_flags -fsanitize=${_semrsm_sanitize} -fno-sanitize-recover=all
      -fno-omit-frame-pointer -g -O1)
  foreach(_target IN ITEMS semrsm_core _core _testing)
    if(TARGET ${_target})
      target_compile_options(${_target} PRIVATE ${_semrsm_san_flags})
      target_link_options(${_target} PRIVATE -fsanitize=${_semrsm_sanitize})
    endif()
  endforeach()
endif()
