"""semrsm_native.compat: the reference code's matching signature, compare_rsms, rsatoolbox, ReSi."""

import inspect

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment as scipy_lsa
from scipy.stats import pearsonr, spearmanr

from semrsm_native import compat


def _features(s, c, seed):
    return np.maximum(np.random.default_rng(seed).standard_normal((s, c)), 0)


def _objective(cost, cols):
    return cost[np.arange(cost.shape[0]), cols].sum()


# ---- matching functions ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["hungarian", "greedy", "auction", "batch_optimal", "sw_256"])
def test_matching_functions_have_the_reference_signature(name):
    f = compat.MATCHING_FUNCTIONS[name]
    params = list(inspect.signature(f).parameters)
    assert params == ["cost_matrix", "v_i", "v_j"]
    v_i, v_j = _features(30, 8, 1), _features(30, 8, 2)
    cost = v_i @ v_j.T
    # called the way the reference pipeline calls it: positionally, concept vectors last
    cols = f(cost, v_i, v_j)
    assert cols.shape == (30,) and cols.dtype == np.int64
    assert sorted(cols) == list(range(30))  # a permutation
    best = _objective(cost, scipy_lsa(cost, maximize=True)[1])
    got = _objective(cost, cols)
    assert got <= best * (1 + 1e-12)
    if name in ("hungarian", "batch_optimal", "sw_256"):  # window 128/256 >= 30: exact
        assert got == pytest.approx(best, rel=1e-12)
    elif name == "auction":
        assert got == pytest.approx(best, rel=1e-6)
    else:
        assert got > 0.9 * best


@pytest.mark.parametrize("f", [compat.hungarian_match, compat.greedy_match, compat.auction_match])
def test_matching_without_concept_vectors_and_rectangular(f):
    rng = np.random.default_rng(3)
    cost = rng.random((5, 9))
    cols = f(cost)
    assert cols.shape == (5,) and len(set(cols.tolist())) == 5 and cols.max() < 9
    if f is compat.hungarian_match:
        assert _objective(cost, cols) == pytest.approx(_objective(cost, scipy_lsa(cost, maximize=True)[1]))
    with pytest.raises(ValueError, match="more rows than columns"):
        f(cost.T)


def test_hungarian_match_maximises_like_the_reference():
    # the reference example: scipy on the negated matrix
    values = np.array([[9.5, 8, 8, 4], [9, 1, 4, 2], [9, 3, 2, 1], [6, 7, 8, 9]])
    expected = scipy_lsa(-values)[1]
    assert _objective(values, compat.hungarian_match(values)) == _objective(values, expected)


def test_batch_optimal_windows():
    v_i, v_j = _features(40, 6, 4), _features(40, 6, 5)
    cost = v_i @ v_j.T
    f8 = compat.batch_optimal_matcher(8)
    cols = f8(cost, v_i, v_j)
    # each window of 8 (by descending norm) is matched within itself, exactly
    oi = np.argsort(-np.linalg.norm(v_i, axis=1), kind="stable")
    oj = np.argsort(-np.linalg.norm(v_j, axis=1), kind="stable")
    total = 0.0
    for w in range(5):
        rows, colset = oi[8 * w : 8 * w + 8], oj[8 * w : 8 * w + 8]
        assert set(cols[rows].tolist()) == set(colset.tolist())
        block = cost[np.ix_(rows, colset)]
        total += _objective(block, scipy_lsa(block, maximize=True)[1])
    assert _objective(cost, cols) == pytest.approx(total, rel=1e-12)
    assert f8.__name__ == "batch_optimal_8_match"
    with pytest.raises(ValueError, match="needs the concept vectors"):
        f8(cost)
    with pytest.raises(ValueError, match="must be \\(S, C\\)"):
        f8(cost, v_i[:10], v_j)
    with pytest.raises(ValueError, match="positive integer"):
        compat.batch_optimal_matcher(0)


# ---- compare_rsms ---------------------------------------------------------------------------


def _linear_cka_features(X, Y):
    """Oracle: linear CKA in feature space (Kornblith et al. 2019, eq. for linear kernels)."""
    X = X - X.mean(axis=0)
    Y = Y - Y.mean(axis=0)
    return np.linalg.norm(Y.T @ X) ** 2 / (np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y))


def test_compare_rsms_cka_is_linear_cka_for_gram_matrices():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((20, 7)), rng.standard_normal((20, 11))
    Y[:, :7] += 2 * X
    got = compat.compare_rsms(X @ X.T, Y @ Y.T, method="cka")
    assert got == pytest.approx(_linear_cka_features(X, Y), rel=1e-10)
    assert compat.compare_rsms(X @ X.T, X @ X.T) == pytest.approx(1.0)
    # invariant to isotropic scaling of either matrix
    assert compat.compare_rsms(3 * X @ X.T, Y @ Y.T) == pytest.approx(got, rel=1e-10)


def test_compare_rsms_correlations_use_the_strict_upper_triangle():
    rng = np.random.default_rng(1)
    A = rng.random((9, 9))
    A = A + A.T
    B = A**3 + 0.1 * rng.random((9, 9))
    B = B + B.T
    iu = np.triu_indices(9, 1)
    assert compat.compare_rsms(A, B, "pearson") == pytest.approx(pearsonr(A[iu], B[iu])[0], rel=1e-12)
    assert compat.compare_rsms(A, B, "spearman") == pytest.approx(spearmanr(A[iu], B[iu])[0], rel=1e-12)
    # the diagonal is ignored
    A2 = A.copy()
    np.fill_diagonal(A2, 100.0)
    assert compat.compare_rsms(A2, B, "pearson") == compat.compare_rsms(A, B, "pearson")
    # ties get average ranks
    T = np.round(A, 1)
    assert compat.compare_rsms(T, B, "spearman") == pytest.approx(spearmanr(T[iu], B[iu])[0], rel=1e-12)
    assert np.isnan(compat.compare_rsms(np.ones((4, 4)), A[:4, :4], "pearson"))


