"""Adapters for the tools people already use with semantic RSMs.

* Matching functions with the signature of the authors' reference code (TaWald/semantic_rsm):
  ``f(cost_matrix, v_i=None, v_j=None) -> column indices``, maximising the summed affinity, so
  that a pipeline built on that code switches to our solvers by passing another function.
* :func:`compare_rsms`: compare two RSMs (layers, models) by CKA, Spearman or Pearson.
* :func:`to_rsatoolbox`: RSMs as an ``rsatoolbox.rdm.RDMs`` object (dissimilarity = 1 - similarity).
* :class:`SemanticCKA`: a measure with the interface of the ReSi benchmark (mklabunde/resi),
  ``measure(R, Rp, shape) -> float``, with ReSi's flag attributes.

No optional dependency (rsatoolbox, torch) is imported unless the function that needs it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ._arrays import to_numpy

__all__ = [
    "hungarian_match",
    "greedy_match",
    "auction_match",
    "batch_optimal_match",
    "batch_optimal_matcher",
    "MATCHING_FUNCTIONS",
    "compare_rsms",
    "to_rsatoolbox",
    "SemanticCKA",
]

MatchingFunction = Callable[..., np.ndarray]


# --------------------------------------------------------------------------------------------
# Matching functions with the reference code's signature
# --------------------------------------------------------------------------------------------


def _affinity(cost_matrix: Any, func: str) -> np.ndarray:
    c = to_numpy(cost_matrix, func, "cost_matrix")
    if c.ndim != 2:
        raise ValueError(f"{func}: cost_matrix must be 2-D, got shape {c.shape}")
    if c.shape[0] > c.shape[1]:
        raise ValueError(
            f"{func}: cost_matrix has more rows than columns {c.shape}; every row needs a column"
        )
    return c


def _solve(cost: np.ndarray, method: str, **options: Any) -> np.ndarray:
    from . import linear_sum_assignment_batch

    col_ind, _ = linear_sum_assignment_batch(cost[None], maximize=True, method=method, threads=1, **options)
    return np.asarray(col_ind[0], dtype=np.int64)


def hungarian_match(cost_matrix: Any, v_i: Any = None, v_j: Any = None) -> np.ndarray:
    """Exact maximum-affinity matching (drop-in for the reference code's ``hungarian_match``).

    Parameters
    ----------
    cost_matrix : array_like
        (S_i, S_j) affinities between the positions of sample i (rows) and sample j (columns),
        typically ``v_i @ v_j.T``; larger is better. S_i <= S_j.
    v_i, v_j : array_like, optional
        The concept vectors (S, C) of the two samples; unused, accepted for the signature.

    Returns
    -------
    numpy.ndarray
        (S_i,) int64: the column matched to each row, maximising the summed affinity.
    """
    return _solve(_affinity(cost_matrix, "hungarian_match"), "hungarian")


def greedy_match(cost_matrix: Any, v_i: Any = None, v_j: Any = None) -> np.ndarray:
    """Greedy matching: repeatedly match the largest remaining affinity.

    A correct greedy (the reference code's sorts along the wrong axis); it typically reaches
    0.95-0.98 of the optimal summed affinity on CNN features and guarantees at least half of
    it for non-negative affinities.

    Parameters
    ----------
    cost_matrix : array_like
        (S_i, S_j) affinities, larger is better, S_i <= S_j.
    v_i, v_j : array_like, optional
        Unused, accepted for the signature.

    Returns
    -------
    numpy.ndarray
        (S_i,) int64 column indices.
    """
    return _solve(_affinity(cost_matrix, "greedy_match"), "greedy")


def auction_match(cost_matrix: Any, v_i: Any = None, v_j: Any = None) -> np.ndarray:
    """Auction matching with epsilon scaling, on the float affinities (no integer truncation).

    Parameters
    ----------
    cost_matrix : array_like
        (S_i, S_j) affinities, larger is better, S_i <= S_j.
    v_i, v_j : array_like, optional
        Unused, accepted for the signature.

    Returns
    -------
    numpy.ndarray
        (S_i,) int64 column indices whose summed affinity is within the solver's final
        epsilon times S_i of the optimum.
    """
    return _solve(_affinity(cost_matrix, "auction_match"), "auction")


def batch_optimal_matcher(window: int = 128) -> MatchingFunction:
    """Make a Batch-Optimal matching function with a given window.

    Parameters
    ----------
    window : int, default 128
        Positions per window. Both samples' positions are ordered by the norm of their concept
        vectors, cut into aligned windows of this many, and each window is matched exactly
        (the paper's Batch-Optimal, the reference code's ``shifted_window_*_glsm_match``).

    Returns
    -------
    callable
        ``f(cost_matrix, v_i, v_j) -> column indices``; ``v_i`` and ``v_j`` (the (S, C)
        concept vectors) are required, since the order comes from their norms.
    """
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"batch_optimal_matcher: window must be a positive integer, got {window!r}")

    def match(cost_matrix: Any, v_i: Any = None, v_j: Any = None) -> np.ndarray:
        func = f"batch_optimal_match(window={window})"
        cost = _affinity(cost_matrix, func)
        if v_i is None or v_j is None:
            raise ValueError(
                f"{func}: needs the concept vectors v_i and v_j, whose norms order the positions"
            )
        a = np.asarray(to_numpy(v_i, func, "v_i"), dtype=np.float64)
        b = np.asarray(to_numpy(v_j, func, "v_j"), dtype=np.float64)
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != cost.shape[0] or b.shape[0] != cost.shape[1]:
            raise ValueError(
                f"{func}: v_i {a.shape} and v_j {b.shape} must be (S, C) with S matching "
                f"cost_matrix {cost.shape}"
            )
        return _solve(
            cost,
            "batch_optimal",
            window=int(window),
            row_keys=np.linalg.norm(a, axis=1)[None],
            col_keys=np.linalg.norm(b, axis=1)[None],
        )

    match.__name__ = f"batch_optimal_{window}_match"
    match.__qualname__ = match.__name__
    match.__doc__ = f"Batch-Optimal matching with windows of {window} positions (see batch_optimal_matcher)."
    return match


#: Batch-Optimal with windows of 128 positions, the paper's recommended setting.
batch_optimal_match: MatchingFunction = batch_optimal_matcher(128)

#: Name to matching function, for pipelines that select the matcher by a string.
MATCHING_FUNCTIONS: dict[str, MatchingFunction] = {
    "hungarian": hungarian_match,
    "greedy": greedy_match,
    "auction": auction_match,
    "batch_optimal": batch_optimal_match,
    "sw_128": batch_optimal_match,
    "sw_256": batch_optimal_matcher(256),
    "sw_512": batch_optimal_matcher(512),
    "sw_1024": batch_optimal_matcher(1024),
}


# --------------------------------------------------------------------------------------------
# Comparing RSMs
# --------------------------------------------------------------------------------------------


def _square(K: Any, func: str, name: str) -> np.ndarray:
    arr = np.asarray(to_numpy(K, func, name), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{func}: {name} must be a square (N, N) matrix, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{func}: {name} contains NaN or inf")
    return arr


def _ranks(v: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank."""
    order = np.argsort(v, kind="mergesort")
    sv = v[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sv)) + 1]
    ends = np.r_[starts[1:], v.size]
    avg = (starts + ends + 1) / 2.0
    ranks = np.empty(v.size, dtype=np.float64)
    ranks[order] = np.repeat(avg, ends - starts)
    return ranks


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    denom = np.sqrt((a @ a) * (b @ b))
    return float(a @ b / denom) if denom > 0 else float("nan")


