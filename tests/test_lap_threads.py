"""Threads, the GIL, Ctrl-C, and every SIMD path of the assignment core."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import semrsm_native
from semrsm_native import linear_sum_assignment, linear_sum_assignment_batch

METHODS = ["hungarian", "greedy", "auction", "batch_optimal"]


@pytest.mark.parametrize("method", METHODS)
def test_results_identical_for_any_thread_count(method):
    rng = np.random.default_rng(5)
    costs = rng.random((23, 30, 30)).astype(np.float32)
    opts = {"window": 8} if method == "batch_optimal" else {}
    ref = linear_sum_assignment_batch(costs, method=method, threads=1, **opts)
    for threads in (2, 3, 8):
        got = linear_sum_assignment_batch(costs, method=method, threads=threads, **opts)
        np.testing.assert_array_equal(got[0], ref[0])
        np.testing.assert_array_equal(got[1], ref[1])


def test_threads_argument_and_env(monkeypatch):
    costs = np.random.default_rng(0).random((4, 5, 5))
    with pytest.raises(ValueError, match="threads"):
        linear_sum_assignment_batch(costs, threads=0)
    with pytest.raises(TypeError, match="threads"):
        linear_sum_assignment_batch(costs, threads=1.5)
    monkeypatch.setenv("SEMRSM_NUM_THREADS", "3")
    linear_sum_assignment_batch(costs)
    monkeypatch.setenv("SEMRSM_NUM_THREADS", "zero")
    with pytest.raises(ValueError, match="SEMRSM_NUM_THREADS"):
        linear_sum_assignment_batch(costs)


# The GIL and overlap tests (event-counted, no clock): tests/test_gil_released.py.


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery differs on Windows")
def test_ctrl_c_stops_a_long_batch():
    script = textwrap.dedent(
        """
        import sys, numpy as np
        from semrsm_native import linear_sum_assignment_batch
        # ~8 ms per problem (a slow epsilon schedule) in 100 MB: seconds of work in all,
        # while each running task ends soon after the signal.
        costs = np.random.default_rng(0).random((600, 200, 200)).astype(np.float32)
        slow = dict(method="auction", eps_final=1e-12, eps_factor=1.1)
        linear_sum_assignment_batch(costs[:4], threads=2, **slow)  # warm the pool
        print("start", flush=True)
        try:
            linear_sum_assignment_batch(costs, threads=2, **slow)
            print("finished", flush=True)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            # the pool is usable again: nothing of the cancelled job is still running
            col, obj = linear_sum_assignment_batch(costs[:40], threads=2)
            print("ok", obj.shape[0], flush=True)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # SIGINT at its default: a child of a background job would inherit it ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stdout.readline().strip() == "start"
        time.sleep(0.4)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)  # a bound on a hang, not a timing check
    finally:
        if proc.poll() is None:
            proc.kill()
    lines = out.split()
    # "interrupted" and not "finished": the batch (far longer than the wait) was cancelled.
    assert "interrupted" in lines and "finished" not in lines, (out, err)
    assert "ok" in lines and proc.returncode == 0


SIMD_SCRIPT = textwrap.dedent(
    """
    import json, sys, numpy as np
    import semrsm_native
    from scipy.optimize import linear_sum_assignment as scipy_lsa
    from semrsm_native import linear_sum_assignment, linear_sum_assignment_batch
    rng = np.random.default_rng(0)
    worst = 0.0
    for t in range(120):
        n = int(rng.integers(1, 90)); m = n if t % 2 else int(rng.integers(1, 90))
        kind = t % 4
        if kind == 0: c = rng.random((n, m))
        elif kind == 1: c = rng.integers(0, 3, (n, m)).astype(float)
        elif kind == 2: c = rng.standard_normal((n, m)) * 10.0 ** rng.integers(-12, 13, (n, m))
        else:
            c = np.maximum(rng.standard_normal((n, 16)), 0) @ np.maximum(rng.standard_normal((16, m)), 0)
        for dt in (np.float32, np.float64):
            a = c.astype(dt)
            mx = bool(t % 3 == 0)
            ref = a.astype(float)[scipy_lsa(a.astype(float), maximize=mx)].sum()
            got = a.astype(float)[linear_sum_assignment(a, maximize=mx)].sum()
            tol = 1e-12 * max(n, m) * np.abs(a).max()
            worst = max(worst, abs(got - ref) / (tol + 1e-300))
            _, obj, bound = linear_sum_assignment_batch(a[None], maximize=mx, method="auction", return_bound=True)
            gap = (ref - obj[0]) if mx else (obj[0] - ref)
            assert -10 * tol <= gap <= bound[0] + 10 * tol, (t, gap, bound)
    print(json.dumps({"simd": semrsm_native.build_info()["simd"], "worst": worst}))
    """
)


def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            return f.read()
    except OSError:
        return ""


@pytest.mark.parametrize("level", ["scalar", "avx2", "avx512"])
def test_every_simd_path_is_exact(level):
    import json

    flags = _cpu_flags()
    if level == "avx2" and " avx2" not in flags:
        pytest.skip("CPU lacks AVX2")
    if level == "avx512" and " avx512f" not in flags:
        pytest.skip("CPU lacks AVX-512")
    if level != "scalar" and not (sys.platform.startswith("linux") and os.uname().machine == "x86_64"):
        pytest.skip("x86-64 Linux only")
    env = dict(os.environ, SEMRSM_SIMD=level)
    out = subprocess.run(
        [sys.executable, "-c", SIMD_SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["simd"] == level
    assert res["worst"] <= 1.0


def test_build_info_reports_simd():
    assert semrsm_native.build_info()["simd"] in ("scalar", "sse2", "avx2", "avx512", "neon")


def test_gpu_route_keeps_the_device_index(monkeypatch):
    # A NumPy batch sent to "cuda:1" must reach the backend with its index.
    from semrsm_native import _gpu, linear_sum_assignment_batch

    seen = {}

    def fake_gpu_batch(costs, request):
        seen.update(vars(request))
        return "from-gpu"

    monkeypatch.setattr(_gpu, "wants_gpu", lambda func, device, *arrays: True)
    monkeypatch.setattr(_gpu, "linear_sum_assignment_batch", fake_gpu_batch)
    out = linear_sum_assignment_batch(np.zeros((2, 3, 3)), maximize=True, method="auction",
                                      device="cuda:1", eps_final=1e-3)
    assert out == "from-gpu"
    assert seen["maximize"] is True and seen["method"] == "auction" and seen["device"] == "cuda:1"
    assert seen["return_bound"] is False and seen["eps_final"] == 1e-3
