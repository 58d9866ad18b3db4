"""``semrsm compute ACTS --store DIR``: resumable tiled runs, locally or on a Dask cluster.

Kept apart from :mod:`.cli` (argument parsing and the in-memory path) because it needs the
``dask`` extra and reads activations lazily: a ``.npy`` is memory-mapped, a Zarr array is
read tile by tile, so the activation set never has to fit in memory.

Every layer and kernel is one store, ``DIR/LAYER/KERNEL``, a self-contained Zarr v3 store of
:func:`semrsm_native.semantic_rsm_to_store` (open it with :func:`semrsm_native.open_rsm`).
Running the same command again resumes every store where it stopped.
"""

from __future__ import annotations

import os
import time
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

__all__ = ["open_lazy_activations", "store_path", "run_stores", "dask_client"]


def _is_zarr(path: Path) -> bool:
    return path.is_dir() and (path / "zarr.json").exists()


def open_lazy_activations(path: str | os.PathLike[str], layers, ranks) -> dict[str, Any]:
    """Layers of ``path`` without reading their data where the format allows it.

    ``.npy``: a read-only memory map. A Zarr v3 array directory: that array (named after the
    directory's stem); a Zarr v3 group: its arrays, one layer each. Other formats
    (``.npz``, ``.pt``, ``.safetensors``) are read into memory by
    :func:`semrsm_native._io.load_activations`.
    """
    from ._io import ActivationFileError, _check_array, load_activations, select_layers

    p = Path(path)
    if p.suffix.lower() == ".npy" and p.is_file():
        try:
            arrays: dict[str, Any] = {p.stem: np.load(p, mmap_mode="r", allow_pickle=False)}
        except (OSError, ValueError) as exc:
            raise ActivationFileError(f"{p}: cannot read .npy file ({' '.join(str(exc).split())})") from None
    elif _is_zarr(p):
        import zarr

        node = zarr.open(str(p.resolve()), mode="r")  # absolute: Dask workers may run elsewhere
        if isinstance(node, zarr.Array):
            arrays = {p.stem: node}
        else:
            arrays = {name: a for name, a in node.arrays()}
            if not arrays:
                raise ActivationFileError(f"{p}: the Zarr group holds no arrays")
    else:
        return load_activations(p, layers, ranks=ranks)
    arrays = select_layers(p, arrays, layers)
    for name, a in arrays.items():
        _check_array(p, name, a, ranks)  # reads shape and dtype only
    return arrays


def store_path(root: str | os.PathLike[str], layer: str, kernel: str) -> Path:
    """``root/LAYER/KERNEL``; a layer name that would leave ``root`` is refused."""
    parts = PurePosixPath(layer.replace(os.sep, "/")).parts
    if not parts or PurePosixPath(layer).is_absolute() or any(s in ("..", ".") for s in parts):
        raise ValueError(f"layer name {layer!r} cannot name a directory inside the store")
    return Path(root, *parts, kernel)


def dask_client(scheduler: str | None, workers: int | None):
    """A ``distributed.Client`` at ``scheduler``, or on a new ``LocalCluster`` of ``workers``
    single-threaded worker processes (each task runs the engine with its own threads); the
    caller closes it (and the cluster, which ``client.close()`` does not: see ``close``)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ImportError(
            "--scheduler and --workers need dask.distributed: pip install 'semrsm-native[dask]'"
        ) from None
    if scheduler is not None:
        return Client(scheduler), None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    return Client(cluster), cluster


def _tile_counts(path: Path, x, tile: int, options: dict, device: str, here: bool) -> tuple[int, int]:
    from . import store

    # creates, or refuses a mismatch; tried on the device only where the tiles run here
    root = store.open_store(path, x, None, tile, options, device, probe_here=here)
    done = np.asarray(root["done"][...])
    total = done.shape[0] * (done.shape[0] + 1) // 2
    return total, total - len(store.pending_tiles(done, True))


def run_stores(
    acts: dict[str, Any],
    root: str | os.PathLike[str],
    kernels: list[str],
    options: dict,
    *,
    tile: int,
    threads: int | None,
    progress: bool,
    client=None,
    device: str = "cpu",
    echo=print,
) -> dict[str, dict[str, Any]]:
    """Compute (or resume) the store of every layer and kernel; ``{layer: {kernel: path}}``.

    With ``client`` the tiles are Dask tasks (:func:`semrsm_native.dask.semantic_rsm`),
    otherwise they run here; on ``device`` ("cpu" or "cuda") either way. Ctrl-C leaves every finished tile in place: the message says
    how many are done and that running the same command resumes.
    """
    from . import store
    from . import dask as sdask

    paths: dict[str, dict[str, Any]] = {}
    for layer, x in acts.items():
        paths[layer] = {}
        for kernel in kernels:
            path = store_path(root, layer, kernel)
            path.parent.mkdir(parents=True, exist_ok=True)
            opts = dict(options, kernel=kernel)
            total, done = _tile_counts(path, x, tile, opts, device, client is None)
            state = "new store" if done == 0 else f"resuming, {done} of {total} tiles done"
            echo(f"  {kernel}: {path} ({total} tiles of {tile} x {tile} samples; {state})", flush=True)
            t = time.perf_counter()
            try:
                if client is None:
                    store.semantic_rsm_to_store(x, path, tile=tile, threads=threads, progress=progress,
                                                device=device, **opts)
                else:
                    sdask.semantic_rsm(x, path, client=client, tile=tile, threads=threads,
                                       progress=progress, device=device, **opts)
            except KeyboardInterrupt:
                _, now = _tile_counts(path, x, tile, opts, device, False)
                echo(f"  {kernel}: interrupted with {now} of {total} tiles done; run the same "
                     "command again to resume", flush=True)
                raise
            _, meta, complete = store.open_rsm(path)
            extra = f", sigma {meta['rbf_sigma']:.6g}" if meta.get("rbf_sigma") is not None else ""
            echo(f"  {kernel}: complete={complete} in {time.perf_counter() - t:.2f} s{extra}", flush=True)
            paths[layer][kernel] = path
    return paths
