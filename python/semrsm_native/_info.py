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


def _wheel_tags() -> list[str]:
    """The platform tags of the wheel this copy was installed from (its dist-info WHEEL file)."""
    from importlib import metadata

    try:
        wheel = metadata.distribution("semrsm-native").read_text("WHEEL") or ""
    except metadata.PackageNotFoundError:
        return []
    return [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]


def _packaging_info() -> dict[str, Any]:
    """``wheel_tag`` and ``build``: one line saying how this copy was compiled."""
    try:
        b = importlib.import_module("semrsm_native._build").BUILD
    except ImportError:  # running from a source checkout, not from an install
        build = "source tree (not installed)"
    else:
        cuda = f"CUDA={b['cuda_option']}: " + (
            f"built ({b['cuda_compiler']}; {b['cuda_architectures_requested']})" if b["cuda_built"]
            else "not built")
        parts = [b["toolchain"], f"C++ {b['cxx_compiler']}", b["build_type"], cuda]
        if b["sanitize"]:
            parts.append(f"sanitizers {b['sanitize']}")
        build = "; ".join(parts)
    tags = _wheel_tags()
    return {"wheel_tag": ", ".join(tags) if tags else "not installed from a wheel", "build": build}


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
        ``cuda_*`` entries when the CUDA backend is present; ``wheel_tag`` (the tags of the
        wheel it was installed from, e.g. ``cp311-cp311-manylinux_2_17_x86_64``) and
        ``build`` (one line: toolchain, C++ compiler, build type, CUDA option and compiler).
    """
    from ._threads import resolve_threads

    info = dict(_core.native_info())
    info["default_threads"] = resolve_threads(None, "build_info")
    info.update(_cuda_info())
    info.update(_packaging_info())
    return info
