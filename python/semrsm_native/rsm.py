"""Semantic and spatio-semantic representational similarity matrices.

The semantic RSM (Wald et al., "Decoupling Semantic Similarity from Spatial Alignment for
Neural Networks", NeurIPS 2024) compares two samples' responses at one layer after the
permutation of spatial positions (or tokens) that maximises their summed inner products,
so that *what* a layer represents is compared independently of *where*. The whole RSM is
computed by the native engine: pairs are processed in cache-sized tiles on the library's
thread pool, each pair's cost matrix is computed by a vectorised GEMM, solved at once and
reduced to a scalar; no Python runs per pair and the GIL is released.
"""

from __future__ import annotations

import contextlib
from typing import Any, Sequence

import numpy as np

from . import _core, _gpu
from ._arrays import like_input, to_numpy
from ._bounds import Bounds, _Bracket, _norms, _unit_roundoff
from ._checks import compute_dtype
from ._request import RsmRequest, semantic_request, spatio_request
from ._vocabulary import COSTS, KERNELS, LAYOUTS, MATCHERS  # re-exported
from ._vocabulary import COST_CODES as _COST_CODE
from ._vocabulary import KERNEL_CODES as _KERNEL_CODE
from ._vocabulary import METHOD_CODES as _MATCHER_CODE
from ._vocabulary import FEATURE_MAJOR as _FEATURE_MAJOR
from ._vocabulary import LAYOUT_OF

__all__ = ["semantic_rsm", "spatio_semantic_rsm", "KERNELS", "MATCHERS", "COSTS", "LAYOUTS"]


def _as_float_array(a: Any, name: str, func: str) -> np.ndarray:
    """``a`` as NumPy in the dtype it is computed in (:func:`._checks.compute_dtype`, the
    rule the GPU backend follows too); a copy only where the dtype changes."""
    arr = to_numpy(a, func, name)
    dtype = compute_dtype(arr.dtype, name, func)
    return arr if arr.dtype == dtype else arr.astype(dtype)


def _to_samples(arr: np.ndarray, layout: str) -> tuple[np.ndarray, int]:
    """Reshape to the engine's 3-D view: (N, C, S) feature-major or (N, S, C) position-major."""
    n = arr.shape[0]
    if layout == "nchw":
        v = arr.reshape(n, arr.shape[1], arr.shape[2] * arr.shape[3])
    elif layout == "nhwc":
        v = arr.reshape(n, arr.shape[1] * arr.shape[2], arr.shape[3])
    else:
        v = arr
    return np.ascontiguousarray(v), LAYOUT_OF[layout]


def _features(v: np.ndarray, code: int) -> int:
    return v.shape[1] if code == _FEATURE_MAJOR else v.shape[2]


def _prepare_pair(x: Any, y: Any, request: RsmRequest):
    """The engine's views of x (and y) in one dtype, and their native layout code."""
    func = request.func
    xa = _as_float_array(x, "x", func)
    ya = None if y is None else _as_float_array(y, "y", func)
    layout, _, _ = request.sample_dims(xa.shape, None if ya is None else ya.shape)
    xv, code = _to_samples(xa, layout)
    if ya is None:
        return xv, None, code
    yv, _ = _to_samples(ya, layout)
    if xv.dtype != yv.dtype:
        dt = np.result_type(xv.dtype, yv.dtype)
        xv, yv = xv.astype(dt, copy=False), yv.astype(dt, copy=False)
    return xv, yv, code


