"""Resumable tiled semantic RSMs in a Zarr v3 store (needs the ``dask`` extra: zarr>=3.1.3).

Layout of a store: array ``rsm`` (N x M float64, one chunk per tile), array ``done``
(per tile the number of times it was computed and written: 0 pending, 1 done, more only if
a tile was ever computed twice; chunk 1 x 1 so that marking a tile is one write of its own),
and the attributes ``semrsm`` (options, package version, input fingerprint, tile, and the
device the tiles are computed on: "cpu" or "cuda"). A tile
is written first and marked done after, and every chunk write of Zarr's local store is
atomic (a temporary file renamed into place, since zarr 3.1.3), so a crash inside a tile
leaves it pending, never half-done.

The RBF kernel with its default bandwidth (a median over all pairs) is computed in two
phases: the tiles store the matched squared distances in array ``d2`` (only the computed,
upper tiles in self mode); once all are done the exact lower median of the nonzero ones is
selected by counting over the tiles (:mod:`._select`, a few passes, one tile in memory at a
time), kept in the attribute ``rbf_sigma``, and the kernel is written tile by tile (array
``kernel_done`` marks those). The result is the bandwidth and matrix of one
``semantic_rsm`` call, bit for bit.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import numpy as np

from . import _core
from ._select import chunk_histogram, lower_median_rank, merge_histograms, select_kth, sortable_keys
from .block import rbf_from_d2, read_samples, sample_count, semantic_rsm_block

__all__ = ["semantic_rsm_to_store", "open_rsm", "fingerprint", "finish_kernel"]

_SAMPLED = 16  # samples hashed per input: first, last and evenly spaced between
_COLLECT = 1 << 22  # d2 candidates gathered in memory to finish the median (32 MiB)
_GROUP = 32  # tiles per task of the median's passes and of the kernel phase


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


# The options a store records, with semantic_rsm's defaults, so that a store made with
# defaults left out and one made with them spelt out (as the command line does) are the same.
OPTION_DEFAULTS = {"kernel": "cosine", "matcher": "hungarian", "cost": "inner", "layout": None,
                   "window": 128, "eps": None, "sigma": None}


def _normalised(options, func="semantic_rsm_to_store"):
    unknown = sorted(set(options) - set(OPTION_DEFAULTS))
    if unknown:
        raise TypeError(f"{func}: unknown option {unknown[0]!r}; options: {', '.join(OPTION_DEFAULTS)}")
    return {**OPTION_DEFAULTS, **options}


def _probe(x, y, options, device):
    """Check inputs and options on one pair before a store is made, so that a typo fails
    at once instead of leaving a store that refuses the corrected call."""
    opts = {k: v for k, v in options.items() if not (deferred_rbf(options) and k in ("kernel", "sigma"))}
    if y is None and sample_count(x) >= 2:
        semantic_rsm_block(x, None, slice(0, 1), slice(1, 2), threads=1, device=device, **opts)
    else:
        semantic_rsm_block(x, y, slice(0, 1), slice(0, 1), threads=1, device=device, **opts)


def device_kind(device, func="semantic_rsm_to_store") -> str:
    """Where a store's tiles are computed, as the store records it: "cpu" or "cuda" (any
    "cuda:k": the GPUs give one result). A store is computed on one of the two, so that its
    matrix never mixes the CPU's bits with the GPU's tolerance; "auto" (which follows the
    inputs, host arrays here) is not taken, so that a GPU run is always asked for by name."""
    if device == "cpu":
        return "cpu"
    if isinstance(device, str) and (device == "cuda" or device.startswith("cuda:") and device[5:].isdigit()):
        return "cuda"
    raise ValueError(f"{func}: device must be 'cpu' or 'cuda[:index]', got {device!r}")


class MemmapRef:
    """A memory map by file name, reopened for each read and closed after it.

    Sent to Dask workers, pickling an ``np.memmap`` would ship all of its data with every
    task; kept open in one process, every page a tile touched would stay mapped (and count in
    its resident memory) until the run ends. Reopened per tile, a run holds one tile's
    samples at a time.
    """

    def __init__(self, mm: np.memmap):
        order = "F" if mm.flags.f_contiguous and not mm.flags.c_contiguous else "C"
        self.args = (mm.filename, mm.dtype, mm.offset, mm.shape, order)
        self.shape, self.dtype, self.ndim = mm.shape, mm.dtype, mm.ndim

    def __getitem__(self, sl):
        f, dt, off, shape, order = self.args
        mm = np.memmap(f, dtype=dt, mode="r", offset=off, shape=shape, order=order)
        return np.array(mm[sl])  # a copy: the map closes when this returns


def by_reference(a):
    """``a``, or a :class:`MemmapRef` for a memory map as ``np.load``/``np.memmap`` made it.

    Only the map itself (its base is the ``mmap``): a slice, transpose or dtype view of one
    has the map's offset but not its layout, and stays as it is.
    """
    import mmap

    if isinstance(a, np.memmap) and a.filename is not None and isinstance(a.base, mmap.mmap):
        return MemmapRef(a)
    return a


def _meta(x, y, tile, options, device):
    from . import __version__

    return {
        "version": __version__,
        "tile": int(tile),
        "device": device_kind(device),
        "shape": [sample_count(x), sample_count(x) if y is None else sample_count(y)],
        "self": y is None,
        "options": {k: v for k, v in sorted(_normalised(options).items())},
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


def deferred_rbf(options) -> bool:
    """Whether the store takes the RBF bandwidth from all pairs at the end (no ``sigma``)."""
    return options.get("kernel") == "rbf" and options.get("sigma") is None


def open_store(path, x, y, tile, options, device="cpu", probe_here=True):
    """Create the store at ``path`` or open it, refusing other inputs, options or device.

    ``device``: where the tiles are computed ("cpu" or "cuda[:k]", recorded as
    :func:`device_kind`). A new store is first tried on one pair: on ``device`` with
    ``probe_here``, else (a Dask client, which may have no GPU of its own) on the CPU,
    whose checks of inputs and options are the GPU's, and the matcher by name.
    """
    import zarr

    from ._request import gpu_matcher

    meta = _meta(x, y, tile, options, device)
    if not os.path.exists(os.path.join(str(path), "zarr.json")):
        _probe(x, y, options, device if probe_here else "cpu")
        if meta["device"] == "cuda" and not probe_here:
            gpu_matcher(_normalised(options)["matcher"], "semantic_rsm_to_store")
        _create(path, meta, tile, deferred_rbf(options))
    root = zarr.open_group(str(path), mode="r+")
    old = dict(root.attrs.get("semrsm", {}))
    old.setdefault("device", "cpu")  # stores made before the GPU tiles computed on the CPU
    for key in ("shape", "self", "tile", "device", "fingerprint_x", "fingerprint_y", "options"):
        if old.get(key) != meta[key]:
            raise ValueError(
                f"semantic_rsm_to_store: the store at {path} was made with {key}={old.get(key)!r}, "
                f"this call has {key}={meta[key]!r}; use another path or the same inputs and options"
            )
    return root


def _create(path, meta, tile, with_d2):
    """Make the empty store beside ``path`` and rename it into place: a crash while making
    it leaves no store half made, and of two runs creating it at once one wins, the other
    opens (and checks) the winner's."""
    import shutil
    import zarr

    n, m = meta["shape"]
    nt = (-(-n // tile), -(-m // tile))
    target = os.path.abspath(os.fspath(path))
    tmp = f"{target}.creating-{os.getpid()}"
    root = zarr.open_group(tmp, mode="w", zarr_format=3)
    # Uncompressed: similarities and distances are dense float64 that zstd shrinks by a few
    # percent at the price of most of a tile's write time.
    root.create_array("rsm", shape=(n, m), chunks=(tile, tile), dtype="float64",
                      fill_value=np.nan, compressors=None)
    root.create_array("done", shape=nt, chunks=(1, 1), dtype="uint16", fill_value=0)
    if with_d2:
        root.create_array("d2", shape=(n, m), chunks=(tile, tile), dtype="float64",
                          fill_value=np.nan, compressors=None)
        root.create_array("kernel_done", shape=nt, chunks=(1, 1), dtype="uint16", fill_value=0)
    root.attrs["semrsm"] = meta
    try:
        os.rename(tmp, target)  # atomic; onto an empty directory too
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not os.path.exists(os.path.join(target, "zarr.json")):
            raise ValueError(f"semantic_rsm_to_store: {path} exists and is not a store") from None


def store_arrays(path, mode="r+", names=None) -> dict:
    """The store's arrays by name (``names``, default all), opened once: each opening reads
    metadata, and a task that opens only what it uses saves those reads."""
    import zarr

    if names is None:
        return {name: a for name, a in zarr.open_group(str(path), mode=mode).arrays()}
    return {name: zarr.open_array(os.path.join(str(path), name), mode=mode) for name in names}


def compute_tile(path, x, y, ti, tj, tile, options, threads=None, arrays=None, device="cpu"):
    """Compute tile (ti, tj) and write it (and its mirror in self mode), then mark it done.

    ``arrays``: :func:`store_arrays` of ``path``, when the caller holds them open already.
    ``device``: where :func:`semantic_rsm_block` computes the tile.
    """
    if arrays is None:
        arrays = store_arrays(path, names=("rsm", "done", "d2") if deferred_rbf(options) else ("rsm", "done"))
    rsm, done = arrays["rsm"], arrays["done"]
    if done[ti, tj]:
        # Already finished (a Dask task rerun after its worker died after the write).
        return ti, tj
    rows, cols = _tile_ranges(rsm.shape, tile, ti, tj)
    if deferred_rbf(options):
        # Phase one of the default-bandwidth RBF: keep the squared distances (the linear
        # values come with them and are dropped); finish_kernel writes the kernel.
        opts = {k: v for k, v in options.items() if k not in ("kernel", "sigma")}
        _, d2 = semantic_rsm_block(x, y, rows, cols, kernel="linear", threads=threads,
                                   return_d2=True, device=device, **opts)
        arrays["d2"][rows, cols] = d2
    else:
        block = semantic_rsm_block(x, y, rows, cols, threads=threads, device=device, **options)
        _write_tile(rsm, rows, cols, block, y is None and ti != tj)
    # Last, and counted (re-read, so a tile computed twice shows 2): a crash before this
    # line leaves the tile pending.
    done[ti, tj] = int(done[ti, tj]) + 1
    return ti, tj


def _tile_ranges(shape, tile, ti, tj):
    n, m = shape
    return slice(ti * tile, min((ti + 1) * tile, n)), slice(tj * tile, min((tj + 1) * tile, m))


def _write_tile(rsm, rows, cols, block, mirror):
    rsm[rows, cols] = block
    if mirror:
        rsm[cols, rows] = np.ascontiguousarray(block.T)


# --------------------------------------------------------------------------------------------
# RBF with the default bandwidth: exact median over the stored d2, then the kernel
# --------------------------------------------------------------------------------------------


def d2_tiles_part(path, tiles, prefix, fixed, collect):
    """A group of tiles' part of a selection pass over the stored d2 (see :mod:`._select`):
    the values the default bandwidth is a median of (nonzero; in self mode only ``i < j``,
    as the native engine), histogrammed or, with ``collect``, gathered."""
    arrays = store_arrays(path, mode="r", names=("d2",))
    tile, self_mode = _group_meta(path)
    parts = []
    for ti, tj in tiles:
        rows, cols = _tile_ranges(arrays["d2"].shape, tile, ti, tj)
        d2 = np.asarray(arrays["d2"][rows, cols])
        if self_mode and ti == tj:
            d2 = d2[np.triu_indices(d2.shape[0], k=1, m=d2.shape[1])]
        parts.append(chunk_histogram(sortable_keys(d2[d2 != 0.0]), prefix, fixed, collect))
    if collect:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
    return merge_histograms(parts)


def _group_meta(path):
    import zarr

    meta = zarr.open_group(str(path), mode="r").attrs["semrsm"]
    return meta["tile"], meta["self"]


def _groups(tiles):
    return [tiles[i:i + _GROUP] for i in range(0, len(tiles), _GROUP)]


def kernel_tiles(path, tiles, sigma):
    """Phase two: write the RBF tiles from their stored d2, marking each after its write."""
    arrays = store_arrays(path, names=("rsm", "d2", "kernel_done"))
    tile, self_mode = _group_meta(path)
    kdone = arrays["kernel_done"]
    for ti, tj in tiles:
        if kdone[ti, tj]:
            continue
        rows, cols = _tile_ranges(arrays["d2"].shape, tile, ti, tj)
        block = rbf_from_d2(np.asarray(arrays["d2"][rows, cols]), sigma)
        _write_tile(arrays["rsm"], rows, cols, block, self_mode and ti != tj)
        kdone[ti, tj] = int(kdone[ti, tj]) + 1
    return len(tiles)


def default_sigma(path, map_tiles=None) -> float:
    """The RBF bandwidth of one ``semantic_rsm`` call, from the d2 of a finished store:
    ``sqrt(lower median of the nonzero d2) + 1e-3``, the median exact to the bit.

    ``map_tiles(func, args_list)`` maps the passes over groups of tiles (default: here, in
    order).
    """
    import zarr

    root = zarr.open_group(str(path), mode="r")
    groups = _groups(_computed_tiles(root))
    if map_tiles is None:
        map_tiles = lambda f, argss: [f(*a) for a in argss]  # noqa: E731
    med, _ = select_kth(
        lambda prefix, fixed, collect: map_tiles(
            d2_tiles_part, [(str(path), g, prefix, fixed, collect) for g in groups]
        ),
        lower_median_rank,
        collect=_COLLECT,
    )
    # sqrt(median) + offset through the engine's own function (one value, not self mode).
    return float(_core.rsm_default_sigma(np.array([[0.0 if med is None else med]]), False))


def _computed_tiles(root):
    done = np.asarray(root["done"][...])
    self_mode = root.attrs["semrsm"]["self"]
    return [(ti, tj) for ti in range(done.shape[0]) for tj in range(ti if self_mode else 0, done.shape[1])]


def finish_kernel(path, map_tiles=None) -> bool:
    """Finish a default-bandwidth RBF store whose tiles are all done: take the bandwidth
    (once; kept in the ``rbf_sigma`` attribute) and write the kernel tiles still pending.
    Returns whether the store is complete. Other stores: nothing to do."""
    import zarr

    root = zarr.open_group(str(path), mode="r+")
    meta = root.attrs["semrsm"]
    if not deferred_rbf(meta["options"]):
        return not pending_tiles(np.asarray(root["done"][...]), meta["self"])
    if pending_tiles(np.asarray(root["done"][...]), meta["self"]):
        return False
    sigma = root.attrs.get("rbf_sigma")
    if sigma is None:
        sigma = default_sigma(path, map_tiles)
        root.attrs["rbf_sigma"] = sigma
    todo = pending_tiles(np.asarray(root["kernel_done"][...]), meta["self"])
    if map_tiles is None:
        kernel_tiles(path, todo, sigma)
    else:
        map_tiles(kernel_tiles, [(str(path), g, sigma) for g in _groups(todo)])
    return True


def semantic_rsm_to_store(x: Any, path, y: Any = None, *, tile: int = 256, progress: bool = False,
                          threads: int | None = None, device: str = "cpu", **options):
    """Compute ``semantic_rsm(x, y, **options)`` tile by tile into a resumable Zarr v3 store.

    Run again with the same ``path``, inputs and options, it skips the finished tiles; the
    finished matrix equals one ``semantic_rsm`` call bit for bit (on the CPU; see
    ``device``). Another input (shape, dtype or sampled content, see :func:`fingerprint`),
    tile, option or device raises ``ValueError``.

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
    device : {"cpu", "cuda", "cuda:k"}
        Where the tiles are computed. ``"cuda"``: each tile on the GPU
        (:func:`semantic_rsm_block` with ``device``), equal to the CPU's matrix within the
        GPU's tolerance (1e-5 relative, exact matcher); the RBF bandwidth's median and the
        kernel of a default-bandwidth RBF store are then taken on the CPU from the GPU's
        squared distances. The store records which of the two it was, and a run with the
        other is refused.
    **options
        ``kernel`` (one name), ``matcher``, ``cost``, ``layout``, ``window``, ``eps``,
        ``sigma`` as in :func:`semantic_rsm`. ``kernel="rbf"`` without ``sigma`` takes the
        default bandwidth of :func:`semantic_rsm` exactly, from all pairs once every tile
        is done (the store then also holds the squared distances, array ``d2``).

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
    root = open_store(path, x, y, tile, options, device)
    todo = pending_tiles(np.asarray(root["done"][...]), y is None)
    xs, ys = by_reference(x), None if y is None else by_reference(y)
    arrays = store_arrays(path)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc=func, unit="tile")
    try:
        for ti, tj in todo:
            compute_tile(path, xs, ys, ti, tj, tile, options, threads, arrays, device)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    finish_kernel(path)
    return root["rsm"]


def open_rsm(path):
    """Open a stored RSM: ``(matrix, metadata, complete)``.

    ``matrix`` is the lazy ``zarr.Array`` (``np.asarray(matrix)`` reads it all; pending
    tiles read as NaN), ``metadata`` the store's options, version, fingerprints and tile
    (and ``rbf_sigma``, the bandwidth taken, for a default-bandwidth RBF store),
    ``complete`` whether every tile (and kernel tile) is written.
    """
    import zarr

    root = zarr.open_group(str(path), mode="r")
    meta = dict(root.attrs["semrsm"])
    complete = not pending_tiles(np.asarray(root["done"][...]), meta["self"])
    if deferred_rbf(meta["options"]):
        meta["rbf_sigma"] = root.attrs.get("rbf_sigma")
        complete = complete and not pending_tiles(np.asarray(root["kernel_done"][...]), meta["self"])
    return root["rsm"], meta, complete
