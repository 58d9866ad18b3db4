"""Kernel parameters at their edges (issue 14): sigma / eps that are NaN, 0 or infinite,
``window=True``, the RBF kernel with one sample or identical samples, and the authors' RBF
bandwidth on the full matrix and in x-vs-y mode against a NumPy reimplementation of its
definition (independent of tests/rsm_reference.py and of the engine).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment as scipy_lsa

from semrsm_native import compat, linear_sum_assignment_batch, semantic_rsm, spatio_semantic_rsm

KERNELS = ["linear", "cosine", "rbf"]
BAD_POSITIVE = [math.nan, np.float32("nan"), 0, 0.0, -0.0, math.inf, -math.inf, -1e-300]


def _ids(values):
    return [repr(v) for v in values]


# ---- sigma / eps ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", BAD_POSITIVE, ids=_ids(BAD_POSITIVE))
def test_sigma_refused(value):
    x = np.ones((3, 2, 2, 2))
    for call in (
        lambda: semantic_rsm(x, kernel="rbf", sigma=value),
        lambda: semantic_rsm(x, x, kernel=["linear", "rbf"], sigma=value),
        # refused even when no RBF is asked for: a bad argument is a bad argument
        lambda: semantic_rsm(x, kernel="cosine", sigma=value),
        lambda: spatio_semantic_rsm(x, kernel="rbf", sigma=value),
        lambda: compat.SemanticCKA(kernel="rbf", sigma=value)(x, x, "nchw"),
    ):
        with pytest.raises(ValueError, match="sigma must be a positive finite number"):
            call()


@pytest.mark.parametrize("value", BAD_POSITIVE, ids=_ids(BAD_POSITIVE))
def test_eps_refused(value):
    x = np.ones((3, 2, 2, 2))
    for matcher in ("auction", "hungarian"):
        with pytest.raises(ValueError, match="eps must be a positive finite number"):
            semantic_rsm(x, matcher=matcher, eps=value)


@pytest.mark.parametrize("value", [True, "0.1", [0.1]])
def test_sigma_and_eps_of_the_wrong_type(value):
    x = np.ones((3, 2, 2, 2))
    with pytest.raises(TypeError, match="sigma"):
        semantic_rsm(x, kernel="rbf", sigma=value)
    with pytest.raises(TypeError, match="eps"):
        semantic_rsm(x, matcher="auction", eps=value)


@pytest.mark.parametrize("option, value", [
    ("eps_final", math.nan), ("eps_final", -1e-9), ("eps_factor", math.nan), ("eps_factor", 1.0),
    ("eps_factor", 0.0),
])
def test_batch_auction_epsilons_refused(option, value):
    with pytest.raises(ValueError, match=option):
        linear_sum_assignment_batch(np.zeros((2, 3, 3)), method="auction", **{option: value})


def test_valid_sigma_and_eps_are_used():
    # The other side of the checks: small but valid values go through and change the result.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5, 3))
    assert not np.array_equal(semantic_rsm(x, kernel="rbf", sigma=0.5), semantic_rsm(x, kernel="rbf", sigma=5.0))
    a = semantic_rsm(x, kernel="linear", matcher="auction", eps=1e-9)
    b = semantic_rsm(x, kernel="linear")
    np.testing.assert_allclose(a, b, rtol=1e-7)


# ---- window ---------------------------------------------------------------------------------


@pytest.mark.parametrize("window", [True, False, np.bool_(True)], ids=repr)
def test_window_bool_refused(window):
    x = np.ones((3, 2, 2, 2))
    with pytest.raises(TypeError, match="window must be an integer"):
        semantic_rsm(x, matcher="batch_optimal", window=window)
    with pytest.raises((TypeError, ValueError), match="window"):
        linear_sum_assignment_batch(np.zeros((2, 3, 3)), method="batch_optimal", window=window)


def test_window_numpy_integer_accepted():
    rng = np.random.default_rng(1)
    x = rng.random((3, 4, 2, 2))
    np.testing.assert_array_equal(
        semantic_rsm(x, matcher="batch_optimal", window=np.int64(2)),
        semantic_rsm(x, matcher="batch_optimal", window=2),
    )


# ---- RBF at the edges -----------------------------------------------------------------------


def _matched_d2(xi: np.ndarray, yj: np.ndarray) -> float:
    """min over permutations P of |x_i - P y_j|^2 for (S, C) samples with equal S."""
    rows, cols = scipy_lsa(xi @ yj.T, maximize=True)
    return float(np.sum((xi[rows] - yj[cols]) ** 2))


def _d2_matrix(X, Y):
    return np.array([[_matched_d2(X[i], Y[j]) for j in range(len(Y))] for i in range(len(X))])


def _authors_sigma(d2_full: np.ndarray) -> float:
    """sigma = sqrt(median(d2[d2 != 0])) + 1e-3 over the full matrix, median as torch.median
    (the lower of the two middle values for an even count)."""
    vals = np.sort(d2_full[d2_full != 0].ravel())
    med = vals[(vals.size - 1) // 2] if vals.size else 0.0
    return float(np.sqrt(med) + 1e-3)


def test_rbf_one_sample():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 6, 4))
    r = semantic_rsm(x, kernel=KERNELS)
    assert r["rbf"].shape == (1, 1) and r["rbf"][0, 0] == 1.0
    assert r["cosine"][0, 0] == pytest.approx(1.0, rel=1e-12)
    assert r["linear"][0, 0] == pytest.approx(np.sum(x**2), rel=1e-12)
    # one sample against one other: the single d2 sets the bandwidth
    y = rng.standard_normal((1, 6, 4))
    d2 = _matched_d2(x[0], y[0])
    s = np.sqrt(d2) + 1e-3
    got = semantic_rsm(x, y, kernel="rbf")
    np.testing.assert_allclose(got, [[np.exp(-d2 / (2 * s * s))]], rtol=1e-12)
    assert spatio_semantic_rsm(x, kernel="rbf")[0, 0] == 1.0
    # against a copy of itself: no nonzero d2, sigma falls back to 1e-3, the kernel to 1
    assert semantic_rsm(x, x.copy(), kernel="rbf")[0, 0] == 1.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rbf_identical_samples(dtype):
    rng = np.random.default_rng(3)
    one = rng.standard_normal((1, 8, 5))
    same = np.repeat(one, 5, axis=0).astype(dtype)
    r = semantic_rsm(same, kernel=KERNELS)
    np.testing.assert_array_equal(r["rbf"], np.ones((5, 5)))  # every d2 is 0: no NaN from sigma
    np.testing.assert_allclose(r["cosine"], 1.0, rtol=1e-6)
    assert np.all(np.isfinite(r["linear"]))
    np.testing.assert_array_equal(semantic_rsm(same, same[:3].copy(), kernel="rbf"), np.ones((5, 3)))
    np.testing.assert_array_equal(spatio_semantic_rsm(same, kernel="rbf"), np.ones((5, 5)))
    # the same concepts at other positions: semantically identical, so the same, exactly
    shuffled = np.stack([one[0][rng.permutation(8)] for _ in range(5)]).astype(dtype)
    np.testing.assert_array_equal(semantic_rsm(shuffled, kernel="rbf"), np.ones((5, 5)))
    assert np.all(spatio_semantic_rsm(shuffled, kernel="rbf")[~np.eye(5, dtype=bool)] < 1)


# ---- the authors' bandwidth -----------------------------------------------------------------


@pytest.mark.parametrize("n, duplicates", [(5, 1), (6, 1), (7, 2), (9, 2)])
def test_authors_sigma_full_matrix(n, duplicates):
    # Semantic duplicates (a sample's positions permuted) give d2 = 0, which the rule drops.
    # Nonzero values per triangle: 9, 14, 19, 34. For an even count the lower middle
    # (torch.median) and the average of the two middle values (np.median) differ; with two
    # duplicate pairs, keeping the zeros would shift the median by one value.
    rng = np.random.default_rng(10 + n)
    x = rng.standard_normal((n, 7, 3))
    pairs = [(0, n - 1), (1, n - 2)][:duplicates]
    for a, b in pairs:
        x[b] = x[a][rng.permutation(7)]
    d2 = _d2_matrix(x, x)
    for a, b in pairs:
        assert d2[a, b] == pytest.approx(0.0, abs=1e-12)
        d2[a, b] = d2[b, a] = 0.0
    sigma = _authors_sigma(d2)
    want = np.exp(-d2 / (2 * sigma**2))
    np.testing.assert_allclose(semantic_rsm(x, kernel="rbf"), want, rtol=1e-11, atol=1e-300)
    vals = d2[d2 != 0]
    averaged = np.sqrt(np.median(vals)) + 1e-3
    if (vals.size // 2) % 2 == 0:  # each value appears in both triangles
        assert not np.allclose(np.exp(-d2 / (2 * averaged**2)), want, rtol=1e-6)
    torch = pytest.importorskip("torch")
    assert float(torch.sqrt(torch.median(torch.from_numpy(vals))) + 1e-3) == pytest.approx(sigma, rel=1e-15)


@pytest.mark.parametrize("with_zero", [False, True])
def test_authors_sigma_x_vs_y(with_zero):
    # x vs y: every entry of the N x M matrix counts (no diagonal to drop), zeros excluded.
    rng = np.random.default_rng(20)
    x = rng.standard_normal((4, 6, 3))
    y = rng.standard_normal((3, 6, 3))
    if with_zero:
        y[1] = x[2][rng.permutation(6)]
    d2 = _d2_matrix(x, y)
    if with_zero:
        assert d2[2, 1] == pytest.approx(0.0, abs=1e-12)
        d2[2, 1] = 0.0
    sigma = _authors_sigma(d2)
    want = np.exp(-d2 / (2 * sigma**2))
    np.testing.assert_allclose(semantic_rsm(x, y, kernel="rbf"), want, rtol=1e-11)
    # the self-mode rule (off-diagonal only) would use other values here: not what is wanted
    square = d2[:3, :3].copy()
    np.fill_diagonal(square, 0.0)
    assert _authors_sigma(square) != pytest.approx(sigma)
