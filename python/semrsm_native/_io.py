"""Reading saved layer activations (.npy, .npz, .pt/.pth, .safetensors) for the command line.

Every problem with a file (missing, unreadable, wrong extension, a ``.pt`` that holds something
other than tensors, an array of the wrong rank or dtype, an unknown layer name) raises an
:class:`ActivationFileError` whose message is one line and names the file, so that the
``semrsm`` command can print it without a traceback.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ._arrays import to_numpy

__all__ = ["ActivationFileError", "SUPPORTED_EXTENSIONS", "load_activations"]

#: File name endings :func:`load_activations` understands.
SUPPORTED_EXTENSIONS: tuple[str, ...] = (".npy", ".npz", ".pt", ".pth", ".safetensors")


class ActivationFileError(ValueError):
    """A file of activations could not be read or does not hold usable activations."""


def _load_npy(path: Path) -> dict[str, np.ndarray]:
    arr = np.load(path, allow_pickle=False)
    return {path.stem: arr}


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {name: z[name] for name in z.files}


def _load_torch(path: Path) -> dict[str, np.ndarray]:
    try:
        import torch
    except ImportError:
        raise ActivationFileError(
            f"{path}: reading {path.suffix} files needs PyTorch (pip install torch)"
        ) from None
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types (UnpicklingError, RuntimeError, ...)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ActivationFileError(
            f"{path}: not a readable PyTorch file with weights_only=True ({first})"
        ) from None
    if isinstance(obj, torch.Tensor):
        return {path.stem: to_numpy(obj, "semrsm", str(path))}
    if isinstance(obj, Mapping):
        out: dict[str, np.ndarray] = {}
        for key, value in obj.items():
            if not isinstance(value, torch.Tensor):
                raise ActivationFileError(
                    f"{path}: entry {key!r} is a {type(value).__name__}, expected a tensor "
                    "(the file must hold a tensor or a dict of tensors)"
                )
            out[str(key)] = to_numpy(value, "semrsm", f"{path}[{key!r}]")
        return out
    raise ActivationFileError(
        f"{path}: holds a {type(obj).__name__}, expected a tensor or a dict of tensors"
    )


def _load_safetensors(path: Path) -> dict[str, np.ndarray]:
    try:
        from safetensors.numpy import load_file
    except ImportError:
        raise ActivationFileError(
            f"{path}: reading .safetensors files needs the safetensors package "
            "(pip install 'semrsm-native[io]')"
        ) from None
    try:
        return dict(load_file(str(path)))
    except Exception as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "bf16" in message.lower() or "bfloat16" in message.lower():
            # NumPy cannot hold bfloat16; Torch can, and we convert to float32 from there.
            try:
                from safetensors.torch import load_file as load_torch

                return {k: to_numpy(v, "semrsm", f"{path}[{k!r}]") for k, v in load_torch(str(path)).items()}
            except ImportError:
                pass
        raise ActivationFileError(f"{path}: not a readable safetensors file ({message})") from None


_LOADERS = {
    ".npy": _load_npy,
    ".npz": _load_npz,
    ".pt": _load_torch,
    ".pth": _load_torch,
    ".safetensors": _load_safetensors,
}


def _check_array(path: Path, name: str, arr: np.ndarray, ranks: Sequence[int]) -> np.ndarray:
    if arr.dtype.kind not in "fiu":
        raise ActivationFileError(
            f"{path}: layer {name!r} has dtype {arr.dtype}, expected a real numeric array"
        )
    if arr.ndim not in ranks:
        wanted = " or ".join(str(r) for r in ranks)
        raise ActivationFileError(
            f"{path}: layer {name!r} has shape {arr.shape} (rank {arr.ndim}); expected rank "
            f"{wanted}: (N, C, H, W) feature maps or (N, T, D) tokens"
        )
    return arr


def load_activations(
    path: str | os.PathLike[str],
    layers: Sequence[str] | None = None,
    *,
    ranks: Sequence[int] = (3, 4),
) -> dict[str, np.ndarray]:
    """Read the activations of one or more layers from a file.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.npy`` file (one array, named after the file's stem), a ``.npz`` file (one array
        per layer), a ``.pt``/``.pth`` file holding a tensor or a dict of tensors (read with
        ``torch.load(..., weights_only=True)``, so no code in the file runs) or a
        ``.safetensors`` file.
    layers : sequence of str, optional
        Names of the layers to return, in this order. ``None`` returns every array in the file
        in the file's order.
    ranks : sequence of int, default (3, 4)
        Accepted array ranks: 4 for (N, C, H, W) feature maps, 3 for (N, T, D) tokens.

    Returns
    -------
    dict of str to numpy.ndarray
        Layer name to activations, unchanged in dtype except bfloat16, which becomes float32.

    Raises
    ------
    ActivationFileError
        The file is missing or unreadable, its extension is not supported, it holds something
        other than numeric arrays of an accepted rank, or a requested layer is absent. The
        message is one line and names the file.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in _LOADERS:
        raise ActivationFileError(
            f"{p}: unsupported file type {suffix or '(no extension)'!r}; expected one of "
            + ", ".join(SUPPORTED_EXTENSIONS)
        )
    if not p.exists():
        raise ActivationFileError(f"{p}: no such file")
    if p.is_dir():
        raise ActivationFileError(f"{p}: is a directory, expected a file")
    try:
        arrays = _LOADERS[suffix](p)
    except ActivationFileError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ActivationFileError(f"{p}: cannot read {suffix} file ({message})") from None
    if not arrays:
        raise ActivationFileError(f"{p}: holds no arrays")
    arrays = select_layers(p, arrays, layers)
    return {name: _check_array(p, name, arr, ranks) for name, arr in arrays.items()}


def select_layers(p: Path, arrays: dict, layers: Sequence[str] | None) -> dict:
    """The requested layers of a file's ``arrays`` in the requested order (all when
    ``layers`` is empty or None); an absent name is an :class:`ActivationFileError`."""
    if not layers:
        return arrays
    missing = [name for name in layers if name not in arrays]
    if missing:
        raise ActivationFileError(
            f"{p}: no layer named {missing[0]!r}; the file holds " + ", ".join(map(repr, arrays))
        )
    return {name: arrays[name] for name in layers}