def test_compare_rsms_errors():
    with pytest.raises(ValueError, match="method must be"):
        compat.compare_rsms(np.eye(3), np.eye(3), "kendall")
    with pytest.raises(ValueError, match="differ in shape"):
        compat.compare_rsms(np.eye(3), np.eye(4))
    with pytest.raises(ValueError, match="square"):
        compat.compare_rsms(np.ones((3, 4)), np.ones((3, 4)))
    with pytest.raises(ValueError, match="NaN"):
        compat.compare_rsms(np.full((3, 3), np.nan), np.eye(3))


# ---- rsatoolbox -----------------------------------------------------------------------------


def test_to_rsatoolbox():
    pytest.importorskip("rsatoolbox")
    rng = np.random.default_rng(2)
    x = rng.random((6, 4))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    K = x @ x.T
    rdms = compat.to_rsatoolbox({"conv1": K, "conv2": K**2}, pattern_descriptors={"image": list("abcdef")})
    assert rdms.n_rdm == 2 and rdms.n_cond == 6
    D = rdms.get_matrices()
    expected = 1.0 - K
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(D[0], expected, atol=1e-12)
    assert rdms.rdm_descriptors["name"] == ["conv1", "conv2"]
    assert rdms.pattern_descriptors["image"] == list("abcdef")
    assert compat.to_rsatoolbox(K).n_rdm == 1
    with pytest.raises(ValueError, match="symmetric"):
        compat.to_rsatoolbox(rng.random((4, 4)))


# ---- ReSi measure ---------------------------------------------------------------------------


def test_semantic_cka_resi_interface_and_flags():
    m = compat.SemanticCKA()
    for flag in ("larger_is_more_similar", "is_symmetric", "invariant_to_permutation", "invariant_to_ortho",
                 "invariant_to_isotropic_scaling"):
        assert getattr(m, flag) is True
    assert m.invariant_to_translation is False and m.invariant_to_affine is False
    assert m.name == "SemanticCKA"
    rng = np.random.default_rng(4)
    R, Rp = rng.standard_normal((10, 6)), rng.standard_normal((10, 9))
    # "nd": nothing to permute, so this is plain linear CKA
    assert m(R, Rp, "nd") == pytest.approx(_linear_cka_features(R, Rp), rel=1e-8)
    assert m(R, Rp, shape="nd", n_jobs=1) == pytest.approx(m(Rp, R, "nd"), rel=1e-10)
    with pytest.raises(ValueError, match="shape must be"):
        m(R, Rp, "nhwc")
    with pytest.raises(ValueError, match="needs a 4-D array"):
        m(R, Rp, "nchw")


def test_semantic_cka_ignores_where_concepts_sit():
    rng = np.random.default_rng(5)
    R = np.maximum(rng.standard_normal((8, 5, 3, 3)), 0)
    Rp = np.maximum(rng.standard_normal((8, 4, 3, 3)), 0)
    m = compat.SemanticCKA(kernel="cosine")
    base = m(R, Rp, "nchw")
    # move every sample's positions around independently: the semantic measure does not change
    shuffled = R.reshape(8, 5, 9).copy()
    for i in range(8):
        shuffled[i] = shuffled[i][:, rng.permutation(9)]
    assert m(shuffled.reshape(8, 5, 3, 3), Rp, "nchw") == pytest.approx(base, rel=1e-9)
    # an orthogonal map of the features does not change it either
    Q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    rotated = np.einsum("nchw,cd->ndhw", R, Q)
    assert m(rotated, Rp, "nchw") == pytest.approx(base, rel=1e-9)
    # tokens: same as "ntd"
    tokens = R.reshape(8, 5, 9).transpose(0, 2, 1)
    assert m(tokens, Rp.reshape(8, 4, 9).transpose(0, 2, 1), "ntd") == pytest.approx(base, rel=1e-9)



# ---- properties -----------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402


@settings(max_examples=40)
@given(st.integers(3, 12).flatmap(lambda n: arrays(np.int64, (n, 4), elements=st.integers(-5, 5))))
def test_compare_rsms_properties(X):
    X = X.astype(np.float64)  # small integers: every map below is exact, no ties appear or vanish
    K = X @ X.T
    L = np.tanh(X) @ np.tanh(X).T
    cka = compat.compare_rsms(K, L, "cka")
    if not np.isnan(cka):
        assert -1e-9 <= cka <= 1 + 1e-9  # PSD matrices
        assert cka == pytest.approx(compat.compare_rsms(L, K, "cka"), abs=1e-9)
    iu = np.triu_indices(len(K), 1)
    if np.ptp(K[iu]) > 0:
        # rank correlation sees only the order: any increasing map of the entries gives 1
        assert compat.compare_rsms(K, K**3 + K, "spearman") == pytest.approx(1.0)
        assert compat.compare_rsms(K, 2 * K + 1, "pearson") == pytest.approx(1.0)