def _run(x: Any, y: Any, request: RsmRequest):
    """A whole (spatio-)semantic RSM on the CPU engine."""
    xv, yv, code = _prepare_pair(x, y, request)
    self_mode = yv is None
    n = xv.shape[0]
    m = n if self_mode else yv.shape[0]
    want_d2 = "rbf" in request.kernels

    with _pair_progress(request, n, m, self_mode) as callback:
        linear, d2, perms, sqx, sqy, *gap = _engine(
            xv, yv, code, request, want_d2, request.return_permutations, callback,
            request.return_bounds,
        )
    bounds = None
    if request.return_bounds and request.matcher != "hungarian":
        # Before the kernels: they may be written over the linear matrix.
        bounds = _intervals(request, xv, yv, code, linear, gap[0], sqx, sqy)
    results = _apply_kernels(request, linear, d2, sqx, sqy, self_mode, in_place=True)
    kernels = request.kernels
    pick = (lambda r: {k: like_input(v, x) for k, v in r.items()}) if request.as_dict else (
        lambda r: like_input(r[kernels[0]], x))
    out: Any = pick(results)
    extra: tuple = ()
    if request.return_permutations:
        extra += (like_input(perms, x),)
    if request.return_bounds:
        if bounds is None:  # the exact matcher's entries are their own bounds, exactly
            bounds = tuple({k: v.copy() for k, v in results.items()} for _ in range(2))
        extra += (Bounds(pick(bounds[0]), pick(bounds[1])),)
    return (out, *extra) if extra else out


def _intervals(request: RsmRequest, xv, yv, code, linear, gap, sqx, sqy):
    """Per kernel of the request, certified (lower, upper) bounds on the exact similarities
    of pairs whose matcher reached ``linear`` with certified ``gap`` (``rsm::Output::gap``),
    mapped through the kernels by :class:`semrsm_native._bounds._Bracket`. ``xv``/``yv``:
    the engine's 3-D views (``yv`` None in self mode), ``code`` their layout."""
    view = "nchw" if code == _FEATURE_MAJOR else "ntd"  # where _norms finds the features
    _, peak_x, s_x = _norms(xv, view)
    peak_y, s_y = (peak_x, s_x) if yv is None else _norms(yv, view)[1:]
    dtypes = (xv.dtype,) if yv is None else (xv.dtype, yv.dtype)
    lower: dict[str, np.ndarray] = {}
    upper: dict[str, np.ndarray] = {}
    for name in request.kernels:
        # The engine's own squared norms, so that the kernels divide by what the RSM does.
        bracket = _Bracket((sqx, peak_x, s_x), (sqy, peak_y, s_y), name, request.sigma,
                           features=_features(xv, code), unit_roundoff=_unit_roundoff(*dtypes))
        lower[name], upper[name] = bracket.interval(linear, gap, slice(None), slice(None))
    return lower, upper


@contextlib.contextmanager
def _pair_progress(request: RsmRequest, n: int, m: int, self_mode: bool):
    """A tqdm bar over the pairs when the request asks for progress; yields its callback."""
    if not request.progress:
        yield None
        return
    from tqdm.auto import tqdm

    pairs = n * (n - 1) // 2 if self_mode else n * m
    bar = tqdm(total=pairs, desc=request.func, unit="pair")
    try:
        yield bar.update
    finally:
        bar.close()


def _engine(xv, yv, code, request: RsmRequest, want_d2, want_perms, callback, want_gap=False):
    """The native engine on prepared samples: (linear, d2, perms, sqnorm_x, sqnorm_y), and
    with ``want_gap`` the certified gap of every pair (see ``rsm::Output::gap``) sixth."""
    eps = request.eps
    out = _core.semantic_linear(
        xv, yv, code, _MATCHER_CODE[request.matcher], _COST_CODE[request.cost], request.window,
        0.0 if eps is None else eps, request.threads, want_d2, want_perms, callback,
        request.func, want_gap,
    )
    return out if want_gap else out[:5]


