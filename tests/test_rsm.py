"""Tests of semantic_rsm / spatio_semantic_rsm against the float64 NumPy + scipy oracle."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import semrsm_native
from semrsm_native import _testing, semantic_rsm, spatio_semantic_rsm

sys.path.insert(0, str(Path(__file__).parent))
import rsm_reference as ref  # noqa: E402
from _simd_levels import LEVELS, skip_unless_available  # noqa: E402

KERNELS = ["linear", "cosine", "rbf"]


def relu_features(rng, shape, dtype=np.float64):
    return np.maximum(rng.standard_normal(shape), 0).astype(dtype)


def to_layout(x_nchw: np.ndarray, layout: str) -> np.ndarray:
    if layout == "nchw":
        return x_nchw
    return np.ascontiguousarray(x_nchw.transpose(0, 2, 3, 1))  # nhwc


def tol(dtype):
    return dict(rtol=1e-10, atol=1e-10) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-5)


# ---------------------------------------------------------------------------------------
# Against the oracle


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
def test_self_matches_reference_all_kernels(dtype, layout):
    rng = np.random.default_rng(0)
    x = relu_features(rng, (7, 6, 3, 4), dtype)
    xl = to_layout(x, layout)
    got = semantic_rsm(xl, kernel=KERNELS, layout=layout)
    want = ref.semantic_rsm_ref(x.astype(np.float64), kernel=KERNELS, layout="nchw")
    for k in KERNELS:
        assert got[k].dtype == np.float64 and got[k].shape == (7, 7)
        np.testing.assert_allclose(got[k], want[k], **tol(dtype), err_msg=k)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tokens_cross_matches_reference(dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 9, 4)).astype(dtype)  # signed features: a harder LAP
    y = rng.standard_normal((3, 9, 4)).astype(dtype)
    got = semantic_rsm(x, y, kernel=KERNELS)
    want = ref.semantic_rsm_ref(x, y, kernel=KERNELS)
    for k in KERNELS:
        assert got[k].shape == (5, 3)
        np.testing.assert_allclose(got[k], want[k], **tol(dtype), err_msg=k)


@pytest.mark.parametrize("sx,sy", [(12, 5), (5, 12), (1, 7)])
@pytest.mark.parametrize("layout", ["nchw", "ntd"])
def test_rectangular_positions(sx, sy, layout):
    rng = np.random.default_rng(2)
    if layout == "ntd":
        x = rng.standard_normal((4, sx, 6))
        y = rng.standard_normal((3, sy, 6))
    else:
        x = rng.standard_normal((4, 6, 1, sx))
        y = rng.standard_normal((3, 6, 1, sy))
    got, perm = semantic_rsm(x, y, kernel=KERNELS, return_permutations=True)
    want = ref.semantic_rsm_ref(x, y, kernel=KERNELS)
    for k in KERNELS:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-10, atol=1e-10, err_msg=k)
    assert perm.shape == (4, 3, sx) and perm.dtype == np.int32
    assert np.all((perm >= 0).sum(axis=2) == min(sx, sy))
    # Each matching is one-to-one and reproduces the linear value (not only the count).
    X, Y = ref.positions(x, layout), ref.positions(y, layout)
    for i in range(4):
        for j in range(3):
            p = perm[i, j]
            rows = np.flatnonzero(p >= 0)
            assert np.all(p[p < 0] == -1) and np.all(p[rows] < sy)
            assert len(np.unique(p[rows])) == len(rows)
            np.testing.assert_allclose(np.sum(X[i][rows] * Y[j][p[rows]]), got["linear"][i, j], rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cosine_cost_matches_reference(dtype):
    rng = np.random.default_rng(3)
    # Very different vector norms make the cosine and inner-product matchings differ.
    x = rng.standard_normal((5, 8, 2, 3)) * rng.uniform(0.1, 10, (5, 1, 2, 3))
    x = x.astype(dtype)
    got = semantic_rsm(x, kernel=KERNELS, cost="cosine")
    want = ref.semantic_rsm_ref(x, kernel=KERNELS, cost="cosine")
    inner = ref.semantic_rsm_ref(x, kernel="linear")
    for k in KERNELS:
        np.testing.assert_allclose(got[k], want[k], **tol(dtype), err_msg=k)
    # Matching on cosines can only lose linear value against the linear optimum.
    assert np.all(got["linear"] <= inner + 1e-9 * np.abs(inner).max())
    assert np.any(got["linear"] < inner - 1e-6)


def test_spatio_semantic_matches_reference():
    rng = np.random.default_rng(4)
    x = relu_features(rng, (6, 5, 3, 3))
    y = relu_features(rng, (4, 5, 3, 3))
    for yy in (None, y):
        got = spatio_semantic_rsm(x, yy, kernel=KERNELS)
        want = ref.spatio_semantic_rsm_ref(x, yy, kernel=KERNELS)
        for k in KERNELS:
            np.testing.assert_allclose(got[k], want[k], rtol=1e-12, atol=1e-12, err_msg=k)
    with pytest.raises(ValueError, match="positions"):
        spatio_semantic_rsm(x, y[:, :, :2])


# ---------------------------------------------------------------------------------------
# Properties


def test_permutations_reproduce_values_and_invert():
    rng = np.random.default_rng(5)
    x = relu_features(rng, (6, 4, 3, 3))
    lin, perm = semantic_rsm(x, kernel="linear", return_permutations=True)
    X = ref.positions(x)
    for i in range(6):
        np.testing.assert_array_equal(perm[i, i], np.arange(9))
        for j in range(6):
            p = perm[i, j]
            assert sorted(p) == list(range(9))
            np.testing.assert_allclose(np.sum(X[i] * X[j][p]), lin[i, j], rtol=1e-12)
            np.testing.assert_array_equal(perm[j, i][p], np.arange(9))


def test_symmetry_and_diagonal():
    rng = np.random.default_rng(6)
    x = relu_features(rng, (9, 8, 4, 4), np.float32)
    x[3] = 0  # a zero sample: cosine 0, never NaN
    r = semantic_rsm(x, kernel=KERNELS)
    for k in KERNELS:
        np.testing.assert_array_equal(r[k], r[k].T)
        assert np.all(np.isfinite(r[k]))
    sq = np.sum(x.astype(np.float64) ** 2, axis=(1, 2, 3))
    np.testing.assert_allclose(np.diag(r["linear"]), sq, rtol=1e-12)
    np.testing.assert_allclose(np.delete(np.diag(r["cosine"]), 3), 1.0, rtol=1e-9)
    assert r["cosine"][3, 3] == 0 and np.all(r["cosine"][3] == 0)
    np.testing.assert_array_equal(np.diag(r["rbf"]), 1.0)


def test_position_permutation_invariance():
    rng = np.random.default_rng(7)
    x = relu_features(rng, (6, 10, 4, 5))
    xp = x.reshape(6, 10, 20).copy()
    for i in range(6):
        xp[i] = xp[i][:, rng.permutation(20)]
    xp = xp.reshape(x.shape)
    a = semantic_rsm(x, kernel=KERNELS)
    b = semantic_rsm(xp, kernel=KERNELS)
    for k in KERNELS:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-12, atol=1e-12, err_msg=k)
    # The classic RSM is not invariant.
    sa = spatio_semantic_rsm(x)
    sb = spatio_semantic_rsm(xp)
    assert np.abs(sa - sb).max() > 1e-3


def test_rolled_feature_map():
    rng = np.random.default_rng(8)
    base = relu_features(rng, (1, 16, 7, 7), np.float32)
    rolled = np.roll(base, shift=(2, 3), axis=(2, 3))
    x = np.concatenate([base, rolled])
    sem = semantic_rsm(x)
    spatial = spatio_semantic_rsm(x)
    assert sem[0, 1] == pytest.approx(1.0, abs=1e-6)
    assert spatial[0, 1] < 0.9


def test_rbf_sigma_rule_and_override():
    rng = np.random.default_rng(9)
    # N = 5 gives 10 off-diagonal pairs: an even count, where torch.median (lower middle)
    # differs from numpy's average of the two middle values.
    x = rng.standard_normal((5, 6, 3))
    r = semantic_rsm(x, kernel=["linear", "rbf"])
    want = ref.semantic_rsm_ref(x, kernel="rbf")
    np.testing.assert_allclose(r["rbf"], want, rtol=1e-12)
    # Recover d2 from the result and check the bandwidth independently of the oracle.
    X = ref.positions(x)
    d2 = np.array(
        [[ref.padded_d2(X[i], X[j], ref.pair_match(X[i], X[j])[0]) for j in range(5)] for i in range(5)]
    )
    vals = np.sort(d2[np.triu_indices(5, 1)])
    lower = np.sqrt(vals[4]) + 1e-3
    average = np.sqrt(np.median(vals)) + 1e-3
    assert lower != pytest.approx(average)
    np.testing.assert_allclose(r["rbf"], np.exp(-0.5 * d2 / lower**2), rtol=1e-12)
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(vals)
    assert float(torch.sqrt(torch.median(t)) + 1e-3) == pytest.approx(lower)
    # Override.
    r2 = semantic_rsm(x, kernel="rbf", sigma=2.5)
    np.testing.assert_allclose(r2, np.exp(-0.5 * d2 / 2.5**2), rtol=1e-12)


def test_rbf_zero_distances_excluded():
    rng = np.random.default_rng(10)
    a = rng.standard_normal((3, 4, 5))
    x = np.concatenate([a, a[:1]])  # sample 3 duplicates sample 0: d2 = 0, excluded
    r = semantic_rsm(x, kernel="rbf")
    want = ref.semantic_rsm_ref(x, kernel="rbf")
    np.testing.assert_allclose(r, want, rtol=1e-12)
    assert r[0, 3] == 1.0
    # x against a copy of itself: the cross diagonal is zero and excluded too.
    np.testing.assert_allclose(semantic_rsm(x, x.copy(), kernel="rbf"), ref.semantic_rsm_ref(x, x, kernel="rbf"), rtol=1e-12)


# ---------------------------------------------------------------------------------------
# Frameworks, dtypes, threads


def test_torch_in_torch_out():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    x = relu_features(rng, (5, 4, 3, 3), np.float32)
    want = semantic_rsm(x)
    for dt in (torch.float32, torch.float64, torch.float16, torch.bfloat16):
        t = torch.from_numpy(x).to(dt)
        got = semantic_rsm(t)
        assert isinstance(got, torch.Tensor) and got.dtype == torch.float64
        np.testing.assert_allclose(got.numpy(), want, rtol=2e-2, atol=2e-2)  # rounding of the input
        # Against the float64 oracle of the input as rounded to dt: only float32 arithmetic
        # separates them (products of half / bfloat16 values are exact in float32).
        rounded = t.to(torch.float64).numpy()
        np.testing.assert_allclose(got.numpy(), ref.semantic_rsm_ref(rounded), rtol=1e-6, atol=0, err_msg=str(dt))
    d, p = semantic_rsm(torch.from_numpy(x), kernel=["cosine"], return_permutations=True)
    assert isinstance(d["cosine"], torch.Tensor) and isinstance(p, torch.Tensor)
    assert p.dtype == torch.int32


def test_integer_and_float16_inputs():
    rng = np.random.default_rng(12)
    xi = rng.integers(0, 4, (4, 3, 2, 2))
    np.testing.assert_allclose(semantic_rsm(xi, kernel="linear"), ref.semantic_rsm_ref(xi, kernel="linear"))
    xh = rng.random((4, 3, 2, 2)).astype(np.float16)
    np.testing.assert_allclose(
        semantic_rsm(xh, kernel="linear"), ref.semantic_rsm_ref(xh.astype(np.float64), kernel="linear"), rtol=1e-6
    )


def test_thread_count_determinism():
    rng = np.random.default_rng(13)
    x = relu_features(rng, (23, 16, 5, 5), np.float32)
    y = relu_features(rng, (11, 16, 4, 6), np.float32)
    for yy in (None, y):
        base = semantic_rsm(x, yy, kernel=KERNELS, threads=1, return_permutations=True)
        for t in (2, 3, 5):
            got = semantic_rsm(x, yy, kernel=KERNELS, threads=t, return_permutations=True)
            for k in KERNELS:
                np.testing.assert_array_equal(got[0][k], base[0][k])
            np.testing.assert_array_equal(got[1], base[1])


def test_inputs_not_modified_and_noncontiguous():
    rng = np.random.default_rng(14)
    x = relu_features(rng, (5, 6, 3, 4))
    y = rng.standard_normal((3, 6, 4, 3))
    xc, yc = x.copy(), y.copy()
    semantic_rsm(x, y, kernel=KERNELS, cost="cosine")
    np.testing.assert_array_equal(x, xc)
    np.testing.assert_array_equal(y, yc)
    xs = np.asfortranarray(x)[:, :, :, ::-1]  # strided view
    np.testing.assert_allclose(semantic_rsm(xs), ref.semantic_rsm_ref(np.ascontiguousarray(xs)), rtol=1e-10)


def test_empty_inputs():
    assert semantic_rsm(np.zeros((0, 3, 2, 2))).shape == (0, 0)
    assert semantic_rsm(np.zeros((0, 5, 4)), np.zeros((2, 5, 4))).shape == (0, 2)
    assert spatio_semantic_rsm(np.zeros((0, 3, 2, 2))).shape == (0, 0)
    r = semantic_rsm(np.ones((3, 0, 4)), kernel=KERNELS)  # no positions: all vectors empty
    np.testing.assert_array_equal(r["linear"], 0)
    np.testing.assert_array_equal(r["cosine"], 0)
    np.testing.assert_array_equal(r["rbf"], 1)
    for matcher in ("hungarian", "greedy", "auction", "batch_optimal"):  # no features: zero vectors
        z = semantic_rsm(np.ones((3, 0, 2, 2)), kernel="linear", matcher=matcher)
        assert z.shape == (3, 3) and not np.any(z) and not np.any(np.signbit(z))


def test_progress_bar(capsys):
    rng = np.random.default_rng(15)
    x = relu_features(rng, (12, 8, 3, 3), np.float32)
    a = semantic_rsm(x, progress=True)
    err = capsys.readouterr().err
    assert "66/66" in err
    np.testing.assert_array_equal(a, semantic_rsm(x))


# ---------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda x: semantic_rsm(x[0, 0]), ValueError, "4-D .* or 3-D"),
        (lambda x: semantic_rsm(x, kernel="rbfx"), ValueError, "unknown kernel 'rbfx'"),
        (lambda x: semantic_rsm(x, kernel=["cosine", "cosine"]), ValueError, "duplicates"),
        (lambda x: semantic_rsm(x, kernel=3), TypeError, "kernel"),
        (lambda x: semantic_rsm(x, matcher="optimal"), ValueError, "unknown matcher"),
        (lambda x: semantic_rsm(x, cost="l2"), ValueError, "unknown cost"),
        (lambda x: semantic_rsm(x, layout="nwhc"), ValueError, "unknown layout"),
        (lambda x: semantic_rsm(x, layout="ntd"), ValueError, "3-D"),
        (lambda x: semantic_rsm(x, window=0), ValueError, "window"),
        (lambda x: semantic_rsm(x, window=2.5), TypeError, "window"),
        (lambda x: semantic_rsm(x, sigma=-1.0), ValueError, "sigma"),
        (lambda x: semantic_rsm(x, eps=0), ValueError, "eps"),
        (lambda x: semantic_rsm(x, threads=0), ValueError, "threads"),
        (lambda x: semantic_rsm(x, np.zeros((2, 4, 3, 3))), ValueError, "same number of features"),
        (lambda x: semantic_rsm(x, np.zeros((2, 3, 9))), ValueError, "same rank"),
        (lambda x: semantic_rsm(x.astype(np.complex128)), TypeError, "dtype complex128"),
        (lambda x: semantic_rsm(np.array([["a"]], dtype=object)), TypeError, "dtype object"),
        (lambda x: semantic_rsm(x, device="tpu"), ValueError, "device"),
    ],
)
def test_bad_input(call, exc, match):
    x = np.ones((3, 3, 3, 3), dtype=np.float32)
    with pytest.raises(exc, match=match):
        call(x)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_names_sample(bad):
    x = np.ones((5, 3, 2, 2), dtype=np.float32)
    x[3, 1, 0, 1] = bad
    with pytest.raises(ValueError, match=r"semantic_rsm: x contains NaN or inf in sample 3"):
        semantic_rsm(x)
    y = np.ones((4, 3, 2, 2))
    y[2, 0, 0, 0] = bad
    with pytest.raises(ValueError, match=r"y contains NaN or inf in sample 2"):
        semantic_rsm(np.ones((2, 3, 2, 2)), y)
    with pytest.raises(ValueError, match=r"spatio_semantic_rsm: x contains NaN or inf in sample 3"):
        spatio_semantic_rsm(x)


def test_cuda_request_without_backend():
    if semrsm_native.build_info()["cuda"]:
        pytest.skip("CUDA backend present")
    with pytest.raises(RuntimeError, match="CUDA backend"):
        semantic_rsm(np.ones((2, 2, 2, 2)), device="cuda")


# ---------------------------------------------------------------------------------------
# SIMD paths, GIL, Ctrl-C



@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("level", list(LEVELS))
@pytest.mark.parametrize("layout", [0, 1])
def test_cost_gemm_every_simd_level(dtype, level, layout):
    skip_unless_available(level)
    rng = np.random.default_rng(16)
    tol_ = 1e-5 if dtype == np.float32 else 1e-12
    for sx, sy, c in [(49, 49, 67), (13, 30, 5), (1, 1, 1), (37, 3, 700), (5, 4, 0)]:
        x = rng.standard_normal((sx, c)).astype(dtype)
        y = rng.standard_normal((sy, c)).astype(dtype)
        want = x.astype(np.float64) @ y.astype(np.float64).T
        xs, ys = (np.ascontiguousarray(x.T), np.ascontiguousarray(y.T)) if layout == 0 else (x, y)
        got = _testing.rsm_cost_block(xs, ys, layout, False, None, None, LEVELS[level])
        np.testing.assert_allclose(got, want, rtol=tol_, atol=tol_ * max(1, c) ** 0.5)
        rows = rng.permutation(sx)[: max(1, sx // 2)]
        cols = rng.permutation(sy)
        got = _testing.rsm_cost_block(xs, ys, layout, True, rows, cols, LEVELS[level])
        nx = np.linalg.norm(x.astype(np.float64), axis=1)
        ny = np.linalg.norm(y.astype(np.float64), axis=1)
        cos = want / np.where(np.outer(nx, ny) > 0, np.outer(nx, ny), np.inf)
        np.testing.assert_allclose(got, cos[np.ix_(rows, cols)], rtol=10 * tol_, atol=10 * tol_)


@pytest.mark.parametrize("level", list(LEVELS))
def test_engine_under_each_simd_env(level):
    skip_unless_available(level)
    code = textwrap.dedent(
        """
        import sys, numpy as np
        sys.path.insert(0, sys.argv[1])
        import rsm_reference as ref
        import semrsm_native
        from semrsm_native import semantic_rsm
        rng = np.random.default_rng(17)
        x = np.maximum(rng.standard_normal((6, 20, 3, 5)), 0)
        for dt in (np.float32, np.float64):
            got = semantic_rsm(x.astype(dt), kernel=["linear", "cosine"], cost="cosine")
            want = ref.semantic_rsm_ref(x.astype(dt), kernel=["linear", "cosine"], cost="cosine")
            for k in got:
                np.testing.assert_allclose(got[k], want[k], rtol=2e-5)
        print(semrsm_native.build_info()["simd"])
        """
    )
    env = dict(os.environ, SEMRSM_SIMD=level)
    out = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).parent)], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    # The level is available (checked above), so the engine ran exactly the path asked for.
    assert out.stdout.strip() == level


# The GIL test (progress of another thread, counted without a clock): tests/test_gil_released.py.


def test_ctrl_c_interrupts_a_long_rsm():
    code = textwrap.dedent(
        """
        import numpy as np
        from semrsm_native import semantic_rsm
        x = np.maximum(np.random.default_rng(0).standard_normal((400, 64, 14, 14)), 0).astype(np.float32)
        print("ready", flush=True)
        try:
            semantic_rsm(x, threads=2)
            print("finished", flush=True)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
        """
    )
    # SIGINT at its default in the child: one started from a background job inherits it
    # ignored, and Python then installs no KeyboardInterrupt handler.
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert p.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    # The RSM takes many minutes here, so "interrupted" (not "finished") within the bounded
    # wait shows that Ctrl-C cancelled it; no wall-clock bound is asserted.
    out, _ = p.communicate(timeout=120)
    assert out.strip() == "interrupted"


def test_single_kernel_equals_kernel_list():
    # Single kernels are written in place over the engine's buffers; lists keep them apart.
    rng = np.random.default_rng(19)
    x = relu_features(rng, (6, 5, 3, 3), np.float32)
    y = relu_features(rng, (4, 5, 3, 3), np.float32)
    for yy in (None, y):
        both = semantic_rsm(x, yy, kernel=KERNELS)
        for k in KERNELS:
            np.testing.assert_array_equal(semantic_rsm(x, yy, kernel=k), both[k])
            if k != "linear":
                np.testing.assert_array_equal(semantic_rsm(x, yy, kernel=[k, "linear"])[k], both[k])


@pytest.mark.parametrize("precision", ["tf32", "bf16", "float64"])
def test_cpu_rejects_tensor_core_precisions(precision):
    x = np.ones((3, 4, 2, 2), dtype=np.float32)
    with pytest.raises(ValueError, match="semantic_rsm: precision="):
        semantic_rsm(x, device="cpu", precision=precision)


def test_gpu_route_receives_every_argument(monkeypatch):
    from semrsm_native import _gpu

    seen = {}

    def fake_gpu_semantic_rsm(x, y, request):
        seen.update(vars(request))
        return "from-gpu"

    monkeypatch.setattr(_gpu, "wants_gpu", lambda func, device, *arrays: True)
    monkeypatch.setattr(_gpu, "semantic_rsm", fake_gpu_semantic_rsm)
    out = semantic_rsm(np.ones((2, 3, 4)), kernel="rbf", matcher="greedy", precision="tf32",
                       device="cuda:0", window=7)
    assert out == "from-gpu"
    assert seen["precision"] == "tf32" and seen["matcher"] == "greedy"
    assert seen["device"] == "cuda:0" and seen["window"] == 7 and seen["kernels"] == ("rbf",)
