"""CPU checks of the logic the CUDA kernels run, wherever the _cuda module is built.

The GPU's matchers (cuda/lap_team.hpp) are written once for a team: the GPU runs them with
one warp (a team of 32 lanes) per problem, and the test-only module _cuda_testing runs the
same code on the CPU (`host_solve`) with a team of real threads of any size. Team size 32 follows
exactly the ownership of rows and columns a warp uses, so these tests check the GPU's
partitioning, barrier placement and tie-breaking against scipy without a GPU. The pair
enumeration of the RSM tiles (`host_pairs`) is the kernels' code too.

None of this needs a driver: _cuda_testing never touches the CUDA runtime.
"""

from __future__ import annotations

import functools
import itertools
import sys
import types
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

sys.path.insert(0, str(Path(__file__).parent))  # the shared helpers (importlib import mode)

cuda = pytest.importorskip("semrsm_native._cuda_testing", reason="CUDA backend not built")

TEAMS = [0, 1, 3, 32]  # 0 = the sequential instantiation; 32 = a warp's partitioning


def scipy_objective(c: np.ndarray, maximize: bool) -> float:
    r, k = linear_sum_assignment(c, maximize=maximize)
    return float(c[r, k].sum())


def check_assignment(col: np.ndarray, n: int, m: int) -> None:
    assigned = col[col >= 0]
    assert len(assigned) == min(n, m)
    assert len(set(assigned.tolist())) == len(assigned)
    assert (assigned < m).all()


def reference_greedy(c: np.ndarray, maximize: bool) -> np.ndarray:
    """Globally best remaining entry first; ties by lower row, then lower column."""
    n, m = c.shape
    key = -c if maximize else c
    order = sorted(itertools.product(range(n), range(m)), key=lambda rc: (key[rc], rc[0], rc[1]))
    col = np.full(n, -1, dtype=np.int64)
    used = set()
    for r, k in order:
        if col[r] < 0 and k not in used and np.isfinite(key[r, k]):
            col[r] = k
            used.add(k)
    return col


SHAPES = [(1, 1), (2, 2), (5, 5), (7, 4), (4, 9), (20, 20), (33, 40), (40, 33), (64, 64), (1, 6), (6, 1)]


