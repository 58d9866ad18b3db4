"""The vocabulary module's codes reach the native solvers they name.

A code table that drifted from the native enums would route one matcher to another's solver;
these checks compare each route with an independent computation of what that name means.
"""

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment as scipy_lsa

from semrsm_native import _vocabulary as voc
from semrsm_native import linear_sum_assignment_batch, semantic_rsm, spatio_semantic_rsm
from semrsm_native import _core, cli, lap, rsm
from semrsm_native.matcher_bench import BENCH_MATCHERS


def _features(seed, n=4, s=9, c=5):
    rng = np.random.default_rng(seed)
    return np.maximum(rng.standard_normal((n, s, c)), 0) * rng.gamma(2.0, 1.0, (n, s, 1))


def test_every_module_uses_the_one_vocabulary():
    assert rsm.KERNELS is voc.KERNELS and rsm.MATCHERS is voc.MATCHERS
    assert rsm.COSTS is voc.COSTS and rsm.LAYOUTS is voc.LAYOUTS
    assert lap.METHODS is voc.LAP_METHOD_CODES
    assert set(cli.KERNELS) == set(voc.KERNELS) and cli.MATCHERS is voc.MATCHERS
    assert BENCH_MATCHERS[:-1] == voc.MATCHERS
    assert set(voc.GPU_MATCHERS) <= set(voc.MATCHERS)


def test_codes_are_distinct():
    for table in (voc.KERNEL_CODES, voc.METHOD_CODES, voc.LAP_METHOD_CODES, voc.COST_CODES):
        assert len(set(table.values())) == len(table)


def test_identity_code_is_the_spatio_semantic_rsm():
    x = _features(1)
    got = spatio_semantic_rsm(x, kernel="linear", layout="ntd")
    want = np.einsum("isc,jsc->ij", x, x)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_exact_code_reaches_the_exact_solver():
    x = _features(2)
    got = semantic_rsm(x, kernel="linear", matcher="hungarian", layout="ntd")
    for i in range(len(x)):
        for j in range(len(x)):
            a = x[i] @ x[j].T
            r, c = scipy_lsa(a, maximize=True)
            assert got[i, j] == pytest.approx(a[r, c].sum(), rel=1e-12)


@pytest.mark.parametrize("matcher", voc.MATCHERS)
def test_rsm_and_batch_codes_name_the_same_solver(matcher):
    # The RSM engine and the batched solver dispatch separately; the same name must run the
    # same algorithm in both (greedy and batch_optimal differ from the optimum on these hard
    # costs, so a crossed code would show).
    x = _features(3, n=5, s=12, c=6)
    rsm_vals = semantic_rsm(x, kernel="linear", matcher=matcher, layout="ntd", window=4)
    costs = np.einsum("isc,jtc->ijst", x, x).reshape(-1, 12, 12)
    opts = {"window": 4} if matcher == "batch_optimal" else {}
    if matcher == "batch_optimal":
        norms = np.linalg.norm(x, axis=2)
        opts["row_keys"] = np.repeat(norms, 5, axis=0)
        opts["col_keys"] = np.tile(norms, (5, 1))
    cols, objective = linear_sum_assignment_batch(costs, maximize=True, method=matcher, **opts)
    vals = np.take_along_axis(costs, cols[..., None], axis=2)[..., 0].sum(axis=1).reshape(5, 5)
    np.testing.assert_allclose(objective.reshape(5, 5), vals, rtol=1e-12)
    off = ~np.eye(5, dtype=bool)
    np.testing.assert_allclose(rsm_vals[off], vals[off], rtol=1e-9)


def test_python_tables_equal_native_tables():
    native = _core.vocabulary()
    assert dict(voc.METHOD_CODES) == native["method"]
    assert dict(voc.KERNEL_CODES) == native["kernel"]
    assert dict(voc.COST_CODES) == native["cost"]
    assert dict(voc.LAYOUT_CODES) == native["layout"]


def test_codes_are_the_documented_ones():
    native = _core.vocabulary()
    assert native["method"] == {"hungarian": 0, "greedy": 1, "auction": 2, "batch_optimal": 3, "identity": 4}
    assert native["kernel"] == {"linear": 0, "cosine": 1, "rbf": 2}
    assert native["cost"] == {"inner": 0, "cosine": 1}
    assert native["layout"] == {"feature_major": 0, "position_major": 1}


def test_public_names_are_re_exports():
    assert rsm.MATCHERS == ("hungarian", "greedy", "auction", "batch_optimal")
    assert rsm.KERNELS == ("linear", "cosine", "rbf")
    assert rsm.COSTS == ("inner", "cosine")
    assert lap.METHODS == {m: voc.METHOD_CODES[m] for m in rsm.MATCHERS}
    assert "identity" not in lap.METHODS


def test_lap_binding_rejects_the_rsm_only_identity_code():
    with pytest.raises(ValueError, match="unknown method code"):
        _core.lap_solve_batch(np.zeros((1, 2, 2)), False, voc.METHOD_CODES["identity"],
                              0.0, 7.0, 128, None, None, 1, "t", False)
