"""Shared helpers of the assignment tests: random problems and a tolerance-aware comparison
of objective values (indices can differ between optima with ties)."""

from __future__ import annotations

import numpy as np


def make_problem(rng, n, m, kind, dtype=np.float64, maximize=False, inf_frac=0.0):
    """A random n x m cost matrix of the given kind (see KINDS)."""
    if kind == "uniform":
        c = rng.random((n, m))
    elif kind == "ints":
        c = rng.integers(-5, 6, (n, m)).astype(np.float64)
    elif kind == "ties":
        c = rng.integers(0, 2, (n, m)).astype(np.float64)
    elif kind == "magnitudes":
        c = rng.standard_normal((n, m)) * 10.0 ** rng.integers(-12, 13, (n, m))
    elif kind == "negative":
        c = -rng.random((n, m)) * 1e3
    elif kind == "realistic":
        x = np.maximum(rng.standard_normal((n, 32)), 0)
        y = np.maximum(rng.standard_normal((m, 32)), 0)
        c = x @ y.T
    else:
        raise ValueError(kind)
    c = c.astype(dtype)
    if inf_frac > 0:
        mask = rng.random((n, m)) < inf_frac
        c[mask] = -np.inf if maximize else np.inf
    return c


KINDS = ("uniform", "ints", "ties", "magnitudes", "negative", "realistic")


def objective(c, rows, cols):
    return float(np.asarray(c, dtype=np.float64)[rows, cols].sum())


def tolerance(c):
    """Rounding tolerance for comparing two optimal objectives of c (both summed in double
    over min(n, m) entries, after solvers that round in double)."""
    a = np.abs(np.asarray(c, dtype=np.float64))
    finite = a[np.isfinite(a)]
    if finite.size == 0:
        return 0.0
    return 1e-12 * max(c.shape) * float(finite.max()) + 1e-300


def assert_valid(col_ind, n, m):
    col_ind = np.asarray(col_ind)
    assert col_ind.shape == (n,)
    assigned = col_ind[col_ind >= 0]
    assert assigned.size == min(n, m)
    assert np.unique(assigned).size == assigned.size
    assert (assigned < m).all()
