"""Routing between the CPU engine and the optional CUDA backend, and the GPU entry points.

Every public entry point that accepts ``device`` asks :func:`wants_gpu` first. Without the
CUDA backend compiled in, CPU inputs pass through and GPU inputs or ``device="cuda"`` get a
clear RuntimeError instead of a crash.

The GPU functions here have the signatures of the CPU ones (plus ``precision``); they check
their arguments with :mod:`._checks` (as the CPU path does), read the arrays through the
device adapter :mod:`._device` (in place, on the caller's stream and the array's device)
and launch the ``_cuda`` module with the launch tuning of :mod:`._tuning`.
"""

from __future__ import annotations

import importlib
import operator
from typing import Any

from . import _tuning
from ._device import (  # noqa: F401  (_Side, _acts: also what the tests address)
    _acts,
    _compute_dtype,
    _Side,
    _to_side,
    is_gpu_array,
)
from ._checks import choice, kernel_list, positive_float
from ._vocabulary import DEVICES as _DEVICES
from ._vocabulary import GPU_MATCHERS as _GPU_MATCHERS
from ._vocabulary import KERNELS as _KERNELS
from ._vocabulary import LAYOUTS as _LAYOUTS
from ._vocabulary import MATCHERS as _MATCHERS
from ._vocabulary import PRECISIONS as _PRECISIONS

__all__ = [
    "wants_gpu",
    "is_gpu_array",
    "cuda_module",
    "semantic_rsm",
    "spatio_semantic_rsm",
    "linear_sum_assignment_batch",
]



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


_RUNTIME: dict | None = None


def _require_driver(func: str, cuda) -> None:
    """RuntimeError (not a crash) without a driver or device; asked once per process."""
    global _RUNTIME
    if _RUNTIME is None:
        _RUNTIME = dict(cuda.build_info())
    info = _RUNTIME
    if info.get("cuda_error"):
        raise RuntimeError(f"{func}: no usable CUDA device: {info['cuda_error']}")
    if not info.get("cuda_device_count"):
        raise RuntimeError(f"{func}: no CUDA device found")


def _finish_outputs(side: _Side, names: list[str], single: bool, n: int, m: int):
    """Allocate the float64 outputs: the linear matrix is always computed (it is the matched
    sum every kernel derives from)."""
    linear = side.empty((n, m), "float64")
    outs = {"linear": linear}
    if "cosine" in names:
        outs["cosine"] = side.empty((n, m), "float64")
    if "rbf" in names:
        outs["rbf"] = side.empty((n, m), "float64")
    return outs


def _package(side: _Side, outs: dict, names: list[str], single: bool):
    if single:
        return side.out(outs[names[0]])
    return {k: side.out(outs[k]) for k in names}


def _check_device_match(a: _Side, b: _Side, func: str) -> None:
    if a.fw != b.fw:
        raise TypeError(f"{func}: x and y must come from the same framework (got {a.fw} and {b.fw})")
    if a.device != b.device:
        raise ValueError(f"{func}: x is on cuda:{a.device} but y is on cuda:{b.device}")


def _pair_sides(x: Any, y: Any, func: str, device: Any) -> tuple[_Side, _Side | None]:
    """Reads x (and y) in place on their device, in one compute dtype for both sides."""
    xs = _compute_dtype(_to_side(x, func, "x", device), func, "x")
    if y is None:
        return xs, None
    ys = _compute_dtype(_to_side(y, func, "y", device, like=xs), func, "y")
    _check_device_match(xs, ys, func)
    if xs.dtype != ys.dtype:  # one compute type for both sides: the wider one
        ys = ys.cast("float64") if xs.dtype == "float64" else ys
        xs = xs.cast("float64") if ys.dtype == "float64" else xs
    return xs, ys


