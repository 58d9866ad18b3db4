"""Plots of semantic RSMs: heatmaps, semantic vs spatio-semantic side by side, similarity
distributions, and the matcher comparison of ``semrsm bench``.

matplotlib is an optional dependency (``pip install 'semrsm-native[plot]'``); it is imported
when a function here is first called, never by ``import semrsm_native``. The functions build
figures with ``matplotlib.figure.Figure`` directly, not through ``pyplot``, so they work
without a display and leave pyplot's global state alone; pass ``ax``/``axes`` to draw into
figures of your own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "plot_rsm",
    "plot_rsm_pair",
    "plot_similarity_distributions",
    "plot_matcher_comparison",
    "save_figure",
]


def _matplotlib() -> Any:
    try:
        import matplotlib
        import matplotlib.figure  # noqa: F401
    except ImportError:
        raise ImportError(
            "semrsm_native.plot needs matplotlib, which is not installed; "
            "install it with: pip install 'semrsm-native[plot]'"
        ) from None
    return matplotlib


def _new_figure(figsize: tuple[float, float]) -> Figure:
    mpl = _matplotlib()
    return mpl.figure.Figure(figsize=figsize, layout="constrained")


def _as_matrix(K: Any, func: str, name: str = "K") -> np.ndarray:
    from ._arrays import to_numpy

    arr = np.asarray(to_numpy(K, func, name), dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{func}: {name} must be a 2-D matrix, got shape {arr.shape}")
    return arr


def plot_rsm(
    K: Any,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    labels: Sequence[str] | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str = "viridis",
    colorbar: bool = True,
) -> Axes:
    """Draw an RSM as a heatmap.

    Parameters
    ----------
    K : array_like
        (N, M) similarity matrix (NumPy array or CPU tensor).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is made when omitted (reach it as ``ax.figure``).
    title : str, optional
        Axes title.
    labels : sequence of str, optional
        Tick labels for rows (and columns when the matrix is square); N of them.
    vmin, vmax : float, optional
        Colour range; defaults to the matrix's range.
    cmap : str, default "viridis"
        Colour map name.
    colorbar : bool, default True
        Add a colour bar next to the heatmap.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn into.
    """
    M = _as_matrix(K, "plot_rsm")
    if ax is None:
        ax = _new_figure((4.6, 4.0)).subplots()
    im = ax.imshow(M, vmin=vmin, vmax=vmax, cmap=cmap, interpolation="nearest")
    if labels is not None:
        if len(labels) != M.shape[0]:
            raise ValueError(f"plot_rsm: {len(labels)} labels for a matrix with {M.shape[0]} rows")
        ax.set_yticks(range(M.shape[0]), labels=list(labels), fontsize=6)
        if M.shape[0] == M.shape[1]:
            ax.set_xticks(range(M.shape[1]), labels=list(labels), fontsize=6, rotation=90)
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, shrink=0.8)
    return ax


def plot_rsm_pair(
    semantic: Any,
    spatio_semantic: Any,
    axes: Sequence[Axes] | None = None,
    *,
    titles: tuple[str, str] = ("spatio-semantic RSM", "semantic RSM"),
    labels: Sequence[str] | None = None,
    cmap: str = "viridis",
) -> Figure:
    """Draw the spatio-semantic and the semantic RSM of the same samples side by side.

    Both heatmaps share one colour range (the union of the two matrices' ranges), so their
    colours can be compared directly.

    Parameters
    ----------
    semantic : array_like
        (N, N) semantic RSM.
    spatio_semantic : array_like
        (N, N) spatio-semantic (classic) RSM of the same samples.
    axes : sequence of two matplotlib.axes.Axes, optional
        Where to draw (spatio-semantic first); a new figure is made when omitted.
    titles : tuple of two str
        Titles of the spatio-semantic and the semantic heatmap.
    labels : sequence of str, optional
        Tick labels, one per sample.
    cmap : str, default "viridis"
        Colour map name.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the two heatmaps.
    """
    S = _as_matrix(semantic, "plot_rsm_pair", "semantic")
    B = _as_matrix(spatio_semantic, "plot_rsm_pair", "spatio_semantic")
    if S.shape != B.shape:
        raise ValueError(
            f"plot_rsm_pair: semantic {S.shape} and spatio_semantic {B.shape} differ in shape"
        )
    if axes is None:
        axes = _new_figure((9.0, 4.0)).subplots(1, 2)
    if len(axes) != 2:
        raise ValueError(f"plot_rsm_pair: axes must hold 2 axes, got {len(axes)}")
    lo = float(min(np.nanmin(S), np.nanmin(B))) if S.size else 0.0
    hi = float(max(np.nanmax(S), np.nanmax(B))) if S.size else 1.0
    plot_rsm(B, axes[0], title=titles[0], labels=labels, vmin=lo, vmax=hi, cmap=cmap, colorbar=False)
    plot_rsm(S, axes[1], title=titles[1], labels=labels, vmin=lo, vmax=hi, cmap=cmap, colorbar=True)
    return axes[0].figure


def plot_similarity_distributions(
    groups: Mapping[str, Any],
    ax: Axes | None = None,
    *,
    title: str | None = None,
    bins: int | Sequence[float] = 30,
    range: tuple[float, float] | None = None,  # noqa: A002 - matplotlib's name
    xlabel: str = "similarity",
    show_medians: bool = True,
) -> Axes:
    """Draw histograms (as densities) of groups of similarity values, with their medians.

    Parameters
    ----------
    groups : mapping of str to array_like
        Group name (legend entry) to 1-D similarity values, e.g. the RSM entries of translated
        pairs and of pairs of different images.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is made when omitted.
    title : str, optional
        Axes title.
    bins : int or sequence of float, default 30
        Histogram bins, shared by all groups.
    range : tuple of float, optional
        Lower and upper edge of the bins; defaults to the range of all values.
    xlabel : str, default "similarity"
        Label of the x axis.
    show_medians : bool, default True
        Draw each group's median as a dashed vertical line and write it into the legend.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn into.
    """
    if not groups:
        raise ValueError("plot_similarity_distributions: groups is empty")
    values = {name: np.asarray(v, dtype=np.float64).ravel() for name, v in groups.items()}
    nonempty = [v for v in values.values() if v.size]
    if range is None and nonempty:
        allv = np.concatenate(nonempty)
        lo, hi = float(allv.min()), float(allv.max())
        range = (lo, hi if hi > lo else lo + 1e-6)
    if ax is None:
        ax = _new_figure((5.0, 3.5)).subplots()
    edges = np.histogram_bin_edges(np.concatenate(nonempty) if nonempty else [0.0], bins=bins, range=range)
    for i, (name, v) in enumerate(values.items()):
        colour = f"C{i}"
        label = name
        if v.size and show_medians:
            med = float(np.median(v))
            label = f"{name} (median {med:.2f}, n={v.size})"
            ax.axvline(med, color=colour, linestyle="--", linewidth=1.2)
        if v.size:
            ax.hist(v, bins=edges, density=True, alpha=0.45, color=colour, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=7, loc="upper left")
    return ax


def plot_matcher_comparison(
    rows: Sequence[Mapping[str, Any]],
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """Draw the matcher comparison of ``semrsm bench``: quality and time against size.

    Parameters
    ----------
    rows : sequence of mapping
        One entry per (matcher, size) with keys ``"matcher"``, ``"positions"`` (S),
        ``"fraction_median"`` (median fraction of the exact similarity) and
        ``"ms_per_pair"``; optional ``"fraction_min"`` draws the worst pair as an error bar.
    axes : sequence of two matplotlib.axes.Axes, optional
        Where to draw quality and time; a new figure is made when omitted.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (left: fraction of the exact similarity; right: milliseconds per pair,
        log scale).
    """
    if not rows:
        raise ValueError("plot_matcher_comparison: rows is empty")
    if axes is None:
        axes = _new_figure((10.0, 4.0)).subplots(1, 2)
    matchers: list[str] = []
    for r in rows:
        if r["matcher"] not in matchers:
            matchers.append(str(r["matcher"]))
    for i, m in enumerate(matchers):
        rs = sorted((r for r in rows if r["matcher"] == m), key=lambda r: r["positions"])
        s = [r["positions"] for r in rs]
        frac = np.array([r["fraction_median"] for r in rs], dtype=float)
        lows = np.array([r.get("fraction_min", r["fraction_median"]) for r in rs], dtype=float)
        axes[0].errorbar(s, frac, yerr=[frac - lows, np.zeros_like(frac)], marker="o", capsize=3,
                         color=f"C{i}", label=m)
        ms = [r["ms_per_pair"] for r in rs]
        if not all(np.isnan(ms)):
            axes[1].plot(s, ms, marker="o", color=f"C{i}", label=m)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("positions per sample (S)")
        sizes = sorted({r["positions"] for r in rows})
        ax.set_xticks(sizes, labels=[str(v) for v in sizes])
        ax.minorticks_off()
    axes[0].set_ylabel("fraction of the exact similarity\n(median over pairs; bar: worst pair)")
    axes[0].legend(fontsize=8)
    axes[1].set_yscale("log")
    axes[1].set_ylabel("ms per pair")
    axes[1].legend(fontsize=8)
    return axes[0].figure


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 120) -> str:
    """Write a figure to a file (the format follows the extension) and return the path.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to save.
    path : str or os.PathLike
        Output file; missing parent directories are created.
    dpi : int, default 120
        Resolution of raster formats.

    Returns
    -------
    str
        The path written.
    """
    _matplotlib()
    p = os.fspath(path)
    parent = os.path.dirname(p)
    if parent:
        os.makedirs(parent, exist_ok=True)
    fig.savefig(p, dpi=dpi)
    return p
