"""The Python vocabulary is the native one: one name and one code per matcher/kernel/cost/layout."""

import pytest

from semrsm_native import _core, _vocabulary, lap, rsm


def test_python_tables_equal_native_tables():
    native = _core.vocabulary()
    assert dict(_vocabulary.METHOD_CODES) == native["method"]
    assert dict(_vocabulary.KERNEL_CODES) == native["kernel"]
    assert dict(_vocabulary.COST_CODES) == native["cost"]
    assert dict(_vocabulary.LAYOUT_CODES) == native["layout"]


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
    assert lap.METHODS == {m: _vocabulary.METHOD_CODES[m] for m in rsm.MATCHERS}
    assert "identity" not in lap.METHODS


def test_lap_binding_rejects_the_rsm_only_identity_code():
    import numpy as np

    with pytest.raises(ValueError, match="unknown method code"):
        _core.lap_solve_batch(np.zeros((1, 2, 2)), False, _vocabulary.METHOD_CODES["identity"],
                              0.0, 7.0, 128, None, None, 1, "t")
