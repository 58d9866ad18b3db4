"""Resumable tiled semantic RSMs in a Zarr v3 store (needs the ``dask`` extra: zarr>=3).

Layout of a store: array ``rsm`` (N x M float64, one chunk per tile), array ``done``
(one uint8 per tile, chunk 1 x 1 so that marking a tile is one write of its own), and the
attributes ``semrsm`` (options, package version, input fingerprint, tile). A tile is written
first and marked done after, so a crash inside a tile leaves it pending, never half-done.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import numpy as np

from .block import read_samples, sample_count, semantic_rsm_block

__all__ = ["semantic_rsm_to_store", "open_rsm", "fingerprint"]

_SAMPLED = 16  # samples hashed per input: first, last and evenly spaced between


def fingerprint(a: Any) -> str:
    """SHA-256 of shape, dtype and a deterministic sample of ``a`` (16 evenly spaced samples).

    Hashing every sample would read the whole input on every resume (terabytes for the
    inputs this is for); shape, dtype and 16 samples catch a different file, a different
    layer or a shuffled set, which are the mistakes a resumed run makes in practice.
    """
    n = sample_count(a)
    h = hashlib.sha256(f"{tuple(a.shape)}|{np.dtype(a.dtype).str}".encode())
    for i in sorted(set(np.linspace(0, n - 1, min(n, _SAMPLED)).astype(int).tolist())):
        h.update(np.ascontiguousarray(read_samples(a, slice(i, i + 1))).tobytes())
    return h.hexdigest()


def _meta(x, y, tile, options):
    from . import __version__

    return {
        "version": __version__,
        "tile": int(tile),
        "shape": [sample_count(x), sample_count(x) if y is None else sample_count(y)],
        "self": y is None,
        "options": {k: options[k] for k in sorted(options)},
        "fingerprint_x": fingerprint(x),
        "fingerprint_y": None if y is None else fingerprint(y),
    }


def pending_tiles(done: np.ndarray, self_mode: bool) -> list[tuple[int, int]]:
    """Tiles (ti, tj) still to compute: the upper triangle (ti <= tj) in self mode."""
    return [
        (ti, tj)
        for ti in range(done.shape[0])
        for tj in range(ti if self_mode else 0, done.shape[1])
        if not done[ti, tj]
    ]


def open_store(path, x, y, tile, options):
    """Create the store at ``path`` or open it, refusing other inputs or options."""
    import zarr

    meta = _meta(x, y, tile, options)
    n, m = meta["shape"]
    if not os.path.exists(os.path.join(str(path), "zarr.json")):
        root = zarr.open_group(str(path), mode="w", zarr_format=3)
        root.create_array("rsm", shape=(n, m), chunks=(tile, tile), dtype="float64", fill_value=np.nan)
        nt = (-(-n // tile), -(-m // tile))
        root.create_array("done", shape=nt, chunks=(1, 1), dtype="uint8", fill_value=0)
        root.attrs["semrsm"] = meta
        return root
    root = zarr.open_group(str(path), mode="r+")
    old = dict(root.attrs.get("semrsm", {}))
    for key in ("shape", "self", "tile", "fingerprint_x", "fingerprint_y", "options"):
        if old.get(key) != meta[key]:
            raise ValueError(
                f"semantic_rsm_to_store: the store at {path} was made with {key}={old.get(key)!r}, "
                f"this call has {key}={meta[key]!r}; use another path or the same inputs and options"
            )
    return zarr.open_group(str(path), mode="r+")


def compute_tile(path, x, y, ti, tj, tile, options, threads=None):
    """Compute tile (ti, tj) and write it (and its mirror in self mode), then mark it done."""
    import zarr

    root = zarr.open_group(str(path), mode="r+")
    rsm, done = root["rsm"], root["done"]
    if done[ti, tj]:
        # Already finished (a Dask task rerun after its worker died after the write).
        return ti, tj
    n, m = rsm.shape
    rows = slice(ti * tile, min((ti + 1) * tile, n))
    cols = slice(tj * tile, min((tj + 1) * tile, m))
    block = semantic_rsm_block(x, y, rows, cols, threads=threads, **options)
    rsm[rows, cols] = block
    if y is None and ti != tj:
        rsm[cols, rows] = np.ascontiguousarray(block.T)
    done[ti, tj] = 1  # last: a crash before this line leaves the tile pending
    return ti, tj


def semantic_rsm_to_store(x: Any, path, y: Any = None, *, tile: int = 256, progress: bool = False,
                          threads: int | None = None, **options):
    """Compute ``semantic_rsm(x, y, **options)`` tile by tile into a resumable Zarr v3 store.

    Run again with the same ``path``, inputs and options, it skips the finished tiles; the
    finished matrix equals one ``semantic_rsm`` call bit for bit. Another input (shape,
    dtype or sampled content, see :func:`fingerprint`), tile or option raises ``ValueError``.

    Parameters
    ----------
    x, y : array_like
        NumPy, memory-mapped ``.npy``, Zarr or Dask arrays; a tile reads only its samples.
    path : str or os.PathLike
        Directory of the Zarr store.
    tile : int
        Samples per tile side (one chunk of the stored matrix).
    progress : bool
        tqdm bar over the tiles.
    threads : int, optional
        Engine threads per tile.
    **options
        ``kernel`` (one name), ``matcher``, ``cost``, ``layout``, ``window``, ``eps``,
        ``sigma`` as in :func:`semantic_rsm`. The RBF kernel needs an explicit ``sigma``.

    Returns
    -------
    zarr.Array
        The stored matrix.
    """
    func = "semantic_rsm_to_store"
    if isinstance(tile, bool) or not isinstance(tile, int) or tile < 1:
        raise ValueError(f"{func}: tile must be a positive integer, got {tile!r}")
    if not isinstance(options.get("kernel", "cosine"), str):
        raise ValueError(f"{func}: kernel must be one name")
    if options.get("kernel") == "rbf" and options.get("sigma") is None:
        raise ValueError(f"{func}: kernel 'rbf' needs an explicit sigma in a store")
    root = open_store(path, x, y, tile, options)
    todo = pending_tiles(np.asarray(root["done"][...]), y is None)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc=func, unit="tile")
    try:
        for ti, tj in todo:
            compute_tile(path, x, y, ti, tj, tile, options, threads)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return root["rsm"]


def open_rsm(path):
    """Open a stored RSM: ``(matrix, metadata, complete)``.

    ``matrix`` is the lazy ``zarr.Array`` (``np.asarray(matrix)`` reads it all), ``metadata``
    the store's options, version and fingerprints, ``complete`` whether every tile is done.
    """
    import zarr

    root = zarr.open_group(str(path), mode="r")
    meta = dict(root.attrs["semrsm"])
    done = np.asarray(root["done"][...])
    complete = not pending_tiles(done, meta["self"])
    return root["rsm"], meta, complete
