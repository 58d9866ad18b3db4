"""The built-in demo: translated crops of real photographs, after the paper's Figure 2.

Wald et al. (NeurIPS 2024) pass pairs of overlapping, translated crops of the same image through a
CNN and compare the similarity the classic (spatio-semantic) RSM and the semantic RSM assign to
such a pair with the similarity of crops of different images. A translated crop shows the same
things in other places: the semantic RSM, which matches positions before comparing, should rate it
close to identical, while the spatio-semantic RSM compares misaligned positions.

This module repeats that experiment offline and deterministically: photographs bundled with
scikit-image, crops moved by a quarter of their size in one of eight directions, and the seeded
NumPy network of :mod:`semrsm_native._features`. :func:`run_demo` returns every number it prints.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._features import DEMO_IMAGES, RandomConvNet, load_image

__all__ = [
    "DemoResult",
    "make_translated_crops",
    "auroc",
    "run_demo",
    "format_summary",
]

_DIRECTIONS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


def make_translated_crops(
    images: Sequence[str] = DEMO_IMAGES,
    *,
    crop: int = 64,
    shift: int = 16,
    pairs_per_image: int = 2,
    short_side: int = 128,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut pairs of overlapping crops, the second moved against the first, from photographs.

    Parameters
    ----------
    images : sequence of str
        Photographs bundled with scikit-image (see ``semrsm_native._features.DEMO_IMAGES``).
    crop : int, default 64
        Side of the square crops in pixels.
    shift : int, default 16
        Translation in pixels along each moved axis; each pair is moved in one of the eight
        directions (horizontal, vertical or diagonal), chosen with ``seed``. With the defaults
        a pair shares 75% (axis-aligned) or 56% (diagonal) of its pixels.
    pairs_per_image : int, default 2
        Translated pairs cut from each photograph, at different random places.
    short_side : int, default 128
        Each photograph is first resized so that its shorter side has this length.
    seed : int, default 0
        Seed of the crop positions and directions.

    Returns
    -------
    crops : numpy.ndarray
        (2 * pairs_per_image * len(images), 3, crop, crop) float64 RGB in [0, 1]; crops
        ``2k`` and ``2k + 1`` are a translated pair.
    image_index : numpy.ndarray
        (N,) int index into ``images`` of each crop's photograph.
    pair_index : numpy.ndarray
        (N,) int index of each crop's translated pair.
    """
    if crop + shift > short_side:
        raise ValueError(
            f"make_translated_crops: crop + shift ({crop} + {shift}) exceeds short_side {short_side}"
        )
    if pairs_per_image < 1:
        raise ValueError(f"make_translated_crops: pairs_per_image must be >= 1, got {pairs_per_image}")
    rng = np.random.default_rng(seed)
    crops, image_index, pair_index = [], [], []
    for i, name in enumerate(images):
        img = load_image(name, short_side=short_side)
        h, w = img.shape[:2]
        for _ in range(pairs_per_image):
            dy, dx = (shift * d for d in _DIRECTIONS[int(rng.integers(len(_DIRECTIONS)))])
            y0 = int(rng.integers(max(0, -dy), h - crop - max(0, dy) + 1))
            x0 = int(rng.integers(max(0, -dx), w - crop - max(0, dx) + 1))
            crops.append(img[y0 : y0 + crop, x0 : x0 + crop])
            crops.append(img[y0 + dy : y0 + dy + crop, x0 + dx : x0 + dx + crop])
            image_index += [i, i]
            pair_index += [len(pair_index) // 2] * 2
    return (
        np.stack(crops).transpose(0, 3, 1, 2).copy(),
        np.asarray(image_index),
        np.asarray(pair_index),
    )


def auroc(positive: Any, negative: Any) -> float:
    """Probability that a random positive value exceeds a random negative one (ties count 1/2).

    This is the area under the ROC curve of using the value to tell the two groups apart:
    1.0 separates them perfectly, 0.5 not at all.

    Parameters
    ----------
    positive, negative : array_like
        1-D values of the two groups; neither may be empty.

    Returns
    -------
    float
        The AUROC (the Mann-Whitney U statistic divided by the number of pairs).
    """
    pos = np.asarray(positive, dtype=np.float64).ravel()
    neg = np.asarray(negative, dtype=np.float64).ravel()
    if pos.size == 0 or neg.size == 0:
        raise ValueError("auroc: both groups need at least one value")
    allv = np.concatenate([pos, neg])
    order = np.argsort(allv, kind="mergesort")
    ranks = np.empty(allv.size, dtype=np.float64)
    sorted_v = allv[order]
    # average ranks over ties
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_v)) + 1]
    ends = np.r_[starts[1:], allv.size]
    for s, e in zip(starts, ends):
        ranks[order[s:e]] = (s + e + 1) / 2.0
    u = ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2.0
    return float(u / (pos.size * neg.size))


