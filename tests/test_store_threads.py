"""The Zarr store functions from 8 Python threads at once give the results of one call, bit
for bit (issue 14). They do milliseconds of file I/O per call, too slow for the 10,000-call
leak test that covers the other public functions (tests/_public_calls.py).

Each thread writes its own store (stores are not meant to be written by two processes at
once); all threads read one finished store with open_rsm.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("zarr")

import semrsm_native as sn  # noqa: E402

THREADS = 8
_X = np.random.default_rng(7).standard_normal((7, 3, 2, 2)).astype(np.float32)
_Y = np.random.default_rng(8).standard_normal((5, 3, 2, 2)).astype(np.float32)


def _in_threads(work):
    results: list = [None] * THREADS
    errors: list = []
    start = threading.Barrier(THREADS)

    def worker(k):
        try:
            start.wait()
            results[k] = work(k)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


@pytest.mark.parametrize("y", [None, _Y], ids=["self", "x_vs_y"])
def test_stores_written_in_parallel_threads(tmp_path, y):
    want = sn.semantic_rsm(_X, y, kernel="linear", threads=1)
    got = _in_threads(lambda k: np.asarray(
        sn.semantic_rsm_to_store(_X, tmp_path / f"s{k}", y, tile=3, threads=1, kernel="linear")[...]))
    for g in got:
        np.testing.assert_array_equal(g, want, strict=True)


def test_open_rsm_read_from_parallel_threads(tmp_path):
    sn.semantic_rsm_to_store(_X, tmp_path / "s", tile=3, threads=1)
    want = sn.semantic_rsm(_X, threads=1)

    def read(k):
        out = []
        for _ in range(10):
            matrix, meta, complete = sn.open_rsm(tmp_path / "s")
            out.append((np.asarray(matrix[...]), complete))
        return out

    for per_thread in _in_threads(read):
        for matrix, complete in per_thread:
            assert complete
            np.testing.assert_array_equal(matrix, want, strict=True)
