"""Plain float64 NumPy + scipy oracle of the semantic RSM definitions (slow, for tests only).

Written from the definitions in Wald et al. (NeurIPS 2024) and the conventions documented in
semrsm_native.semantic_rsm, independently of the engine: one scipy linear_sum_assignment
per pair, no symmetry shortcut, no blocking.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

COSINE_OFFSET = 1e-13
SIGMA_OFFSET = 1e-3


def positions(x, layout=None) -> np.ndarray:
    """(N, S, C) float64 view of activations in the given layout."""
    x = np.asarray(x, dtype=np.float64)
    if layout is None:
        layout = "nchw" if x.ndim == 4 else "ntd"
    if layout == "nchw":
        n, c, h, w = x.shape
        return x.reshape(n, c, h * w).transpose(0, 2, 1)
    if layout == "nhwc":
        n, h, w, c = x.shape
        return x.reshape(n, h * w, c)
    return x


def pair_match(xi: np.ndarray, yj: np.ndarray, cost: str = "inner"):
    """Optimal matching of the rows of xi (Sx, C) to rows of yj (Sy, C).

    Returns (perm, lin): perm[p] = matched row of yj or -1, lin = sum of matched raw inner
    products.
    """
    a, b = xi, yj
    if cost == "cosine":
        na = np.linalg.norm(a, axis=1, keepdims=True)
        nb = np.linalg.norm(b, axis=1, keepdims=True)
        a = np.divide(a, na, out=np.zeros_like(a), where=na > 0)
        b = np.divide(b, nb, out=np.zeros_like(b), where=nb > 0)
    A = a @ b.T
    rows, cols = linear_sum_assignment(A, maximize=True)
    perm = np.full(xi.shape[0], -1, dtype=np.int64)
    perm[rows] = cols
    lin = float(np.sum(xi[rows] * yj[cols]))
    return perm, lin


def padded_d2(xi, yj, perm) -> float:
    """|x_i - P y_j|^2 with the smaller sample zero-padded (unmatched vectors count fully)."""
    matched = perm >= 0
    d2 = float(np.sum((xi[matched] - yj[perm[matched]]) ** 2))
    d2 += float(np.sum(xi[~matched] ** 2))
    used = np.zeros(yj.shape[0], dtype=bool)
    used[perm[matched]] = True
    d2 += float(np.sum(yj[~used] ** 2))
    return d2


def lower_median(values: np.ndarray) -> float:
    v = np.sort(values)
    return float(v[(len(v) - 1) // 2])


def default_sigma(d2: np.ndarray, self_mode: bool) -> float:
    vals = d2[~np.eye(*d2.shape, dtype=bool)] if self_mode else d2.ravel()
    vals = vals[vals != 0]
    med = lower_median(vals) if vals.size else 0.0
    return float(np.sqrt(med) + SIGMA_OFFSET)


def kernels_from(lin, d2, sqx, sqy, kernel, sigma, self_mode):
    if kernel == "linear":
        return lin
    if kernel == "cosine":
        return lin / np.outer(np.sqrt(sqx) + COSINE_OFFSET, np.sqrt(sqy) + COSINE_OFFSET)
    s = default_sigma(d2, self_mode) if sigma is None else sigma
    return np.exp(-0.5 * d2 / (s * s))


def semantic_rsm_ref(x, y=None, kernel="cosine", layout=None, cost="inner", sigma=None):
    """Reference semantic RSM: every pair (including i >= j) solved with scipy."""
    X = positions(x, layout)
    Y = X if y is None else positions(y, layout)
    n, m = X.shape[0], Y.shape[0]
    lin = np.zeros((n, m))
    d2 = np.zeros((n, m))
    perms = np.zeros((n, m, X.shape[1]), dtype=np.int64)
    for i in range(n):
        for j in range(m):
            perm, lin[i, j] = pair_match(X[i], Y[j], cost)
            perms[i, j] = perm
            d2[i, j] = padded_d2(X[i], Y[j], perm)
    sqx = np.sum(X**2, axis=(1, 2))
    sqy = np.sum(Y**2, axis=(1, 2))
    names = [kernel] if isinstance(kernel, str) else list(kernel)
    out = {k: kernels_from(lin, d2, sqx, sqy, k, sigma, y is None) for k in names}
    return out if not isinstance(kernel, str) else out[kernel]


def spatio_semantic_rsm_ref(x, y=None, kernel="cosine", layout=None, sigma=None):
    """Reference classic RSM on flattened samples."""
    X = positions(x, layout)
    Y = X if y is None else positions(y, layout)
    Xf = X.reshape(X.shape[0], -1)
    Yf = Y.reshape(Y.shape[0], -1)
    lin = Xf @ Yf.T
    d2 = np.sum((Xf[:, None, :] - Yf[None, :, :]) ** 2, axis=-1)
    sqx = np.sum(Xf**2, axis=1)
    sqy = np.sum(Yf**2, axis=1)
    names = [kernel] if isinstance(kernel, str) else list(kernel)
    out = {k: kernels_from(lin, d2, sqx, sqy, k, sigma, y is None) for k in names}
    return out if not isinstance(kernel, str) else out[kernel]
