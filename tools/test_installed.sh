#!/usr/bin/env bash
# Runs the test suite against the INSTALLED semrsm_native (e.g. the wheel from
# tools/build_wheel.sh), never the source tree: pytest runs from an empty temporary directory
# with this checkout's tests and settings, and the script stops unless `import semrsm_native`
# resolves outside the checkout. Nothing is compiled. Extra arguments go to pytest; test paths
# among them are taken relative to the checkout (default: all of tests/).
#
#   pip install "$(ls dist/semrsm_native-*.whl)[test]" && bash tools/test_installed.sh [-x ...]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
run_dir=$(mktemp -d)
trap 'rm -rf "$run_dir"' EXIT
cd "$run_dir"

python - "$src" <<'PY'
import os, sys
src = os.path.realpath(sys.argv[1])
import semrsm_native
where = os.path.realpath(semrsm_native.__file__)
if where.startswith(src + os.sep):
    sys.exit(f"test_installed: semrsm_native comes from the checkout ({where}), not an install")
print(f"test_installed: testing {os.path.dirname(where)} ({semrsm_native.build_info()['wheel_tag']})")
PY
# tests/test_wheel.py checks the same from inside the run, and what only an installed wheel has.
export SEMRSM_TEST_INSTALLED="$src"
args=() paths=()
for a in "$@"; do
  if [[ $a != -* && -e "$src/${a%%::*}" ]]; then paths+=("$src/$a"); else args+=("$a"); fi
done
[ ${#paths[@]} -gt 0 ] || paths=("$src/tests")
exec python -m pytest -c "$src/pyproject.toml" --rootdir "$src" -p no:cacheprovider \
  ${args[@]+"${args[@]}"} "${paths[@]}"
