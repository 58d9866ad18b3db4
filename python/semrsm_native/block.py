"""One block of a semantic RSM: the unit of work of tiled, resumable and distributed runs.

Every entry of a block goes through exactly the computation that one whole
:func:`semantic_rsm` call gives it, so blocks assemble into a bit-identical matrix. The
native engine computes a pair ``(i, j)`` from ``x_i`` packed as the GEMM's left operand and
``x_j`` (or ``y_j``) as its right one, per sample, independently of the engine's own tiling;
in self mode it solves only ``i < j`` and mirrors. A block therefore runs

* a diagonal block of a self RSM (rows == cols) in self mode on ``x[rows]``;
* an upper off-diagonal block (rows before cols) as ``x[rows]`` against ``x[cols]``, which
  packs the same operands as the whole call does for ``i < j``;
* a lower block as the transpose of its upper mirror (the whole call mirrors too).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from . import _core
from ._checks import flag
from ._request import semantic_request
from ._vocabulary import KERNEL_CODES as _KERNEL_CODE
from ._bounds import Bounds
from .rsm import _apply_kernels, _engine, _intervals, _prepare_pair

__all__ = ["semantic_rsm_block", "read_samples", "sample_count", "rbf_from_d2"]


def sample_count(a: Any) -> int:
    """Number of samples (the first axis) of an array-like without reading it."""
    return int(a.shape[0])


def read_samples(a: Any, sl: slice) -> np.ndarray:
    """Read samples ``a[sl]`` only: NumPy, memory-mapped ``.npy``, Zarr or Dask arrays.

    Slicing a memory map or a Zarr array reads just those samples from disk; a Dask array
    computes just the chunks that overlap them.
    """
    part = a[sl]
    if hasattr(part, "compute") and callable(part.compute):  # Dask array
        part = part.compute(scheduler="sync")
    return np.asarray(part)


def _range(sl: Any, n: int, what: str, func: str) -> tuple[int, int]:
    if not isinstance(sl, slice):
        raise TypeError(f"{func}: {what} must be a slice, got {type(sl).__name__}")
    start, stop, step = sl.indices(n)
    if step != 1:
        raise ValueError(f"{func}: {what} must have step 1, got {sl}")
    if stop <= start:
        raise ValueError(f"{func}: {what} {sl} selects no samples of {n}")
    return start, stop


def semantic_rsm_block(
    x: Any,
    y: Any = None,
    rows: slice = slice(None),
    cols: slice = slice(None),
    *,
    kernel: str | Sequence[str] = "cosine",
    matcher: str = "hungarian",
    cost: str = "inner",
    layout: str | None = None,
    window: int = 128,
    eps: float | None = None,
    sigma: float | None = None,
    threads: int | None = None,
    return_d2: bool = False,
    return_bounds: bool = False,
):
    """The entries ``rows x cols`` of ``semantic_rsm(x, y, ...)``, bit for bit.

    Parameters
    ----------
    x, y : array_like
        As in :func:`semantic_rsm`; also a memory-mapped ``.npy``, a Zarr or a Dask array,
        of which only the samples of ``rows`` (and ``cols``) are read. ``y=None``: a block
        of the self RSM of ``x``; then ``rows`` and ``cols`` must be equal or disjoint.
    rows, cols : slice
        Sample ranges (step 1) of ``x`` and of ``y`` (or ``x``).
    kernel, matcher, cost, layout, window, eps, threads
        As in :func:`semantic_rsm` (CPU engine).
    sigma : float, optional
        RBF bandwidth. Required for ``kernel="rbf"``: the default bandwidth is a median over
        the whole RSM, which one block cannot know (get the block's squared distances with
        ``return_d2=True`` and take the median over all blocks, as ``semantic_rsm_to_store``
        does).
    return_d2 : bool
        Also return the matched squared distances ``|x_i - P y_j|^2`` of the block.
    return_bounds : bool
        Also return the block of ``semantic_rsm(..., return_bounds=True)``'s certified
        :class:`Bounds` ``(lower, upper)`` on the exact RSM (same rules and errors).

    Returns
    -------
    numpy.ndarray or dict, or a tuple with d2 and / or the bounds
        The ``(len(rows), len(cols))`` float64 block (a dict for a kernel list); with
        ``return_d2`` a tuple ``(block, d2)``; with ``return_bounds`` the :class:`Bounds`
        last: ``(block, bounds)`` or ``(block, d2, bounds)``.

    Examples
    --------
    >>> import numpy as np
    >>> from semrsm_native import semantic_rsm, semantic_rsm_block
    >>> x = np.random.default_rng(0).random((6, 8, 3, 3))
    >>> b = semantic_rsm_block(x, rows=slice(0, 3), cols=slice(3, 6))
    >>> bool(np.array_equal(b, semantic_rsm(x)[:3, 3:]))
    True
    """
    func = "semantic_rsm_block"
    request = semantic_request(
        func, (), kernel=kernel, matcher=matcher, cost=cost, layout=layout, window=window,
        eps=eps, sigma=sigma, threads=threads, progress=False, return_permutations=False,
        device="cpu", precision="float32", return_bounds=return_bounds,
    )
    return_d2 = flag(return_d2, "return_d2", func)
    if "rbf" in request.kernels and request.sigma is None:
        raise ValueError(
            f"{func}: kernel 'rbf' needs sigma (the default is a median over the whole RSM); "
            "pass sigma, or return_d2=True with another kernel"
        )
    self_mode = y is None
    n = sample_count(x)
    r0, r1 = _range(rows, n, "rows", func)
    c0, c1 = _range(cols, n if self_mode else sample_count(y), "cols", func)
    want_d2 = return_d2 or "rbf" in request.kernels

    transpose = False
    if self_mode and (r0, r1) == (c0, c1):
        xv, yv, code = _prepare_pair(read_samples(x, slice(r0, r1)), None, request)
    elif self_mode and r1 <= c0:
        xv, yv, code = _prepare_pair(
            read_samples(x, slice(r0, r1)), read_samples(x, slice(c0, c1)), request
        )
    elif self_mode and c1 <= r0:
        # The whole call solves (j, i) with j < i and mirrors it: do the same.
        transpose = True
        xv, yv, code = _prepare_pair(
            read_samples(x, slice(c0, c1)), read_samples(x, slice(r0, r1)), request
        )
    elif self_mode:
        raise ValueError(
            f"{func}: in self mode rows and cols must be equal or disjoint, got "
            f"[{r0}, {r1}) and [{c0}, {c1})"
        )
    else:
        xv, yv, code = _prepare_pair(
            read_samples(x, slice(r0, r1)), read_samples(y, slice(c0, c1)), request
        )

    linear, d2, _, sqx, sqy, *gap = _engine(xv, yv, code, request, want_d2, False, None,
                                            request.return_bounds)
    bounds = None
    if request.return_bounds and request.matcher != "hungarian":
        bounds = _intervals(request, xv, yv, code, linear, gap[0], sqx, sqy)
    # Not in place: with return_d2 the caller gets d2 back beside the RBF block.
    results = _apply_kernels(request, linear, d2, sqx, sqy, self_mode, in_place=False)
    if request.return_bounds and bounds is None:  # exact: the entries are their own bounds
        bounds = tuple({k: v.copy() for k, v in results.items()} for _ in range(2))
    if transpose:
        results, *bounds = (
            {k: np.ascontiguousarray(v.T) for k, v in r.items()}
            for r in (results, *(bounds or ()))
        )
        d2 = None if d2 is None else np.ascontiguousarray(d2.T)
    pick = (lambda r: r) if request.as_dict else (lambda r: r[request.kernels[0]])
    out: Any = (pick(results),)
    if return_d2:
        out += (d2,)
    if request.return_bounds:
        out += (Bounds(pick(bounds[0]), pick(bounds[1])),)
    return out if len(out) > 1 else out[0]


def rbf_from_d2(d2: np.ndarray, sigma: float) -> np.ndarray:
    """The RBF kernel ``exp(-d2 / (2 sigma^2))`` of matched squared distances, by the engine's
    own formula (so a stored ``d2`` gives the same bits as :func:`semantic_rsm`)."""
    d2 = np.ascontiguousarray(d2, dtype=np.float64)
    n, m = d2.shape
    return _core.rsm_apply_kernel(
        _KERNEL_CODE["rbf"], d2, d2, np.zeros(n), np.zeros(m), float(sigma), None
    )