def _prepared_views(x: Any, y: Any, *, layout: str | None, threads: int | None, func: str):
    """The engine's 3-D views of ``x`` and ``y`` (``y`` None in self mode: ``x`` twice) in
    the dtype :func:`semantic_rsm` computes them in, and their layout code, with the inputs
    checked (shapes, features, layouts; errors named after ``func``) as it checks them, and
    every sample checked finite (the engine's rule: ``ValueError`` naming the first sample
    whose squared norm in float64 is not finite). Returns ``(xv, yv, code, x_norms,
    y_norms)``, the norms as :func:`._bounds._norms` gives them (``yv`` and ``y_norms`` are
    ``x``'s in self mode)."""
    request = semantic_request(
        func, (x, y), kernel="linear", matcher="auction", cost="inner", layout=layout,
        window=128, eps=None, sigma=None, threads=threads, progress=False,
        return_permutations=False, device="cpu", precision="float32", return_bounds=False,
    )
    xv, yv, code = _prepare_pair(x, y, request)
    view = "nchw" if code == _FEATURE_MAJOR else "ntd"
    norms = []
    for name, v in (("x", xv), ("y", yv)):
        if v is None:
            norms.append(norms[0])
            continue
        norms.append(_norms(v, view))
        bad = np.flatnonzero(~np.isfinite(norms[-1][0]))
        if len(bad):
            raise ValueError(f"{func}: {name} contains NaN or inf in sample {int(bad[0])} "
                             "(or a value whose square overflows float64)")
    return xv, xv if yv is None else yv, code, norms[0], norms[1]


def _apply_kernels(request: RsmRequest, linear, d2, sqx, sqy, self_mode, *, in_place):
    """Every kernel of the request from the matched linear values (and d2 for RBF).

    ``sigma=None`` takes the reference bandwidth from ``d2`` (all of the RSM's pairs).
    ``in_place``: each kernel is written over the buffer it is computed from when nothing else
    needs that buffer (cosine over the linear matrix unless "linear" is wanted too, RBF over
    d2), so a single-kernel RSM holds one N x M matrix at the end, not two.
    """
    kernels, sigma = request.kernels, request.sigma
    results: dict[str, np.ndarray] = {}
    for name in kernels:
        if name == "linear":
            results[name] = linear
        elif name == "cosine":
            out = linear if in_place and "linear" not in kernels else None
            results[name] = _core.rsm_apply_kernel(_KERNEL_CODE["cosine"], linear, None, sqx, sqy, 0.0, out)
        else:
            s = sigma if sigma is not None else _core.rsm_default_sigma(d2, self_mode)
            out = d2 if in_place else None
            results[name] = _core.rsm_apply_kernel(_KERNEL_CODE["rbf"], linear, d2, sqx, sqy, s, out)
    return results


