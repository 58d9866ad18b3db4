"""Distributed semantic RSMs on Dask: one task per pending tile of a resumable store.

Needs the ``dask`` extra. Each worker runs the native engine with its own threads (or, with
``device="cuda"`` on dask-cuda workers, on its own GPU), reads only its tile's samples and
writes its tile into the shared store, so a killed worker, a restarted client or a
resubmitted job resumes instead of starting over.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from . import store as _store

__all__ = ["semantic_rsm"]


def semantic_rsm(x: Any, path, y: Any = None, *, client=None, tile: int = 256,
                 threads: int | None = None, progress: bool = False, device: str = "cpu",
                 **options):
    """Compute the RSM of ``x`` (against ``y``) into the store at ``path`` on a Dask cluster.

    Parameters
    ----------
    x, y : array_like
        As in :func:`semrsm_native.semantic_rsm_to_store`; the workers must be able to read
        them (a path-backed memory map, Zarr array or Dask array on shared storage).
    path : str or os.PathLike
        The Zarr store, on storage every worker sees.
    client : distributed.Client, optional
        Defaults to the current client (``distributed.get_client()``).
    tile, threads, progress, **options
        As in :func:`semrsm_native.semantic_rsm_to_store`; ``threads`` per task.
    device : {"cpu", "cuda"}
        Where each task computes its tile. ``"cuda"`` on dask-cuda workers
        (``LocalCUDACluster``, ``dask-cuda-worker``): each worker sees only its own GPU, as
        its current device, so every task runs on its worker's GPU. This client needs no
        GPU: the first pair is tried on the CPU before the store is made (same checks of
        inputs and options) and the matcher is checked against the GPU's by name.

    Returns
    -------
    zarr.Array
        The stored matrix, identical bit for bit to ``semrsm_native.semantic_rsm``.
    """
    from distributed import as_completed, get_client  # absolute: the real dask packages

    if client is None:
        client = get_client()
    # Workers elsewhere run in other directories: give them the store's absolute path (the
    # store must be on storage mounted at the same path on every worker).
    path = os.path.abspath(os.fspath(path))
    root = _store.open_store(path, x, y, tile, options, device, probe_here=False)
    todo = _store.pending_tiles(np.asarray(root["done"][...]), y is None)
    # Largest tiles first (Dask runs tasks in submission order): the half-full diagonal and
    # the short edge tiles fill the tail, so the last worker to finish waits least.
    n, m = root["rsm"].shape
    todo.sort(key=lambda t: -_tile_pairs(t, tile, n, m, y is None))
    tag = root.attrs["semrsm"]["fingerprint_x"][:8]
    # Sent to the cluster once, not with every task: a NumPy array (or a Dask array built
    # from one) would otherwise be pickled into each of thousands of tasks; a memory map or
    # a Zarr array travels as a file reference and each task reads only its tile's samples.
    xs = client.scatter(_store.by_reference(x), hash=False)
    ys = None if y is None else client.scatter(_store.by_reference(y), hash=False)
    futures = [
        client.submit(_store.compute_tile, str(path), xs, ys, ti, tj, tile, options, threads,
                      None, device, key=f"semrsm-tile-{ti}-{tj}-{tag}", retries=2, pure=False)
        for ti, tj in todo
    ]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(futures), desc="semrsm_native.dask.semantic_rsm", unit="tile")
    try:
        for fut in as_completed(futures):
            fut.result()
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    # The default-bandwidth RBF: the median's counting passes and the kernel tiles run on the
    # workers too (each reads its own d2 tile from the store).
    _store.finish_kernel(path, map_tiles=lambda f, argss: _map_on(client, f, argss))
    return _store.open_rsm(path)[0]


def _tile_pairs(t, tile, n, m, self_mode):
    r = min(tile, n - t[0] * tile)
    c = min(tile, m - t[1] * tile)
    return r * (r - 1) // 2 if self_mode and t[0] == t[1] else r * c


def _map_on(client, func, argss):
    """``[func(*a) for a in argss]`` as Dask tasks, results in order."""
    if not argss:
        return []
    futures = client.map(func, *zip(*argss), pure=False, retries=2)
    return client.gather(futures)
