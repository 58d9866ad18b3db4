"""semantic_rsm with the approximate matchers: valid matchings, never above the exact RSM,
within the stated bounds; every matcher on every path (rectangular, cosine cost, threads)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from semrsm_native import semantic_rsm

sys.path.insert(0, str(Path(__file__).parent))
import rsm_reference as ref  # noqa: E402

APPROX = ["greedy", "auction", "batch_optimal"]
ALL = ["hungarian"] + APPROX


def structured_features(rng, n, c, side, dtype=np.float32):
    """Post-ReLU maps like a CNN's: smooth fields shared across samples, shifted per sample,
    with a per-position saliency envelope (position norms vary a lot, as in real layers)."""
    k = 8
    blur = (0, max(side / 8, 0.7), max(side / 8, 0.7))
    protos = np.stack([gaussian_filter(rng.standard_normal((k, side, side)), blur, mode="wrap") for _ in range(3)])
    protos /= protos.std()
    mix = rng.standard_normal((c, k)) / np.sqrt(k)
    out = np.empty((n, c, side, side), dtype=dtype)
    for i in range(n):
        z = np.roll(protos[rng.integers(3)], tuple(rng.integers(0, side, 2)), axis=(1, 2))
        noise = gaussian_filter(rng.standard_normal((k, side, side)), blur, mode="wrap")
        z = z + 0.7 * noise / noise.std()
        sal = gaussian_filter(rng.standard_normal((side, side)), blur[1:], mode="wrap")
        out[i] = np.maximum(np.tensordot(mix, z, axes=(1, 0)) - 0.5, 0) * np.exp(sal / sal.std())
    return out


def assert_valid(perm, lin, X, Y, rtol):
    n, m, sx = perm.shape
    sy = Y.shape[1]
    for i in range(n):
        for j in range(m):
            p = perm[i, j]
            matched = p >= 0
            assert matched.sum() == min(sx, sy)
            assert len(set(p[matched].tolist())) == matched.sum()
            assert p.max() < sy
            val = np.sum(X[i][matched] * Y[j][p[matched]])
            np.testing.assert_allclose(lin[i, j], val, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("matcher", APPROX)
def test_valid_and_never_above_exact(matcher, dtype):
    rng = np.random.default_rng(20)
    x = structured_features(rng, 7, 12, 5, dtype)
    y = structured_features(rng, 4, 12, 4, dtype)  # rectangular: 25 vs 16 positions
    for yy in (None, y):
        exact = semantic_rsm(x, yy, kernel="linear")
        lin, perm = semantic_rsm(x, yy, kernel="linear", matcher=matcher, window=8, return_permutations=True)
        X = ref.positions(x)
        Y = X if yy is None else ref.positions(yy)
        assert_valid(perm, lin, X, Y, 1e-5 if dtype == np.float32 else 1e-10)
        assert np.all(lin <= exact * (1 + 1e-12) + 1e-12)
        if yy is None:
            np.testing.assert_array_equal(lin, lin.T)
            np.testing.assert_array_equal(np.diag(lin), np.diag(exact))
        # y against x: the transposed problem.
        if yy is not None:
            back = semantic_rsm(yy, x, kernel="linear", matcher=matcher, window=8)
            assert np.all(back <= exact.T * (1 + 1e-12) + 1e-12)


@pytest.mark.parametrize("matcher", APPROX)
def test_kernels_follow_the_same_matching(matcher):
    rng = np.random.default_rng(21)
    x = structured_features(rng, 6, 10, 5, np.float64)
    r, perm = semantic_rsm(x, kernel=["linear", "cosine", "rbf"], matcher=matcher, window=8, return_permutations=True)
    X = ref.positions(x)
    sq = np.sum(X**2, axis=(1, 2))
    np.testing.assert_allclose(r["cosine"], r["linear"] / np.outer(np.sqrt(sq) + 1e-13, np.sqrt(sq) + 1e-13), rtol=1e-12)
    d2 = np.array([[ref.padded_d2(X[i], X[j], perm[i, j]) for j in range(6)] for i in range(6)])
    sigma = ref.default_sigma(d2, True)
    np.testing.assert_allclose(r["rbf"], np.exp(-0.5 * d2 / sigma**2), rtol=1e-10, atol=1e-12)


def test_greedy_bound_on_realistic_features():
    rng = np.random.default_rng(22)
    for c, side in [(64, 7), (32, 14)]:
        x = structured_features(rng, 8, c, side)
        iu = np.triu_indices(8, 1)
        frac = semantic_rsm(x, kernel="linear", matcher="greedy")[iu] / semantic_rsm(x, kernel="linear")[iu]
        assert frac.mean() >= 0.95 and frac.min() >= 0.9, (side, frac.mean(), frac.min())
        relu = np.maximum(rng.standard_normal((8, c, side, side)), 0)
        frac = semantic_rsm(relu, kernel="linear", matcher="greedy")[iu] / semantic_rsm(relu, kernel="linear")[iu]
        assert frac.mean() >= 0.95 and frac.min() >= 0.9, (side, frac.mean(), frac.min())


def test_auction_within_stated_bound():
    rng = np.random.default_rng(23)
    x = structured_features(rng, 8, 16, 7, np.float64)
    exact = semantic_rsm(x, kernel="linear")
    a = semantic_rsm(x, kernel="linear", matcher="auction")
    assert np.all(np.abs(a - exact) <= 1e-4 * np.abs(exact))
    # A coarse epsilon is allowed to lose more, but never gains.
    coarse = semantic_rsm(x, kernel="linear", matcher="auction", eps=0.05)
    assert np.all(coarse <= exact * (1 + 1e-12))
    signed = rng.standard_normal((5, 9, 6))
    np.testing.assert_allclose(semantic_rsm(signed, kernel="linear", matcher="auction"),
                               ref.semantic_rsm_ref(signed, kernel="linear"), rtol=1e-4, atol=1e-4)


def test_batch_optimal_window_covering_everything_is_exact():
    rng = np.random.default_rng(24)
    x = structured_features(rng, 6, 12, 6, np.float64)
    y = structured_features(rng, 3, 12, 5, np.float64)
    for yy in (None, y):
        np.testing.assert_allclose(
            semantic_rsm(x, yy, kernel="linear", matcher="batch_optimal", window=36),
            semantic_rsm(x, yy, kernel="linear"),
            rtol=1e-12,
        )


def test_batch_optimal_reasonable_and_windows_by_norm():
    rng = np.random.default_rng(25)
    x = structured_features(rng, 8, 16, 12)  # S = 144
    iu = np.triu_indices(8, 1)
    exact = semantic_rsm(x, kernel="linear")[iu]
    fracs = {w: semantic_rsm(x, kernel="linear", matcher="batch_optimal", window=w)[iu] / exact for w in (16, 48)}
    assert fracs[48].mean() >= 0.9 and fracs[16].mean() >= 0.8
    assert fracs[48].mean() >= fracs[16].mean() - 0.01
    # The windows follow the norms: each matched pair lies in the same norm-rank window.
    _, perm = semantic_rsm(x[:2], kernel="linear", matcher="batch_optimal", window=16, return_permutations=True)
    X = ref.positions(x[:2])
    rank0 = np.argsort(np.argsort(-np.linalg.norm(X[0], axis=1), kind="stable"), kind="stable")
    rank1 = np.argsort(np.argsort(-np.linalg.norm(X[1], axis=1), kind="stable"), kind="stable")
    np.testing.assert_array_equal(rank0 // 16, rank1[perm[0, 1]] // 16)


def cosine_objective(xi, yj, p):
    """Sum of the cosines of the matched concept vectors (0 for a zero vector)."""
    def unit(a):
        n = np.linalg.norm(a, axis=1, keepdims=True)
        return np.divide(a, n, out=np.zeros_like(a), where=n > 0)

    m = p >= 0
    return float(np.sum(unit(xi)[m] * unit(yj)[p[m]]))


@pytest.mark.parametrize("matcher", ALL)
def test_cosine_cost_every_matcher(matcher):
    rng = np.random.default_rng(26)
    x = structured_features(rng, 6, 10, 5, np.float64)  # many zero vectors: ties in the cost
    lin, perm = semantic_rsm(x, kernel="linear", matcher=matcher, cost="cosine", window=8, return_permutations=True)
    X = ref.positions(x)
    assert_valid(perm, lin, X, X, 1e-10)
    # Ties make the permutation (and so lin) ambiguous; the matched objective is not.
    for i in range(6):
        for j in range(6):
            best = cosine_objective(X[i], X[j], ref.pair_match(X[i], X[j], "cosine")[0])
            got = cosine_objective(X[i], X[j], perm[i, j])
            assert got <= best + 1e-9
            if matcher == "hungarian":
                assert got == pytest.approx(best, rel=1e-10, abs=1e-10)
            elif matcher == "auction":
                assert got == pytest.approx(best, rel=1e-4, abs=1e-9)


@pytest.mark.parametrize("matcher", APPROX)
def test_thread_determinism_every_matcher(matcher):
    rng = np.random.default_rng(27)
    x = structured_features(rng, 14, 12, 6)
    base = semantic_rsm(x, kernel=["linear", "rbf"], matcher=matcher, window=12, threads=1)
    for t in (2, 4):
        got = semantic_rsm(x, kernel=["linear", "rbf"], matcher=matcher, window=12, threads=t)
        for k in base:
            np.testing.assert_array_equal(got[k], base[k])
