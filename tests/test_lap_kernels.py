"""The exact solver's row kernels (core/lap/kernels.hpp) on every SIMD level the CPU has, held
to plain NumPy statements of their definitions: two_min and bid (the augmenting row reduction
and the auction), relax and relax_argmin (Dijkstra), col_min (the column reduction). Values
come from a small set so that ties are common, since tie-breaking is where vector merges go
wrong, with forbidden (+inf) costs and settled (-inf) distances mixed in; lengths cover the
vector tails and the short-row fallbacks."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semrsm_native import _testing

sys.path.insert(0, str(Path(__file__).parent))  # the shared helpers (importlib import mode)
from _simd_levels import LEVELS, skip_unless_available  # noqa: E402

INF = np.inf


def on_every_level(max_examples):
    """Parametrises a kernel test over the available SIMD levels and both dtypes, with
    hypothesis drawing its rows."""

    def wrap(test):
        test = given(data=st.data())(settings(max_examples=max_examples, deadline=None)(test))
        test = pytest.mark.parametrize("dtype", [np.float32, np.float64])(test)
        return pytest.mark.parametrize("level", list(LEVELS))(test)

    return wrap


@st.composite
def rows(draw, dtype, forbidden=True):
    """(c, v) of one row: small integers and halves (many ties), some +inf costs."""
    n = draw(st.integers(1, 80))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    c = rng.integers(0, draw(st.integers(1, 6)), n).astype(dtype)
    if forbidden and draw(st.booleans()):
        c[rng.random(n) < draw(st.sampled_from([0.1, 0.5, 0.95, 1.0]))] = INF
    v = (rng.integers(-2, 3, n) / 2).astype(dtype)
    return c, v, rng


def reduced(c, v):
    return c.astype(v.dtype) - v  # the kernels' order: c[k] - v[k] in the dual's precision


def first_two(x):
    """(u1, j1, u2) in (value, index) order; u2 = +inf when fewer than two entries."""
    order = np.lexsort((np.arange(x.size), x))
    u2 = x[order[1]] if x.size > 1 else INF
    return x[order[0]], int(order[0]), u2, (int(order[1]) if x.size > 1 else -1)


@on_every_level(150)
def test_two_min(level, dtype, data):
    skip_unless_available(level)
    c, v, _ = data.draw(rows(dtype))
    u1, j1, u2, j2 = _testing.lap_two_min(c, v, LEVELS[level])
    x = reduced(c, v)
    w1, k1, w2, k2 = first_two(x)
    assert u1 == w1 and u2 == w2
    if np.isfinite(w1):
        assert j1 == k1
    if np.isfinite(w2):
        assert j2 == k2
    assert j1 != j2 or c.size == 1
    assert 0 <= j1 < c.size


@on_every_level(150)
def test_bid(level, dtype, data):
    skip_unless_available(level)
    c, v, _ = data.draw(rows(dtype))
    u1, j1, u2 = _testing.lap_bid(c, v, LEVELS[level])
    x = reduced(c, v)
    assert u1 == x.min()
    assert j1 == (int(np.argmin(x)) if np.isfinite(x.min()) else 0)
    assert u2 == (np.sort(x)[1] if x.size > 1 else INF)  # u1 again when the minimum repeats


@pytest.mark.parametrize("level", list(LEVELS))
@pytest.mark.parametrize("types", [(np.float32, np.float32), (np.float64, np.float64),
                                   (np.float32, np.float64)])
@pytest.mark.parametrize("fused", [True, False])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_relax(level, types, fused, data):
    skip_unless_available(level)
    tc, tw = types
    c, _, rng = data.draw(rows(tc))
    n = c.size
    v = (rng.integers(-2, 3, n) / 2).astype(tw)
    d = rng.integers(0, 6, n).astype(tw)
    d[rng.random(n) < data.draw(st.sampled_from([0.0, 0.3, 0.9]))] = INF
    d[rng.random(n) < data.draw(st.sampled_from([0.0, 0.3, 1.0]))] = -INF  # settled
    path = rng.integers(0, 1000, n).astype(np.int32)
    row4col = np.where(rng.random(n) < 0.3, -1, rng.integers(0, n, n)).astype(np.int32)
    h = tw(data.draw(st.sampled_from([0.0, 0.5, -1.5, 3.0])))
    i = 7
    mu, jmin, d_out, path_out = _testing.lap_relax(c, v, d, path, row4col, h, i, fused,
                                                   LEVELS[level])
    cand = reduced(c, v) + h
    better = cand < d
    want_d = np.where(better, cand, d)
    np.testing.assert_array_equal(d_out, want_d)
    np.testing.assert_array_equal(path_out, np.where(better, i, path))
    live = want_d[want_d != -INF]
    want_mu = live.min() if live.size else INF
    assert mu == want_mu
    if not fused:
        return
    at_mu = np.flatnonzero(want_d == want_mu) if np.isfinite(want_mu) else np.array([], int)
    free = at_mu[row4col[at_mu] < 0]
    want_j = free[0] if free.size else (at_mu[0] if at_mu.size else -1)
    assert jmin == want_j


@on_every_level(100)
def test_col_min(level, dtype, data):
    skip_unless_available(level)
    c, _, rng = data.draw(rows(dtype))
    n = c.size
    v = np.where(rng.random(n) < 0.2, INF, rng.integers(-3, 4, n)).astype(dtype)
    arg = rng.integers(0, 50, n).astype(np.int32)
    h = dtype(data.draw(st.sampled_from([0.0, 1.0, -0.5, 2.5])))
    v_out, arg_out = _testing.lap_col_min(c, v, arg, h, 11, LEVELS[level])
    x = c - h
    lower = x < v
    np.testing.assert_array_equal(v_out, np.where(lower, x, v))
    np.testing.assert_array_equal(arg_out, np.where(lower, 11, arg))

