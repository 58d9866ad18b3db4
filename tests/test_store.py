"""semantic_rsm_to_store: tiled, resumable, bit-identical to one semantic_rsm call."""

import numpy as np
import pytest

zarr = pytest.importorskip("zarr")

from semrsm_native import semantic_rsm  # noqa: E402
from semrsm_native import store  # noqa: E402


def _x(n=9, seed=0):
    return np.random.default_rng(seed).standard_normal((n, 6, 3, 3)).astype(np.float32)


@pytest.mark.parametrize("tile", [1, 2, 4, 9])
def test_store_equals_one_call(tmp_path, tile):
    x = _x()
    out = store.semantic_rsm_to_store(x, tmp_path / "s", tile=tile, kernel="cosine")
    assert np.array_equal(np.asarray(out), semantic_rsm(x))
    m, meta, complete = store.open_rsm(tmp_path / "s")
    assert complete and meta["tile"] == tile and np.array_equal(np.asarray(m), semantic_rsm(x))


def test_cross_and_zarr_input(tmp_path):
    x, y = _x(7, 1), _x(5, 2)
    zx = zarr.create_array(str(tmp_path / "x"), shape=x.shape, chunks=(2, 6, 3, 3), dtype=x.dtype)
    zx[...] = x
    out = store.semantic_rsm_to_store(zx, tmp_path / "s", y=y, tile=3, kernel="rbf", sigma=2.0)
    assert np.array_equal(np.asarray(out), semantic_rsm(x, y, kernel="rbf", sigma=2.0))


def test_resume_recomputes_nothing(tmp_path, monkeypatch):
    x = _x()
    opts = dict(kernel="linear", matcher="greedy")
    root = store.open_store(tmp_path / "s", x, None, 2, opts)
    todo = store.pending_tiles(np.asarray(root["done"][...]), True)
    for ti, tj in todo[:4]:  # an interrupted run: four tiles finished
        store.compute_tile(tmp_path / "s", x, None, ti, tj, 2, opts)
    _, _, complete = store.open_rsm(tmp_path / "s")
    assert not complete
    calls = []
    real = store.semantic_rsm_block
    monkeypatch.setattr(store, "semantic_rsm_block", lambda *a, **k: calls.append(a[2:4]) or real(*a, **k))
    out = store.semantic_rsm_to_store(x, tmp_path / "s", tile=2, **opts)
    assert len(calls) == len(todo) - 4
    assert np.array_equal(np.asarray(out), semantic_rsm(x, **opts))


def test_mismatch_refused(tmp_path):
    x = _x()
    store.semantic_rsm_to_store(x, tmp_path / "s", tile=3)
    with pytest.raises(ValueError, match="fingerprint_x"):
        store.semantic_rsm_to_store(_x(seed=5), tmp_path / "s", tile=3)
    with pytest.raises(ValueError, match="options"):
        store.semantic_rsm_to_store(x, tmp_path / "s", tile=3, matcher="greedy")
    with pytest.raises(ValueError, match="tile"):
        store.semantic_rsm_to_store(x, tmp_path / "s", tile=4)


