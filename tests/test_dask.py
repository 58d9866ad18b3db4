"""semrsm_native.dask.semantic_rsm on a real LocalCluster with two worker processes."""

import numpy as np
import pytest

pytest.importorskip("zarr")
distributed = pytest.importorskip("distributed")

from semrsm_native import semantic_rsm, store  # noqa: E402
from semrsm_native import dask as sdask  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c


def test_distributed_equals_one_call_and_resumes(client, tmp_path):
    x = np.random.default_rng(0).standard_normal((10, 6, 3, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    out = sdask.semantic_rsm(mm, tmp_path / "s", client=client, tile=3, kernel="cosine")
    assert np.array_equal(np.asarray(out), semantic_rsm(x))
    # Everything done: a resubmitted job submits nothing and leaves the matrix as it is.
    before = np.asarray(out).copy()
    sdask.semantic_rsm(mm, tmp_path / "s", client=client, tile=3, kernel="cosine")
    assert np.array_equal(np.asarray(store.open_rsm(tmp_path / "s")[0]), before)
    with pytest.raises(ValueError, match="options"):
        sdask.semantic_rsm(mm, tmp_path / "s", client=client, tile=3, kernel="linear")


def test_worker_killed_mid_run_resumes(client, tmp_path):
    import os
    import signal
    import threading
    import time

    import zarr

    x = np.random.default_rng(1).standard_normal((24, 8, 4, 4))
    np.save(tmp_path / "x.npy", x)
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    pids = list(client.run(os.getpid).values())
    errors = []

    def run():
        try:
            sdask.semantic_rsm(mm, tmp_path / "s", client=client, tile=1, threads=1)
        except Exception as e:  # a run may fail when the worker holding a task dies
            errors.append(e)

    t = threading.Thread(target=run)
    t.start()
    done_before = None
    while t.is_alive():
        if (tmp_path / "s" / "done" / "zarr.json").exists():
            done_before = np.asarray(zarr.open_group(str(tmp_path / "s"), mode="r")["done"][...])
            if done_before.sum() >= 5:
                break
        time.sleep(0.05)
    os.kill(pids[0], signal.SIGKILL)
    t.join()
    upper = np.triu(np.ones(done_before.shape, dtype=bool))
    assert done_before[upper].sum() < upper.sum()  # the kill came mid-run
    # Resubmitting (after a failure) finishes the remaining tiles.
    out = sdask.semantic_rsm(mm, tmp_path / "s", client=client, tile=1, threads=1)
    assert np.array_equal(np.asarray(out), semantic_rsm(x))
    # Zero finished tiles recomputed: every tile of the triangle was computed and written
    # exactly once (the done mask counts), the ones finished before the kill included.
    done = np.asarray(zarr.open_group(str(tmp_path / "s"), mode="r")["done"][...])
    assert (done[upper] == 1).all() and (done[~upper] == 0).all()
    assert done_before[upper].sum() >= 5 and (done_before[done_before > 0] == 1).all()


@pytest.mark.parametrize("y_n", [None, 5])
def test_distributed_rbf_default_sigma(client, tmp_path, y_n):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((9, 6, 3, 3)).astype(np.float32)
    y = None if y_n is None else rng.standard_normal((y_n, 6, 3, 3)).astype(np.float32)
    out = sdask.semantic_rsm(x, tmp_path / "s", y=y, client=client, tile=2, kernel="rbf")
    assert np.array_equal(np.asarray(out), semantic_rsm(x, y, kernel="rbf"))
    assert store.open_rsm(tmp_path / "s")[2]


def test_numpy_zarr_and_dask_array_inputs(client, tmp_path):
    import dask.array as da
    import zarr

    x = np.random.default_rng(5).standard_normal((11, 6, 3, 3)).astype(np.float32)
    y = np.random.default_rng(6).standard_normal((4, 6, 3, 3)).astype(np.float32)
    zx = zarr.create_array(str(tmp_path / "x.zarr"), shape=x.shape, chunks=(3, 6, 3, 3), dtype=x.dtype)
    zx[...] = x
    ref = semantic_rsm(x)
    for name, inp in (("np", x), ("zarr", zx), ("dask", da.from_zarr(str(tmp_path / "x.zarr")))):
        out = sdask.semantic_rsm(inp, tmp_path / name, client=client, tile=4)
        assert np.array_equal(np.asarray(out), ref), name
    out = sdask.semantic_rsm(da.from_array(x, chunks=5), tmp_path / "xy", y=y, client=client, tile=3,
                             kernel="linear")
    assert np.array_equal(np.asarray(out), semantic_rsm(x, y, kernel="linear"))
