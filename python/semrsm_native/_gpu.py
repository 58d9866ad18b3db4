"""Routing between the CPU engine and the optional CUDA backend, and the GPU entry points.

Every public entry point that accepts ``device`` asks :func:`wants_gpu` first. Without the
CUDA backend compiled in, CPU inputs pass through and GPU inputs or ``device="cuda"`` get a
clear RuntimeError instead of a crash.

The GPU entry points take the arrays and the request the public function built and checked
(:mod:`._request`), the same request the CPU engine gets; they read the arrays through the
device adapter :mod:`._device` (in place, on the caller's stream and the array's device)
and launch the ``_cuda`` module with the launch tuning of :mod:`._tuning`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import _tuning
from ._device import (  # noqa: F401  (_Side, _acts: also what the tests address)
    _acts,
    _compute_dtype,
    _Side,
    _to_side,
    is_gpu_array,
)
from ._vocabulary import DEVICES as _DEVICES

if TYPE_CHECKING:  # _request imports this module (for the router)
    from ._request import LapRequest, RsmRequest

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


def _finish_outputs(side: _Side, names: list[str], n: int, m: int):
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


def semantic_rsm(x: Any, y: Any, request: RsmRequest, *, return_d2: bool = False):
    """Semantic RSM on the GPU, for a request checked by :mod:`._request`; the parameters are
    those of :func:`semrsm_native.semantic_rsm`. ``return_d2`` (for
    :func:`semrsm_native.semantic_rsm_block`): also the matched squared distances
    ``|x_i - P y_j|^2``, (n, m) float64 summed directly as on the CPU, last in the result.

    GPU-only: ``precision`` ("float32", the default, computes the pair costs with CUDA-core
    FMAs in the input precision; "tf32" and "bf16" use tensor cores with inputs rounded to 10
    and 7 mantissa bits (relative error of each cost entry about 2^-11 resp. 2^-8 times
    |x_s| |y_t|), so the matched similarities carry errors of that order and the matching may
    pick a slightly different permutation). Launch tuning for benchmarks (cost-matrix
    placement, pairs per tile) comes from :mod:`semrsm_native._tuning`. ``threads`` and
    ``progress`` have no effect on the GPU (no host work happens per tile to report).
    ``window`` belongs to matcher="batch_optimal", which runs on the CPU only.
    """
    func = request.func
    cuda = cuda_module(func)
    _require_driver(func, cuda)

    xs, ys = _pair_sides(x, y, func, request.device)
    layout, _, _ = request.sample_dims(xs.shape, None if ys is None else ys.shape)
    if request.precision != "float32":
        xs = xs.cast("float32")
        ys = ys.cast("float32") if ys is not None else None

    xs, dx = _acts(xs, layout, func, "x")
    dy = None
    if ys is not None:
        ys, dy = _acts(ys, layout, func, "y")
    n = dx[2]
    m = dy[2] if dy is not None else n
    names = list(request.kernels)
    outs = _finish_outputs(xs, names, n, m)
    perm = None
    if request.return_permutations:
        perm = xs.empty((n, m, dx[3]), "int32")
    d2 = xs.empty((n, m), "float64") if return_d2 else None
    cuda.semantic_rsm(
        dx,
        dy,
        request.matcher,
        request.cost == "cosine",
        request.precision,
        request.eps or 0.0,
        7.0,
        xs.ptr_of(outs["linear"]),
        xs.ptr_of(outs["cosine"]) if "cosine" in outs else 0,
        xs.ptr_of(outs["rbf"]) if "rbf" in outs else 0,
        xs.ptr_of(perm) if perm is not None else 0,
        request.sigma or 0.0,
        xs.device,
        xs.stream(),
        _tuning.current().placement,
        _tuning.current().max_tile_pairs,
        xs.ptr_of(d2) if d2 is not None else 0,
    )
    result = (_package(xs, outs, names, not request.as_dict),)
    if request.return_permutations:
        result += (xs.out(perm),)
    if return_d2:
        result += (xs.out(d2),)
    return result if len(result) > 1 else result[0]


def spatio_semantic_rsm(x: Any, y: Any, request: RsmRequest):
    """Classic (flattened) RSM on the GPU, for a checked request; see
    :func:`semrsm_native.spatio_semantic_rsm`.

    The Gram matrix accumulates in float64 (flattened samples are long) and the RBF distance
    is summed directly, as on the CPU. The flattened inner product does not depend on
    ``layout``; ``threads`` has no effect on the GPU."""
    func = request.func
    cuda = cuda_module(func)
    _require_driver(func, cuda)
    xs, ys = _pair_sides(x, y, func, request.device)
    # The CPU's shape checks (rank, layout, features, positions), then the flattened view.
    _, (S, C), _ = request.sample_dims(xs.shape, None if ys is None else ys.shape)
    n, F = xs.shape[0], S * C
    xs = xs.reshape((n, F)).contiguous()
    m = n
    if ys is not None:
        m = ys.shape[0]
        ys = ys.reshape((m, F)).contiguous()
    names = list(request.kernels)
    outs = _finish_outputs(xs, names, n, m)
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
        request.sigma or 0.0,
        xs.device,
        xs.stream(),
    )
    return _package(xs, outs, names, not request.as_dict)


def linear_sum_assignment_batch(costs: Any, request: LapRequest):
    """Batched LAP on the GPU, one warp per problem, for a request checked by
    :mod:`._request`; see :func:`semrsm_native.linear_sum_assignment_batch`.

    Returns ``(col_ind, objective)`` (and ``bound`` with ``return_bound=True``: 0 for
    "hungarian", the auction's certified primal-dual gap) on the input's device and in its
    framework: ``col_ind`` (B, n) int64 with -1 for unassigned rows, ``objective`` (B,)
    float64. Where each warp keeps its cost matrix comes from :mod:`semrsm_native._tuning`
    (for benchmarks). The auction on the GPU needs finite costs (ValueError otherwise).
    """
    func = request.func
    cuda = cuda_module(func)
    _require_driver(func, cuda)
    method = request.method
    cs = _compute_dtype(_to_side(costs, func, "costs", request.device), func, "costs")
    if len(cs.shape) != 3:
        raise ValueError(f"{func}: expected a stack of matrices (B, n, m), got shape {cs.shape}")
    cs = cs.contiguous()
    B, n, m = cs.shape
    col = cs.empty((B, n), "int64")
    obj = cs.empty((B,), "float64")
    # The exact solver's bound is 0; the kernel writes the auction's.
    bound = None
    if request.return_bound:
        bound = cs.empty((B,), "float64")
        if method == "hungarian":
            bound.fill_(0.0) if cs.fw == "torch" else bound.fill(0.0)
    cuda.lap_batch(
        cs.ptr,
        cs.dtype,
        B,
        n,
        m,
        request.maximize,
        method,
        request.eps_final,
        request.eps_factor,
        cs.ptr_of(col),
        cs.ptr_of(obj),
        cs.ptr_of(bound) if bound is not None and method == "auction" else 0,
        cs.device,
        cs.stream(),
        _tuning.current().placement,
    )
    if request.return_bound:
        return cs.out(col), cs.out(obj), cs.out(bound)
    return cs.out(col), cs.out(obj)
