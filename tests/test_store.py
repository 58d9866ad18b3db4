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


def _done_files(path):
    """Tiles marked done so far, cheaply: the done mask's chunk files (a pending tile's chunk
    is never written)."""
    import os

    return sum(len(f) for _, _, f in os.walk(path / "done" / "c"))


def test_kill_9_mid_run_then_resume(tmp_path):
    """SIGKILL at three points of a run: each time, every tile marked done holds its final
    values (none half-written), and the last resume gives the identical matrix with every
    tile computed exactly once."""
    import os
    import signal
    import subprocess
    import sys
    import time

    x = np.random.default_rng(7).standard_normal((60, 8, 4, 4))
    np.save(tmp_path / "x.npy", x)
    ref = semantic_rsm(x)
    code = (
        "import numpy as np; from semrsm_native import store;"
        f"store.semantic_rsm_to_store(np.load({str(tmp_path / 'x.npy')!r}, mmap_mode='r'),"
        f" {str(tmp_path / 's')!r}, tile=2, threads=1)"
    )
    upper = np.triu(np.ones((30, 30), dtype=bool))
    previous = 0
    for _ in range(3):  # of 465 tiles, each run finishes 20 or more before its kill
        proc = subprocess.Popen([sys.executable, "-c", code])
        try:
            while proc.poll() is None and _done_files(tmp_path / "s") < previous + 20:
                time.sleep(0.005)
            assert proc.poll() is None, "the run ended before the kill"
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait()
        assert proc.returncode == -signal.SIGKILL
        m, _, complete = store.open_rsm(tmp_path / "s")
        done = np.asarray(zarr.open_group(str(tmp_path / "s"), mode="r")["done"][...])
        assert not complete and previous < done.sum() < upper.sum()
        assert (done[upper] <= 1).all() and (done[~upper] == 0).all()
        m = np.asarray(m)
        for ti, tj in zip(*np.nonzero(done)):
            rows, cols = slice(2 * ti, 2 * ti + 2), slice(2 * tj, 2 * tj + 2)
            assert np.array_equal(m[rows, cols], ref[rows, cols])
            assert np.array_equal(m[cols, rows], ref[cols, rows])
        previous = done.sum()
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    out = store.semantic_rsm_to_store(mm, tmp_path / "s", tile=2, threads=1)
    assert np.array_equal(np.asarray(out), ref)
    done = np.asarray(zarr.open_group(str(tmp_path / "s"), mode="r")["done"][...])
    assert (done[upper] == 1).all()


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
    # collect=0 forces all four 16-bit counting passes of the selection (over groups of two
    # tiles); the default finishes in memory after the first (one group).
    monkeypatch.setattr(store, "_COLLECT", collect)
    monkeypatch.setattr(store, "_GROUP", 2 if collect == 0 else 32)
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
    store.kernel_tiles(path, todo[:2], sigma)
    assert not store.open_rsm(path)[2]
    out = store.semantic_rsm_to_store(x, path, tile=2, kernel="rbf")
    assert np.array_equal(np.asarray(out), semantic_rsm(x, kernel="rbf"))
    g = zarr.open_group(str(path), mode="r")
    upper = np.triu(np.ones(g["done"].shape, dtype=bool))
    assert (np.asarray(g["done"][...])[upper] == 1).all()  # no tile computed twice
    assert (np.asarray(g["kernel_done"][...])[upper] == 1).all()


# --------------------------------------------------------------------------------------------
# Inputs that do not fit in memory: a tile reads only its own samples
# --------------------------------------------------------------------------------------------


class _Recorder:
    """An array-like that records every read (what a memory map or Zarr array would load)."""

    def __init__(self, a):
        self.a, self.shape, self.dtype, self.ndim, self.reads = a, a.shape, a.dtype, a.ndim, []

    def __getitem__(self, sl):
        first = sl[0] if isinstance(sl, tuple) else sl
        self.reads.append(range(*first.indices(self.shape[0])))
        return self.a[sl]


def test_a_block_reads_only_its_samples():
    from semrsm_native import semantic_rsm_block

    x = _Recorder(_x(12, 3))
    semantic_rsm_block(x, rows=slice(0, 3), cols=slice(6, 9))
    assert sorted({i for r in x.reads for i in r}) == [0, 1, 2, 6, 7, 8]


def test_dask_array_input_reads_only_overlapping_chunks(tmp_path):
    da = pytest.importorskip("dask.array")
    from semrsm_native import semantic_rsm_block

    base = _x(12, 3)
    rec = _Recorder(base)
    x = da.from_array(rec, chunks=(3, 6, 3, 3))
    rec.reads.clear()
    semantic_rsm_block(x, rows=slice(0, 3), cols=slice(7, 9))
    # At most the chunks holding the samples (0 and 2; Dask may slice inside them).
    assert {0, 1, 2, 7, 8} <= {i for r in rec.reads for i in r} <= {0, 1, 2, 6, 7, 8}
    out = store.semantic_rsm_to_store(x, tmp_path / "s", tile=4)
    assert np.array_equal(np.asarray(out), semantic_rsm(base))


def test_store_run_reads_tiles_not_the_whole_input(tmp_path):
    x = _Recorder(_x(12, 5))
    store.semantic_rsm_to_store(x, tmp_path / "s", tile=3, kernel="rbf")
    # Each read is one sample (the fingerprint, the probe) or one tile's samples, never more.
    assert max(len(r) for r in x.reads) == 3
    assert np.array_equal(np.asarray(store.open_rsm(tmp_path / "s")[0]), semantic_rsm(x.a, kernel="rbf"))


def test_memmaps_by_reference_only_when_whole(tmp_path):
    x = _x(10, 6)
    np.save(tmp_path / "x.npy", x)
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    ref = store.by_reference(mm)
    assert isinstance(ref, store.MemmapRef) and np.array_equal(ref[2:5], x[2:5])
    for view in (mm[3:], mm[::2], mm[1:7]):  # views keep the map's offset: not by file name
        assert store.by_reference(view) is view
        out = store.semantic_rsm_to_store(view, tmp_path / f"s{view.shape[0]}", tile=3)
        assert np.array_equal(np.asarray(out), semantic_rsm(np.asarray(view)))


def test_store_created_whole_or_not_at_all(tmp_path):
    x = _x(5, 1)
    (tmp_path / "empty").mkdir()
    out = store.semantic_rsm_to_store(x, tmp_path / "empty", tile=2)  # an empty directory is fine
    assert np.array_equal(np.asarray(out), semantic_rsm(x))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("not a store")
    with pytest.raises(ValueError, match="exists and is not a store"):
        store.semantic_rsm_to_store(x, tmp_path / "other", tile=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "other"]  # no temporary left
    with pytest.raises(TypeError, match="unknown option 'matchr'"):
        store.semantic_rsm_to_store(x, tmp_path / "typo", tile=2, matchr="greedy")
    with pytest.raises(ValueError):
        store.semantic_rsm_to_store(x, tmp_path / "bad", tile=2, matcher="magic")
    assert not (tmp_path / "typo").exists() and not (tmp_path / "bad").exists()