def semantic_rsm(
    x: Any,
    y: Any = None,
    *,
    kernel: str | Sequence[str] = "cosine",
    matcher: str = "hungarian",
    cost: str = "inner",
    layout: str | None = None,
    window: int = 128,
    eps: float | None = None,
    sigma: float | None = None,
    threads: int | None = None,
    progress: bool = False,
    return_permutations: bool = False,
    device: str = "auto",
    precision: str = "float32",
    return_bounds: bool = False,
):
    """Semantic representational similarity matrix (Wald et al., NeurIPS 2024).

    Entry ``(i, j)`` is the kernel similarity of sample ``i`` of ``x`` and sample ``j`` of
    ``y`` after the permutation of ``j``'s positions (or tokens) that maximises the summed
    inner products of matched concept vectors::

        lin[i, j] = max_P  sum_p <x_i[p], y_j[P(p)]>

    One matching per pair serves every kernel: the sample norms do not change under the
    permutation, so the same ``P`` maximises the cosine and the RBF kernel too.

    Parameters
    ----------
    x : array_like or torch.Tensor
        Activations of N samples: ``(N, C, H, W)`` (a CNN layer; ``S = H * W`` positions of
        ``C`` features), or ``(N, T, D)`` (``T`` tokens of ``D`` features). Any real dtype;
        float16 / bfloat16 are computed in float32, integers and bool in float64; float32
        stays float32 in the matching. Never modified.
    y : array_like or torch.Tensor, optional
        A second set of M samples with the same rank, layout and feature size as ``x``; the
        position count may differ (rectangular matching: the smaller set of positions is
        matched into the larger, which equals zero-padding the smaller sample). ``None``
        compares ``x`` with itself: only ``i < j`` is solved, the diagonal is the identity
        and the result is symmetric.
    kernel : {"cosine", "linear", "rbf"} or list of them
        ``"linear"``: the matched sum of inner products. ``"cosine"``: ``lin / ((|x_i| +
        1e-13) (|y_j| + 1e-13))`` as in the reference code (0 for a zero sample, never NaN).
        ``"rbf"``: ``exp(-d2 / (2 sigma^2))`` with ``d2 = |x_i - P y_j|^2`` summed directly.
        A list returns a dict of matrices from one matching pass.
    matcher : {"hungarian", "greedy", "auction", "batch_optimal"}
        ``"hungarian"``: exact. ``"greedy"``: repeatedly the best remaining pair.
        ``"auction"``: epsilon-scaling auction, within ``eps`` of the optimum. ``"batch_optimal"``:
        positions sorted by concept-vector norm, cut into aligned windows of ``window``,
        each solved exactly (the paper's recommended approximation for large S); only the
        window blocks of the cost are ever computed.
    cost : {"inner", "cosine"}
        What the matching maximises: the summed inner products (the paper's choice) or the
        summed cosines of concept vectors (each vector normalised once per sample). The
        kernels are always evaluated on the raw, permuted vectors.
    layout : {"nchw", "nhwc", "ntd"}, optional
        Overrides the default for the rank: ``"nchw"`` for 4-D, ``"ntd"`` for 3-D input.
    window : int
        Window size of ``"batch_optimal"`` (>= 1).
    eps : float, optional
        Final epsilon of ``"auction"``, relative to the largest absolute cost; ``None`` uses
        the solver's default (``1e-6 / S``).
    sigma : float, optional
        RBF bandwidth. Default, as the reference code: ``sqrt(median of the nonzero
        off-diagonal d2) + 1e-3``, with the lower middle value for an even count (as
        ``torch.median``); all entries count when ``y`` is given.
    threads : int, optional
        Worker threads; ``None`` uses ``SEMRSM_NUM_THREADS`` or the available cores. The
        result is identical for any thread count.
    progress : bool
        Show a tqdm progress bar over the pairs.
    return_permutations : bool
        Also return the matchings as an ``(N, M, S_x)`` int32 array ``perm``:
        ``perm[i, j, p] = q`` means position ``p`` of ``x_i`` is matched to position ``q``
        of ``y_j`` (so ``y_j[perm[i, j]]`` in ``(S, C)`` form is ``P y_j``), and
        ``lin[i, j] = sum_p <x_i[p], y_j[perm[i, j, p]]>`` over the ``p`` with
        ``perm[i, j, p] >= 0`` (-1 marks positions left unmatched when ``S_x > S_y``). In
        self mode ``perm[j, i]`` is the inverse of ``perm[i, j]`` and ``perm[i, i]`` the
        identity.
    device : {"auto", "cpu", "cuda"}
        ``"auto"`` follows the inputs (GPU tensors go to the CUDA backend when built).
    precision : {"float32", "tf32", "bf16"}
        How the pair costs are computed. ``"float32"`` (the default, and the only choice on
        the CPU) multiplies in the input's precision (float64 input stays float64).
        ``"tf32"`` and ``"bf16"`` are opt-in tensor-core paths of the CUDA backend: inputs are
        rounded to 10 resp. 7 mantissa bits, so each cost entry carries a relative error of
        about 2^-11 resp. 2^-8 of ``|x_s| |y_t|`` and the matching may differ slightly.
    return_bounds : bool
        Also return certified bounds on the *exact* RSM, i.e. the one of
        ``matcher="hungarian"`` with the same inputs and options: a :class:`Bounds` named
        tuple ``(lower, upper)``, each shaped and typed like the RSM (a dict per kernel for
        a kernel list), with ``lower <= exact <= upper`` entry by entry. ``"hungarian"``:
        ``lower == upper ==`` the RSM. ``"auction"``: from the primal-dual gap of its final
        prices. ``"greedy"`` and ``"batch_optimal"``: the matcher's own value below, a dual
        bound above (prices from the matcher's assignment, then coordinate ascent;
        ``cpp/core/lap/dual_bound.hpp``); ``"batch_optimal"`` then computes the whole cost of
        every pair, not only its windows, and the RSM values are the same as without bounds.
        The intervals include the rounding of the double sums and, for RBF, of the float32
        cost GEMM (the exact permutation maximises the GEMM's values, d2 is summed from the
        vectors). CPU only (``NotImplementedError`` on the GPU), ``cost="inner"`` only, and
        RBF with an approximate matcher needs ``sigma`` (``ValueError`` otherwise). Costs
        one dual pass per pair for greedy and Batch-Optimal (measured:
        ``benchmarks/results/bounds.md``).

    Returns
    -------
    numpy.ndarray or torch.Tensor or dict
        The ``(N, M)`` float64 RSM in the framework of ``x`` (NumPy in, NumPy out; Torch in,
        Torch out), or a dict ``{kernel: matrix}`` when ``kernel`` is a list; with
        ``return_permutations`` a tuple ``(rsm, perm)``; with ``return_bounds`` the
        :class:`Bounds` last: ``(rsm, bounds)`` or ``(rsm, perm, bounds)``.

    Raises
    ------
    ValueError
        Wrong rank, feature mismatch, NaN or inf in a sample (its index is named), unknown
        kernel / matcher / cost / layout, invalid window / eps / sigma, ``return_bounds``
        with ``cost="cosine"`` or with RBF, an approximate matcher and no ``sigma``.
    TypeError
        Non-numeric dtype or wrongly typed arguments.
    NotImplementedError
        ``return_bounds`` on the GPU; a matcher the GPU lacks there.
    KeyboardInterrupt
        Ctrl-C stops the computation within a fraction of a second: pairs already being
        solved finish (at S in the thousands, one exact solve can itself take a second),
        no further pair starts, and no worker thread is left running.

    Examples
    --------
    >>> import numpy as np
    >>> from semrsm_native import semantic_rsm
    >>> x = np.random.default_rng(0).random((8, 64, 7, 7), dtype=np.float32)
    >>> semantic_rsm(x).shape
    (8, 8)
    """
    request = semantic_request(
        "semantic_rsm", (x, y), kernel=kernel, matcher=matcher, cost=cost, layout=layout,
        window=window, eps=eps, sigma=sigma, threads=threads, progress=progress,
        return_permutations=return_permutations, device=device, precision=precision,
        return_bounds=return_bounds,
    )
    return _gpu.semantic_rsm(x, y, request) if request.gpu else _run(x, y, request)


