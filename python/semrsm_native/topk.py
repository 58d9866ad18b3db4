"""Exact top-k retrieval under the semantic similarity, without solving every pair exactly.

A query's nearest neighbours in a database under the permutation-invariant similarity (the
retrieval experiment of Wald et al., NeurIPS 2024) depend only on the pairs near the top of
the query's row of the RSM. :func:`semantic_topk` therefore brackets every entry in a
certified interval first and solves exactly only the pairs whose interval still reaches the
k-th best value:

1. **Coarse stages** (one per value of ``eps``): the epsilon-scaling auction with final
   epsilon ``eps`` (relative to the largest absolute cost of the pair). Its objective ``a``
   is a lower bound on the exact matched linear value ``lin``, and its final prices are
   dual feasible after one pass, so the primal-dual gap ``g`` certifies
   ``a <= lin <= a + g`` (weak duality; ``g <= S * eps * maxabs`` by eps-complementary
   slackness, Bertsekas, "The auction algorithm", 1988, and usually far smaller). The
   first stage runs on every pair; each later stage only on the pairs whose interval still
   reaches the query's threshold.
2. **Exact rounds**: per query, the undecided pairs with the highest upper bounds are solved
   exactly (k at first, twice as many each round), which raises the threshold, until no
   undecided upper bound reaches it.

The threshold of a query is the k-th largest lower bound of its row. A pair whose upper bound
is below it is beaten strictly by k others and cannot be among the top k, so the answer is
exactly what sorting the exact RSM row gives (ties broken by the lower index). The reported
similarities are the exact entries of :func:`semantic_rsm`, bit for bit: each comes from
the same engine computation that a whole-matrix call gives that pair.

Every kernel is a non-decreasing function of the matched linear value given the two sample
norms (cosine divides by them; RBF is ``exp(-(|x|^2 + |y|^2 - 2 lin) / (2 sigma^2))``), so
intervals on ``lin`` are intervals on the similarity. The RBF bandwidth must be given: the
default median bandwidth needs every pair's exact distance, which is what top-k avoids.
"""

from __future__ import annotations

import numbers
from typing import Any, Sequence

import numpy as np

from ._arrays import is_torch_tensor, like_input, to_numpy
from ._checks import choice, positive_float, positive_int
from ._threads import resolve_threads
from ._vocabulary import KERNELS, LAYOUTS
from ._bounds import _Bracket, _kernel_of_linear, _norms, _unit_roundoff  # noqa: F401
from .rsm import _certified_auction, semantic_rsm

__all__ = ["semantic_topk", "DEFAULT_EPS"]

# Measured on windows of batch-normed CNN maps of photographs (S = 196, k = 10, 16 queries
# against 512; benchmarks/bench_retrieval.py, certified gaps): with the exact solver's auction
# warm start (issue 8) an exact solve costs about what an auction at 1e-2 does, so one coarse
# stage at 1e-2 is the fastest schedule (1.43x the exact RSM; (1e-2, 1e-3) 1.36x, 3e-3 1.21x,
# (3e-2, 3e-3) 1.09x). Before that solver, (1e-2, 1e-3) was fastest at 3.0x.
DEFAULT_EPS: tuple[float, ...] = (1e-2,)


def _layout_of(a: np.ndarray, layout: str | None, func: str) -> str:
    if layout is None:
        if a.ndim == 4:
            return "nchw"
        if a.ndim == 3:
            return "ntd"
        raise ValueError(
            f"{func}: expected (N, C, H, W) or (N, T, D) activations, got shape {tuple(a.shape)}"
        )
    return choice(layout, LAYOUTS, "layout", func)


def _eps_schedule(eps: Any, func: str) -> tuple[float, ...]:
    if isinstance(eps, numbers.Real) and not isinstance(eps, bool):
        eps = (eps,)
    if not isinstance(eps, (list, tuple)):
        raise TypeError(f"{func}: eps must be a number or a sequence of numbers, got {eps!r}")
    out = tuple(positive_float(e, "eps", func) for e in eps)
    if any(e is None for e in out):
        raise TypeError(f"{func}: eps must hold numbers, got {eps!r}")
    if any(not e < 1.0 for e in out):
        raise ValueError(f"{func}: every eps must be below 1, got {eps!r}")
    if any(b >= a for a, b in zip(out, out[1:])):
        raise ValueError(f"{func}: eps must decrease from stage to stage, got {eps!r}")
    return out


