"""Requests: the arguments of one public call, checked and normalised once.

Every public entry point turns its keywords into one request here, before any array is read,
and hands it to where the call runs: the CPU engine (``rsm.py``, ``block.py``, ``lap.py``) or
the CUDA backend (``_gpu.py``). Neither side re-declares the public signature or re-checks an
argument, and both read the same normalised values, so one input gets one error and one
meaning wherever it runs (the idea of faiss's one parameter struct per operation, and of
scipy's ``_lsapmodule.c``, which checks once at the boundary).

The builders take no defaults: the public signatures are the one place a default is written.
What depends on the arrays (the layout of a given rank, the feature count, the batch-optimal
keys' shape) is checked when the arrays are read, by the request's methods where CPU and GPU
share the check.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Sequence

import numpy as np

from . import _gpu
from ._checks import choice, flag, kernel_list, positive_float, positive_int
from ._threads import resolve_threads
from ._vocabulary import COSTS, GPU_MATCHERS, KERNELS, LAP_METHOD_CODES, LAYOUTS, MATCHERS, PRECISIONS

__all__ = [
    "RsmRequest", "LapRequest", "LAP_OPTIONS", "semantic_request", "spatio_request", "lap_request",
    "gpu_matcher",
]


@dataclass(frozen=True)
class RsmRequest:
    """One (spatio-)semantic RSM call, as the CPU engine and the CUDA backend read it.

    func: the public function's name, which every message starts with.
    gpu: where it runs (decided once by :func:`semrsm_native._gpu.wants_gpu`).
    device: where, normalised: "cpu", or on the GPU "cuda" (the inputs' device) or "cuda:k".
    kernels: the kernels to compute, in the order asked for.
    as_dict: a list of kernels was given, so the result is a dict.
    matcher: a name of ``MATCHERS``, or "identity" for the spatio-semantic baseline.
    cost: what the matching maximises, a name of ``COSTS``.
    layout: a name of ``LAYOUTS``, or None for the default of the input's rank.
    window: batch-optimal window (>= 1; 1 for matchers that have none).
    eps: auction's final epsilon (> 0), or None for the solver's default.
    sigma: RBF bandwidth (> 0), or None for the median rule over the whole RSM.
    threads: worker threads of the CPU engine (resolved: argument, environment or cores).
    progress: show a progress bar over the pairs (CPU).
    return_permutations: also return the matchings.
    precision: cost GEMM precision, a name of ``PRECISIONS`` ("float32" on the CPU).
    return_bounds: also return certified bounds on the exact similarities (CPU, inner-product
        cost; an RBF request of an approximate matcher has a sigma).
    """

    func: str
    gpu: bool
    device: str
    kernels: tuple[str, ...]
    as_dict: bool
    matcher: str
    cost: str
    layout: str | None
    window: int
    eps: float | None
    sigma: float | None
    threads: int
    progress: bool
    return_permutations: bool
    precision: str
    return_bounds: bool = False

    def sample_layout(self, x_shape: Sequence[int], y_shape: Sequence[int] | None = None) -> str:
        """The layout both inputs are read in: the requested one, or the default of x's rank
        ("nchw" for 4-D, "ntd" for 3-D); y must have x's rank."""
        func = self.func
        layout = self.layout
        if layout is None:
            layout = {4: "nchw", 3: "ntd"}.get(len(x_shape))
            if layout is None:
                raise ValueError(
                    f"{func}: x must be 4-D (N, C, H, W) or 3-D (N, T, D), got shape {tuple(x_shape)}"
                )
        _fits(layout, x_shape, "x", func)
        if y_shape is not None:
            if len(y_shape) != len(x_shape):
                raise ValueError(
                    f"{func}: x and y must have the same rank, got shapes {tuple(x_shape)} and "
                    f"{tuple(y_shape)}"
                )
            _fits(layout, y_shape, "y", func)
        return layout

    def same_features(self, layout: str, fx: int, fy: int) -> None:
        """x and y must have the same number of features per position."""
        if fx != fy:
            raise ValueError(
                f"{self.func}: x and y must have the same number of features ({layout}), got "
                f"{fx} and {fy}"
            )

    def sample_dims(self, x_shape: Sequence[int], y_shape: Sequence[int] | None = None):
        """``(layout, (S, C) of x, (S, C) of y or None)``: the layout both inputs are read in
        (:meth:`sample_layout`) and each input's positions and features, checked as both
        backends check them: the same features, and for the spatio-semantic baseline
        (matcher "identity", positions compared in place) the same positions."""
        layout = self.sample_layout(x_shape, y_shape)
        dx = _positions_features(layout, x_shape)
        if y_shape is None:
            return layout, dx, None
        dy = _positions_features(layout, y_shape)
        self.same_features(layout, dx[1], dy[1])
        if self.matcher == "identity" and dx[0] != dy[0]:
            raise ValueError(
                f"{self.func}: x and y must have the same number of positions, got {dx[0]} and {dy[0]}"
            )
        return layout, dx, dy


def _positions_features(layout: str, shape: Sequence[int]) -> tuple[int, int]:
    if layout == "nchw":
        return int(shape[2]) * int(shape[3]), int(shape[1])
    if layout == "nhwc":
        return int(shape[1]) * int(shape[2]), int(shape[3])
    return int(shape[1]), int(shape[2])


def _where(device: str | None, gpu: bool) -> str:
    """The device a routed call runs on; "auto" on the GPU means the inputs' own device, as
    plain "cuda" does (host inputs go to the current one)."""
    if not gpu:
        return "cpu"
    return "cuda" if device in (None, "auto") else device


def _fits(layout: str, shape: Sequence[int], name: str, func: str) -> None:
    want = 3 if layout == "ntd" else 4
    if len(shape) != want:
        raise ValueError(f"{func}: layout {layout!r} needs a {want}-D {name}, got shape {tuple(shape)}")


def semantic_request(
    func: str,
    arrays: tuple,
    *,
    kernel: Any,
    matcher: Any,
    cost: Any,
    layout: Any,
    window: Any,
    eps: Any,
    sigma: Any,
    threads: Any,
    progress: Any,
    return_permutations: Any,
    device: Any,
    precision: Any,
    return_bounds: Any,
) -> RsmRequest:
    """The request of a semantic RSM call (``semantic_rsm``, ``semantic_rsm_block``).

    ``arrays`` are the inputs the router looks at for ``device="auto"``. Checks run in this
    order: device, precision, matcher (and whether the GPU has it), cost, window,
    return_permutations, return_bounds (and where it is available), then those of
    :func:`_request` (kernels, sigma, eps, threads, progress, layout), then the bounds'
    need of a sigma for RBF.
    """
    gpu = _gpu.wants_gpu(func, device, *arrays)
    if not gpu and precision != "float32":
        raise ValueError(
            f"{func}: precision={precision!r} is a tensor-core path of the CUDA backend; "
            "the CPU computes in the input's precision (precision='float32')"
        )
    matcher = choice(matcher, MATCHERS, "matcher", func)
    if gpu:
        gpu_matcher(matcher, func)
        precision = choice(precision, PRECISIONS, "precision", func)
    cost = choice(cost, COSTS, "cost", func)
    window = positive_int(window, "window", func)
    return_permutations = flag(return_permutations, "return_permutations", func)
    return_bounds = flag(return_bounds, "return_bounds", func)
    if return_bounds and gpu:
        raise NotImplementedError(
            f"{func}: return_bounds is computed by the CPU engine only (the CUDA backend "
            "reports no gaps); pass device='cpu', or leave return_bounds=False on the GPU"
        )
    if return_bounds and cost != "inner":
        raise ValueError(
            f"{func}: return_bounds needs cost='inner': the bounds certify the optimum of the "
            f"summed inner products, which cost={cost!r} does not maximise"
        )
    request = _request(
        func, gpu, device, kernel, matcher, cost, layout, window, eps, sigma, threads,
        progress, return_permutations, precision, return_bounds,
    )
    if return_bounds and matcher != "hungarian" and "rbf" in request.kernels and request.sigma is None:
        raise ValueError(
            f"{func}: return_bounds with kernel 'rbf' and matcher={matcher!r} needs sigma: the "
            "default median bandwidth of the exact RSM is not known from approximate matches"
        )
    return request


def gpu_matcher(matcher: str, func: str) -> str:
    """``matcher`` (a name of ``MATCHERS``) if the CUDA backend has it; NotImplementedError
    otherwise. Also asked where a GPU run is planned without a GPU at hand (a Dask client
    submitting to dask-cuda workers)."""
    if matcher not in GPU_MATCHERS:
        raise NotImplementedError(
            f"{func}: matcher={matcher!r} has no GPU implementation; pass device='cpu' "
            f"(the GPU runs {', '.join(map(repr, GPU_MATCHERS[:-1]))} and {GPU_MATCHERS[-1]!r})"
        )
    return matcher


def spatio_request(
    func: str, arrays: tuple, *, kernel: Any, sigma: Any, layout: Any, threads: Any, device: Any
) -> RsmRequest:
    """The request of ``spatio_semantic_rsm``: the semantic RSM's, with no matching
    ("identity"), the inner-product cost, no auction epsilon and no permutations."""
    gpu = _gpu.wants_gpu(func, device, *arrays)
    return _request(
        func, gpu, device, kernel, "identity", "inner", layout, 1, None, sigma, threads, False,
        False, "float32", False,
    )


def _request(func, gpu, device, kernel, matcher, cost, layout, window, eps, sigma, threads,
             progress, return_permutations, precision, return_bounds) -> RsmRequest:
    """The checks both RSM requests share, and the request itself."""
    kernels, as_dict = kernel_list(kernel, KERNELS, func)
    sigma = positive_float(sigma, "sigma", func)
    eps = positive_float(eps, "eps", func)
    threads = resolve_threads(threads, func)
    progress = flag(progress, "progress", func)
    if layout is not None:
        layout = choice(layout, LAYOUTS, "layout", func)
    return RsmRequest(
        func=func, gpu=gpu, device=_where(device, gpu), kernels=tuple(kernels),
        as_dict=as_dict, matcher=matcher, cost=cost, layout=layout, window=window, eps=eps,
        sigma=sigma, threads=threads, progress=progress,
        return_permutations=return_permutations, precision=precision,
        return_bounds=return_bounds,
    )


#: The options each method of ``linear_sum_assignment_batch`` takes (``**method_options``).
LAP_OPTIONS = MappingProxyType({
    "hungarian": (),
    "greedy": (),
    "auction": ("eps_final", "eps_factor"),
    "batch_optimal": ("window", "row_keys", "col_keys"),
})


@dataclass(frozen=True)
class LapRequest:
    """One ``linear_sum_assignment_batch`` call, as the CPU core and the CUDA backend read it.

    func, gpu, device: as in :class:`RsmRequest`.
    method: a name of ``lap.METHODS``.
    maximize: maximise the summed entries.
    threads: worker threads of the CPU core (resolved).
    return_bound: also return the certified bound (on the GPU: "hungarian" and "auction" only).
    eps_final: auction's final epsilon relative to the largest |cost| (>= 0; 0 = default).
    eps_factor: auction's epsilon-scaling factor (> 1).
    window: batch-optimal window (>= 1).
    row_keys, col_keys: batch-optimal sort keys as given (None = row / column sums); their
        shape is checked against the costs when those are read (``lap.py``).
    """

    func: str
    gpu: bool
    device: str
    method: str
    maximize: bool
    threads: int
    return_bound: bool
    eps_final: float
    eps_factor: float
    window: int
    row_keys: Any
    col_keys: Any


def lap_request(
    func: str, costs: Any, *, maximize: Any, method: Any, threads: Any, device: Any,
    return_bound: Any, method_options: dict,
) -> LapRequest:
    """The request of a batched assignment call. Checks, in order: device, method (and
    whether the GPU has it), the option names for the method, return_bound, the option
    values, threads."""
    gpu = _gpu.wants_gpu(func, device, costs)
    if method not in LAP_METHOD_CODES:
        raise ValueError(f"{func}: method must be one of {sorted(LAP_METHOD_CODES)}, got {method!r}")
    if gpu and method not in GPU_MATCHERS:
        raise NotImplementedError(
            f"{func}: method={method!r} has no GPU implementation; pass device='cpu'"
        )
    for key in method_options:
        if key not in LAP_OPTIONS[method]:
            allowed = ", ".join(LAP_OPTIONS[method]) or "none"
            raise TypeError(
                f"{func}: unexpected option {key!r} for method {method!r} (allowed: {allowed})"
            )
    return_bound = flag(return_bound, "return_bound", func)
    if return_bound and gpu and method not in ("hungarian", "auction"):
        raise NotImplementedError(
            f"{func}: return_bound with method={method!r} is computed on the CPU only (the "
            "dual bound); pass device='cpu'"
        )
    eps_final = method_options.get("eps_final")
    eps_final = 0.0 if eps_final is None else float(eps_final)
    eps_factor = float(method_options.get("eps_factor", 7.0))
    if not eps_final >= 0.0:
        raise ValueError(f"{func}: eps_final must be >= 0, got {eps_final}")
    if not eps_factor > 1.0:
        raise ValueError(f"{func}: eps_factor must be > 1, got {eps_factor}")
    window = method_options.get("window", 128)
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"{func}: window must be a positive integer, got {window!r}")
    return LapRequest(
        func=func, gpu=gpu, device=_where(device, gpu), method=method,
        maximize=bool(maximize), threads=resolve_threads(threads, func),
        return_bound=bool(return_bound), eps_final=eps_final, eps_factor=eps_factor,
        window=int(window), row_keys=method_options.get("row_keys"),
        col_keys=method_options.get("col_keys"),
    )
