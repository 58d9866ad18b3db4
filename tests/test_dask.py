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
    while t.is_alive():
        if (tmp_path / "s" / "done" / "zarr.json").exists():
            if np.asarray(zarr.open_group(str(tmp_path / "s"), mode="r")["done"][...]).sum() >= 5:
                break
        time.sleep(0.05)
    os.kill(pids[0], signal.SIGKILL)
    t.join()
    # Resubmitting (after a failure) finishes the remaining tiles.
    out = sdask.semantic_rsm(mm, tmp_path / "s", client=client, tile=1, threads=1)
    assert np.array_equal(np.asarray(out), semantic_rsm(x))
