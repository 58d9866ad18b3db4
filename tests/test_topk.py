"""semantic_topk: exactly the top k of the sorted exact RSM rows, and certified intervals.

The oracle is the whole exact RSM from semantic_rsm, sorted row by row with ties broken by
the lower index (np.lexsort); results must match it bit for bit, indices and values.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semrsm_native import semantic_rsm, semantic_topk
from semrsm_native.topk import THRESHOLD_FACTOR
from semrsm_native import _core
from semrsm_native.rsm import _prepared_views
from semrsm_native.topk import _SCREEN_EPS_FACTOR, _SCREEN_EPS_FIRST, _Bracket, _norms

KERNELS = ["cosine", "linear", "rbf"]


def brute_force(q, db, k, kernel, sigma=None, **kw):
    """Top k of each row of the exact RSM (self mode: the diagonal excluded)."""
    full = np.array(semantic_rsm(q, db, kernel=kernel, sigma=sigma, **kw), dtype=np.float64)
    if db is None:
        np.fill_diagonal(full, -np.inf)
    cols = np.arange(full.shape[1])
    idx = np.array([np.lexsort((cols, -row))[:k] for row in full])
    return idx, np.take_along_axis(full, idx, 1)


def check(q, db, k, kernel, sigma=None, **kw):
    want_idx, want_sim = brute_force(q, db, k, kernel, sigma, layout=kw.get("layout"))
    idx, sim = semantic_topk(q, db, k, kernel=kernel, sigma=sigma, **kw)
    assert idx.dtype == np.int64 and idx.shape == (len(q), k)
    np.testing.assert_array_equal(idx, want_idx)
    assert np.array_equal(sim, want_sim)  # bit for bit: the engine's own entries


def family(rng, n, shape, kind):
    """Random activations: i.i.d. ReLU noise, Gamma-scaled positions (hard costs), or a
    few outlier tokens carrying most of the norm."""
    x = np.maximum(rng.standard_normal((n,) + shape), 0).astype(np.float32)
    if kind == "gamma":
        x *= rng.gamma(2.0, 1.0, (n, 1) + shape[1:]).astype(np.float32)
    elif kind == "outliers":
        x[:, :, 0] *= 30.0
    return x


@settings(max_examples=60)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_q=st.integers(1, 5),
    n_db=st.integers(2, 14),
    c=st.integers(1, 5),
    hw=st.sampled_from([(1, 1), (2, 2), (2, 3), (3, 3)]),
    kind=st.sampled_from(["relu", "gamma", "outliers", "ties"]),
    kernel=st.sampled_from(KERNELS),
    self_mode=st.booleans(),
    data=st.data(),
)
def test_equals_brute_force(seed, n_q, n_db, c, hw, kind, kernel, self_mode, data):
    rng = np.random.default_rng(seed)
    if kind == "ties":  # small integers and repeated samples: many exactly equal entries
        base = rng.integers(0, 3, (max(2, n_db // 2), c) + hw).astype(np.float32)
        db = base[rng.integers(0, len(base), n_db)]
    else:
        db = family(rng, n_db, (c,) + hw, kind)
    sigma = float(data.draw(st.floats(0.5, 20.0))) if kernel == "rbf" else None
    if self_mode:
        k = data.draw(st.integers(1, n_db - 1))
        check(db, None, k, kernel, sigma)
    else:
        q = db[rng.integers(0, n_db, n_q)] + rng.random((n_q, c) + hw).astype(np.float32) * 0.1
        k = data.draw(st.integers(1, n_db))
        check(q, db, k, kernel, sigma)


@pytest.mark.parametrize("kernel", KERNELS)
def test_all_identical_samples_tie_by_index(kernel):
    db = np.ones((9, 3, 2, 2), np.float32)
    idx, sim = semantic_topk(db[:2], db, 4, kernel=kernel, sigma=1.0)
    np.testing.assert_array_equal(idx, [[0, 1, 2, 3]] * 2)
    idx, _ = semantic_topk(db, None, 3, kernel=kernel, sigma=1.0)
    assert idx[0].tolist() == [1, 2, 3] and idx[4].tolist() == [0, 1, 2]


def test_zero_samples_and_rectangular_positions():
    rng = np.random.default_rng(3)
    db = family(rng, 12, (4, 3, 3), "gamma")
    db[[2, 7]] = 0.0  # cosine 0, never NaN
    q = family(rng, 3, (4, 2, 2), "gamma")  # 4 positions against 9
    for kernel in KERNELS:
        check(q, db, 5, kernel, sigma=4.0)
        check(db[:4], q, 2, kernel, sigma=4.0)  # 9 positions against 4


@pytest.mark.parametrize("layout,shape", [("ntd", (5, 3)), ("nhwc", (2, 3, 4)), ("nchw", (4, 2, 3))])
def test_layouts(layout, shape):
    rng = np.random.default_rng(4)
    db = family(rng, 10, shape, "gamma")
    check(db[:3] * 1.5, db, 4, "cosine", layout=layout)
    check(db, None, 2, "linear", layout=layout)


@pytest.mark.parametrize("kind", ["relu", "gamma", "outliers"])
@pytest.mark.parametrize("eps", [0.3, 1e-2, 1e-3])
@pytest.mark.parametrize("kernel", KERNELS)
def test_intervals_contain_the_exact_value(kind, eps, kernel):
    """The certified interval of a screened pair (its linear bounds through the kernel's
    bracket, as semantic_topk maps them) holds the exact similarity, every pair."""
    rng = np.random.default_rng(5)
    x = family(rng, 8, (6, 4, 4), kind)
    y = family(rng, 11, (6, 3, 5), kind)  # 16 positions against 15
    sigma = 30.0
    exact = np.asarray(semantic_rsm(x, y, kernel=kernel, sigma=sigma))
    xv, yv, code, xn, yn = _prepared_views(x, y, layout=None, threads=2, func="t")
    pi, pj = (a.ravel().astype(np.int64) for a in np.meshgrid(np.arange(8), np.arange(11), indexing="ij"))
    # NaN thresholds: no pair is decided early, every one runs to the final epsilon.
    lo_lin, hi_lin, _ = _core.rsm_screen(xv, yv, code, pi, pj, np.full(len(pi), np.nan), eps,
                                         _SCREEN_EPS_FIRST, _SCREEN_EPS_FACTOR, 2, None, "t")
    lin, gap = lo_lin.reshape(8, 11), (hi_lin - lo_lin).reshape(8, 11)
    bracket = _Bracket(xn, yn, kernel, sigma, features=6, unit_roundoff=2.0**-24)
    lo, hi = bracket.interval(lin, gap, slice(None), slice(None))
    assert (lo <= exact).all() and (exact <= hi).all()
    # ... and the interval is informative: its width falls with eps.
    if eps <= 1e-2 and kernel != "rbf":
        assert np.median((hi - lo) / np.abs(exact)) < 50 * eps


def test_result_does_not_depend_on_eps_or_threads():
    rng = np.random.default_rng(6)
    db = family(rng, 30, (5, 3, 3), "gamma")
    q = db[:4] + 0.05
    want = semantic_topk(q, db, 6)
    for eps in [(), 0.5, (0.1,), (0.2, 0.05, 1e-4)]:
        for threads in [1, 2]:
            got = semantic_topk(q, db, 6, eps=eps, threads=threads)
            np.testing.assert_array_equal(got[0], want[0])
            assert np.array_equal(got[1], want[1])


def test_stats_count_the_stages():
    rng = np.random.default_rng(7)
    db = family(rng, 40, (4, 3, 3), "gamma")
    q = db[:5] + 0.1
    _, _, stats = semantic_topk(q, db, 3, eps=(0.05, 0.005), return_stats=True)
    assert stats["pairs"] == 5 * 40
    # The thresholds: THRESHOLD_FACTOR * k pairs per query solved exactly, then screened
    # no more; every other pair reaches the first screen stage.
    assert stats["threshold"] == 5 * min(THRESHOLD_FACTOR * 3, 40 // 2)
    assert [s["eps"] for s in stats["stages"]] == [0.05, 0.005]
    assert stats["stages"][0]["pairs"] == 200 - stats["threshold"]
    assert stats["stages"][0]["phases"] >= stats["stages"][0]["pairs"]
    assert stats["stages"][1]["pairs"] <= stats["stages"][0]["pairs"]
    assert stats["threshold"] <= stats["exact"] <= stats["threshold"] + stats["stages"][1]["pairs"]
    # Without coarse stages every pair is solved exactly (self mode: ordered pairs).
    _, _, stats = semantic_topk(db[:6], None, 2, eps=(), return_stats=True)
    assert stats["pairs"] == stats["exact"] == 30 and stats["stages"] == []


def test_inputs_unmodified_torch_and_memmap(tmp_path):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    db = family(rng, 15, (3, 3, 3), "gamma")
    q = db[:3] + 0.2
    keep_db, keep_q = db.copy(), q.copy()
    want = semantic_topk(q, db, 4)
    assert np.array_equal(db, keep_db) and np.array_equal(q, keep_q)
    idx, sim = semantic_topk(torch.from_numpy(q), torch.from_numpy(db), 4)
    assert isinstance(idx, torch.Tensor) and idx.dtype == torch.int64
    assert np.array_equal(idx.numpy(), want[0]) and np.array_equal(sim.numpy(), want[1])
    path = tmp_path / "db.npy"
    np.save(path, db)
    mm = np.load(path, mmap_mode="r")
    got = semantic_topk(q, mm, 4)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        (dict(kernel="rbf"), ValueError, "needs sigma"),
        (dict(kernel="rbf", sigma=0.0), ValueError, "sigma"),
        (dict(kernel="rbf", sigma=float("nan")), ValueError, "sigma"),
        (dict(kernel="gauss"), ValueError, "unknown kernel"),
        (dict(kernel=["cosine"]), TypeError, "kernel must be a string"),
        (dict(k=0), ValueError, "k must be >= 1"),
        (dict(k=11), ValueError, "exceeds the 10 database samples"),
        (dict(k=2.0), TypeError, "k must be an integer"),
        (dict(eps=(1e-3, 1e-2)), ValueError, "decrease"),
        (dict(eps=1.5), ValueError, "below 1"),
        (dict(eps=-1e-3), ValueError, "eps"),
        (dict(eps="fast"), TypeError, "eps"),
        (dict(progress=1), TypeError, "progress must be a bool"),
        (dict(layout="nwhc"), ValueError, "unknown layout"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    db = np.ones((10, 2, 2, 2), np.float32)
    kwargs.setdefault("k", 3)
    with pytest.raises(exc, match=match):
        semantic_topk(db[:2], db, **kwargs)


def test_bad_inputs_are_named():
    db = np.ones((10, 2, 2, 2), np.float32)
    with pytest.raises(ValueError, match="semantic_topk: k=10 exceeds the 9 other samples"):
        semantic_topk(db, None, 10)
    with pytest.raises(ValueError, match="^semantic_topk: .*same number of features"):
        semantic_topk(np.ones((2, 3, 2, 2), np.float32), db, 2)
    bad = db.copy()
    bad[4, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="^semantic_topk: .*4"):
        semantic_topk(db[:2], bad, 2)


@pytest.mark.parametrize("kernel", KERNELS)
def test_kernel_of_linear_is_the_definition(kernel):
    """The bounds' kernel map (the engine's rsm_apply_kernel, RBF with d2 from the linear
    value) against the formulas written out in NumPy."""
    from semrsm_native.topk import _kernel_of_linear

    rng = np.random.default_rng(9)
    lin, sx, sy = rng.random((3, 4)) * 4, rng.random(3) + 1, rng.random(4) + 1
    if kernel == "linear":
        want = lin
    elif kernel == "cosine":
        want = lin / ((np.sqrt(sx)[:, None] + 1e-13) * (np.sqrt(sy)[None, :] + 1e-13))
    else:
        want = np.exp(-0.5 * np.maximum(sx[:, None] + sy[None, :] - 2 * lin, 0) / 2.0**2)
    np.testing.assert_allclose(_kernel_of_linear(kernel, lin, sx, sy, 2.0), want, rtol=1e-15, atol=0)
