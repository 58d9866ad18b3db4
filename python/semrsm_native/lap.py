"""Linear assignment: a drop-in for :func:`scipy.optimize.linear_sum_assignment` and a
batched solver with exact and approximate methods.

The native core solves dense problems with a Jonker-Volgenant shortest augmenting path
solver (exact), a greedy matcher, a forward auction with epsilon scaling (certified bound)
and the Batch-Optimal approximation of Wald et al. (NeurIPS 2024).
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Tuple, Union

import numpy as np

from . import _core
from ._arrays import is_torch_tensor, like_input, to_numpy
from . import _gpu
from ._request import LapRequest, lap_request
from ._vocabulary import LAP_METHOD_CODES as METHODS  # name -> native code

__all__ = ["linear_sum_assignment", "linear_sum_assignment_batch", "METHODS"]


def _as_float_array(a: np.ndarray) -> np.ndarray:
    """float32 and float64 stay as they are; anything else is cast to float64 with NumPy's
    'safe' rule (bool, integers, float16), which raises scipy's TypeError otherwise."""
    if a.dtype == np.float32 or a.dtype == np.float64:
        return np.ascontiguousarray(a)
    return np.ascontiguousarray(a.astype(np.float64, casting="safe"))


def _all_equal(a: np.ndarray) -> bool:
    # Every assignment of a constant matrix is optimal; scipy returns the identity there and
    # so do we (the JV initialisation would pick another optimum). The check usually stops at
    # the second entry.
    if a.size == 0:
        return False
    first = a[0, 0]
    if a[-1, -1] != first:  # the usual exit, without a pass over the matrix
        return False
    return bool(np.isfinite(first)) and bool((a == first).all())


def linear_sum_assignment(
    cost_matrix: Any, maximize: bool = False
) -> Tuple[np.ndarray, np.ndarray]:
    """Solve the linear sum assignment problem (exact; a drop-in for scipy's).

    Parameters
    ----------
    cost_matrix : array_like
        The cost matrix of the bipartite graph, shape (n, m). NumPy arrays of any real or
        bool dtype (float32 is solved in float32 with a final exactness repair in double),
        nested lists, or Torch CPU tensors.
    maximize : bool, optional
        Calculates a maximum weight matching if true. Default False.

    Returns
    -------
    row_ind, col_ind : ndarray of int64
        The optimal assignment: ``cost_matrix[row_ind, col_ind].sum()`` is minimal (or
        maximal). ``row_ind`` is sorted; for a square matrix it equals ``numpy.arange(n)``.

    Raises
    ------
    ValueError
        If the input is not 2-D, contains NaN, contains -inf when minimising (+inf when
        maximising), or no complete assignment avoids the infinite entries. The messages
        are scipy's.
    TypeError
        If the dtype cannot be cast safely to float64 (strings, complex, objects).

    Notes
    -----
    Jonker & Volgenant, "A shortest augmenting path algorithm for dense and sparse linear
    assignment problems", Computing 38 (1987), with SIMD kernels chosen at run time.
    The GIL is released while solving.

    Examples
    --------
    >>> import numpy as np
    >>> from semrsm_native import linear_sum_assignment
    >>> cost = np.array([[4, 1, 3], [2, 0, 5], [3, 2, 2]])
    >>> row_ind, col_ind = linear_sum_assignment(cost)
    >>> col_ind
    array([1, 0, 2])
    >>> int(cost[row_ind, col_ind].sum())
    5
    """
    if type(cost_matrix) is np.ndarray:  # the common case, without the generic path
        a = cost_matrix
    else:
        a = to_numpy(cost_matrix, "linear_sum_assignment", "cost_matrix")
    if a.ndim != 2:
        raise ValueError(f"expected a matrix (2-D array), got a {a.ndim} array")
    if not (a.dtype.char in "fd" and a.flags.c_contiguous):
        a = _as_float_array(a)
    n, m = a.shape
    if _all_equal(a):
        k = min(n, m)
        return np.arange(k, dtype=np.int64), np.arange(k, dtype=np.int64)
    col4row = _core.lap_solve_exact(a, bool(maximize))
    if n <= m:
        return np.arange(n, dtype=np.int64), col4row
    rows = np.flatnonzero(col4row >= 0).astype(np.int64)
    return rows, col4row[rows]


def _default_keys(a: np.ndarray, axis: int, sign: float) -> np.ndarray:
    """Row (axis=2) or column (axis=1) sums in the benefit sense. Forbidden (infinite)
    entries are left out so that they do not make the order meaningless."""
    with np.errstate(invalid="ignore", over="ignore"):
        sums = a.sum(axis=axis, dtype=np.float64)
    if np.isfinite(sums).all():  # then no entry is infinite (nor NaN)
        return sign * sums
    return sign * np.where(np.isfinite(a), a, 0.0).sum(axis=axis, dtype=np.float64)


def _keys(
    value: Any, default: Callable[[], np.ndarray], shape: Tuple[int, int], name: str, func: str
) -> np.ndarray:
    if value is None:
        return np.ascontiguousarray(default(), dtype=np.float64)
    k = to_numpy(value, func, name)
    if k.ndim == 1 and shape[0] == 1:
        k = k[None, :]
    if k.shape != shape:
        raise ValueError(f"{func}: {name} must have shape {shape}, got {k.shape}")
    k = np.ascontiguousarray(k.astype(np.float64, casting="safe"))
    if np.isnan(k).any():
        raise ValueError(f"{func}: {name} contains NaN")
    return k


