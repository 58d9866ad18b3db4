"""The native threshold screen of semantic_topk (cpp/core/rsm/screen.hpp, `_core.rsm_screen`).

For every pair it must return certified bounds lower <= v <= upper on the exact matched
linear value v, and stop only for one of its three reasons (upper below the threshold,
lower reaching it, the final epsilon). Oracles: scipy's linear_sum_assignment on the float64
inner products, and the engine's own exact linear RSM.
"""

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from semrsm_native import _core, semantic_rsm
from semrsm_native.rsm import _prepared_views

EPS_FIRST, EPS_FACTOR = 0.25, 7.0


def family(rng, n, shape, kind, dtype=np.float32):
    """ReLU noise, Gamma-scaled positions (hard costs), or one outlier position per sample."""
    x = np.maximum(rng.standard_normal((n,) + shape), 0)
    if kind == "gamma":
        x *= rng.gamma(2.0, 1.0, (n, 1) + shape[1:])
    elif kind == "outliers":
        x[:, :, 0] *= 30.0
    return x.astype(dtype)


def oracle(x, y):
    """Exact matched linear values from the float64 inner products of the positions."""
    a = x.reshape(len(x), x.shape[1], -1).astype(np.float64)
    b = y.reshape(len(y), y.shape[1], -1).astype(np.float64)
    out = np.empty((len(a), len(b)))
    for i in range(len(a)):
        for j in range(len(b)):
            w = a[i].T @ b[j]
            r, c = linear_sum_assignment(w, maximize=True)
            out[i, j] = w[r, c].sum()
    return out


def screen(x, y, pi, pj, tau, eps=1e-2, threads=1, layout=None):
    xv, yv, code, _, _ = _prepared_views(x, y, layout=layout, threads=threads, func="t")
    return _core.rsm_screen(xv, yv, code, np.asarray(pi, np.int64), np.asarray(pj, np.int64),
                            np.asarray(tau, np.float64), eps, EPS_FIRST, EPS_FACTOR, threads,
                            None, "t")


def all_pairs(n, m):
    pi, pj = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    return pi.ravel(), pj.ravel()


def tolerance(x, y):
    """float32 rounding of the cost GEMM: C u |x_s| |y_t| per entry, S entries (Higham 3.1)."""
    c, s = x.shape[1], max(np.prod(x.shape[2:]), np.prod(y.shape[2:]))
    peak = np.sqrt((x.astype(np.float64) ** 2).sum(1)).max() * np.sqrt((y.astype(np.float64) ** 2).sum(1)).max()
    return 2 * c * s * peak * 2.0**-24


@pytest.mark.parametrize("kind", ["relu", "gamma", "outliers"])
@pytest.mark.parametrize("shapes", [((6, 4, 4), (6, 4, 4)), ((5, 4, 4), (5, 3, 5)), ((3, 2, 7), (3, 3, 3))])
@pytest.mark.parametrize("taus", ["-inf", "inf", "exact", "shifted"])
def test_bounds_contain_the_optimum(kind, shapes, taus):
    rng = np.random.default_rng(11)
    x, y = family(rng, 5, shapes[0], kind), family(rng, 6, shapes[1], kind)
    want = oracle(x, y)
    pi, pj = all_pairs(5, 6)
    v = want[pi, pj]
    tau = {"-inf": np.full(v.shape, -np.inf), "inf": np.full(v.shape, np.inf), "exact": v,
           "shifted": v * (1 + 0.05 * rng.standard_normal(v.shape))}[taus]
    lo, hi, ph = screen(x, y, pi, pj, tau)
    tol = tolerance(x, y)
    assert lo.dtype == hi.dtype == np.float64 and ph.dtype == np.int32
    assert (lo <= v + tol).all() and (v <= hi + tol).all()
    assert (lo <= hi).all() and (ph >= 1).all()
    # The engine's exact values, from the same float32 cost entries, lie inside too.
    exact = np.asarray(semantic_rsm(x, y, kernel="linear"))[pi, pj]
    assert (lo <= exact + tol).all() and (exact <= hi + tol).all()
    if taus in ("-inf", "inf"):  # either infinity decides every pair after one phase
        assert (ph == 1).all()