@pytest.mark.parametrize("team", TEAMS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_exact_matches_scipy(team, shape, maximize, dtype):
    rng = np.random.default_rng(zlib.crc32(repr((team, shape, maximize)).encode()))  # replayable
    c = rng.standard_normal((3, *shape)).astype(dtype)
    col, obj, bound, status = cuda.host_solve(c, maximize, "hungarian", team=team)
    assert (status == 0).all()
    assert (bound == 0).all()
    for b in range(3):
        check_assignment(col[b], *shape)
        ref = scipy_objective(c[b].astype(np.float64), maximize)
        assert obj[b] == pytest.approx(ref, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("method", ["hungarian", "greedy", "auction"])
def test_team_size_does_not_change_the_assignment(method):
    # Ties are broken by keys, never by scan order, so the warp (32) and the CPU (0) agree
    # bit for bit: the property the GPU-vs-CPU equality check relies on.
    rng = np.random.default_rng(7)
    for shape in [(30, 30), (17, 29), (29, 17)]:
        c = rng.integers(0, 4, size=(4, *shape)).astype(np.float64)  # many ties
        outs = [cuda.host_solve(c, True, method, team=t) for t in TEAMS]
        for o in outs[1:]:
            np.testing.assert_array_equal(o[0], outs[0][0])
            np.testing.assert_array_equal(o[1], outs[0][1])


@settings(max_examples=60)
@given(
    n=st.integers(0, 12),
    m=st.integers(0, 12),
    team=st.sampled_from([0, 5, 32]),
    maximize=st.booleans(),
    data=st.data(),
)
def test_exact_property_integers_with_ties(n, m, team, maximize, data):
    vals = data.draw(st.lists(st.integers(-5, 5), min_size=n * m, max_size=n * m))
    c = np.array(vals, dtype=np.float64).reshape(1, n, m)
    col, obj, _, status = cuda.host_solve(c, maximize, "hungarian", team=team)
    assert status[0] == 0
    if n and m:
        check_assignment(col[0], n, m)
        assert obj[0] == scipy_objective(c[0], maximize)
    else:
        assert (col == -1).all() and obj[0] == 0


@pytest.mark.parametrize("team", [0, 32])
def test_exact_forbidden_and_infeasible(team):
    inf = np.inf
    feasible = np.array([[[inf, 1.0, 2.0], [3.0, inf, 1.0], [2.0, 2.0, inf]]])
    col, obj, _, status = cuda.host_solve(feasible, False, "hungarian", team=team)
    assert status[0] == 0
    assert obj[0] == scipy_objective(feasible[0], False)
    infeasible = np.array([[[inf, 1.0], [inf, 2.0]]])
    _, _, _, status = cuda.host_solve(infeasible, False, "hungarian", team=team)
    assert status[0] == 1
    # Maximising: -inf is the forbidden entry.
    col, obj, _, status = cuda.host_solve(-feasible, True, "hungarian", team=team)
    assert status[0] == 0 and obj[0] == -scipy_objective(feasible[0], False)


@pytest.mark.parametrize("team", TEAMS)
@pytest.mark.parametrize("shape", [(6, 6), (9, 5), (5, 9), (25, 25)])
@pytest.mark.parametrize("maximize", [False, True])
def test_greedy_is_the_reference_greedy(team, shape, maximize):
    rng = np.random.default_rng(3)
    c = rng.integers(0, 6, size=(3, *shape)).astype(np.float64)  # ties exercise the rule
    col, obj, _, status = cuda.host_solve(c, maximize, "greedy", team=team)
    assert (status == 0).all()
    for b in range(3):
        ref = reference_greedy(c[b], maximize)
        np.testing.assert_array_equal(col[b], ref)
        assert obj[b] == c[b][np.arange(shape[0])[ref >= 0], ref[ref >= 0]].sum()
        opt = scipy_objective(c[b], maximize)
        assert (obj[b] <= opt + 1e-12) if maximize else (obj[b] >= opt - 1e-12)


def test_greedy_matches_cpu_core_greedy():
    """Same rule as the CPU assignment core's greedy (issue 2), on continuous costs."""
    lap = pytest.importorskip("semrsm_native.lap")
    rng = np.random.default_rng(11)
    c = rng.standard_normal((5, 40, 40))
    ours = cuda.host_solve(c, True, "greedy", team=32)
    cpu_col, cpu_obj = lap.linear_sum_assignment_batch(c, maximize=True, method="greedy", device="cpu")
    np.testing.assert_array_equal(ours[0], cpu_col)
    np.testing.assert_allclose(ours[1], cpu_obj, rtol=1e-12)


@pytest.mark.parametrize("team", TEAMS)
@pytest.mark.parametrize("shape", [(8, 8), (12, 7), (7, 12), (40, 40)])
@pytest.mark.parametrize("maximize", [False, True])
def test_auction_within_certified_bound(team, shape, maximize):
    rng = np.random.default_rng(5)
    c = rng.random((3, *shape)) * 10 - 3
    col, obj, bound, status = cuda.host_solve(c, maximize, "auction", team=team)
    assert (status == 0).all()
    for b in range(3):
        check_assignment(col[b], *shape)
        opt = scipy_objective(c[b], maximize)
        gap = (opt - obj[b]) if maximize else (obj[b] - opt)
        assert gap >= -1e-9  # never better than the optimum
        assert gap <= bound[b] + 1e-9  # the bound is certified
        # default final epsilon 1e-6 / K of the largest |cost|: with eps-complementary
        # slackness the duality gap is at most K * eps = 1e-6 * max|c|
        assert bound[b] <= 1e-6 * np.abs(c[b]).max() * (1 + 1e-9)


def test_auction_loose_epsilon_reports_a_larger_but_valid_bound():
    rng = np.random.default_rng(9)
    c = rng.random((4, 30, 30))
    _, obj, bound, _ = cuda.host_solve(c, True, "auction", eps_rel=1e-2, team=32)
    for b in range(4):
        gap = scipy_objective(c[b], True) - obj[b]
        assert -1e-12 <= gap <= bound[b] + 1e-12
        assert bound[b] <= 30 * 1e-2 * c[b].max() + 1e-12


def test_unknown_method_is_a_value_error():
    with pytest.raises(ValueError, match="unknown method"):
        cuda.host_solve(np.zeros((1, 2, 2)), False, "simplex")


@pytest.mark.parametrize("n", list(range(0, 40)) + [97, 1000])
def test_symmetric_pair_enumeration(n):
    count = n * (n - 1) // 2
    got = cuda.host_pairs(n, n, True, 0, count)
    ref = np.array([(i, j) for i in range(n) for j in range(i + 1, n)], dtype=np.int64).reshape(-1, 2)
    np.testing.assert_array_equal(got, ref)


def test_pair_enumeration_large_n_and_offsets():
    # Far into a big triangle the closed-form square root is off by one at row edges; the
    # fix-up must land every k on the right (i, j).
    n = 200_003
    total = n * (n - 1) // 2
    rng = np.random.default_rng(0)
    ks = np.concatenate([rng.integers(0, total, 200), [0, total - 1]])
    for k in ks.tolist():
        i, j = cuda.host_pairs(n, n, True, k, 1)[0]
        assert 0 <= i < j < n
        assert i * (2 * n - i - 1) // 2 + (j - i - 1) == k
    got = cuda.host_pairs(5, 3, False, 4, 6)
    ref = np.array([(k // 3, k % 3) for k in range(4, 10)])
    np.testing.assert_array_equal(got, ref)


def test_build_info_reports_the_cuda_build():
    import semrsm_native

    info = semrsm_native.build_info()
    assert info["cuda"] is True
    assert info["cuda_architectures"]
    assert info["cuda_toolkit"].count(".") >= 1
    assert info["cuda_runtime_linkage"] == "static"
    assert isinstance(info["cuda_device_count"], int)
    if info["cuda_device_count"] == 0:
        assert info["cuda_error"] is None or isinstance(info["cuda_error"], str)


def test_without_a_device_gpu_calls_raise_runtime_error():
    import semrsm_native
    from semrsm_native import _gpu, _request, lap, rsm

    info = semrsm_native.build_info()
    if info["cuda_device_count"] > 0:
        pytest.skip("a CUDA device is present")
    x = np.random.default_rng(0).random((3, 4, 5)).astype(np.float32)
    with pytest.raises(RuntimeError, match="CUDA"):
        rsm.semantic_rsm(x, device="cuda")
    with pytest.raises(RuntimeError, match="CUDA"):
        rsm.spatio_semantic_rsm(x, device="cuda")
    with pytest.raises(RuntimeError, match="CUDA"):
        lap.linear_sum_assignment_batch(np.zeros((2, 3, 3)), device="cuda")
    request = _request.lap_request("linear_sum_assignment_batch", None, maximize=False, method="hungarian",
                                   threads=None, device="cuda", return_bound=False, method_options={})
    with pytest.raises(RuntimeError, match="CUDA"):
        _gpu.linear_sum_assignment_batch(np.zeros((2, 3, 3)), request)
    # The CPU path is unaffected.
    assert rsm.semantic_rsm(x, device="cpu").shape == (3, 3)


def test_gpu_argument_errors_come_before_the_device():
    """Bad arguments are ValueErrors on any machine, like on the CPU path."""
    from semrsm_native import rsm

    x = np.zeros((2, 3, 4), dtype=np.float32)
    with pytest.raises(ValueError, match="unknown kernel"):
        rsm.semantic_rsm(x, kernel="poly", device="cuda")
    with pytest.raises(ValueError, match="unknown matcher"):
        rsm.semantic_rsm(x, matcher="simplex", device="cuda")
    with pytest.raises(NotImplementedError, match="device='cpu'"):
        rsm.semantic_rsm(x, matcher="batch_optimal", device="cuda")
    with pytest.raises(ValueError, match="precision"):
        rsm.semantic_rsm(x, precision="fp8", device="cuda")
    with pytest.raises(ValueError, match="sigma"):
        rsm.semantic_rsm(x, kernel="rbf", sigma=-1.0, device="cuda")


@pytest.mark.parametrize(
    "make, layout",
    [
        (lambda b: b, "nchw"),
        (lambda b: b.to(memory_format=__import__("torch").channels_last), "nchw"),
        (lambda b: b.permute(0, 2, 3, 1).contiguous(), "nhwc"),
        (lambda b: b.permute(0, 2, 3, 1), "nhwc"),  # an NCHW buffer read as NHWC, in place
        (lambda b: b[:, :, ::2, :], "nchw"),  # rows skipped: H and W do not merge -> one copy
        (lambda b: b[:, :, :1, :], "nchw"),  # H == 1
        (lambda b: b.reshape(2, 3, 20).transpose(1, 2), "ntd"),
        (lambda b: b.reshape(2, 3, 20)[:, :, ::3], "ntd"),
    ],
)
def test_activation_descriptors_address_the_right_elements(make, layout):
    """The (ptr, strides) the kernels read concept vectors through, checked on CPU tensors:
    element (i, s, c) through the descriptor equals the layout's definition."""
    torch = pytest.importorskip("torch")
    from semrsm_native._gpu import _acts, _Side

    t = make(torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5))
    side, (ptr, dtype, n, S, C, sn, ss, sc) = _acts(_Side(t, "torch", None), layout, "f", "x")
    assert dtype == "float32" and ptr == side.arr.data_ptr()
    if layout == "nchw":
        expect = t.reshape(t.shape[0], t.shape[1], -1).transpose(1, 2)
    elif layout == "nhwc":
        expect = t.reshape(t.shape[0], -1, t.shape[3])
    else:
        expect = t
    assert (n, S, C) == tuple(expect.shape)
    got = torch.as_strided(side.arr, (n, S, C), (sn, ss, sc), side.arr.storage_offset())
    torch.testing.assert_close(got, expect, rtol=0, atol=0)


# ------------------------------------------------------------------------------------------
# CPU emulation of the GPU RSM pipeline (host_rsm): the cost kernel's own tile phases run
# thread by thread, the shared matchers, the RSM sink. Checked against the CPU engine.


def _acts(n, S, C, seed, dtype):
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((1, S, C))
    return np.maximum(0.6 * base + rng.standard_normal((n, S, C)), 0).astype(dtype)


def _feature_major_view(a):
    """Same values, positions contiguous (the NCHW case: the other load path of the kernel)."""
    return np.ascontiguousarray(a.transpose(0, 2, 1)).transpose(0, 2, 1)


def _direct_d2(x, y, perm, i, j):
    p = perm[i, j]
    xi, yj = x[i].astype(np.float64), y[j].astype(np.float64)
    matched = p >= 0
    d = ((xi[matched] - yj[p[matched]]) ** 2).sum() + (xi[~matched] ** 2).sum()
    unused = np.setdiff1d(np.arange(yj.shape[0]), p[matched])
    return d + (yj[unused] ** 2).sum()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("view", ["ntd", "feature_major"])
@pytest.mark.parametrize("cost", ["inner", "cosine"])
@pytest.mark.parametrize("tile", [1, 4, 1000])
def test_emulated_gpu_rsm_equals_cpu_engine(dtype, view, cost, tile):
    from semrsm_native import rsm

    x = _acts(7, 20, 70, 1, dtype)  # C = 70: several k-tiles and a partial one
    xv = _feature_major_view(x) if view == "feature_major" else x
    lin, d2, perm = cuda.host_rsm(xv, None, "hungarian", cost == "cosine", tile)
    ref, ref_perm = rsm.semantic_rsm(x, kernel="linear", cost=cost, return_permutations=True, device="cpu")
    np.testing.assert_allclose(lin, ref, rtol=1e-5)
    for i in range(7):
        np.testing.assert_array_equal(perm[i, i], np.arange(20))
        for j in range(7):
            np.testing.assert_array_equal(np.argsort(perm[i, j]), perm[j, i])
            assert d2[i, j] == pytest.approx(_direct_d2(x, x, perm, i, j), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("sx, sy", [(70, 70), (9, 70), (70, 9), (65, 3)])
def test_emulated_gpu_rsm_x_vs_y_rectangular(sx, sy):
    from semrsm_native import rsm

    # S = 70 and 65 cross the 64-position tile edge of the cost kernel.
    x, y = _acts(3, sx, 12, 2, np.float32), _acts(4, sy, 12, 3, np.float32)
    lin, d2, perm = cuda.host_rsm(x, y, "hungarian", False, 5)
    ref = rsm.semantic_rsm(x, y, kernel="linear", device="cpu")
    np.testing.assert_allclose(lin, ref, rtol=1e-5)
    assert perm.shape == (3, 4, sx)
    assert ((perm >= 0).sum(axis=2) == min(sx, sy)).all()
    for i in range(3):
        for j in range(4):
            assert d2[i, j] == pytest.approx(_direct_d2(x, y, perm, i, j), rel=1e-9, abs=1e-9)


def test_emulated_rbf_follows_the_cpu_bandwidth_rule():
    """d2 from the GPU sink plus the device's rule (lower median of the nonzero off-diagonal
    d2, sqrt, + 1e-3; all entries for x vs y) reproduce the CPU engine's RBF."""
    from semrsm_native import rsm

    x = _acts(8, 16, 10, 4, np.float64)
    x[5] = x[2][::-1]  # a permuted copy: d2 exactly 0 off the diagonal, excluded
    _, d2, _ = cuda.host_rsm(x, None, "hungarian", False, 3)
    assert d2[2, 5] == 0.0
    off = d2[~np.eye(8, dtype=bool)]
    cand = np.sort(off[off > 0])
    sigma = np.sqrt(cand[(len(cand) - 1) // 2]) + 1e-3
    np.testing.assert_allclose(np.exp(-d2 / (2 * sigma**2)), rsm.semantic_rsm(x, kernel="rbf", device="cpu"), rtol=1e-9)
    y = _acts(5, 16, 10, 5, np.float64)
    _, d2y, _ = cuda.host_rsm(x, y, "hungarian", False, 3)
    cand = np.sort(d2y[d2y > 0].ravel())
    sigma = np.sqrt(cand[(len(cand) - 1) // 2]) + 1e-3
    np.testing.assert_allclose(np.exp(-d2y / (2 * sigma**2)), rsm.semantic_rsm(x, y, kernel="rbf", device="cpu"), rtol=1e-9)


@pytest.mark.parametrize("method", ["greedy", "auction"])
def test_emulated_approximate_rsms_within_bounds(method):
    x = _acts(6, 30, 16, 6, np.float64)
    exact, _, _ = cuda.host_rsm(x, None, "hungarian", False, 4)
    approx, _, _ = cuda.host_rsm(x, None, method, False, 4)
    assert (approx <= exact * (1 + 1e-12)).all()
    if method == "auction":
        np.testing.assert_allclose(approx, exact, rtol=1e-4)
    else:
        assert (approx >= 0.9 * exact).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_emulated_spatio_gram_and_distance(dtype):
    """The spatio-semantic launch (samples as positions, float64 accumulation, distances
    summed directly so that equal samples give exactly 0)."""
    rng = np.random.default_rng(12)
    x = rng.standard_normal((70, 150)).astype(dtype)  # 70 samples cross a 64-row tile
    y = rng.standard_normal((5, 150)).astype(dtype)
    y[2] = x[66]
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    np.testing.assert_allclose(cuda.host_gram(x, y, False), x64 @ y64.T, rtol=1e-12, atol=1e-10)
    d = cuda.host_gram(x, y, True)
    np.testing.assert_allclose(d, ((x64[:, None] - y64[None]) ** 2).sum(-1), rtol=1e-12)
    assert d[66, 2] == 0.0


# ------------------------------------------------------------------------------------------
# The Python GPU wrappers (_gpu.py) end to end on the CPU: CPU tensors stand in for device
# memory and a fake _cuda with the binding's exact signatures computes through the CPU
# emulations above (host_rsm / host_gram / host_solve) from the raw pointers and strides it
# is handed. This checks the plumbing: descriptors, argument order, output allocation,
# kernels dict, permutations, dtype handling.


from _fake_cuda import FakeCuda as _FakeCuda  # noqa: E402
from _fake_cuda import fake_device  # noqa: E402


@pytest.fixture
def fake_gpu(monkeypatch):
    pytest.importorskip("torch")
    fake_device(monkeypatch, _FakeCuda(cuda))  # CPU tensors play device memory
    # The GPU entry points take checked requests: call them as users do, through the public
    # functions routed to the (fake) GPU.
    from semrsm_native import lap, rsm

    return types.SimpleNamespace(
        semantic_rsm=functools.partial(rsm.semantic_rsm, device="cuda"),
        spatio_semantic_rsm=functools.partial(rsm.spatio_semantic_rsm, device="cuda"),
        linear_sum_assignment_batch=functools.partial(lap.linear_sum_assignment_batch, device="cuda"),
    )


@pytest.mark.parametrize("layout", ["ntd", "nchw", "nhwc"])
@pytest.mark.parametrize("cost", ["inner", "cosine"])
def test_gpu_wrapper_semantic_rsm_plumbing(fake_gpu, layout, cost):
    import torch

    from semrsm_native import rsm

    x = _acts(6, 16, 12, 21, np.float32)
    if layout == "nchw":
        x = np.ascontiguousarray(x.transpose(0, 2, 1).reshape(6, 12, 4, 4))
    elif layout == "nhwc":
        x = np.ascontiguousarray(x.reshape(6, 4, 4, 12))
    kernels = ["linear", "cosine", "rbf"]
    from semrsm_native import _tuning

    with _tuning.gpu_tuning(max_tile_pairs=4):
        got, perm = fake_gpu.semantic_rsm(torch.from_numpy(x), kernel=kernels, cost=cost, layout=layout,
                                          return_permutations=True)
    ref, ref_perm = rsm.semantic_rsm(x, kernel=kernels, cost=cost, layout=layout, return_permutations=True,
                                     device="cpu")
    assert isinstance(got, dict) and set(got) == set(kernels)
    for k in kernels:
        assert got[k].dtype == torch.float64 and tuple(got[k].shape) == (6, 6)
        np.testing.assert_allclose(got[k].numpy(), ref[k], rtol=1e-5, err_msg=k)
    assert perm.dtype == torch.int32 and tuple(perm.shape) == (6, 6, 16)
    single = fake_gpu.semantic_rsm(torch.from_numpy(x), kernel="cosine", cost=cost, layout=layout)
    np.testing.assert_allclose(single.numpy(), ref["cosine"], rtol=1e-5)


def test_gpu_wrapper_x_vs_y_and_dtypes(fake_gpu):
    import torch

    from semrsm_native import rsm

    x, y = _acts(4, 9, 8, 22, np.float64), _acts(3, 13, 8, 23, np.float32)
    got = fake_gpu.semantic_rsm(torch.from_numpy(x), torch.from_numpy(y), kernel=["linear", "rbf"], sigma=2.5)
    ref = rsm.semantic_rsm(x, y.astype(np.float64), kernel=["linear", "rbf"], sigma=2.5, device="cpu")
    for k in ref:
        assert tuple(got[k].shape) == (4, 3)
        np.testing.assert_allclose(got[k].numpy(), ref[k], rtol=1e-6)
    half = torch.from_numpy(x.astype(np.float16))
    got = fake_gpu.semantic_rsm(half, kernel="linear")
    np.testing.assert_allclose(got.numpy(), rsm.semantic_rsm(x.astype(np.float16).astype(np.float32),
                                                             kernel="linear", device="cpu"), rtol=1e-5)
    with pytest.raises(ValueError, match="features"):
        fake_gpu.semantic_rsm(torch.from_numpy(x), torch.zeros((2, 9, 5)))


def test_gpu_wrapper_spatio_and_lap_batch(fake_gpu):
    import torch

    from semrsm_native import rsm

    x, y = _acts(5, 6, 4, 24, np.float32), _acts(3, 6, 4, 25, np.float32)
    kernels = ["linear", "cosine", "rbf"]
    for args in [(x,), (x, y)]:
        got = fake_gpu.spatio_semantic_rsm(*[torch.from_numpy(a) for a in args], kernel=kernels)
        ref = rsm.spatio_semantic_rsm(*args, kernel=kernels, device="cpu")
        for k in kernels:
            np.testing.assert_allclose(got[k].numpy(), ref[k], rtol=1e-6, atol=1e-12, err_msg=k)
    c = np.random.default_rng(26).random((4, 6, 9))
    col, obj, bound = fake_gpu.linear_sum_assignment_batch(torch.from_numpy(c), maximize=True, method="auction",
                                                           return_bound=True, eps_final=1e-4)
    assert col.dtype == torch.int64 and tuple(col.shape) == (4, 6) and obj.dtype == torch.float64
    for b in range(4):
        assert obj[b].item() == pytest.approx(scipy_objective(c[b], True), abs=bound[b].item() + 1e-12)
    col, obj = fake_gpu.linear_sum_assignment_batch(torch.from_numpy(c.astype(np.int64)))
    for b in range(4):
        assert obj[b].item() == scipy_objective(c.astype(np.int64)[b].astype(float), False)
    with pytest.raises(TypeError, match="unexpected option"):
        fake_gpu.linear_sum_assignment_batch(torch.from_numpy(c), window=3)
