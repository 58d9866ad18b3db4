"""semantic_rsm_block on the GPU route (issue 9), and the store, Dask and the CLI passing
``device`` through, on any machine.

The CPU route stays the CPU engine, bit for bit. The GPU route is checked against it through
the GPU's own pipeline on the CPU: a stand-in ``_cuda`` (tests/_fake_cuda.py) computes each
launch with ``_cuda_testing.host_rsm`` (the pair enumeration, team matchers and result sink
the kernels run, the squared distances included) from the pointers and strides the wrappers
hand it, with CPU memory playing device memory. The device itself: tests/gpu/test_gpu_block.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from semrsm_native import _gpu, semantic_rsm, semantic_rsm_block

sys.path.insert(0, str(Path(__file__).parent))  # the shared helpers (importlib import mode)
from _fake_cuda import FakeCuda, emulate_gpu  # noqa: E402

RTOL = 1e-5  # the GPU's stated tolerance against the CPU (exact matcher)

# (rows, cols, y): a diagonal, an upper, a lower block of the self RSM; a cross block
TILES = {
    "diagonal": (slice(2, 6), slice(2, 6), False),
    "upper": (slice(0, 3), slice(3, 8), False),
    "lower": (slice(5, 9), slice(1, 4), False),
    "cross": (slice(1, 7), slice(2, 5), True),
}


def _acts(n, seed, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return np.maximum(0.5 * rng.standard_normal((1, 6, 3, 3)) + rng.standard_normal((n, 6, 3, 3)), 0).astype(dtype)


X, Y = _acts(9, 1), _acts(6, 2)


@pytest.fixture
def gpu(monkeypatch):
    pytest.importorskip("torch")
    real = pytest.importorskip("semrsm_native._cuda_testing", reason="CUDA backend not built")
    return emulate_gpu(monkeypatch, FakeCuda(real))


@pytest.mark.parametrize("tile", TILES)
@pytest.mark.parametrize("device", ["cpu", "auto"])
def test_host_inputs_stay_on_the_cpu_engine_bit_for_bit(monkeypatch, tile, device):
    monkeypatch.setattr(_gpu, "semantic_rsm", lambda *a, **k: pytest.fail("routed to the GPU"))
    rows, cols, cross = TILES[tile]
    y = Y if cross else None
    kernels = ["linear", "cosine", "rbf"]
    got, d2 = semantic_rsm_block(X, y, rows, cols, kernel=kernels, sigma=1.5, return_d2=True, device=device)
    whole = semantic_rsm(X, y, kernel=kernels, sigma=1.5)
    for k in kernels:
        assert got[k].dtype == np.float64 and np.array_equal(got[k], whole[k][rows, cols]), k


@pytest.mark.parametrize("tile", TILES)
@pytest.mark.parametrize("cost", ["inner", "cosine"])
def test_gpu_block_equals_the_cpu_block(gpu, tile, cost):
    rows, cols, cross = TILES[tile]
    y = Y if cross else None
    kernels = ["linear", "cosine", "rbf"]
    got, d2 = semantic_rsm_block(X, y, rows, cols, kernel=kernels, sigma=1.5, cost=cost, return_d2=True,
                                 device="cuda")
    ref, ref_d2 = semantic_rsm_block(X, y, rows, cols, kernel=kernels, sigma=1.5, cost=cost, return_d2=True,
                                     device="cpu")
    shape = (rows.stop - rows.start, cols.stop - cols.start)
    for k in kernels:
        assert isinstance(got[k], np.ndarray) and got[k].dtype == np.float64 and got[k].shape == shape
        assert got[k].flags.c_contiguous
        np.testing.assert_allclose(got[k], ref[k], rtol=RTOL, atol=1e-12, err_msg=k)
    assert isinstance(d2, np.ndarray) and d2.shape == shape and d2.flags.c_contiguous
    np.testing.assert_allclose(d2, ref_d2, rtol=RTOL, atol=1e-9)
    if tile == "diagonal":
        assert np.all(np.diag(d2) == 0) and np.all(np.diag(got["cosine"]) > 1 - 1e-12)


def test_what_each_tile_hands_to_the_cuda_module(gpu):
    """One launch per block: the diagonal in self mode, an upper block as x[rows] against
    x[cols], a lower one as its upper mirror (then transposed), a cross block against y."""
    expect = {"diagonal": (4, None), "upper": (3, 5), "lower": (3, 4), "cross": (6, 3)}
    for tile, (rows, cols, cross) in TILES.items():
        gpu.calls.clear()
        semantic_rsm_block(X, Y if cross else None, rows, cols, kernel="cosine", matcher="greedy", device="cuda")
        (name, a), = gpu.calls
        n, m = expect[tile]
        assert name == "semantic_rsm" and a["x"][2] == n and (a["y"] is None if m is None else a["y"][2] == m)
        assert a["matcher"] == "greedy" and a["cosine"] and not a["rbf"] and not a["d2"] and not a["perm"]
    gpu.calls.clear()
    semantic_rsm_block(X, rows=slice(0, 2), cols=slice(2, 4), kernel="rbf", sigma=0.25, device="cuda")
    a = gpu.last("semantic_rsm")
    assert a["rbf"] and a["sigma"] == 0.25 and not a["d2"]  # the GPU finishes RBF itself
    a = [semantic_rsm_block(X, rows=slice(0, 2), cols=slice(2, 4), kernel="linear", return_d2=True,
                            device="cuda:0"), gpu.last("semantic_rsm")][1]
    assert a["d2"] and a["device"] == 0


def test_gpu_block_refuses_what_the_gpu_lacks(gpu):
    with pytest.raises(NotImplementedError, match="semantic_rsm_block: matcher='batch_optimal' has no GPU"):
        semantic_rsm_block(X, rows=slice(0, 2), cols=slice(2, 4), matcher="batch_optimal", device="cuda")
    with pytest.raises(ValueError, match="semantic_rsm_block: kernel 'rbf' needs sigma"):
        semantic_rsm_block(X, rows=slice(0, 2), cols=slice(2, 4), kernel="rbf", device="cuda")
    with pytest.raises(NotImplementedError, match="semantic_rsm_block: return_bounds is computed by the CPU"):
        semantic_rsm_block(X, rows=slice(0, 2), cols=slice(2, 4), return_bounds=True, device="cuda")
    assert not gpu.calls


@pytest.mark.parametrize("tile", TILES)
def test_bounds_on_the_cpu_route_with_the_device_argument(tile):
    rows, cols, cross = TILES[tile]
    y = Y if cross else None
    got, bounds = semantic_rsm_block(X, y, rows, cols, matcher="greedy", return_bounds=True, device="cpu")
    whole, wb = semantic_rsm(X, y, matcher="greedy", return_bounds=True)
    assert np.array_equal(got, whole[rows, cols])
    assert np.array_equal(bounds.lower, wb.lower[rows, cols]) and np.array_equal(bounds.upper, wb.upper[rows, cols])


# ------------------------------------------------------------------------------------------
# The store, Dask and the CLI pass the device through


def test_store_on_the_gpu(gpu, tmp_path):
    zarr = pytest.importorskip("zarr")
    from semrsm_native import store

    out = store.semantic_rsm_to_store(X, tmp_path / "s", tile=4, kernel="cosine", device="cuda")
    np.testing.assert_allclose(np.asarray(out), semantic_rsm(X), rtol=RTOL)
    _, meta, complete = store.open_rsm(tmp_path / "s")
    assert complete and meta["device"] == "cuda"
    assert len(gpu.calls) == 1 + 6  # the probe of one pair, then the 3 x 3 upper tiles
    with pytest.raises(ValueError, match="made with device='cuda', this call has device='cpu'"):
        store.semantic_rsm_to_store(X, tmp_path / "s", tile=4, kernel="cosine")
    store.semantic_rsm_to_store(X, tmp_path / "s", tile=4, kernel="cosine", device="cuda:0")  # same store
    # a store made before the device was recorded was computed on the CPU
    store.semantic_rsm_to_store(X, tmp_path / "old", tile=4)
    root = zarr.open_group(str(tmp_path / "old"), mode="r+")
    root.attrs["semrsm"] = {k: v for k, v in root.attrs["semrsm"].items() if k != "device"}
    assert np.array_equal(np.asarray(store.semantic_rsm_to_store(X, tmp_path / "old", tile=4)), semantic_rsm(X))
    for bad in ("auto", "gpu", "cuda:", "cuda:x", None):
        with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda"):
            store.semantic_rsm_to_store(X, tmp_path / "bad", tile=4, device=bad)
    assert not (tmp_path / "bad").exists()


def test_default_bandwidth_rbf_store_takes_the_gpus_d2(gpu, tmp_path):
    pytest.importorskip("zarr")
    from semrsm_native import store

    out = store.semantic_rsm_to_store(X, tmp_path / "s", Y, tile=4, kernel="rbf", device="cuda")
    np.testing.assert_allclose(np.asarray(out), semantic_rsm(X, Y, kernel="rbf"), rtol=RTOL)
    probe, *tiles = gpu.calls  # the probe of one pair asks for linear only
    assert len(tiles) == 3 * 2 and all(a["d2"] and not a["rbf"] for name, a in tiles)
    _, meta, _ = store.open_rsm(tmp_path / "s")
    sigma = store.default_sigma(tmp_path / "s")
    assert meta["rbf_sigma"] == sigma


def test_a_store_for_gpu_workers_is_made_without_a_gpu(monkeypatch, tmp_path):
    """A Dask client need not have a GPU: the first pair is tried on the CPU, and the
    matcher is checked against the GPU's by name."""
    pytest.importorskip("zarr")
    from semrsm_native import store

    monkeypatch.setattr(_gpu, "cuda_module", lambda func: pytest.fail("the client touched the CUDA module"))
    root = store.open_store(tmp_path / "s", X, None, 4, {"kernel": "cosine"}, "cuda", probe_here=False)
    assert root.attrs["semrsm"]["device"] == "cuda"
    with pytest.raises(NotImplementedError, match="matcher='batch_optimal' has no GPU implementation"):
        store.open_store(tmp_path / "t", X, None, 4, {"matcher": "batch_optimal"}, "cuda", probe_here=False)
    with pytest.raises(ValueError, match="unknown matcher"):
        store.open_store(tmp_path / "t", X, None, 4, {"matcher": "jv"}, "cuda", probe_here=False)
    assert not (tmp_path / "t").exists()


