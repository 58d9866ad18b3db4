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
