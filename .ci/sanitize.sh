#!/usr/bin/env bash
# CI step (issue 14): build the native core and the bindings with AddressSanitizer and
# UndefinedBehaviorSanitizer into their own venv and build directory, then run the LAP and RSM
# test modules with the ASan runtime preloaded into Python. Together these modules call every
# entry point of semrsm_native._core (exact and approximate LAP, batches, the RSM engine with
# every matcher, kernel and layout, the GEMM levels, cancellation), so a memory error or
# undefined behaviour anywhere in the native code fails this step.
#
# Environment: SANITIZE_VENV (default: a fresh temporary directory), PYTHON (default python3),
# SANITIZE_PYTEST_ARGS (extra pytest arguments, e.g. "-x").
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

python_bin=${PYTHON:-python3}
venv=${SANITIZE_VENV:-"$(mktemp -d)/venv-sanitize"}
if [ ! -x "$venv/bin/python" ]; then
  "$python_bin" -m venv "$venv"
fi
# shellcheck disable=SC1091
. "$venv/bin/activate"
python -m pip install -q --upgrade pip
python -m pip install -q scikit-build-core pybind11 cmake ninja numpy tqdm scipy pytest hypothesis \
  scikit-image  # test_bounds.py's photo family reads scikit-image's photographs

# Its own build directory, so the sanitized objects never mix with a release build's.
# Release flags are overridden by the -O1 -g that cmake/sanitizers.cmake adds.
python -m pip install -q --no-build-isolation --no-deps \
  -C build-dir=build/sanitize \
  -C cmake.define.SEMRSM_CUDA=OFF \
  -C cmake.define.SEMRSM_SANITIZE=address,undefined \
  -C install.strip=false \
  .

asan_rt=$(gcc -print-file-name=libasan.so)
cxx_rt=$(gcc -print-file-name=libstdc++.so)
for lib in "$asan_rt" "$cxx_rt"; do
  if [ ! -e "$lib" ]; then
    echo "sanitize: gcc cannot find $lib" >&2
    exit 1
  fi
done
# The interpreter itself (and numpy's caches) "leak" by design at exit, so leak detection is off
# here, and the RSS test (tests/test_leaks.py) runs in the normal suite only: ASan's quarantine
# holds freed memory on purpose, so resident memory would grow under it.
# ASan must be first in the link order, hence the preload; libstdc++ goes with it because the
# interpreter does not link it, and ASan's __cxa_throw interceptor must find the real one when it
# starts (else the first C++ exception aborts: "real___cxa_throw != 0", google/sanitizers#934).
# UBSan halts on its first finding.
export LD_PRELOAD="$asan_rt $cxx_rt"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export CI=1

# Name the module under test (the installed, sanitized one; the package lives under python/).
python - <<'PY'
import semrsm_native, semrsm_native._core as c
print("sanitize: testing", c.__file__)
PY
status=0
# shellcheck disable=SC2086
python -m pytest -q -p no:cacheprovider ${SANITIZE_PYTEST_ARGS:-} \
  -m "not slow and not gpu" \
  tests/test_lap_exact.py tests/test_lap_approx.py tests/test_lap_threads.py \
  tests/test_rsm.py tests/test_rsm_matchers.py tests/test_threads_identical.py \
  tests/test_lsa_inputs.py tests/test_topk.py tests/test_bounds.py || status=$?
echo "sanitize: ASan/UBSan test run took $(( $(date +%s) - start )) s (build included)"
exit $status