def compare_rsms(K: Any, L: Any, method: str = "cka") -> float:
    """Compare two RSMs of the same N samples (two layers, two models, semantic vs classic).

    Parameters
    ----------
    K, L : array_like
        (N, N) similarity matrices over the same samples in the same order.
    method : {"cka", "spearman", "pearson"}, default "cka"
        * ``"cka"``: centred kernel alignment of K and L taken as kernel (Gram) matrices,
          ``<HKH, HLH>_F / (||HKH||_F ||HLH||_F)`` with ``H = I - 11^T / N``: the biased HSIC
          estimator of Kornblith et al. (2019), on the **full** matrices, diagonal included
          (centring needs every row; with K = X X^T and L = Y Y^T this is exactly linear CKA
          of X and Y).
        * ``"spearman"`` / ``"pearson"``: rank / linear correlation of the **strict upper
          triangles** (the N(N-1)/2 entries i < j), as in classic RSA: the diagonal (every
          sample with itself) carries no information and the lower triangle repeats the upper.

    Returns
    -------
    float
        The similarity, 1.0 for identical RSMs (in [0, 1] for CKA of positive semi-definite
        matrices, in [-1, 1] for the correlations). NaN when a correlation is undefined
        because one triangle is constant, or CKA when one centred matrix is zero.
    """
    A = _square(K, "compare_rsms", "K")
    B = _square(L, "compare_rsms", "L")
    if A.shape != B.shape:
        raise ValueError(f"compare_rsms: K {A.shape} and L {B.shape} differ in shape")
    if method == "cka":
        n = A.shape[0]
        if n < 2:
            raise ValueError(f"compare_rsms: CKA needs at least 2 samples, got {n}")
        def centre(M: np.ndarray) -> np.ndarray:
            return M - M.mean(axis=0, keepdims=True) - M.mean(axis=1, keepdims=True) + M.mean()
        Ac, Bc = centre(A), centre(B)
        denom = np.linalg.norm(Ac) * np.linalg.norm(Bc)
        return float(np.sum(Ac * Bc) / denom) if denom > 0 else float("nan")
    if method in ("spearman", "pearson"):
        n = A.shape[0]
        if n < 3:
            raise ValueError(f"compare_rsms: {method} needs at least 3 samples (2 pairs), got {n}")
        iu = np.triu_indices(n, 1)
        a, b = A[iu], B[iu]
        if method == "spearman":
            a, b = _ranks(a), _ranks(b)
        return _pearson(a, b)
    raise ValueError(f"compare_rsms: method must be 'cka', 'spearman' or 'pearson', got {method!r}")