def test_dask_tasks_compute_on_the_workers_gpu(gpu, tmp_path):
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("zarr")
    from semrsm_native import dask as sdask

    # Worker threads in this process, so that they see the emulated GPU.
    # (":0": the in-process scheduler serves HTTP even without a dashboard; any free port)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        out = sdask.semantic_rsm(X, tmp_path / "s", Y, client=client, tile=3, kernel="linear", device="cuda")
    np.testing.assert_allclose(np.asarray(out), semantic_rsm(X, Y, kernel="linear"), rtol=RTOL)
    assert len(gpu.calls) == 3 * 2  # tasks only: the client tried its pair on the CPU


def test_cli_store_with_device_cuda(gpu, tmp_path, capsys):
    pytest.importorskip("zarr")
    from semrsm_native import cli, open_rsm

    np.save(tmp_path / "x.npy", X)
    assert cli.main(["compute", str(tmp_path / "x.npy"), "--store", str(tmp_path / "S"), "--tile", "4",
                     "--device", "cuda", "--no-progress"]) == 0
    m, meta, complete = open_rsm(tmp_path / "S" / "x" / "cosine")
    assert complete and meta["device"] == "cuda" and gpu.calls
    np.testing.assert_allclose(np.asarray(m), semantic_rsm(X), rtol=RTOL)