def semantic_rsm(
    x: Any,
    y: Any = None,
    *,
    kernel: Any = "cosine",
    matcher: str = "hungarian",
    cost: str = "inner",
    layout: str | None = None,
    window: int = 128,
    eps: float | None = None,
    sigma: float | None = None,
    threads: int | None = None,
    progress: bool = False,
    return_permutations: bool = False,
    device: str | None = "auto",
    precision: str = "float32",
):
    """Semantic RSM on the GPU; see :func:`semrsm_native.semantic_rsm` for the parameters.

    GPU-only parameters: ``precision`` ("float32", the default, computes the pair costs with
    CUDA-core FMAs in the input precision; "tf32" and "bf16" use tensor cores with inputs
    rounded to 10 and 7 mantissa bits (relative error of each cost entry about 2^-11 resp.
    2^-8 times |x_s| |y_t|), so the matched similarities carry errors of that order and the
    matching may pick a slightly different permutation). Launch tuning for benchmarks
    (cost-matrix placement, pairs per tile) comes from :mod:`semrsm_native._tuning`.
    ``threads`` and ``progress`` have
    no effect on the GPU (no host work happens per tile to report). ``window`` belongs to
    matcher="batch_optimal", which runs on the CPU only.
    """
    func = "semantic_rsm"
    cuda = cuda_module(func)
    names, as_dict = kernel_list(kernel, _KERNELS, func)
    single = not as_dict
    choice(matcher, _MATCHERS, "matcher", func)
    if matcher not in _GPU_MATCHERS:
        raise NotImplementedError(
            f"{func}: matcher={matcher!r} has no GPU implementation; pass device='cpu' "
            "(the GPU runs 'hungarian', 'greedy' and 'auction')"
        )
    choice(cost, ("inner", "cosine"), "cost", func)
    choice(precision, _PRECISIONS, "precision", func)
    if layout is not None:
        choice(layout, _LAYOUTS, "layout", func)
    eps_rel = positive_float(eps, "eps", func) or 0.0
    sig = positive_float(sigma, "sigma", func) or 0.0
    _require_driver(func, cuda)

    xs, ys = _pair_sides(x, y, func, device)
    for name, s in (("x", xs), ("y", ys)):
        if s is not None and len(s.shape) not in (3, 4):
            raise ValueError(
                f"{func}: {name} must be (N, C, H, W) or (N, T, D), got shape {s.shape}"
            )
    if precision != "float32":
        xs = xs.cast("float32")
        ys = ys.cast("float32") if ys is not None else None

    def layout_of(s: _Side) -> str:
        lay = layout or ("nchw" if len(s.shape) == 4 else "ntd")
        if (lay == "ntd") != (len(s.shape) == 3):
            raise ValueError(f"{func}: layout {lay!r} does not fit an array of rank {len(s.shape)}")
        return lay

    xs, dx = _acts(xs, layout_of(xs), func, "x")
    dy = None
    if ys is not None:
        ys, dy = _acts(ys, layout_of(ys), func, "y")
        if dx[4] != dy[4]:
            raise ValueError(f"{func}: x has {dx[4]} features per position but y has {dy[4]}")
    n = dx[2]
    m = dy[2] if dy is not None else n
    outs = _finish_outputs(xs, names, single, n, m)
    perm = None
    if return_permutations:
        perm = xs.empty((n, m, dx[3]), "int32")
    cuda.semantic_rsm(
        dx,
        dy,
        matcher,
        cost == "cosine",
        precision,
        eps_rel,
        7.0,
        xs.ptr_of(outs["linear"]),
        xs.ptr_of(outs["cosine"]) if "cosine" in outs else 0,
        xs.ptr_of(outs["rbf"]) if "rbf" in outs else 0,
        xs.ptr_of(perm) if perm is not None else 0,
        sig,
        xs.device,
        xs.stream(),
        _tuning.current().placement,
        _tuning.current().max_tile_pairs,
    )
    result = _package(xs, outs, names, single)
    if return_permutations:
        return result, xs.out(perm)
    return result


def spatio_semantic_rsm(
    x: Any,
    y: Any = None,
    *,
    kernel: Any = "cosine",
    sigma: float | None = None,
    layout: str | None = None,
    threads: int | None = None,
    device: str | None = "auto",
):
    """Classic (flattened) RSM on the GPU; see :func:`semrsm_native.spatio_semantic_rsm`.

    The Gram matrix accumulates in float64 (flattened samples are long) and the RBF distance
    is summed directly, as on the CPU. ``layout`` only checks the rank (the flattened inner
    product does not depend on it); ``threads`` has no effect on the GPU."""
    func = "spatio_semantic_rsm"
    cuda = cuda_module(func)
    names, as_dict = kernel_list(kernel, _KERNELS, func)
    single = not as_dict
    sig = positive_float(sigma, "sigma", func) or 0.0
    if layout is not None:
        choice(layout, _LAYOUTS, "layout", func)
    _require_driver(func, cuda)
    xs, ys = _pair_sides(x, y, func, device)
    for name, s in (("x", xs), ("y", ys)):
        if s is not None and len(s.shape) < 2:
            raise ValueError(f"{func}: {name} must have a sample axis and features, got shape {s.shape}")
    n = xs.shape[0]
    F = 1
    for d in xs.shape[1:]:
        F *= d
    xs = xs.reshape((n, F)).contiguous()
    m = n
    if ys is not None:
        m = ys.shape[0]
        Fy = 1
        for d in ys.shape[1:]:
            Fy *= d
        if Fy != F:
            raise ValueError(f"{func}: x has {F} features per sample but y has {Fy}")
        ys = ys.reshape((m, F)).contiguous()
    outs = _finish_outputs(xs, names, single, n, m)
    cuda.spatio_rsm(
        xs.ptr,
        ys.ptr if ys is not None else 0,
        xs.dtype,
        n,
        m,
        F,
        ys is None,
        xs.ptr_of(outs["linear"]),
        xs.ptr_of(outs["cosine"]) if "cosine" in outs else 0,
        xs.ptr_of(outs["rbf"]) if "rbf" in outs else 0,
        sig,
        xs.device,
        xs.stream(),
    )
    return _package(xs, outs, names, single)


