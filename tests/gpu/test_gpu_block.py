"""GPU checks of semantic_rsm_block and the store on a CUDA device (issue 9). Every test skips
without one; tests/gpu/run.sh runs them with tests/test_gpu.py.

What is checked on the device: a block with ``device="cuda"`` (diagonal, upper, lower and
cross blocks; every kernel; the matched squared distances the CUDA module now hands out)
equals the CPU block within the GPU's tolerance (1e-5 relative, exact matcher); GPU tensors
route themselves there and come back as GPU tensors; a store computed on the GPU (a
read-only memory map as input; the default-bandwidth RBF from the GPU's d2) equals the CPU's
matrix within that tolerance; and, where dask-cuda is installed, a LocalCUDACluster run.
The same plumbing without a device: tests/test_block_device.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))  # the shared helpers (importlib import mode)
from _cuda_device import needs_device  # noqa: E402

cuda, torch, pytestmark = needs_device("no CUDA device")

from semrsm_native import semantic_rsm, semantic_rsm_block  # noqa: E402

RTOL = 1e-5
TILES = {
    "diagonal": (slice(3, 11), slice(3, 11), False),
    "upper": (slice(0, 5), slice(6, 14), False),
    "lower": (slice(9, 16), slice(1, 6), False),
    "cross": (slice(2, 12), slice(0, 7), True),
}


def realistic(n, seed, dtype=np.float32, c=24, side=4):
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((1, c, side, side))
    return np.maximum(0.6 * base + rng.standard_normal((n, c, side, side)), 0.0).astype(dtype)


X, Y = realistic(16, 1), realistic(9, 2)


@pytest.mark.parametrize("tile", TILES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_block_on_the_gpu_equals_the_cpu_block(tile, dtype):
    rows, cols, cross = TILES[tile]
    x, y = X.astype(dtype), Y.astype(dtype) if cross else None
    kernels = ["linear", "cosine", "rbf"]
    got, d2 = semantic_rsm_block(x, y, rows, cols, kernel=kernels, sigma=2.0, return_d2=True, device="cuda")
    ref, ref_d2 = semantic_rsm_block(x, y, rows, cols, kernel=kernels, sigma=2.0, return_d2=True, device="cpu")
    for k in kernels:
        assert isinstance(got[k], np.ndarray) and got[k].dtype == np.float64 and got[k].shape == ref[k].shape
        np.testing.assert_allclose(got[k], ref[k], rtol=RTOL, err_msg=k)
    np.testing.assert_allclose(d2, ref_d2, rtol=RTOL, atol=1e-9)


def test_d2_without_rbf_is_the_callers_buffer():
    # kernel="linear": the backend allocates no d2 of its own; the block's buffer is filled
    got, d2 = semantic_rsm_block(X, None, slice(0, 6), slice(6, 16), kernel="linear", return_d2=True,
                                 device="cuda")
    _, ref = semantic_rsm_block(X, None, slice(0, 6), slice(6, 16), kernel="linear", return_d2=True)
    assert np.all(np.isfinite(d2)) and np.all(d2 > 0)
    np.testing.assert_allclose(d2, ref, rtol=RTOL)


def test_gpu_tensors_route_themselves_and_come_back_on_the_gpu():
    xt = torch.from_numpy(X).cuda()
    got = semantic_rsm_block(xt, None, slice(9, 16), slice(1, 6), kernel="cosine")  # device="auto"
    assert got.is_cuda and got.dtype == torch.float64 and tuple(got.shape) == (7, 5) and got.is_contiguous()
    np.testing.assert_allclose(got.cpu().numpy(), semantic_rsm(X)[9:16, 1:6], rtol=RTOL)
    whole = semantic_rsm(xt, kernel="cosine").cpu().numpy()  # the whole call on the GPU
    np.testing.assert_allclose(got.cpu().numpy(), whole[9:16, 1:6], rtol=RTOL)


def test_store_on_the_gpu(tmp_path):
    pytest.importorskip("zarr")
    from semrsm_native import store

    np.save(tmp_path / "x.npy", X)
    x = np.load(tmp_path / "x.npy", mmap_mode="r")  # read-only: uploaded through a copy
    out = store.semantic_rsm_to_store(x, tmp_path / "s", tile=5, kernel="cosine", device="cuda")
    np.testing.assert_allclose(np.asarray(out), semantic_rsm(X), rtol=RTOL)
    out = store.semantic_rsm_to_store(x, tmp_path / "r", y=Y, tile=4, kernel="rbf", device="cuda")
    np.testing.assert_allclose(np.asarray(out), semantic_rsm(X, Y, kernel="rbf"), rtol=RTOL)
    assert store.open_rsm(tmp_path / "r")[1]["device"] == "cuda"


def test_dask_cuda_workers(tmp_path):
    pytest.importorskip("zarr")
    dask_cuda = pytest.importorskip("dask_cuda")
    distributed = pytest.importorskip("distributed")
    from semrsm_native import dask as sdask

    with dask_cuda.LocalCUDACluster(n_workers=1, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        out = sdask.semantic_rsm(X, tmp_path / "s", client=client, tile=6, device="cuda")
    np.testing.assert_allclose(np.asarray(out), semantic_rsm(X), rtol=RTOL)