def test_cli_store_with_device_cuda_and_no_gpu_makes_no_store(tmp_path, capsys):
    pytest.importorskip("zarr")
    import semrsm_native
    from semrsm_native import cli

    info = semrsm_native.build_info()
    if info["cuda"] and info.get("cuda_device_count", 0) > 0:
        pytest.skip("a CUDA device is present")
    np.save(tmp_path / "x.npy", X)
    assert cli.main(["compute", str(tmp_path / "x.npy"), "--store", str(tmp_path / "S"), "--device", "cuda",
                     "--no-progress"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("semrsm: error: ") and "CUDA" in err
    assert not (tmp_path / "S" / "x" / "cosine" / "zarr.json").exists()


@pytest.mark.parametrize("name", ["semantic_rsm", "spatio_rsm", "lap_batch"])
def test_the_stand_in_has_the_bindings_signatures(name):
    """What the stand-in receives is what the compiled module takes (d2 included)."""
    import inspect
    import re

    real = pytest.importorskip("semrsm_native._cuda", reason="CUDA backend not built")
    doc = getattr(real, name).__doc__.splitlines()[0]
    params = re.findall(r"(\w+): ", doc[doc.index("(") + 1:doc.rindex(")")])
    assert params == list(inspect.signature(getattr(FakeCuda, name)).parameters)[1:]
