"""The approximate methods: valid assignments, never better than the optimum, within their
stated bounds; greedy and batch_optimal also against straightforward NumPy references."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment as scipy_lsa

from semrsm_native import linear_sum_assignment_batch

sys.path.insert(0, str(Path(__file__).parent))  # the shared helpers (importlib import mode)
from _lap_cases import KINDS, assert_valid, make_problem, objective, tolerance


def optimum(c, maximize):
    return objective(c, *scipy_lsa(np.asarray(c, np.float64), maximize=maximize))


def greedy_reference(c, maximize):
    """Global greedy by a full sort: key, then row, then column."""
    a = np.asarray(c, np.float64)
    key = -a if maximize else a
    n, m = a.shape
    rows, cols = np.divmod(np.arange(n * m), m)
    order = np.lexsort((cols, rows, key.ravel()))
    col4row = np.full(n, -1)
    row_done = np.zeros(n, bool)
    col_done = np.zeros(m, bool)
    for k in order:
        r, j = rows[k], cols[k]
        if row_done[r] or col_done[j] or not np.isfinite(key.flat[k]):
            continue
        col4row[r] = j
        row_done[r] = col_done[j] = True
    return col4row


def batch_optimal_reference(c, row_keys, col_keys, window, maximize):
    n, m = c.shape
    ro = np.argsort(-row_keys, kind="stable")
    co = np.argsort(-col_keys, kind="stable")
    col4row = np.full(n, -1)
    for s in range(0, min(n, m), window):
        r, cc = ro[s : s + window], co[s : s + window]
        br, bc = scipy_lsa(c[np.ix_(r, cc)].astype(np.float64), maximize=maximize)
        col4row[r[br]] = cc[bc]
    return col4row


def realistic(rng, b, s, ch, dtype=np.float32):
    x = np.maximum(rng.standard_normal((b, s, ch)), 0).astype(dtype)
    y = np.maximum(rng.standard_normal((b, s, ch)), 0).astype(dtype)
    return x @ y.transpose(0, 2, 1), np.linalg.norm(x, axis=2), np.linalg.norm(y, axis=2)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_greedy_is_the_global_greedy(kind, dtype):
    rng = np.random.default_rng(7)
    for t in range(12):
        n, m = (int(x) for x in rng.integers(1, 50, 2))
        maximize = bool(t % 2)
        c = make_problem(rng, n, m, kind, dtype, maximize)
        col_ind, obj = linear_sum_assignment_batch(c[None], maximize=maximize, method="greedy")
        np.testing.assert_array_equal(col_ind[0], greedy_reference(c, maximize))
        assert_valid(col_ind[0], n, m)
        opt = optimum(c, maximize)
        # never better than the optimum
        assert (obj[0] >= opt - tolerance(c)) if not maximize else (obj[0] <= opt + tolerance(c))


def test_greedy_quality_on_realistic_costs():
    costs, _, _ = realistic(np.random.default_rng(8), 4, 196, 512)
    _, obj = linear_sum_assignment_batch(costs, maximize=True, method="greedy")
    _, opt = linear_sum_assignment_batch(costs, maximize=True)
    assert (obj / opt).min() >= 0.95


def test_greedy_forbidden_entries():
    c = np.array([[1.0, np.inf], [np.inf, 2.0]])
    col_ind, obj = linear_sum_assignment_batch(c[None], method="greedy")
    assert col_ind[0].tolist() == [0, 1] and obj[0] == 3.0
    # greedy takes 0 first, leaving row 1 only a forbidden entry
    c = np.array([[0.0, 1.0], [5.0, np.inf]])
    with pytest.raises(ValueError, match="infeasible"):
        linear_sum_assignment_batch(c[None], method="greedy")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_auction_within_certified_bound(kind, dtype):
    rng = np.random.default_rng(9)
    for t in range(10):
        n, m = (int(x) for x in rng.integers(1, 40, 2))
        maximize = bool(t % 2)
        c = make_problem(rng, n, m, kind, dtype, maximize, inf_frac=0.2 if t % 4 == 0 else 0.0)
        try:
            opt = optimum(c, maximize)
        except ValueError:
            with pytest.raises(ValueError, match="infeasible"):
                linear_sum_assignment_batch(c[None], maximize=maximize, method="auction")
            continue
        for eps in (0.0, 1e-2):
            col_ind, obj, bound = linear_sum_assignment_batch(
                c[None], maximize=maximize, method="auction", return_bound=True, eps_final=eps
            )
            assert_valid(col_ind[0], n, m)
            gap = (opt - obj[0]) if maximize else (obj[0] - opt)
            tol = tolerance(c) * 10
            assert -tol <= gap <= bound[0] + tol  # never better; certified bound holds
            finite = np.abs(c[np.isfinite(c)])
            eps_abs = (eps or 1e-6 / max(n, m)) * finite.max() if finite.size else 0.0
            assert bound[0] <= max(n, m) * eps_abs * (1 + 1e-9) + tol


def test_auction_default_is_within_1e4_relative():
    costs, _, _ = realistic(np.random.default_rng(10), 3, 196, 512)
    _, obj, bound = linear_sum_assignment_batch(costs, maximize=True, method="auction", return_bound=True)
    _, opt = linear_sum_assignment_batch(costs, maximize=True)
    assert ((opt - obj) / opt).max() <= 1e-4
    assert (bound / opt).max() <= 1e-4
    assert (opt - obj <= bound + 1e-9 * opt).all()


@pytest.mark.parametrize("shape", [(30, 30), (25, 40), (40, 25)])
@pytest.mark.parametrize("window", [1, 7, 16, 64])
def test_batch_optimal_matches_reference(shape, window):
    rng = np.random.default_rng(window)
    n, m = shape
    for maximize in (False, True):
        c = rng.random((2, n, m))
        rk, ck = rng.random((2, n)), rng.random((2, m))
        col_ind, obj = linear_sum_assignment_batch(
            c, maximize=maximize, method="batch_optimal", window=window, row_keys=rk, col_keys=ck
        )
        for b in range(2):
            ref = batch_optimal_reference(c[b], rk[b], ck[b], window, maximize)
            assert_valid(col_ind[b], n, m)
            # windows can hold ties only with probability 0 here: indices agree
            np.testing.assert_array_equal(col_ind[b], ref)
            rows = np.flatnonzero(ref >= 0)
            assert obj[b] == pytest.approx(objective(c[b], rows, ref[rows]), rel=1e-12)
            opt = optimum(c[b], maximize)
            assert (obj[b] <= opt + 1e-9) if maximize else (obj[b] >= opt - 1e-9)


def test_batch_optimal_default_keys_and_full_window():
    rng = np.random.default_rng(11)
    c = rng.random((3, 20, 20))
    _, obj = linear_sum_assignment_batch(c, method="batch_optimal", window=20)
    _, opt = linear_sum_assignment_batch(c)
    np.testing.assert_allclose(obj, opt, rtol=1e-12)
    # default keys: sums in the benefit sense
    col_ind, _ = linear_sum_assignment_batch(c, maximize=True, method="batch_optimal", window=5)
    for b in range(3):
        ref = batch_optimal_reference(c[b], c[b].sum(1), c[b].sum(0), 5, True)
        np.testing.assert_array_equal(col_ind[b], ref)


def test_batch_optimal_quality_with_norm_keys():
    costs, xn, yn = realistic(np.random.default_rng(12), 2, 196, 512)
    _, obj = linear_sum_assignment_batch(
        costs, maximize=True, method="batch_optimal", window=128, row_keys=xn, col_keys=yn
    )
    _, opt = linear_sum_assignment_batch(costs, maximize=True)
    assert (obj / opt).min() >= 0.9
    assert (obj <= opt * (1 + 1e-6)).all()


def test_batch_optimal_requests_only_the_window_blocks():
    from semrsm_native import _testing

    rng = np.random.default_rng(13)
    for n, m, window in [(50, 50, 16), (37, 60, 10), (60, 37, 25)]:
        c = rng.random((n, m))
        rk, ck = rng.random(n), rng.random(m)
        col4row, obj, blocks = _testing.lap_batch_optimal_logged(c, rk, ck, window, True)
        expected = []
        for s in range(0, min(n, m), window):
            expected.append((min(window, n - s), min(window, m - s)))
        assert blocks == expected
        assert sum(a * b for a, b in blocks) < n * m
        ref = batch_optimal_reference(c, rk, ck, window, True)
        np.testing.assert_array_equal(col4row, ref)


# ------------------------------------------------------------------------------------------
# Certified bounds of the approximations that do not certify themselves (greedy,
# batch_optimal): the gap to a dual bound, checked against scipy's optimum.


def _check_dual_gap(c, maximize, method, **opts):
    n, m = c.shape
    col_ind, obj, bound = linear_sum_assignment_batch(
        c[None], maximize=maximize, method=method, return_bound=True, **opts
    )
    assert_valid(col_ind[0], n, m)
    plain = linear_sum_assignment_batch(c[None], maximize=maximize, method=method, **opts)
    # Asking for the bound changes nothing else.
    np.testing.assert_array_equal(plain[0], col_ind)
    np.testing.assert_array_equal(plain[1], obj)
    opt = optimum(c, maximize)
    shortfall = (opt - obj[0]) if maximize else (obj[0] - opt)
    tol = tolerance(c) * 10
    assert bound[0] >= 0.0
    assert -tol <= shortfall <= bound[0] + tol
    return shortfall, float(bound[0]), opt


@pytest.mark.parametrize("method", ["greedy", "batch_optimal"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_approximation_bound_holds(method, kind, dtype):
    rng = np.random.default_rng(31)
    for t in range(10):
        n, m = (int(x) for x in rng.integers(1, 40, 2))
        c = make_problem(rng, n, m, kind, dtype, maximize=bool(t % 2))
        opts = {"window": int(rng.integers(1, 12))} if method == "batch_optimal" else {}
        _check_dual_gap(c, bool(t % 2), method, **opts)


@pytest.mark.parametrize("method", ["greedy", "batch_optimal"])
def test_approximation_bound_is_informative_on_feature_costs(method):
    # Inner products of ReLU features (the RSM's costs): the bound is a small fraction of the
    # optimum, not merely valid (bounds.md measures 0.1-6% on such costs).
    costs, _, _ = realistic(np.random.default_rng(12), 4, 49, 128)
    opts = {"window": 8} if method == "batch_optimal" else {}
    for c in costs:
        shortfall, bound, opt = _check_dual_gap(c, True, method, **opts)
        assert bound <= 0.15 * abs(opt)


def test_approximation_bound_with_forbidden_entries_is_infinite():
    rng = np.random.default_rng(5)
    c = rng.random((6, 6))
    c[0, 1] = np.inf
    _, obj, bound = linear_sum_assignment_batch(c[None], method="greedy", return_bound=True)
    assert np.isfinite(obj[0]) and bound[0] == np.inf


def test_approximation_bound_of_a_batch_does_not_depend_on_threads():
    costs, _, _ = realistic(np.random.default_rng(13), 24, 30, 64)
    one = linear_sum_assignment_batch(costs, True, "greedy", threads=1, return_bound=True)
    two = linear_sum_assignment_batch(costs, True, "greedy", threads=2, return_bound=True)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
