"""What the installed package promises on a cluster node (issue 10).

Import is quick, loads no CUDA library and needs no compiler; and, when the suite runs against an
installed wheel (tools/test_installed.sh sets SEMRSM_TEST_INSTALLED to the checkout's path), the
package really comes from the install, carries its build description, and its native modules
need no glibc newer than its manylinux tag says and no C++ runtime of the system.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import semrsm_native

CHECKOUT = os.environ.get("SEMRSM_TEST_INSTALLED")
installed_only = pytest.mark.skipif(not CHECKOUT, reason="runs against an installed wheel only "
                                    "(tools/test_installed.sh)")
PACKAGE_DIR = Path(semrsm_native.__file__).resolve().parent


def _run(code: str, env: dict[str, str] | None = None) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True)
    return out.stdout


def test_import_loads_no_cuda_library():
    # The CUDA module and its runtime are loaded on the first GPU call, not at import; a login
    # node without a driver must import the package (and run on the CPU) without touching one.
    code = (
        "import semrsm_native, numpy as np\n"
        "semrsm_native.linear_sum_assignment(np.eye(3))\n"
        "maps = open('/proc/self/maps').read()\n"
        "import sys\n"
        "print(sorted({l.split()[-1] for l in maps.splitlines() if 'cuda' in l.lower()}))\n"
        "print('semrsm_native._cuda' in sys.modules)\n"
    )
    libs, cuda_module = _run(code).splitlines()
    assert libs == "[]", f"CUDA libraries mapped after import: {libs}"
    assert cuda_module == "False"


def test_import_is_fast():
    # Target: `import semrsm_native` under 0.3 s. NumPy's own import (0.1 s idle, more than
    # 0.25 s on a loaded machine) is paid by any NumPy user before ours, so it is imported first
    # and what is timed is this package's own cost. The best of five runs, timed inside the
    # interpreter, so interpreter start-up does not count.
    code = ("import numpy, time; t = time.perf_counter(); import semrsm_native; "
            "print(time.perf_counter() - t)")
    best = min(float(_run(code)) for _ in range(5))
    assert best < 0.3, f"import semrsm_native took {best:.3f} s"


def test_runs_without_a_compiler_on_path(tmp_path):
    # Nothing is compiled at import or at run time: with only the interpreter's own directory on
    # PATH (no cc, c++, nvcc), the package imports and solves.
    env = {"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path)}
    out = _run("import semrsm_native, numpy as np\n"
               "r, c = semrsm_native.linear_sum_assignment(np.array([[4., 1.], [2., 3.]]))\n"
               "print(c.tolist())", env=env)
    assert out.strip() == "[1, 0]"


@installed_only
def test_package_is_not_the_checkout():
    checkout = Path(CHECKOUT).resolve()
    assert checkout not in PACKAGE_DIR.parents, f"{PACKAGE_DIR} is inside the checkout {checkout}"
    info = semrsm_native.build_info()
    assert info["wheel_tag"] != "not installed from a wheel"
    assert "not installed" not in info["build"]


def _tag_glibc(tag: str) -> tuple[int, int] | None:
    """The oldest glibc the wheel's platform tags claim (manylinux2014 = 2.17), or None."""
    versions = [(int(a), int(b)) for a, b in re.findall(r"manylinux_(\d+)_(\d+)", tag)]
    versions += [(2, 17)] * len(re.findall(r"manylinux2014", tag))
    return min(versions) if versions else None


@installed_only
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="manylinux: Linux only")
def test_native_modules_keep_the_tags_promise():
    # What `auditwheel show` checks at build time, checked on what was installed: no glibc
    # symbol newer than the manylinux tag names (tools/build_wheel.sh makes the portable wheel
    # manylinux_2_28 or older) and no libstdc++ / libgcc_s / libc++ needed from the system
    # (RHEL 8-class nodes have an older libstdc++ than the build machine).
    elftools = pytest.importorskip("elftools.elf.elffile", reason="pyelftools not installed")
    from elftools.elf.gnuversions import GNUVerNeedSection

    limit = _tag_glibc(semrsm_native.build_info()["wheel_tag"])
    if limit is None:
        pytest.skip("not a manylinux wheel")
    modules = sorted(PACKAGE_DIR.glob("_*.so"))
    assert modules, f"no native module in {PACKAGE_DIR}"
    for path in modules:
        with open(path, "rb") as f:
            elf = elftools.ELFFile(f)
            dynamic = elf.get_section_by_name(".dynamic")
            needed = [t.needed for t in dynamic.iter_tags() if t.entry.d_tag == "DT_NEEDED"]
            assert not [n for n in needed if re.match(r"lib(stdc\+\+|gcc_s|c\+\+)", n)], (path, needed)
            versions = []
            for section in elf.iter_sections():
                if isinstance(section, GNUVerNeedSection):
                    for _, auxes in section.iter_versions():
                        versions += [a.name for a in auxes]
        glibc = [tuple(int(x) for x in v[6:].split(".")) for v in versions if v.startswith("GLIBC_")]
        assert glibc and max(glibc) <= limit, (path.name, max(glibc), limit)


@installed_only
def test_one_wheel_carries_the_cuda_module():
    # One wheel for CPU and GPU nodes: where it was built with nvcc, it carries the CUDA module
    # for sm_80, sm_90 and sm_100 (+ PTX) with its CPU-side test hooks, which import and answer
    # on a node without a GPU or driver. SEMRSM_TEST_EXPECT_CUDA=1 (.ci/run, where nvcc is
    # present) makes a wheel that silently came out CPU-only a failure instead of a skip.
    info = semrsm_native.build_info()
    if not info["cuda"]:
        assert os.environ.get("SEMRSM_TEST_EXPECT_CUDA") != "1", (
            f"the wheel has no CUDA module although nvcc was present: {info['build']}")
        pytest.skip("a CPU-only wheel (built without nvcc)")
    assert info["cuda_architectures"] == ["80-real", "90-real", "100"]
    assert info["cuda_runtime_linkage"] == "static"
    assert "built (" in info["build"], info["build"]
    importlib.import_module("semrsm_native._cuda_testing")
    if info["cuda_device_count"] == 0:
        # No driver or no GPU: the runtime says why, nothing raised at import.
        assert info["cuda_error"], info
