"""CPU checks of the logic the CUDA kernels run, wherever the _cuda module is built.

The matchers in cpp/core/shared/lap_team.hpp are one source for both backends: the GPU runs
them with one warp (a team of 32 lanes) per problem, and the _cuda module exposes the same
code on the CPU (`host_solve`) with a team of real threads of any size. Team size 32 follows
exactly the ownership of rows and columns a warp uses, so these tests check the GPU's
partitioning, barrier placement and tie-breaking against scipy without a GPU. The pair
enumeration of the RSM tiles (`host_pairs`) is the kernels' code too.

None of this needs a driver: importing _cuda must work on a machine without one.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

cuda = pytest.importorskip("semrsm_native._cuda", reason="CUDA backend not built")

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
    rng = np.random.default_rng(hash((team, shape, maximize)) % 2**32)
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
    from semrsm_native import _gpu, lap, rsm

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
    with pytest.raises(RuntimeError, match="CUDA"):
        _gpu.linear_sum_assignment_batch(np.zeros((2, 3, 3)), device="cuda")
    # The CPU path is unaffected.
    assert rsm.semantic_rsm(x, device="cpu").shape == (3, 3)


def test_gpu_argument_errors_come_before_the_device():
    """Bad arguments are ValueErrors on any machine, like on the CPU path."""
    from semrsm_native import _gpu

    x = np.zeros((2, 3, 4), dtype=np.float32)
    with pytest.raises(ValueError, match="unknown kernel"):
        _gpu.semantic_rsm(x, kernel="poly", device="cuda")
    with pytest.raises(ValueError, match="unknown matcher"):
        _gpu.semantic_rsm(x, matcher="simplex", device="cuda")
    with pytest.raises(NotImplementedError, match="device='cpu'"):
        _gpu.semantic_rsm(x, matcher="batch_optimal", device="cuda")
    with pytest.raises(ValueError, match="precision"):
        _gpu.semantic_rsm(x, precision="fp8", device="cuda")
    with pytest.raises(ValueError, match="sigma"):
        _gpu.semantic_rsm(x, kernel="rbf", sigma=-1.0, device="cuda")