def test_kill_9_mid_run_then_resume(tmp_path):
    """A process killed with SIGKILL inside the run leaves only whole tiles marked done."""
    import os
    import signal
    import subprocess
    import sys
    import time

    x = np.random.default_rng(7).standard_normal((24, 8, 4, 4))
    np.save(tmp_path / "x.npy", x)
    code = (
        "import numpy as np; from semrsm_native import store;"
        f"store.semantic_rsm_to_store(np.load({str(tmp_path / 'x.npy')!r}, mmap_mode='r'),"
        f" {str(tmp_path / 's')!r}, tile=1, threads=1)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        while proc.poll() is None:
            if (tmp_path / "s" / "done" / "zarr.json").exists():
                done = np.asarray(zarr.open_group(str(tmp_path / "s"), mode="r")["done"][...])
                if done.sum() >= 5:
                    break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not store.open_rsm(tmp_path / "s")[2]
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    out = store.semantic_rsm_to_store(mm, tmp_path / "s", tile=1, threads=1)
    assert np.array_equal(np.asarray(out), semantic_rsm(x))


def test_top_level_exports_do_not_import_zarr_or_dask():
    # The base install is NumPy-only: the store functions are exported at the top level but
    # zarr and dask load on first use.
    import subprocess
    import sys

    code = (
        "import sys, semrsm_native as s\n"
        "assert s.semantic_rsm_to_store is not None and s.open_rsm is not None\n"
        "print(sorted(m for m in ('zarr', 'dask', 'distributed') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------------------------
# RBF: the default bandwidth taken from all stored d2, exactly
# --------------------------------------------------------------------------------------------


def _rbf_inputs(n, m, seed):
    """x (with two duplicated samples: exact zero d2, which the default bandwidth skips) and
    y; n, m chosen so that the counted pairs are even or odd."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 6, 3, 3)).astype(np.float32)
    x[3] = x[1]
    y = None if m is None else rng.standard_normal((m, 6, 3, 3)).astype(np.float32)
    return x, y


def _engine_sigma(x, y):
    from semrsm_native import _core, semantic_rsm_block

    _, d2 = semantic_rsm_block(x, y, kernel="linear", return_d2=True)
    return _core.rsm_default_sigma(np.ascontiguousarray(d2), y is None)


@pytest.mark.parametrize("n,m", [(8, None), (11, None), (8, 5), (7, 11)])
@pytest.mark.parametrize("tile", [1, 3, 16])
@pytest.mark.parametrize("collect", [0, 1 << 22])
def test_rbf_default_sigma_equals_one_call(tmp_path, monkeypatch, n, m, tile, collect):
    # collect=0 forces all four 16-bit counting passes of the selection; the default
    # finishes in memory after the first.
    monkeypatch.setattr(store, "_COLLECT", collect)
    x, y = _rbf_inputs(n, m, seed=n * 31 + (m or 0))
    out = store.semantic_rsm_to_store(x, tmp_path / "s", y=y, tile=tile, kernel="rbf")
    mat, meta, complete = store.open_rsm(tmp_path / "s")
    assert complete
    assert meta["rbf_sigma"] == _engine_sigma(x, y)  # the same float, not to rounding
    assert np.array_equal(np.asarray(out), semantic_rsm(x, y, kernel="rbf"))
    assert np.array_equal(np.asarray(mat), semantic_rsm(x, y, kernel="rbf"))


@pytest.mark.parametrize("m", [None, 6])
def test_rbf_given_sigma_equals_one_call(tmp_path, m):
    x, y = _rbf_inputs(9, m, seed=4)
    out = store.semantic_rsm_to_store(x, tmp_path / "s", y=y, tile=4, kernel="rbf", sigma=0.7)
    assert np.array_equal(np.asarray(out), semantic_rsm(x, y, kernel="rbf", sigma=0.7))
    assert "d2" not in zarr.open_group(str(tmp_path / "s"), mode="r")  # no second phase


def test_rbf_median_among_ties_and_zero_pairs(tmp_path):
    # Many equal d2 (integer samples) and a set of all-identical samples (only zero d2:
    # the bandwidth is then the bare offset, as in the engine).
    x = np.random.default_rng(2).integers(0, 2, (10, 2, 2, 1)).astype(np.float64)
    store.semantic_rsm_to_store(x, tmp_path / "a", tile=3, kernel="rbf")
    assert store.open_rsm(tmp_path / "a")[1]["rbf_sigma"] == _engine_sigma(x, None)
    assert np.array_equal(np.asarray(store.open_rsm(tmp_path / "a")[0]), semantic_rsm(x, kernel="rbf"))
    z = np.ones((5, 2, 2, 2))
    out = store.semantic_rsm_to_store(z, tmp_path / "b", tile=2, kernel="rbf")
    assert store.open_rsm(tmp_path / "b")[1]["rbf_sigma"] == _engine_sigma(z, None)
    assert np.array_equal(np.asarray(out), semantic_rsm(z, kernel="rbf"))


def test_rbf_resumes_in_either_phase(tmp_path):
    x, _ = _rbf_inputs(9, None, seed=8)
    path = tmp_path / "s"
    root = store.open_store(path, x, None, 2, {"kernel": "rbf"})
    todo = store.pending_tiles(np.asarray(root["done"][...]), True)
    for ti, tj in todo:  # phase one finished, the kernel not yet written
        store.compute_tile(path, x, None, ti, tj, 2, {"kernel": "rbf"})
    mat, meta, complete = store.open_rsm(path)
    assert not complete and meta["rbf_sigma"] is None and np.isnan(np.asarray(mat)).all()
    # A crash in phase two: sigma taken, two kernel tiles written.
    sigma = store.default_sigma(path)
    zarr.open_group(str(path), mode="r+").attrs["rbf_sigma"] = sigma
    for ti, tj in todo[:2]:
        store.kernel_tile(path, ti, tj, sigma)
    assert not store.open_rsm(path)[2]
    out = store.semantic_rsm_to_store(x, path, tile=2, kernel="rbf")
    assert np.array_equal(np.asarray(out), semantic_rsm(x, kernel="rbf"))
    g = zarr.open_group(str(path), mode="r")
    upper = np.triu(np.ones(g["done"].shape, dtype=bool))
    assert (np.asarray(g["done"][...])[upper] == 1).all()  # no tile computed twice
    assert (np.asarray(g["kernel_done"][...])[upper] == 1).all()
