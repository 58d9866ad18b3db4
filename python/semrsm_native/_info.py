"""build_info(): what was compiled and what it runs with."""

from __future__ import annotations

import importlib
from typing import Any

from . import _core

__all__ = ["build_info"]


def _cuda_info() -> dict[str, Any]:
    try:
        cuda = importlib.import_module("semrsm_native._cuda")
    except ImportError:
        return {"cuda": False, "cuda_architectures": []}
    info = dict(cuda.build_info())
    info["cuda"] = True
    return info


def build_info() -> dict[str, Any]:
    """Describe the compiled extension.

    Returns
    -------
    dict
        ``version``, ``compiler``, ``simd`` (the SIMD level the kernels dispatch to on this
        CPU; lower it with the ``SEMRSM_SIMD`` environment variable), ``available_cores``,
        ``default_threads`` (what ``threads=None`` resolves to), ``pool_threads`` (workers
        started so far), ``cuda`` (whether the CUDA backend was compiled in) and
        ``cuda_architectures`` (the GPU architectures it was built for), plus further
        ``cuda_*`` entries when the CUDA backend is present.
    """
    from ._threads import resolve_threads

    info = dict(_core.native_info())
    info["default_threads"] = resolve_threads(None, "build_info")
    info.update(_cuda_info())
    return info