def spatio_semantic_rsm(
    x: Any,
    y: Any = None,
    *,
    kernel: str | Sequence[str] = "cosine",
    sigma: float | None = None,
    layout: str | None = None,
    threads: int | None = None,
    device: str = "auto",
):
    """Classic (spatio-semantic) RSM: every sample flattened to one vector, no matching.

    The baseline of the semantic RSM: position ``p`` of one sample is compared only with
    position ``p`` of the other, so a translated copy of an image looks dissimilar.

    Parameters
    ----------
    x, y : array_like or torch.Tensor
        As in :func:`semantic_rsm`; here ``y`` must also have the same number of positions.
    kernel : {"cosine", "linear", "rbf"} or list of them
        As in :func:`semantic_rsm` (same formulas, on the flattened samples).
    sigma : float, optional
        RBF bandwidth; default as in :func:`semantic_rsm`.
    layout : {"nchw", "nhwc", "ntd"}, optional
        How to read ``x`` and ``y``; the flattened inner product does not depend on it as
        long as both use the same.
    threads : int, optional
        Worker threads (see :func:`semantic_rsm`).
    device : {"auto", "cpu", "cuda"}
        As in :func:`semantic_rsm`.

    Returns
    -------
    numpy.ndarray or torch.Tensor or dict
        ``(N, M)`` float64 matrix (or a dict for a kernel list), in the framework of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> from semrsm_native import spatio_semantic_rsm
    >>> x = np.random.default_rng(0).random((4, 8, 5, 5))
    >>> spatio_semantic_rsm(x, kernel="linear").shape
    (4, 4)
    """
    request = spatio_request(
        "spatio_semantic_rsm", (x, y), kernel=kernel, sigma=sigma, layout=layout,
        threads=threads, device=device,
    )
    return _gpu.spatio_semantic_rsm(x, y, request) if request.gpu else _run(x, y, request)