def linear_sum_assignment_batch(
    costs: Any,
    maximize: bool = False,
    method: str = "hungarian",
    threads: Optional[int] = None,
    device: str = "auto",
    *,
    return_bound: bool = False,
    **method_options: Any,
) -> Union[Tuple[Any, Any], Tuple[Any, Any, Any]]:
    """Solve a stack of assignment problems on the library's thread pool.

    Parameters
    ----------
    costs : array_like, shape (B, n, m)
        The cost matrices. float32 stays float32 and float64 stays float64; other real or
        bool dtypes are cast to float64. NumPy arrays (any layout) or Torch tensors.
    maximize : bool, optional
        Maximise the summed entries instead of minimising. A forbidden entry is +inf when
        minimising and -inf when maximising.
    method : {"hungarian", "greedy", "auction", "batch_optimal"}, optional
        ``"hungarian"``: exact (Jonker-Volgenant). ``"greedy"``: repeatedly takes the best
        remaining entry (ties: lower row, then lower column); not optimal, and with forbidden
        entries it can end in a dead end (reported as infeasible) where an exact solver
        would not. ``"auction"``:
        forward auction with epsilon scaling; its objective is within ``max(n, m) * eps`` of
        the optimum and a certified bound is available. ``"batch_optimal"``: the
        Batch-Optimal approximation (rows and columns sorted by keys, descending, cut into
        aligned windows solved exactly).
    threads : int, optional
        Worker threads; None means ``SEMRSM_NUM_THREADS`` or the cores available to the
        process. Results do not depend on it.
    device : {"auto", "cpu", "cuda"}, optional
        Where to compute; "auto" follows the input (CUDA tensors go to the CUDA backend when
        it is built).
    return_bound : bool, optional
        Also return, per problem, a certified bound on ``|optimum - objective|``: 0 for
        ``"hungarian"``, the primal-dual gap of the final prices for ``"auction"``, and for
        ``"greedy"`` and ``"batch_optimal"`` the gap between the objective and a dual bound
        on the optimum (coordinate ascent on the assignment LP's dual, started from the
        method's own assignment; about 0.1-6% of the objective on feature costs, see
        ``benchmarks/results/bounds.md``; +inf for a problem with forbidden entries). The
        bounds of the approximations cost one more pass over each matrix and are computed
        on the CPU only. Like the objective, the bound is a double sum of the float
        entries: allow for its rounding (a few ulps of ``n * max|cost|``) when comparing.
    **method_options
        ``auction``: ``eps_final`` (float, relative to the largest absolute finite cost;
        default 0 meaning ``1e-6 / max(n, m)``, so the bound is at most 1e-6 of the largest
        cost) and ``eps_factor`` (float > 1, default 7). ``batch_optimal``: ``window`` (int,
        default 128), ``row_keys`` of shape (B, n) and ``col_keys`` of shape (B, m)
        (default: the row and column sums of each cost matrix, negated when minimising, so
        that the rows and columns with the largest total benefit open the first window; pass
        the norms of the concept vectors to follow the paper).

    Returns
    -------
    col_ind : ndarray of int64, shape (B, n)
        Column assigned to each row, -1 for rows left unassigned (n > m).
    objective : ndarray of float64, shape (B,)
        Sum of the assigned entries of each problem.
    bound : ndarray of float64, shape (B,)
        Only with ``return_bound=True``.

    Torch input gives Torch output (on the same device); everything else gives NumPy.

    Raises
    ------
    ValueError
        Shape errors, unknown methods or options of the wrong value, and invalid or
        infeasible problems: the message names the index of the first bad problem.
    TypeError
        Dtypes that cannot be cast safely to float64, unknown options.
    KeyboardInterrupt
        On Ctrl-C; the workers stop within a problem's time and none is left running.
    """
    func = "linear_sum_assignment_batch"
    request = lap_request(
        func, costs, maximize=maximize, method=method, threads=threads, device=device,
        return_bound=return_bound, method_options=method_options,
    )
    if request.gpu:
        return _gpu.linear_sum_assignment_batch(costs, request)
    return _solve_batch(costs, request)


def _solve_batch(costs: Any, request: LapRequest):
    """The batch on the CPU core, for a checked request."""
    func = request.func
    a = to_numpy(costs, func, "costs")
    if a.ndim != 3:
        raise ValueError(f"{func}: expected a stack of matrices (3-D array), got a {a.ndim} array")
    try:
        a = _as_float_array(a)
    except TypeError as exc:
        raise TypeError(f"{func}: {exc}") from None
    B, n, m = a.shape
    maximize = request.maximize

    row_keys = col_keys = None
    if request.method == "batch_optimal":
        sign = 1.0 if maximize else -1.0
        row_keys = _keys(request.row_keys, lambda: _default_keys(a, 2, sign), (B, n), "row_keys", func)
        col_keys = _keys(request.col_keys, lambda: _default_keys(a, 1, sign), (B, m), "col_keys", func)

    col_ind, objective, bound = _core.lap_solve_batch(
        a, maximize, METHODS[request.method], request.eps_final, request.eps_factor,
        request.window, row_keys, col_keys, request.threads, func, request.return_bound,
    )
    if is_torch_tensor(costs):
        col_ind = like_input(col_ind, costs)
        objective = like_input(objective, costs)
        if request.return_bound:
            bound = like_input(bound, costs)
    if request.return_bound:
        return col_ind, objective, bound
    return col_ind, objective