# --------------------------------------------------------------------------------------------
# rsatoolbox
# --------------------------------------------------------------------------------------------


def to_rsatoolbox(
    rsms: Any,
    *,
    dissimilarity_measure: str = "1 - semantic similarity",
    names: list[str] | None = None,
    pattern_descriptors: Mapping[str, Any] | None = None,
) -> Any:
    """Wrap RSMs as an ``rsatoolbox.rdm.RDMs`` object.

    rsatoolbox stores *dissimilarities*; each RSM K becomes the RDM ``1 - K``, off the
    diagonal (rsatoolbox keeps only the upper triangle). That is a proper dissimilarity for
    the cosine and RBF kernels (similarity 1 means identical, the diagonal of 1 - K is 0);
    for the linear kernel, whose values are not bounded by 1, convert to a kernel with a unit
    diagonal first (cosine) or compute your own dissimilarities.

    Parameters
    ----------
    rsms : array_like or mapping of str to array_like
        One (N, N) RSM, a stack (R, N, N), or a mapping of names to (N, N) RSMs (the names
        become the ``"name"`` RDM descriptor).
    dissimilarity_measure : str, default "1 - semantic similarity"
        Stored as the RDMs' ``dissimilarity_measure``.
    names : list of str, optional
        One name per RSM (when ``rsms`` is not a mapping).
    pattern_descriptors : mapping, optional
        Passed to ``RDMs`` (one value per sample, e.g. ``{"image": [...]}``).

    Returns
    -------
    rsatoolbox.rdm.RDMs
        ``n_rdm`` RDMs over ``n_cond = N`` conditions.
    """
    try:
        from rsatoolbox.rdm import RDMs
    except ImportError:
        raise ImportError(
            "to_rsatoolbox needs rsatoolbox; install it with pip install 'semrsm-native[compat]'"
        ) from None
    if isinstance(rsms, Mapping):
        if names is not None:
            raise ValueError("to_rsatoolbox: give names only when rsms is not a mapping")
        names = [str(k) for k in rsms]
        mats = [np.asarray(to_numpy(v, "to_rsatoolbox", f"rsms[{k!r}]"), dtype=np.float64) for k, v in rsms.items()]
        stack = np.stack(mats) if mats else np.zeros((0, 0, 0))
    else:
        stack = np.asarray(to_numpy(rsms, "to_rsatoolbox", "rsms"), dtype=np.float64)
        if stack.ndim == 2:
            stack = stack[None]
    if stack.ndim != 3 or stack.shape[0] == 0 or stack.shape[1] != stack.shape[2]:
        raise ValueError(
            f"to_rsatoolbox: expected one (N, N) RSM or a stack (R, N, N), got shape {stack.shape}"
        )
    if not np.allclose(stack, stack.transpose(0, 2, 1), rtol=1e-7, atol=1e-9):
        raise ValueError("to_rsatoolbox: RSMs must be symmetric (an RSM of x with itself)")
    n = stack.shape[1]
    iu = np.triu_indices(n, 1)  # rsatoolbox's vector form: upper triangle, row by row
    vectors = 1.0 - stack[:, iu[0], iu[1]]
    rdm_descriptors = None
    if names is not None:
        if len(names) != stack.shape[0]:
            raise ValueError(f"to_rsatoolbox: {len(names)} names for {stack.shape[0]} RSMs")
        rdm_descriptors = {"name": list(names)}
    return RDMs(
        vectors,
        dissimilarity_measure=dissimilarity_measure,
        rdm_descriptors=rdm_descriptors,
        pattern_descriptors=dict(pattern_descriptors) if pattern_descriptors is not None else None,
    )


# --------------------------------------------------------------------------------------------
# ReSi benchmark measure
# --------------------------------------------------------------------------------------------


