"""Exact top-k retrieval under the semantic similarity, without solving every pair exactly.

A query's nearest neighbours in a database under the permutation-invariant similarity (the
retrieval experiment of Wald et al., NeurIPS 2024) depend only on the pairs near the top of
the query's row of the RSM. :func:`semantic_topk` therefore gets a threshold first, then
brackets every other entry in a certified interval just tightly enough to compare it with
the threshold, and solves exactly only the pairs whose interval still reaches it (issue 11):

1. **Threshold**: per query, the database ranked by a cheap score (the cosine of the
   position-averaged feature vectors) and the best ``THRESHOLD_FACTOR * k`` solved exactly.
   Their k-th best exact value is the query's threshold ``tau``: at least k pairs reach it.
2. **Screen** (one stage per value of ``eps``): every other pair through the native
   threshold screen (``cpp/core/rsm/screen.hpp``): its cost GEMM once, then the
   epsilon-scaling auction (Bertsekas, "The auction algorithm", 1988) phase by phase from a
   coarse epsilon, and after every phase certified bounds ``lower <= lin <= upper`` on the
   exact matched linear value ``lin``: the matched value of the auction's assignment below,
   the dual objective of its prices made feasible above (weak duality). A pair stops as
   soon as its upper bound is below the threshold (most pairs: after the first phase), or
   its lower bound reaches it, or the final epsilon ``eps`` (relative to the pair's largest
   absolute cost) is reached. A later stage re-screens, to its smaller ``eps``, only the
   pairs whose interval still reaches the (risen) threshold.
3. **Exact rounds**: per query, the undecided pairs with the highest upper bounds are solved
   exactly (k at first, twice as many each round), which raises the threshold, until no
   undecided upper bound reaches it.

The threshold of a query is the k-th largest lower bound of its row (exact values are their
own bounds). A pair whose upper bound is below it is beaten strictly by k others and cannot
be among the top k, so the answer is exactly what sorting the exact RSM row gives (ties
broken by the lower index). The reported similarities are the exact entries of
:func:`semantic_rsm`, bit for bit: each comes from the same engine computation that a
whole-matrix call gives that pair (the screen, too, multiplies each pair in the orientation
of the whole-matrix call, so its bounds are on exactly the cost entries the exact solver
sees).

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
from . import _core
from ._bounds import _Bracket, _kernel_of_linear, _norms, _unit_roundoff  # noqa: F401
from ._vocabulary import FEATURE_MAJOR
from .rsm import _prepared_views, semantic_rsm

__all__ = ["semantic_topk", "DEFAULT_EPS", "THRESHOLD_FACTOR"]

# Final epsilon of the screen. Measured on windows of batch-normed CNN maps of photographs
# (S = 196, k = 10; benchmarks/bench_retrieval.py): with the true threshold, 97.9% of the
# pairs are excluded, nearly all after the first phase; a final 1e-2 and 3e-3 exclude the
# same pairs within 0.2% at the same cost, so pairs still straddling at 1e-2 go to the
# exact solver (which costs about what the auction to 1e-2 does, issue 8).
DEFAULT_EPS: tuple[float, ...] = (1e-2,)

# Pairs per query solved exactly for the threshold, in units of k (at most half the
# database, at least k; see the module docs).
THRESHOLD_FACTOR = 4

# The screen's epsilon-scaling schedule: first epsilon relative to the spread of the pair's
# costs, and the factor between phases (those of the exact solver's warm start,
# cpp/core/lap/auction_start.hpp).
_SCREEN_EPS_FIRST = 0.25
_SCREEN_EPS_FACTOR = 7.0


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


def _pooled_cosine(xv: np.ndarray, yv: np.ndarray, code: int) -> np.ndarray:
    """The cheap ranking score of the threshold stage: the cosine of the two samples'
    position-averaged feature vectors (Q x D, float64; 0 for a zero average). Only the
    order matters, never the answer. Measured on the photo-CNN windows of
    benchmarks/bench_retrieval.py (16 x 512): the k-th best exact value among its top 4k is
    within 0.6% of the true threshold (median over queries), against 2.2% for the
    sorted-norm bound and 15% for the unnormalised average."""
    axis = 2 if code == FEATURE_MAJOR else 1

    def pooled(v: np.ndarray) -> np.ndarray:
        # In chunks of samples: a float64 copy of the whole set would double its memory.
        m = np.concatenate([v[s : s + 256].mean(axis=axis, dtype=np.float64)
                            for s in range(0, len(v), 256)]).reshape(len(v), -1)
        nrm = np.linalg.norm(m, axis=1)
        return m / np.where(nrm > 0, nrm, 1.0)[:, None]

    px = pooled(xv)
    return px @ (px if yv is xv else pooled(yv)).T


def _screen(xv, yv, code, self_mode, rows, tau, bracket, kernel, sigma, eps, threads, bar, func):
    """The native threshold screen (``cpp/core/rsm/screen.hpp``) on the pairs ``rows`` (a
    list of (query, columns)), each against its row's threshold ``tau`` mapped to the linear
    value (below by a margin, so that a pair the screen stops as excluded is excluded by the
    certified interval too). Returns the linear (lower, upper, phases) of every pair, in
    the order of ``rows``."""
    pi = np.concatenate([np.full(len(c), i, np.int64) for i, c in rows])
    pj = np.concatenate([c for _, c in rows]).astype(np.int64)
    t = tau[pi]
    sqx, sqy = bracket.sqx[pi], bracket.sqy[pj]
    with np.errstate(divide="ignore", invalid="ignore"):
        if kernel == "linear":
            t_lin = t.astype(np.float64)
        elif kernel == "cosine":
            t_lin = t * ((np.sqrt(sqx) + 1e-13) * (np.sqrt(sqy) + 1e-13))
        else:
            t_lin = np.where(t > 0, 0.5 * (sqx + sqy) + sigma * sigma * np.log(np.maximum(t, 1e-300)),
                             -np.inf)
        t_lin = t_lin - 2.0 * bracket.relative_margin * (np.abs(t_lin) + bracket.scale[pi, pj])
    t_lin = np.where(np.isnan(t_lin), -np.inf, t_lin)
    a, b = pi, pj
    if self_mode:  # the orientation of the whole-matrix call: x_min(i,j) against x_max(i,j)
        a, b = np.minimum(pi, pj), np.maximum(pi, pj)
    order = np.argsort(a, kind="stable")  # pairs of one x sample together
    lo, hi, ph = _core.rsm_screen(
        xv, yv, code, a[order], b[order], np.ascontiguousarray(t_lin[order]),
        eps, _SCREEN_EPS_FIRST, _SCREEN_EPS_FACTOR, threads,
        None if bar is None else bar.update, func)
    out = [np.empty_like(v) for v in (lo, hi, ph)]
    for o, v in zip(out, (lo, hi, ph)):
        o[order] = v
    return tuple(out)


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
    exactly; the others are settled by certified intervals from the threshold screen (see
    the module documentation for the stages, the bounds and why they hold).

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
        Final epsilons (relative to a pair's largest absolute cost, each in (0, 1),
        decreasing) of the screen stages: a pair's auction stops at this epsilon if its
        interval still straddles the threshold. A smaller value gives tighter intervals at
        a higher cost; an empty sequence skips the threshold and the screen and solves every
        pair exactly. The result does not depend on it, only the time does.
    threads : int, optional
        Worker threads of the native engine; ``None`` uses ``SEMRSM_NUM_THREADS`` or the
        available cores.
    progress : bool
        Progress bars for the stages.
    return_stats : bool
        Also return a dict with the number of pairs that reached each stage: ``"pairs"``
        (all candidate pairs), ``"threshold"`` (pairs solved exactly for the thresholds),
        ``"stages"`` (a list of ``{"eps", "pairs", "phases"}``, one per screen stage: the
        pairs screened and the auction phases they ran in all), ``"exact"`` (pairs solved
        exactly, the threshold's included) and ``"rounds"`` (exact rounds after the screen).

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
    # The engine's views in its compute dtype, checked as semantic_rsm checks them.
    xv, yv, code, x_norms, y_norms = _prepared_views(q, None if self_mode else db,
                                                     layout=layout, threads=nthreads, func=func)
    n_pairs = n_q * (n_q - 1) if self_mode else n_q * n_db
    stats: dict[str, Any] = {"pairs": n_pairs, "threshold": 0, "stages": [], "exact": 0,
                             "rounds": 0}
    bracket = _Bracket(x_norms, y_norms, kernel, sigma, features=xv.shape[1 if code == FEATURE_MAJOR else 2],
                       unit_roundoff=_unit_roundoff(xv.dtype, yv.dtype))

    lo = np.full((n_q, n_db), -np.inf)
    hi = np.full((n_q, n_db), np.inf)
    if self_mode:
        np.fill_diagonal(lo, -np.inf)
        np.fill_diagonal(hi, -np.inf)
    rows_state = _Rows(lo, hi, k)
    if self_mode:
        np.fill_diagonal(rows_state.exact, -np.inf)  # never a candidate, never undecided

    def pair_values(i: int, cols: np.ndarray) -> np.ndarray:
        """Entries (i, cols) of the RSM computed as the whole-matrix call computes them: in
        self mode a pair (i, j) with j < i is the mirror of (j, i), x_j against x_i."""
        kw = dict(kernel=kernel, sigma=sigma, **options)
        if not self_mode:
            return np.asarray(semantic_rsm(q[i : i + 1], db[cols], **kw))[0]
        out = np.empty(len(cols))
        up, down = cols > i, cols < i
        if up.any():
            out[up] = np.asarray(semantic_rsm(q[i : i + 1], q[cols[up]], **kw))[0]
        if down.any():
            out[down] = np.asarray(semantic_rsm(q[cols[down]], q[i : i + 1], **kw))[:, 0]
        return out

    def solve_exactly(i: int, cols: np.ndarray) -> None:
        cols = np.sort(cols)
        rows_state.settle(i, cols, pair_values(i, cols))
        stats["exact"] += len(cols)

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_pairs, desc=func, unit="pair")
    try:
        # 1. Threshold: the best pairs of each row under a cheap score, solved exactly.
        score = _pooled_cosine(xv, yv, code)
        if self_mode:
            np.fill_diagonal(score, -np.inf)
        # k exact values make a threshold; more raise it, but never more than half the row
        # (on small databases the screen is still cheaper than solving everything).
        first = max(k, min(THRESHOLD_FACTOR * k, available // 2)) if schedule else 0
        if first:
            top = np.argpartition(-score, first - 1, axis=1)[:, :first]
            for i in range(n_q):
                solve_exactly(i, top[i])
            stats["threshold"] = stats["exact"]
            if bar is not None:
                bar.update(stats["exact"])

        # 2. Screen: every pair that can still reach its row's threshold.
        for e in schedule:
            tau = rows_state.thresholds()
            rows = [(i, rows_state.open_pairs(i, tau[i])) for i in range(n_q)]
            rows = [(i, c) for i, c in rows if len(c)]
            reached = sum(len(c) for _, c in rows)
            phases = 0
            if reached:
                lo_lin, hi_lin, ph = _screen(xv, yv, code, self_mode, rows, tau, bracket, kernel,
                                             sigma, e, nthreads, bar, func)
                phases = int(ph.sum())
                at = 0
                for i, cols in rows:
                    part = slice(at, at + len(cols))
                    lo_i, hi_i = bracket.interval(lo_lin[None, part],
                                                  (hi_lin[part] - lo_lin[part])[None], i, cols)
                    rows_state.tighten(i, cols, lo_i[0], hi_i[0])
                    at += len(cols)
            stats["stages"].append({"eps": e, "pairs": reached, "phases": phases})

        # 3. Exact rounds: the most promising undecided pairs of each row first, so that the
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
                solve_exactly(i, cols[np.argsort(-rows_state.hi[i, cols], kind="stable")[: batch[i]]])
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
