"""Routing between the CPU engine and the optional CUDA backend.

Every public entry point that accepts ``device`` asks :func:`wants_gpu` first. Without the
CUDA backend compiled in, CPU inputs pass through and GPU inputs or ``device="cuda"`` get a
clear RuntimeError instead of a crash.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["wants_gpu", "is_gpu_array", "cuda_module"]

_DEVICES = ("auto", "cpu", "cuda")


def is_gpu_array(x: Any) -> bool:
    """True for a Torch CUDA tensor or any object exposing ``__cuda_array_interface__``."""
    if x is None:
        return False
    if hasattr(x, "__cuda_array_interface__"):
        return True
    t = type(x)
    if t.__module__.startswith("torch") and hasattr(x, "device"):
        return getattr(x.device, "type", "cpu") == "cuda"
    return False


def cuda_module(func: str):
    """Import the compiled CUDA backend or raise a RuntimeError that says why it is absent."""
    try:
        return importlib.import_module("semrsm_native._cuda")
    except ImportError as exc:
        raise RuntimeError(
            f"{func}: the CUDA backend is not available in this build of semrsm_native "
            f"({exc}); reinstall with a CUDA toolkit present (see build_info())"
        ) from None


def wants_gpu(func: str, device: str | None, *arrays: Any) -> bool:
    """Decide where to compute.

    ``device="auto"`` (or None) follows the inputs: GPU arrays go to the GPU, everything else
    stays on the CPU. ``"cpu"`` forces the CPU (GPU arrays are then rejected by the CPU path
    with a message to move them), ``"cuda"`` forces the GPU.
    """
    if device is None:
        device = "auto"
    if not isinstance(device, str) or device.split(":")[0] not in _DEVICES:
        raise ValueError(f"{func}: device must be 'auto', 'cpu' or 'cuda[:index]', got {device!r}")
    kind = device.split(":")[0]
    if kind == "cpu":
        return False
    gpu = kind == "cuda" or any(is_gpu_array(a) for a in arrays)
    if gpu:
        cuda_module(func)
    return gpu