class SemanticCKA:
    """Semantic CKA as a measure for the ReSi benchmark: ``measure(R, Rp, shape) -> float``.

    Computes the semantic RSM of each representation with :func:`semrsm_native.semantic_rsm`
    and compares the two by CKA (see :func:`compare_rsms`). With the default linear kernel
    and ``shape="nd"`` (one position per sample, nothing to permute) this is exactly linear
    CKA; with spatial or token representations it ignores where each concept sits.

    Parameters
    ----------
    kernel : {"linear", "cosine", "rbf"}, default "linear"
        Kernel of the semantic RSMs.
    matcher : str, default "hungarian"
        Matcher of the semantic RSMs.
    threads : int, optional
        Worker threads.
    **rsm_options
        Further keyword arguments for :func:`semrsm_native.semantic_rsm` (``window``, ``eps``,
        ``cost``, ``sigma``...).

    Attributes
    ----------
    name, larger_is_more_similar, is_symmetric, is_metric, invariant_to_affine,
    invariant_to_invertible_linear, invariant_to_ortho, invariant_to_permutation,
    invariant_to_isotropic_scaling, invariant_to_translation
        ReSi's flags. Orthogonal maps (and so permutations) of the feature axis leave every
        inner product between concept vectors unchanged, hence the semantic RSM too; isotropic
        scaling only scales the linear kernel, which CKA normalises away, and leaves cosine and
        median-bandwidth RBF unchanged; adding a constant vector (translation) changes the
        inner products and the matching.
    """

    larger_is_more_similar: bool = True
    is_symmetric: bool = True
    is_metric: bool = False
    invariant_to_affine: bool = False
    invariant_to_invertible_linear: bool = False
    invariant_to_ortho: bool = True
    invariant_to_permutation: bool = True
    invariant_to_isotropic_scaling: bool = True
    invariant_to_translation: bool = False

    _LAYOUTS = {"nchw": "nchw", "ntd": "ntd", "nd": "ntd"}

    def __init__(
        self, kernel: str = "linear", matcher: str = "hungarian", threads: int | None = None, **rsm_options: Any
    ) -> None:
        if kernel not in ("linear", "cosine", "rbf"):
            raise ValueError(f"SemanticCKA: kernel must be 'linear', 'cosine' or 'rbf', got {kernel!r}")
        self.kernel = kernel
        self.matcher = matcher
        self.threads = threads
        self.rsm_options = dict(rsm_options)
        self.name = "SemanticCKA"

    def rsm(self, R: Any, shape: str, threads: int | None = None) -> np.ndarray:
        """The semantic RSM of one representation.

        Parameters
        ----------
        R : array_like
            (N, D), (N, T, D) or (N, C, H, W) representation, as ``shape`` says.
        shape : {"nd", "ntd", "nchw"}
            ReSi's name of the layout.
        threads : int, optional
            Worker threads (default: the ``threads`` given at construction).

        Returns
        -------
        numpy.ndarray
            (N, N) float64 RSM.
        """
        from . import semantic_rsm

        if shape not in self._LAYOUTS:
            raise ValueError(f"SemanticCKA: shape must be 'nd', 'ntd' or 'nchw', got {shape!r}")
        x = to_numpy(R, "SemanticCKA", "R")
        want = {"nd": 2, "ntd": 3, "nchw": 4}[shape]
        if x.ndim != want:
            raise ValueError(f"SemanticCKA: shape {shape!r} needs a {want}-D array, got shape {x.shape}")
        if shape == "nd":
            x = x[:, None, :]  # one token per sample
        K = semantic_rsm(
            x, kernel=self.kernel, matcher=self.matcher, layout=self._LAYOUTS[shape],
            threads=threads if threads is not None else self.threads, **self.rsm_options,
        )
        return np.asarray(K, dtype=np.float64)

    def __call__(self, R: Any, Rp: Any, shape: str, n_jobs: int | None = None) -> float:
        """Semantic CKA between two representations of the same N inputs.

        Parameters
        ----------
        R, Rp : array_like
            The two representations (NumPy arrays or CPU tensors); feature sizes may differ.
        shape : {"nd", "ntd", "nchw"}
            Layout of both.
        n_jobs : int, optional
            Accepted for ReSi's RSM measures; used as ``threads`` when ``threads`` was not set.

        Returns
        -------
        float
            CKA of the two semantic RSMs, in [0, 1].
        """
        threads = self.threads if self.threads is not None else n_jobs
        K, L = self.rsm(R, shape, threads=threads), self.rsm(Rp, shape, threads=threads)
        if K.shape != L.shape:
            raise ValueError(f"SemanticCKA: R has {K.shape[0]} samples, Rp has {L.shape[0]}")
        return compare_rsms(K, L, method="cka")

    def __repr__(self) -> str:
        return f"SemanticCKA(kernel={self.kernel!r}, matcher={self.matcher!r})"
