"""semantic_rsm(..., return_bounds=True): every interval holds the exact RSM entry.

"Exact" is the RSM of matcher="hungarian" with the same inputs and options (the exact solver
agrees with scipy to rounding, test_rsm.py), checked here too against the NumPy/scipy oracle
of tests/rsm_reference.py with a tolerance for its own float64 arithmetic. The approximate
matchers' intervals must contain the exact entries with no tolerance at all.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semrsm_native import Bounds, _gpu, semantic_rsm, semantic_rsm_block

sys.path.insert(0, str(Path(__file__).parent))
import rsm_reference as ref  # noqa: E402

MATCHERS = ["hungarian", "greedy", "auction", "batch_optimal"]
APPROX = ["greedy", "auction", "batch_optimal"]
KERNELS = ["linear", "cosine", "rbf"]
SIGMA = 3.0


def family(rng, n, shape, kind, dtype=np.float32):
    """(N, C, H, W) activations: ReLU noise, Gamma-scaled positions (crowded, hard costs),
    outlier positions carrying most of the norm, or small integers (many tied costs)."""
    if kind == "ties":
        return rng.integers(0, 3, (n,) + shape).astype(dtype)
    x = np.maximum(rng.standard_normal((n,) + shape), 0).astype(dtype)
    if kind == "gamma":
        x *= rng.gamma(2.0, 1.0, (n, 1) + shape[1:]).astype(dtype)
    elif kind == "outliers":
        x[:, :, 0] *= 30.0
    return x


def to_layout(x, layout):
    """x (N, C, H, W) in the given layout (ntd: (N, H * W, C))."""
    if layout == "nchw":
        return x
    if layout == "nhwc":
        return np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    n, c, h, w = x.shape
    return np.ascontiguousarray(x.reshape(n, c, h * w).transpose(0, 2, 1))


def check_contains(x, y, matcher, layout=None, window=2, **kw):
    """Every kernel's interval holds the exact entry; the approximate RSM lies inside too
    (linear, cosine: both sides are the same monotone map of the same sums)."""
    opts = dict(kernel=KERNELS, sigma=SIGMA, layout=layout, **kw)
    exact = semantic_rsm(x, y, matcher="hungarian", **opts)
    approx, bounds = semantic_rsm(x, y, matcher=matcher, window=window, return_bounds=True, **opts)
    assert isinstance(bounds, Bounds)
    for k in KERNELS:
        lo, hi = bounds.lower[k], bounds.upper[k]
        assert lo.shape == hi.shape == exact[k].shape and lo.dtype == hi.dtype == np.float64
        bad = ~((lo <= exact[k]) & (exact[k] <= hi))
        assert not bad.any(), (matcher, k, np.argwhere(bad)[:3], lo[bad][:3], exact[k][bad][:3],
                               hi[bad][:3])
        if k != "rbf":
            assert (lo <= approx[k]).all() and (approx[k] <= hi).all()
    return exact, approx, bounds


@pytest.mark.parametrize("matcher", MATCHERS)
@pytest.mark.parametrize("layout", ["nchw", "nhwc", "ntd"])
@pytest.mark.parametrize("self_mode", [True, False])
def test_intervals_contain_the_exact_rsm(matcher, layout, self_mode):
    rng = np.random.default_rng(3)
    x = to_layout(family(rng, 7, (6, 3, 3), "gamma"), layout)
    y = None if self_mode else to_layout(family(rng, 5, (6, 3, 3), "gamma"), layout)
    exact, _, bounds = check_contains(x, y, matcher, layout=layout)
    if matcher == "hungarian":
        for k in KERNELS:
            assert np.array_equal(bounds.lower[k], exact[k])
            assert np.array_equal(bounds.upper[k], exact[k])


@pytest.mark.parametrize("matcher", APPROX)
@pytest.mark.parametrize("self_mode", [True, False])
def test_intervals_contain_the_scipy_oracle(matcher, self_mode):
    """Against independent float64 arithmetic: the oracle's matched linear value lies in the
    interval up to the oracle's own rounding (float64 input: the engine's GEMM is float64)."""
    rng = np.random.default_rng(5)
    x = family(rng, 6, (5, 3, 3), "outliers", np.float64)
    y = None if self_mode else family(rng, 4, (5, 2, 4), "outliers", np.float64)
    _, bounds = semantic_rsm(x, y, kernel="linear", matcher=matcher, window=3, return_bounds=True)
    px = ref.positions(x)
    py = px if y is None else ref.positions(y)
    for i in range(len(px)):
        for j in range(len(py)):
            _, lin = ref.pair_match(px[i], py[j])
            tol = 1e-12 * max(1.0, abs(lin))
            assert bounds.lower[i, j] - tol <= lin <= bounds.upper[i, j] + tol


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 5),
    m=st.integers(1, 5),
    c=st.integers(1, 6),
    hw_x=st.sampled_from([(1, 1), (1, 3), (2, 2), (2, 3), (3, 3), (4, 4)]),
    hw_y=st.sampled_from([(1, 1), (1, 3), (2, 2), (2, 3), (3, 3), (4, 4)]),
    kind=st.sampled_from(["relu", "gamma", "outliers", "ties"]),
    matcher=st.sampled_from(APPROX),
    self_mode=st.booleans(),
    window=st.integers(1, 5),
    eps=st.sampled_from([None, 1e-3, 1e-1]),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_intervals_hold_on_random_shapes_and_values(seed, n, m, c, hw_x, hw_y, kind, matcher,
                                                    self_mode, window, eps, dtype):
    rng = np.random.default_rng(seed)
    x = family(rng, n, (c,) + hw_x, kind, dtype)
    y = None if self_mode else family(rng, m, (c,) + hw_y, kind, dtype)
    check_contains(x, y, matcher, window=window, eps=eps if matcher == "auction" else None)


@pytest.mark.parametrize("kind", ["gamma", "photo", "tokens"])
@pytest.mark.parametrize("matcher", APPROX)
def test_intervals_hold_on_the_hard_families(kind, matcher):
    """The benchmark families at S = 49 (benchmarks/families.py's definitions, C = 64)."""
    rng = np.random.default_rng(11)
    if kind == "photo":
        from semrsm_native.matcher_bench import builtin_activations

        x = np.ascontiguousarray(builtin_activations(49, n=6, seed=1), dtype=np.float32)
    else:
        x = np.maximum(rng.standard_normal((6, 49, 64)), 0).astype(np.float32)  # (N, T, D)
        if kind == "gamma":
            x *= rng.gamma(2.0, 1.0, (6, 49, 1)).astype(np.float32)
        else:
            idx = rng.integers(0, 49, 6)
            x[np.arange(6), idx] *= 30.0
    _, approx, bounds = check_contains(x, None, matcher, window=16)
    # Not vacuous: the intervals are finite and, for the certifying solvers, narrow.
    width = (bounds.upper["linear"] - bounds.lower["linear"]) / np.abs(approx["linear"])
    assert np.isfinite(width).all() and np.median(width) < 0.5


def test_block_bounds_are_the_whole_calls():
    rng = np.random.default_rng(2)
    x = family(rng, 7, (4, 2, 3), "gamma")
    _, whole = semantic_rsm(x, kernel=["cosine", "rbf"], sigma=SIGMA, matcher="greedy",
                            return_bounds=True)
    for rows, cols in ((slice(0, 3), slice(0, 3)), (slice(0, 3), slice(3, 7)),
                       (slice(4, 7), slice(0, 4))):
        block, d2, b = semantic_rsm_block(x, rows=rows, cols=cols, kernel=["cosine", "rbf"],
                                          sigma=SIGMA, matcher="greedy", return_d2=True,
                                          return_bounds=True)
        for k in ("cosine", "rbf"):
            assert np.array_equal(b.lower[k], whole.lower[k][rows, cols])
            assert np.array_equal(b.upper[k], whole.upper[k][rows, cols])
    y = family(rng, 4, (4, 3, 3), "gamma")
    block, b = semantic_rsm_block(x, y, rows=slice(1, 4), cols=slice(0, 2), kernel="cosine",
                                  matcher="hungarian", return_bounds=True)
    assert np.array_equal(b.lower, block) and np.array_equal(b.upper, block)
    assert b.lower is not block


def test_rsm_values_do_not_change_with_bounds():
    rng = np.random.default_rng(4)
    x = family(rng, 6, (5, 3, 3), "gamma")
    for matcher in MATCHERS:
        plain, perm = semantic_rsm(x, matcher=matcher, window=4, return_permutations=True)
        with_b, perm_b, bounds = semantic_rsm(x, matcher=matcher, window=4,
                                              return_permutations=True, return_bounds=True)
        assert np.array_equal(plain, with_b) and np.array_equal(perm, perm_b)
        assert bounds.lower.shape == plain.shape


def test_inputs_are_not_modified():
    rng = np.random.default_rng(6)
    x = family(rng, 5, (3, 2, 2), "gamma")
    y = family(rng, 4, (3, 2, 2), "gamma")
    x0, y0 = x.copy(), y.copy()
    for matcher in MATCHERS:
        semantic_rsm(x, y, kernel=KERNELS, sigma=SIGMA, matcher=matcher, return_bounds=True)
        semantic_rsm_block(x, y, rows=slice(0, 2), cols=slice(1, 3), matcher=matcher,
                           return_bounds=True)
    assert np.array_equal(x, x0) and np.array_equal(y, y0)


def test_torch_in_torch_out():
    torch = pytest.importorskip("torch")
    x = torch.from_numpy(family(np.random.default_rng(7), 4, (3, 2, 2), "gamma"))
    out, bounds = semantic_rsm(x, matcher="greedy", return_bounds=True)
    assert isinstance(bounds.lower, torch.Tensor) and isinstance(bounds.upper, torch.Tensor)
    assert bool((bounds.lower <= out).all()) and bool((out <= bounds.upper).all())


def test_invalid_combinations_raise_clearly(monkeypatch):
    x = family(np.random.default_rng(8), 4, (3, 2, 2), "relu")
    with pytest.raises(ValueError, match="return_bounds needs cost='inner'"):
        semantic_rsm(x, matcher="greedy", cost="cosine", return_bounds=True)
    with pytest.raises(ValueError, match="return_bounds with kernel 'rbf'.*needs sigma"):
        semantic_rsm(x, kernel="rbf", matcher="auction", return_bounds=True)
    with pytest.raises(TypeError, match="return_bounds"):
        semantic_rsm(x, return_bounds="yes")
    # The exact matcher's bounds are its entries, median bandwidth included.
    out, b = semantic_rsm(x, kernel="rbf", return_bounds=True)
    assert np.array_equal(b.lower, out)
    monkeypatch.setattr(_gpu, "wants_gpu", lambda func, device, *arrays: True)
    with pytest.raises(NotImplementedError, match="return_bounds is computed by the CPU engine"):
        semantic_rsm(x, matcher="greedy", return_bounds=True, device="cuda")


def test_bounds_do_not_depend_on_the_thread_count():
    x = family(np.random.default_rng(9), 9, (5, 3, 3), "gamma")
    for matcher in APPROX:
        _, one = semantic_rsm(x, matcher=matcher, window=4, threads=1, return_bounds=True)
        _, two = semantic_rsm(x, matcher=matcher, window=4, threads=2, return_bounds=True)
        assert np.array_equal(one.lower, two.lower) and np.array_equal(one.upper, two.upper)