def linear_sum_assignment_batch(
    costs: Any,
    maximize: bool = False,
    method: str = "hungarian",
    threads: int | None = None,
    device: str | None = "auto",
    *,
    return_bound: bool = False,
    **method_options: Any,
):
    """Batched LAP on the GPU, one warp per problem; see
    :func:`semrsm_native.linear_sum_assignment_batch`.

    Returns ``(col_ind, objective)`` (and ``bound`` with ``return_bound=True``: 0 for
    "hungarian", the auction's certified primal-dual gap) on the input's device and in its
    framework: ``col_ind`` (B, n) int64 with -1 for unassigned rows, ``objective`` (B,)
    float64. Method options: ``eps_final`` (auction: final epsilon relative to the largest
    |cost|, default 1e-6 / max(n, m)), and ``eps_factor`` (default 7); where each warp keeps
    its cost matrix comes from :mod:`semrsm_native._tuning` (for benchmarks).
    The auction on the GPU needs finite costs (ValueError otherwise).
    """
    func = "linear_sum_assignment_batch"
    cuda = cuda_module(func)
    if method not in ("hungarian", "greedy", "auction", "batch_optimal"):
        raise ValueError(f"{func}: unknown method {method!r}")
    if method == "batch_optimal":
        raise NotImplementedError(f"{func}: method='batch_optimal' has no GPU implementation; pass device='cpu'")
    opts = dict(method_options)
    eps = opts.pop("eps_final", None) if method == "auction" else None
    eps_factor = float(opts.pop("eps_factor", 7.0)) if method == "auction" else 7.0
    if opts:
        raise TypeError(f"{func}: unexpected option(s) {', '.join(sorted(opts))} for method {method!r}")
    if return_bound and method not in ("hungarian", "auction"):
        raise ValueError(f"{func}: return_bound is available for 'hungarian' and 'auction' only")
    eps_rel = 0.0 if eps is None else float(eps)
    if eps is not None and not eps_rel >= 0.0:
        raise ValueError(f"{func}: eps_final must be >= 0, got {eps!r}")
    if not eps_factor > 1.0:
        raise ValueError(f"{func}: eps_factor must be > 1, got {eps_factor!r}")
    if threads is not None:
        operator.index(threads)  # same type check as the CPU path; no effect on the GPU
    _require_driver(func, cuda)
    cs = _compute_dtype(_to_side(costs, func, "costs", device), func, "costs")
    if len(cs.shape) != 3:
        raise ValueError(f"{func}: expected a stack of matrices (B, n, m), got shape {cs.shape}")
    cs = cs.contiguous()
    B, n, m = cs.shape
    col = cs.empty((B, n), "int64")
    obj = cs.empty((B,), "float64")
    # The exact solver's bound is 0; the kernel writes the auction's.
    bound = None
    if return_bound:
        bound = cs.empty((B,), "float64")
        if method == "hungarian":
            bound.fill_(0.0) if cs.fw == "torch" else bound.fill(0.0)
    cuda.lap_batch(
        cs.ptr,
        cs.dtype,
        B,
        n,
        m,
        bool(maximize),
        method,
        eps_rel,
        eps_factor,
        cs.ptr_of(col),
        cs.ptr_of(obj),
        cs.ptr_of(bound) if bound is not None and method == "auction" else 0,
        cs.device,
        cs.stream(),
        _tuning.current().placement,
    )
    if return_bound:
        return cs.out(col), cs.out(obj), cs.out(bound)
    return cs.out(col), cs.out(obj)