@pytest.mark.parametrize("eps", [1e-1, 1e-2, 1e-3])
def test_stops_only_for_a_reason(eps):
    """Every pair stopped because upper < tau, lower >= tau, or the final epsilon was
    reached; a pair at its threshold runs to the final epsilon, whose gap it then meets
    (eps-complementary slackness: at most n eps times the largest absolute cost)."""
    rng = np.random.default_rng(12)
    x = family(rng, 6, (8, 4, 4), "gamma")
    want = oracle(x, x)
    pi, pj = all_pairs(6, 6)
    v = want[pi, pj]
    tau = v * (1 + 0.02 * rng.standard_normal(v.shape))
    tau[::5] = v[::5]  # straddling: at the exact value
    lo, hi, ph = screen(x, x, pi, pj, tau, eps=eps)
    # A NaN threshold is never decided (both comparisons are false): the full schedule.
    _, _, ph_full = screen(x, x, pi, pj, np.full(v.shape, np.nan), eps=eps)
    costs = [np.abs(x[i].reshape(8, -1).T.astype(np.float64) @ x[j].reshape(8, -1)).max()
             for i, j in zip(pi, pj)]
    n = 16
    final = (hi < tau) | (lo >= tau)
    assert (ph <= ph_full).all()
    assert (final | (ph == ph_full)).all()
    tol = tolerance(x, x)
    straddle = np.zeros(len(v), bool)
    straddle[::5] = True
    straddle &= ~final
    assert straddle.any()
    assert ((hi - lo)[straddle] <= 1.01 * n * eps * np.asarray(costs)[straddle] + tol).all()


def test_finer_epsilon_tightens_the_straddling_pairs():
    rng = np.random.default_rng(13)
    x = family(rng, 5, (16, 5, 5), "relu")
    pi, pj = all_pairs(5, 5)
    v = oracle(x, x)[pi, pj]
    widths = [np.median((lambda r: r[1] - r[0])(screen(x, x, pi, pj, v, eps=e))) for e in (1e-1, 1e-2, 1e-3)]
    assert widths[0] > widths[1] > widths[2] >= 0


def test_threads_layouts_and_float64_agree():
    rng = np.random.default_rng(14)
    x = family(rng, 7, (6, 3, 3), "gamma")
    pi, pj = all_pairs(7, 7)
    tau = oracle(x, x)[pi, pj] * 0.99
    one = screen(x, x, pi, pj, tau, threads=1)
    two = screen(x, x, pi, pj, tau, threads=2)
    for a, b in zip(one, two):
        assert np.array_equal(a, b)
    tokens = np.ascontiguousarray(x.reshape(7, 6, 9).transpose(0, 2, 1))  # (N, T, D)
    tok = screen(tokens, tokens, pi, pj, tau, layout="ntd")
    assert np.allclose(tok[0], one[0], rtol=1e-5) and np.allclose(tok[1], one[1], rtol=1e-5)
    x64 = x.astype(np.float64)
    lo, hi, _ = screen(x64, x64, pi, pj, tau)
    v = oracle(x64, x64)[pi, pj]
    assert (lo <= v * (1 + 1e-12)).all() and (v <= hi * (1 + 1e-12)).all()


def test_zero_samples_and_empty_lists():
    x = np.zeros((2, 3, 2, 2), np.float32)
    x[1] = 1.0
    lo, hi, ph = screen(x, x, [0, 0, 1], [0, 1, 0], [0.5, 0.5, 0.5])
    assert lo.tolist() == [0.0, 0.0, 0.0] and hi.tolist() == [0.0, 0.0, 0.0]
    lo, hi, ph = screen(x, x, [], [], [])
    assert lo.shape == hi.shape == ph.shape == (0,)


def test_bad_arguments_are_refused():
    x = family(np.random.default_rng(15), 3, (2, 2, 2), "relu")
    with pytest.raises(ValueError):
        screen(x, x, [0, 3], [0, 0], [0.0, 0.0])  # index out of range
    with pytest.raises(ValueError):
        screen(x, x, [0, -1], [0, 0], [0.0, 0.0])
    with pytest.raises(ValueError):
        screen(x, x, [0, 1], [0], [0.0, 0.0])  # lengths differ
    xv, _, code, _, _ = _prepared_views(x, None, layout=None, threads=1, func="t")
    one = np.zeros(1, np.int64)
    with pytest.raises(ValueError):  # epsilon factor must exceed 1
        _core.rsm_screen(xv, xv, code, one, one, np.zeros(1), 1e-2, EPS_FIRST, 1.0, 1, None, "t")