class _Rows:
    """Certified intervals [lo, hi] of the similarities, row by row, and the exact values
    found so far (``exact`` is NaN where a pair is undecided)."""

    def __init__(self, lo: np.ndarray, hi: np.ndarray, k: int):
        self.lo, self.hi, self.k = lo, hi, k
        self.exact = np.full(lo.shape, np.nan)

    def thresholds(self) -> np.ndarray:
        """Per row, the k-th largest lower bound: at least k pairs reach it."""
        return -np.partition(-self.lo, self.k - 1, axis=1)[:, self.k - 1]

    def open_pairs(self, row: int, tau: float) -> np.ndarray:
        """Columns of ``row`` not yet exact whose upper bound reaches ``tau``."""
        return np.flatnonzero((self.hi[row] >= tau) & np.isnan(self.exact[row]))

    def tighten(self, row: int, cols: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        self.lo[row, cols] = np.maximum(self.lo[row, cols], lo)
        self.hi[row, cols] = np.minimum(self.hi[row, cols], hi)

    def settle(self, row: int, cols: np.ndarray, values: np.ndarray) -> None:
        self.exact[row, cols] = values
        self.lo[row, cols] = values
        self.hi[row, cols] = values


def semantic_topk(
    queries: Any,
    database: Any = None,
    k: int = 10,
    *,
    kernel: str = "cosine",
    sigma: float | None = None,
    layout: str | None = None,
    eps: float | Sequence[float] = DEFAULT_EPS,
    threads: int | None = None,
    progress: bool = False,
    return_stats: bool = False,
):
    """The k most similar database samples of every query under the semantic similarity.

    Returns exactly what sorting each row of the exact RSM ``semantic_rsm(queries,
    database, kernel=kernel, sigma=sigma)`` in descending order gives (ties broken by the
    lower database index), but solves only the pairs that can still change the answer
    exactly; the others are settled by certified intervals from coarse auction stages (see
    the module documentation for the bounds and why they hold).

    Parameters
    ----------
    queries : array_like or torch.Tensor
        Q query samples, ``(Q, C, H, W)`` or ``(Q, T, D)`` (as :func:`semantic_rsm`'s ``x``).
        NumPy arrays, memory-mapped ``.npy`` files or Torch CPU tensors. Never modified.
    database : array_like or torch.Tensor, optional
        D database samples with the same rank, layout and feature size (the position count
        may differ). ``None`` searches ``queries`` itself: the neighbours of each sample among
        the others, the sample itself excluded.
    k : int
        Neighbours per query, 1 <= k <= D (``<= Q - 1`` without a database).
    kernel : {"cosine", "linear", "rbf"}
        The similarity, as in :func:`semantic_rsm` (matching cost: summed inner products).
    sigma : float
        RBF bandwidth; required for ``kernel="rbf"`` (the default median bandwidth of
        :func:`semantic_rsm` needs every pair's exact distance: compute that RSM, or a
        bandwidth from a sample of pairs, first).
    layout : {"nchw", "nhwc", "ntd"}, optional
        As in :func:`semantic_rsm`.
    eps : float or sequence of floats
        Final epsilons (relative, each in (0, 1), decreasing) of the coarse auction stages.
        A smaller value gives tighter intervals at a higher cost; an empty sequence solves
        every pair exactly. The result does not depend on it, only the time does.
    threads : int, optional
        Worker threads of the native engine; ``None`` uses ``SEMRSM_NUM_THREADS`` or the
        available cores.
    progress : bool
        Progress bars for the stages.
    return_stats : bool
        Also return a dict with the number of pairs that reached each stage: ``"pairs"``
        (all candidate pairs), ``"stages"`` (a list of ``{"eps", "pairs"}``, one per coarse
        stage), ``"exact"`` (pairs solved exactly) and ``"rounds"`` (exact rounds).

    Returns
    -------
    indices : numpy.ndarray of int64, shape (Q, k)
        Database indices of the neighbours, best first.
    similarities : numpy.ndarray of float64, shape (Q, k)
        Their exact similarities (Torch tensors when ``queries`` is a Torch tensor).
    stats : dict
        Only with ``return_stats=True``.

    Raises
    ------
    ValueError
        Wrong ranks or feature sizes, NaN or inf in a sample, k out of range, an unknown
        kernel or layout, a missing or invalid ``sigma`` for RBF, invalid ``eps``.
    TypeError
        Wrongly typed arguments.
    KeyboardInterrupt
        On Ctrl-C, as :func:`semantic_rsm`.

    Examples
    --------
    >>> import numpy as np
    >>> from semrsm_native import semantic_topk
    >>> rng = np.random.default_rng(0)
    >>> db = rng.random((50, 8, 4, 4), dtype=np.float32)
    >>> idx, sim = semantic_topk(db[:3], db, k=2)
    >>> idx[:, 0].tolist()  # every query finds itself first
    [0, 1, 2]
    """
    func = "semantic_topk"
    kernel = choice(kernel, KERNELS, "kernel", func)
    sigma = positive_float(sigma, "sigma", func)
    if kernel == "rbf" and sigma is None:
        raise ValueError(
            f"{func}: kernel='rbf' needs sigma: the default median bandwidth takes every "
            "pair's exact distance (compute semantic_rsm first, or pass a bandwidth)"
        )
    schedule = _eps_schedule(eps, func)
    nthreads = resolve_threads(threads, func)
    for name, flag in (("progress", progress), ("return_stats", return_stats)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{func}: {name} must be a bool, got {type(flag).__name__}")
    q = to_numpy(queries, func, "queries")
    self_mode = database is None
    db = q if self_mode else to_numpy(database, func, "database")
    lay = _layout_of(q, layout, func)
    if not self_mode:
        _layout_of(db, layout, func)
        if db.ndim != q.ndim:
            raise ValueError(
                f"{func}: queries and database must have the same rank, got shapes "
                f"{tuple(q.shape)} and {tuple(db.shape)}"
            )
    n_q, n_db = q.shape[0], db.shape[0]
    k = positive_int(k, "k", func)
    available = n_q - 1 if self_mode else n_db
    if k > available:
        what = "other samples" if self_mode else "database samples"
        raise ValueError(f"{func}: k={k} exceeds the {available} {what}")
    options = dict(layout=layout, threads=nthreads)

    stats: dict[str, Any] = {"pairs": n_q * (n_q - 1) if self_mode else n_q * n_db,
                             "stages": [], "exact": 0, "rounds": 0}

    # Stage 1 on every pair; its checks (shapes, features, finite samples) are semantic_rsm's.
    first = None
    if schedule:
        first = _certified_auction(q, None if self_mode else db, eps=schedule[0], layout=layout,
                                   threads=nthreads, progress=bool(progress), func=func)
        stats["stages"].append({"eps": schedule[0], "pairs": stats["pairs"]})
    x_norms = _norms(q, lay)
    bracket = _Bracket(x_norms, x_norms if self_mode else _norms(db, lay), kernel, sigma,
                       features=q.shape[1 if lay == "nchw" else -1],
                       unit_roundoff=_unit_roundoff(q.dtype, db.dtype))
    bounds = bracket.interval

    if first is not None:
        lo, hi = bounds(first[0], first[1], slice(None), slice(None))
    else:  # no coarse stage: every pair is undecided
        lo = np.full((n_q, n_db), -np.inf)
        hi = np.full((n_q, n_db), np.inf)
    if self_mode:
        np.fill_diagonal(lo, -np.inf)
        np.fill_diagonal(hi, -np.inf)
    rows_state = _Rows(lo, hi, k)
    if self_mode:
        np.fill_diagonal(rows_state.exact, -np.inf)  # never a candidate, never undecided

    def pair_values(i: int, cols: np.ndarray, **kw: Any) -> np.ndarray:
        """Entries (i, cols) of the RSM computed as the whole-matrix call computes them: in
        self mode a pair (i, j) with j < i is the mirror of (j, i), x_j against x_i."""
        if not self_mode:
            return np.asarray(semantic_rsm(q[i : i + 1], db[cols], **kw, **options))[0]
        out = np.empty(len(cols))
        up, down = cols > i, cols < i
        if up.any():
            out[up] = np.asarray(semantic_rsm(q[i : i + 1], q[cols[up]], **kw, **options))[0]
        if down.any():
            out[down] = np.asarray(semantic_rsm(q[cols[down]], q[i : i + 1], **kw, **options))[:, 0]
        return out

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_q * (len(schedule) - 1 if schedule else 0), desc=func, unit="query")
    try:
        # Later coarse stages: only the pairs that can still reach their row's threshold.
        for e in schedule[1:]:
            tau = rows_state.thresholds()
            reached = 0
            for i in range(n_q):
                cols = rows_state.open_pairs(i, tau[i])
                if len(cols):
                    # Bounds only: the orientation of a self-mode pair does not matter here.
                    lin, gap = _certified_auction(q[i : i + 1], db[cols], eps=e, layout=layout,
                                                  threads=nthreads, progress=False, func=func)
                    lo_i, hi_i = bounds(lin, gap, i, cols)
                    rows_state.tighten(i, cols, lo_i[0], hi_i[0])
                    reached += len(cols)
                if bar is not None:
                    bar.update(1)
            stats["stages"].append({"eps": e, "pairs": reached})

        # Exact rounds: the most promising undecided pairs of each row first, so that the
        # threshold rises early and prunes the rest.
        batch = np.full(n_q, k)
        while True:
            tau = rows_state.thresholds()
            pending = [(i, rows_state.open_pairs(i, tau[i])) for i in range(n_q)]
            pending = [(i, c) for i, c in pending if len(c)]
            if not pending:
                break
            stats["rounds"] += 1
            for i, cols in pending:
                take = cols[np.argsort(-rows_state.hi[i, cols], kind="stable")[: batch[i]]]
                take.sort()
                vals = pair_values(i, take, kernel=kernel, sigma=sigma)
                rows_state.settle(i, take, vals)
                stats["exact"] += len(take)
                batch[i] *= 2
    finally:
        if bar is not None:
            bar.close()

    # Every pair that can be in the top k is exact now; sort them (ties: lower index).
    exact = rows_state.exact
    indices = np.empty((n_q, k), dtype=np.int64)
    values = np.empty((n_q, k))
    for i in range(n_q):
        cols = np.flatnonzero(np.isfinite(exact[i]))
        order = np.lexsort((cols, -exact[i, cols]))[:k]
        indices[i] = cols[order]
        values[i] = exact[i, cols[order]]
    if is_torch_tensor(queries):
        indices_out: Any = like_input(indices, queries)
        values_out: Any = like_input(values, queries)
    else:
        indices_out, values_out = indices, values
    if return_stats:
        return indices_out, values_out, stats
    return indices_out, values_out
