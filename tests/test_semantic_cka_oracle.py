"""compat.SemanticCKA on spatial ("nchw") and token ("ntd") representations against a NumPy
oracle (issue 14): the semantic RSMs from tests/rsm_reference.py (one scipy assignment per
pair, float64) and CKA written out as in Kornblith et al. (2019) with the centring matrix H.
The invariance tests in test_compat.py would also pass for a measure that returned a
constant; these pin the value.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from semrsm_native import compat

sys.path.insert(0, str(Path(__file__).parent))
import rsm_reference as ref  # noqa: E402


def _cka(K: np.ndarray, L: np.ndarray) -> float:
    """<HKH, HLH>_F / (|HKH|_F |HLH|_F), H = I - 11^T / n."""
    n = K.shape[0]
    H = np.eye(n) - np.ones((n, n)) / n
    Kc, Lc = H @ K @ H, H @ L @ H
    return float(np.sum(Kc * Lc) / (np.linalg.norm(Kc) * np.linalg.norm(Lc)))


def _pair(seed, n=9):
    rng = np.random.default_rng(seed)
    R = np.maximum(rng.standard_normal((n, 5, 3, 3)), 0)
    # Rp: partly the same concepts as R (moved around), partly new ones, so the CKA is
    # neither 0 nor 1 and depends on the matching.
    Rp = np.maximum(rng.standard_normal((n, 5, 3, 3)), 0)
    for i in range(n):
        Rp[i] = 0.5 * Rp[i] + R[i].reshape(5, 9)[:, rng.permutation(9)].reshape(5, 3, 3)
    return R, Rp


@pytest.mark.parametrize("kernel", ["linear", "cosine", "rbf"])
def test_nchw_against_oracle(kernel):
    R, Rp = _pair(0)
    want = _cka(ref.semantic_rsm_ref(R, kernel=kernel, layout="nchw"),
                ref.semantic_rsm_ref(Rp, kernel=kernel, layout="nchw"))
    assert 0.05 < want < 0.99  # a value that a constant or a swapped argument would miss
    got = compat.SemanticCKA(kernel=kernel)(R, Rp, "nchw")
    assert got == pytest.approx(want, rel=1e-9)


@pytest.mark.parametrize("kernel", ["linear", "cosine", "rbf"])
def test_ntd_against_oracle(kernel):
    R, Rp = _pair(1)
    T = R.reshape(9, 5, 9).transpose(0, 2, 1).copy()  # (N, tokens, features)
    Tp = Rp.reshape(9, 5, 9).transpose(0, 2, 1)[:, :7].copy()  # fewer tokens: rectangular pairs
    want = _cka(ref.semantic_rsm_ref(T, kernel=kernel, layout="ntd"),
                ref.semantic_rsm_ref(Tp, kernel=kernel, layout="ntd"))
    assert 0.05 < want < 0.99
    got = compat.SemanticCKA(kernel=kernel)(T, Tp, "ntd")
    assert got == pytest.approx(want, rel=1e-9)


def test_matching_changes_the_value():
    # The semantic measure differs from CKA of the flattened (spatio-semantic) RSMs on the
    # same data: the matching is really applied, not skipped.
    R, Rp = _pair(2)
    flat = _cka(ref.spatio_semantic_rsm_ref(R, kernel="linear"), ref.spatio_semantic_rsm_ref(Rp, kernel="linear"))
    got = compat.SemanticCKA()(R, Rp, "nchw")
    assert abs(got - flat) > 1e-3
    assert compat.SemanticCKA().rsm(R, "nchw") == pytest.approx(ref.semantic_rsm_ref(R, kernel="linear"), rel=1e-10)
