#!/usr/bin/env bash
# Every GPU check in one command: build for the GPU that is present, run the GPU tests
# (tests/test_gpu.py: the backend, issue 4; tests/gpu/test_gpu_block.py: semantic_rsm_block,
# the store and dask-cuda on the GPU, issue 9), run the GPU benchmark, print a summary. Fails loudly when nvidia-smi finds no GPU, when the
# build is not a CUDA build, or when every GPU test skipped. Target: < 5 minutes on an H200.
#
#   tests/gpu/run.sh                # from the repository root or anywhere
#   PYTHON=python3.12 tests/gpu/run.sh
#   SEMRSM_GPU_PYTHON=.venv/bin/python tests/gpu/run.sh   # install into an existing env
#
# Offline-safe: builds with --no-build-isolation --no-deps in a venv that sees the system
# site-packages (torch, cupy, pytest, numpy, scikit-build-core, pybind11, cmake, ninja).
# Outputs go to benchmarks/results/gpu.{md,json}, build/gpu-run/, and $OUT when it is set.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
T0=$(date +%s)
LOG="$ROOT/build/gpu-run"
mkdir -p "$LOG"
die() { echo; echo "=== GPU RUN FAILED: $* ===" >&2; [ -n "${OUT:-}" ] && cp -r "$LOG" "$OUT/" 2>/dev/null; exit 1; }
step() { echo; echo "=== [$(( $(date +%s) - T0 )) s] $* ==="; }

step "GPU"
command -v nvidia-smi >/dev/null || die "nvidia-smi not found"
nvidia-smi -L | tee "$LOG/nvidia-smi.txt" | grep -q "GPU" || die "nvidia-smi finds no GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv | tee -a "$LOG/nvidia-smi.txt"
CC=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' .')
# Machine code for the present GPU only (a fast build); the shipped default is 80;90;100+PTX.
ARCHS=${SEMRSM_CUDA_ARCHS:-$CC}

step "build (SEMRSM_CUDA=ON, architectures $ARCHS)"
PY=${PYTHON:-python3}
if [ -n "${SEMRSM_GPU_PYTHON:-}" ]; then
  VPY=$SEMRSM_GPU_PYTHON  # an existing environment (e.g. a project venv) instead of a new one
else
  VENV="$ROOT/build/gpu-venv"
  if [ -x "$VENV/bin/python" ] || "$PY" -m venv --system-site-packages "$VENV" >"$LOG/venv.log" 2>&1; then
    VPY="$VENV/bin/python"
  else
    # No venv support (e.g. no ensurepip): install into the interpreter itself.
    echo "(cannot create a venv, see $LOG/venv.log; installing into $PY)"
    VPY=$PY
    export PIP_BREAK_SYSTEM_PACKAGES=1
  fi
fi
"$VPY" -m pip install --no-build-isolation --no-deps --no-index -q \
  -Ccmake.define.SEMRSM_CUDA=ON -Ccmake.define.SEMRSM_CUDA_ARCHS="$ARCHS" . >"$LOG/build.log" 2>&1 \
  || { tail -50 "$LOG/build.log"; die "build failed (log: $LOG/build.log)"; }
(cd /tmp && "$VPY" -c "import semrsm_native, json; i = semrsm_native.build_info(); print(json.dumps(i, indent=1)); assert i['cuda'] and i['cuda_device_count'] > 0, 'CUDA backend built but no device seen'") \
  | tee "$LOG/build_info.json" || die "the installed package is not a working CUDA build"

step "GPU tests"
# The device tests only: the CPU tests of the shared GPU logic (tests/test_gpu_shared_logic.py)
# run in CI on every machine with a toolkit. conftest.py needs hypothesis, which the GPU image
# may lack; the device tests do not use it.
TESTS=(tests/test_gpu.py tests/gpu/test_gpu_block.py)
EXTRA=(--noconftest)
# -W default: a stray DeprecationWarning from torch/cupy must not fail a one-shot GPU run.
timeout 210 "$VPY" -m pytest "${TESTS[@]}" "${EXTRA[@]}" -q -rs -W default -p no:cacheprovider \
  --junitxml="$LOG/junit.xml" 2>&1 | tee "$LOG/pytest.txt"
PYTEST_RC=${PIPESTATUS[0]}
# Counts of the device tests proper (tests/test_gpu.py, tests/gpu/test_gpu_block.py), apart from
# the CPU shared-logic ones.
read -r NTESTS NSKIP NFAIL < <("$VPY" - "$LOG/junit.xml" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print(0, 0, 1); sys.exit()
t = sk = f = 0
for case in root.iter("testcase"):
    cls = case.get("classname", "") + " " + case.get("file", "")
    if "test_gpu" not in cls or "shared_logic" in cls:
        continue
    t += 1
    sk += case.find("skipped") is not None
    f += case.find("failure") is not None or case.find("error") is not None
print(t, sk, f)
PYEOF
)

step "GPU benchmark (--quick)"
timeout 120 "$VPY" benchmarks/bench_gpu.py --quick --out benchmarks/results/gpu 2>&1 | tee "$LOG/bench.txt"
BENCH_RC=${PIPESTATUS[0]}

step "summary"
echo "device tests (tests/test_gpu.py, tests/gpu/test_gpu_block.py): $NTESTS collected, $NSKIP skipped, $NFAIL failed/errored; pytest rc $PYTEST_RC (all files)"
echo "benchmark: rc $BENCH_RC (benchmarks/results/gpu.md)"
[ -f benchmarks/results/gpu.md ] && cat benchmarks/results/gpu.md
if [ -n "${OUT:-}" ]; then
  cp -r "$LOG" "$OUT/" 2>/dev/null
  cp benchmarks/results/gpu.md benchmarks/results/gpu.json "$OUT/" 2>/dev/null
fi
echo "total: $(( $(date +%s) - T0 )) s"
[ "$NTESTS" -gt 0 ] || die "no tests collected"
[ "$NSKIP" -lt "$NTESTS" ] || die "every GPU test skipped"
[ "$PYTEST_RC" -eq 0 ] || die "GPU tests failed"
[ "$BENCH_RC" -eq 0 ] || die "benchmark failed or timed out (partial results in benchmarks/results/gpu.*)"
echo "=== GPU RUN PASSED ==="
