"""One tiny call of every public native-backed function, shared by the leak and thread tests.

Each entry is ``(name, call)``; ``call()`` returns a tuple of NumPy arrays (or floats) that
depends only on the fixed inputs, so two calls can be compared bit for bit. Inputs are tiny on
purpose: the tests repeat these calls thousands of times. The Zarr store functions (milliseconds
of file I/O per call) are not here; tests/test_store_threads.py covers them.
"""

from __future__ import annotations

import numpy as np

import semrsm_native as sn
from semrsm_native import compat

_RNG = np.random.default_rng(20241214)
COST = _RNG.random((6, 5))
COSTS = _RNG.random((3, 6, 6)).astype(np.float32)
X = _RNG.standard_normal((4, 3, 2, 2)).astype(np.float32)  # (N, C, H, W)
Y = _RNG.standard_normal((3, 3, 2, 2)).astype(np.float32)
TOKENS = _RNG.standard_normal((4, 5, 3))  # (N, T, D), float64
_CKA = compat.SemanticCKA()


def _flatten(result):
    """The arrays inside ``result`` (nested tuples and dicts, dict keys in sorted order)."""
    if isinstance(result, dict):
        return tuple(a for k in sorted(result) for a in _flatten(result[k]))
    if isinstance(result, (tuple, list)):
        return tuple(a for r in result for a in _flatten(r))
    return (np.asarray(result),)


CALLS = [
    ("linear_sum_assignment", lambda: sn.linear_sum_assignment(COST)),
    ("linear_sum_assignment(maximize)", lambda: sn.linear_sum_assignment(COST.T, maximize=True)),
    ("linear_sum_assignment_batch(hungarian)", lambda: sn.linear_sum_assignment_batch(COSTS, threads=1)),
    ("linear_sum_assignment_batch(greedy)", lambda: sn.linear_sum_assignment_batch(COSTS, method="greedy", threads=1)),
    ("linear_sum_assignment_batch(auction)", lambda: sn.linear_sum_assignment_batch(COSTS, method="auction", threads=1)),
    (
        "linear_sum_assignment_batch(batch_optimal)",
        lambda: sn.linear_sum_assignment_batch(COSTS, method="batch_optimal", window=4, threads=1),
    ),
    ("semantic_rsm(cosine)", lambda: sn.semantic_rsm(X, threads=1)),
    (
        "semantic_rsm(x, y, all kernels, permutations)",
        lambda: sn.semantic_rsm(X, Y, kernel=("linear", "cosine", "rbf"), return_permutations=True, threads=1),
    ),
    ("semantic_rsm(greedy, ntd)", lambda: sn.semantic_rsm(TOKENS, matcher="greedy", layout="ntd", threads=1)),
    ("semantic_rsm(auction)", lambda: sn.semantic_rsm(X, matcher="auction", threads=1)),
    ("semantic_rsm(batch_optimal)", lambda: sn.semantic_rsm(X, matcher="batch_optimal", window=2, threads=1)),
    ("spatio_semantic_rsm", lambda: sn.spatio_semantic_rsm(X, kernel=("linear", "rbf"), threads=1)),
    (
        "semantic_rsm_block(self, d2)",
        lambda: sn.semantic_rsm_block(X, None, slice(0, 2), slice(2, 4), kernel=("linear", "rbf"), sigma=1.5,
                                      return_d2=True, threads=1),
    ),
    ("semantic_rsm_block(x, y)", lambda: sn.semantic_rsm_block(X, Y, slice(1, 4), slice(0, 2), threads=1)),
    ("compat.hungarian_match", lambda: compat.hungarian_match(COSTS[0])),
    ("compat.greedy_match", lambda: compat.greedy_match(COSTS[0])),
    ("compat.compare_rsms", lambda: compat.compare_rsms(COSTS[0] + COSTS[0].T, COSTS[1] + COSTS[1].T)),
    ("compat.SemanticCKA", lambda: _CKA(X, X[::-1] * 2.0 + 0.5, "nchw", n_jobs=1)),
    ("build_info", sn.build_info),
]


def run(call):
    """Calls ``call`` and returns its result as a flat tuple of NumPy arrays."""
    return _flatten(call())