@dataclass
class DemoResult:
    """Everything :func:`run_demo` computed.

    Attributes
    ----------
    images : tuple of str
        The photographs used.
    kernel : str
        Kernel of the RSMs.
    matcher : str
        Matcher of the semantic RSMs.
    image_index, pair_index : numpy.ndarray
        Per crop: index of its photograph and of its translated pair.
    semantic, spatio_semantic : dict of str to numpy.ndarray
        Layer name to (N, N) RSM.
    stats : dict of str to dict of str to float
        Per layer: ``positions``, ``channels``, ``semantic_translated_median``,
        ``semantic_different_median``, ``semantic_auroc``, and the same three for
        ``spatio_semantic``; ``seconds`` for the semantic RSM.
    files : list of pathlib.Path
        Files written.
    seconds : float
        Wall time of the whole demo.
    """

    images: tuple[str, ...]
    kernel: str
    matcher: str
    image_index: np.ndarray
    pair_index: np.ndarray
    semantic: dict[str, np.ndarray] = field(default_factory=dict)
    spatio_semantic: dict[str, np.ndarray] = field(default_factory=dict)
    stats: dict[str, dict[str, float]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    def groups(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """Index the RSM entries (i < j) of the two groups the demo compares.

        Returns
        -------
        translated : tuple of two numpy.ndarray
            Row and column indices of the translated pairs.
        different : tuple of two numpy.ndarray
            Row and column indices of the pairs of crops of different photographs (pairs of
            crops of the same photograph at unrelated places belong to neither group).
        """
        n = self.image_index.size
        iu, ju = np.triu_indices(n, 1)
        translated = self.pair_index[iu] == self.pair_index[ju]
        different = self.image_index[iu] != self.image_index[ju]
        return (iu[translated], ju[translated]), (iu[different], ju[different])

    def separated_layers(self) -> list[str]:
        """Name the layers where the semantic RSM separates the groups better.

        Returns
        -------
        list of str
            Layers where the semantic RSM has both a higher AUROC and a larger gap between the
            medians of translated pairs and different images than the spatio-semantic RSM.
        """
        out = []
        for layer, s in self.stats.items():
            gap_sem = s["semantic_translated_median"] - s["semantic_different_median"]
            gap_spa = s["spatio_semantic_translated_median"] - s["spatio_semantic_different_median"]
            if s["semantic_auroc"] > s["spatio_semantic_auroc"] and gap_sem > gap_spa:
                out.append(layer)
        return out


def format_summary(result: DemoResult) -> str:
    """Render the demo's numbers as the table and verdict that ``semrsm demo`` prints.

    Parameters
    ----------
    result : DemoResult
        What :func:`run_demo` returned.

    Returns
    -------
    str
        A multi-line report.
    """
    (tr, _), (dr, _) = result.groups()
    lines = [
        f"{len(result.images)} photographs, {result.image_index.size} crops: {tr.size} translated "
        f"pairs vs {dr.size} pairs of different images; {result.kernel} kernel, "
        f"{result.matcher} matching.",
        "Median similarity (translated pairs / different images) and AUROC of telling them apart:",
        f"{'layer':<7} {'S':>4} {'C':>4}   {'spatio-semantic':^26}   {'semantic':^26}",
        f"{'':<7} {'':>4} {'':>4}   {'transl':>7} {'differ':>7} {'AUROC':>8}   "
        f"{'transl':>7} {'differ':>7} {'AUROC':>8}",
    ]
    for layer, s in result.stats.items():
        lines.append(
            f"{layer:<7} {int(s['positions']):>4} {int(s['channels']):>4}   "
            f"{s['spatio_semantic_translated_median']:>7.3f} {s['spatio_semantic_different_median']:>7.3f} "
            f"{s['spatio_semantic_auroc']:>8.3f}   "
            f"{s['semantic_translated_median']:>7.3f} {s['semantic_different_median']:>7.3f} "
            f"{s['semantic_auroc']:>8.3f}"
        )
    good = result.separated_layers()
    if result.stats:
        sem = np.mean([s["semantic_auroc"] for s in result.stats.values()])
        spa = np.mean([s["spatio_semantic_auroc"] for s in result.stats.values()])
        lines.append(
            f"In {len(good)} of {len(result.stats)} layers the semantic RSM separates translated "
            f"pairs from different images better than the spatio-semantic RSM "
            f"(mean AUROC {sem:.3f} vs {spa:.3f}; 0.5 = no separation)."
        )
        s0 = result.stats[next(iter(result.stats))]
        lines.append(
            f"First layer: a translated crop scores {s0['semantic_translated_median']:.2f} (semantic) vs "
            f"{s0['spatio_semantic_translated_median']:.2f} (spatio-semantic), different images "
            f"{s0['semantic_different_median']:.2f} vs {s0['spatio_semantic_different_median']:.2f}."
        )
    return "\n".join(lines)


def _figure(result: DemoResult, path: Path) -> Path:
    from . import plot

    layers = list(result.stats)
    fig = plot._new_figure((15.0, 3.3 * len(layers)))
    axes = fig.subplots(len(layers), 4, squeeze=False)
    (ti, tj), (di, dj) = result.groups()
    for row, layer in enumerate(layers):
        S, B = result.semantic[layer], result.spatio_semantic[layer]
        s = result.stats[layer]
        plot.plot_rsm_pair(
            S, B, axes=axes[row, :2],
            titles=(f"{layer}: spatio-semantic RSM", f"{layer}: semantic RSM"),
        )
        # one tick per photograph, at the middle of its block of crops
        names = [Path(result.images[i]).stem for i in np.unique(result.image_index)]
        centres = [float(np.mean(np.flatnonzero(result.image_index == i))) for i in np.unique(result.image_index)]
        for ax in axes[row, :2]:
            ax.set_yticks(centres, labels=names if ax is axes[row, 0] else [], fontsize=6)
            ax.set_xticks([])
        lo = float(min(S[di, dj].min(), B[di, dj].min(), S[ti, tj].min(), B[ti, tj].min()))
        rng = (lo, 1.0)
        for col, (name, M) in ((2, ("spatio-semantic", B)), (3, ("semantic", S))):
            plot.plot_similarity_distributions(
                {"translated pairs": M[ti, tj], "different images": M[di, dj]},
                axes[row, col],
                title=f"{layer}: {name} (AUROC {s[name.replace('-', '_') + '_auroc']:.2f})",
                range=rng,
                bins=25,
                xlabel=f"{result.kernel} similarity",
            )
    fig.suptitle(
        "Translated crops of the same photograph vs crops of different photographs "
        f"({result.kernel} kernel; S = positions per sample)"
    )
    plot.save_figure(fig, path, dpi=80)
    return path


def run_demo(
    out: str | os.PathLike[str] | None = None,
    *,
    quick: bool = False,
    kernel: str = "rbf",
    matcher: str = "hungarian",
    threads: int | None = None,
    seed: int = 0,
    progress: bool = False,
    plots: bool = True,
    echo: Callable[[str], Any] | None = print,
    batch_norm: bool = True,
) -> DemoResult:
    """Run the translation experiment and write its pictures and numbers.

    Parameters
    ----------
    out : str or os.PathLike, optional
        Directory for ``demo.png`` (heatmaps and distributions of every layer),
        ``demo_results.json`` (the numbers) and ``demo_rsms.npz`` (the RSMs). Nothing is
        written when omitted.
    quick : bool, default False
        8 photographs with one translated pair each (16 crops) instead of 16 photographs with
        two pairs each (64 crops).
    kernel : {"rbf", "cosine", "linear"}, default "rbf"
        Kernel of both RSMs. RBF, as in the paper's figure, uses the median heuristic for its
        bandwidth, so the median similarity of different images lands near exp(-1/2) = 0.61.
    matcher : str, default "hungarian"
        Matcher of the semantic RSMs (see :func:`semrsm_native.semantic_rsm`).
    threads : int, optional
        Worker threads (default: all available cores).
    seed : int, default 0
        Seed of the crop positions and of the network's weights.
    progress : bool, default False
        Show progress bars while computing.
    plots : bool, default True
        Write ``demo.png`` (needs matplotlib) when ``out`` is given.
    echo : callable, optional
        Called with each line of the report (``print`` by default; ``None`` for silence).
    batch_norm : bool, default True
        Use the network's batch norm; ``False`` is the ablation discussed in the README.

    Returns
    -------
    DemoResult
        RSMs, statistics and the files written.
    """
    from . import semantic_rsm, spatio_semantic_rsm

    t0 = time.perf_counter()
    images = DEMO_IMAGES[:8] if quick else DEMO_IMAGES
    crops, image_index, pair_index = make_translated_crops(
        images, pairs_per_image=1 if quick else 2, seed=seed
    )
    feats = RandomConvNet(seed=seed, batch_norm=batch_norm)(crops)
    result = DemoResult(tuple(images), kernel, matcher, image_index, pair_index)
    (ti, tj), (di, dj) = result.groups()
    for layer, x in feats.items():
        t = time.perf_counter()
        S = np.asarray(
            semantic_rsm(x, kernel=kernel, matcher=matcher, threads=threads, progress=progress)
        )
        seconds = time.perf_counter() - t
        B = np.asarray(spatio_semantic_rsm(x, kernel=kernel))
        result.semantic[layer], result.spatio_semantic[layer] = S, B
        st: dict[str, float] = {
            "positions": float(x.shape[2] * x.shape[3]),
            "channels": float(x.shape[1]),
            "seconds": seconds,
        }
        for name, M in (("semantic", S), ("spatio_semantic", B)):
            st[f"{name}_translated_median"] = float(np.median(M[ti, tj]))
            st[f"{name}_different_median"] = float(np.median(M[di, dj]))
            st[f"{name}_auroc"] = auroc(M[ti, tj], M[di, dj])
        result.stats[layer] = st
    result.seconds = time.perf_counter() - t0
    if out is not None:
        d = Path(out)
        d.mkdir(parents=True, exist_ok=True)
        npz = d / "demo_rsms.npz"
        np.savez_compressed(
            npz,
            image_index=image_index,
            pair_index=pair_index,
            **{f"semantic/{k}": v for k, v in result.semantic.items()},
            **{f"spatio_semantic/{k}": v for k, v in result.spatio_semantic.items()},
        )
        js = d / "demo_results.json"
        js.write_text(
            json.dumps(
                {
                    "images": list(images),
                    "kernel": kernel,
                    "matcher": matcher,
                    "quick": quick,
                    "seed": seed,
                    "layers": result.stats,
                    "separated_layers": result.separated_layers(),
                },
                indent=2,
            )
        )
        result.files += [npz, js]
        if plots:
            result.files.append(_figure(result, d / "demo.png"))
    if echo is not None:
        _report(echo, format_summary(result), result.files, result.seconds)
    return result


def _report(echo: Callable[[str], Any], text: str, files: list, seconds: float) -> None:
    """A demo's last words: its report line by line, the files it wrote and its time
    (shared with the retrieval demo)."""
    for line in text.splitlines():
        echo(line)
    if files:
        echo("Wrote " + ", ".join(str(f) for f in files))
    echo(f"Done in {seconds:.1f} s.")
