"""The matcher benchmark behind ``semrsm bench`` (after the paper's Figure 5).

Each matcher's semantic RSM is timed on the same activations and compared with the exact
(Hungarian) one: speed against the error an approximate matcher makes. The activations are
the user's or realistic ones from the demo network (:func:`builtin_activations`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._features import DEMO_IMAGES, RandomConvNet, load_image
from ._vocabulary import MATCHERS

__all__ = ["BENCH_MATCHERS", "builtin_activations", "run_matcher_benchmark", "format_benchmark"]

#: Matchers compared by :func:`run_matcher_benchmark`; "none" is the identity (no matching).
BENCH_MATCHERS: tuple[str, ...] = MATCHERS + ("none",)  # "none": the spatio-semantic baseline


def builtin_activations(positions: int, n: int = 16, seed: int = 0) -> np.ndarray:
    """Realistic activations with a given number of positions, from the demo's photographs.

    Crops of side ``8 * sqrt(positions)`` pixels from different photographs go through the
    demo network; its ``conv2`` layer (64 channels, batch norm + ReLU, 1/8 of the input size)
    then has ``sqrt(positions)`` x ``sqrt(positions)`` positions.

    Parameters
    ----------
    positions : int
        S, a perfect square (49, 196, 784, ...).
    n : int, default 16
        Number of samples (crops); photographs are reused at other places when n exceeds
        their number.
    seed : int, default 0
        Seed of the crop positions and the network.

    Returns
    -------
    numpy.ndarray
        (n, 64, sqrt(S), sqrt(S)) float32.
    """
    side = int(round(np.sqrt(positions)))
    if side * side != positions or side < 1:
        raise ValueError(f"builtin_activations: positions must be a perfect square (H*W), got {positions}")
    if n < 2:
        raise ValueError(f"builtin_activations: n must be >= 2, got {n}")
    crop = 8 * side
    rng = np.random.default_rng(seed)
    crops = []
    cache: dict[str, np.ndarray] = {}
    for k in range(n):
        name = DEMO_IMAGES[k % len(DEMO_IMAGES)]
        if name not in cache:
            cache[name] = load_image(name, short_side=max(128, crop))
        img = cache[name]
        y0 = int(rng.integers(0, img.shape[0] - crop + 1))
        x0 = int(rng.integers(0, img.shape[1] - crop + 1))
        crops.append(img[y0 : y0 + crop, x0 : x0 + crop])
    x = np.stack(crops).transpose(0, 3, 1, 2)
    return RandomConvNet(seed=seed)(x, layers=["conv2"])["conv2"]


def run_matcher_benchmark(
    activations: dict[str, np.ndarray],
    *,
    matchers: Sequence[str] = BENCH_MATCHERS,
    window: int = 128,
    threads: int | None = None,
    layout: str | None = None,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Compare matchers: fraction of the exact semantic similarity reached, and time per pair.

    For every activation set, the linear-kernel semantic RSM (sum of matched inner products)
    is computed with the exact Hungarian matcher and with each other matcher; for every pair
    i < j whose exact similarity is positive, the ratio approximate / exact is taken
    (1.0 = optimal). ``"none"`` is no matching at all (the spatio-semantic inner product), the
    floor any matcher should beat.

    Parameters
    ----------
    activations : dict of str to numpy.ndarray
        Name to (N, C, H, W) or (N, T, D) activations.
    matchers : sequence of str
        Matchers to compare; ``"hungarian"`` is always computed as the reference.
    window : int, default 128
        Window of ``batch_optimal``.
    threads : int, optional
        Worker threads.
    layout : str, optional
        Layout of the activations (see :func:`semrsm_native.semantic_rsm`).
    progress : bool, default False
        Show progress bars.

    Returns
    -------
    list of dict
        One row per (activation set, matcher): ``name``, ``matcher``, ``samples``,
        ``positions``, ``features``, ``pairs``, ``fraction_median``, ``fraction_mean``,
        ``fraction_min``, ``seconds``, ``ms_per_pair``.
    """
    from . import semantic_rsm, spatio_semantic_rsm

    unknown = [m for m in matchers if m not in BENCH_MATCHERS]
    if unknown:
        raise ValueError(
            f"run_matcher_benchmark: unknown matcher {unknown[0]!r}; choose from {', '.join(BENCH_MATCHERS)}"
        )
    rows: list[dict[str, Any]] = []
    for name, x in activations.items():
        x = np.asarray(x)
        n = x.shape[0]
        if n < 2:
            raise ValueError(f"run_matcher_benchmark: {name!r} has {n} sample(s); need at least 2")
        eff = layout or ("nchw" if x.ndim == 4 else "ntd")
        if eff == "nchw":
            positions, features = x.shape[2] * x.shape[3], x.shape[1]
        elif eff == "nhwc":
            positions, features = x.shape[1] * x.shape[2], x.shape[3]
        else:
            positions, features = x.shape[1], x.shape[2]
        pairs = n * (n - 1) // 2
        iu = np.triu_indices(n, 1)
        # warm-up: thread pool start, first-touch of buffers
        semantic_rsm(x[:2], kernel="linear", matcher="hungarian", layout=layout, threads=threads)
        t = time.perf_counter()
        exact = np.asarray(
            semantic_rsm(x, kernel="linear", matcher="hungarian", layout=layout, threads=threads, progress=progress)
        )
        exact_seconds = time.perf_counter() - t
        ok = exact[iu] > 0
        for m in ["hungarian"] + [m for m in matchers if m != "hungarian"]:
            if m == "hungarian":
                K, seconds = exact, exact_seconds
            else:
                t = time.perf_counter()
                if m == "none":
                    # the flattened inner product does not depend on the layout
                    K = np.asarray(spatio_semantic_rsm(x, kernel="linear"))
                else:
                    K = np.asarray(
                        semantic_rsm(x, kernel="linear", matcher=m, window=window, layout=layout,
                                     threads=threads, progress=progress)
                    )
                seconds = time.perf_counter() - t
            frac = K[iu][ok] / exact[iu][ok]
            rows.append(
                {
                    "name": name,
                    "matcher": m if m != "batch_optimal" else f"batch_optimal(window={window})",
                    "samples": n,
                    "positions": int(positions),
                    "features": int(features),
                    "pairs": pairs,
                    "fraction_median": float(np.median(frac)) if frac.size else float("nan"),
                    "fraction_mean": float(np.mean(frac)) if frac.size else float("nan"),
                    "fraction_min": float(np.min(frac)) if frac.size else float("nan"),
                    "seconds": seconds,
                    "ms_per_pair": 1e3 * seconds / pairs,
                }
            )
    return rows


def format_benchmark(rows: Sequence[dict[str, Any]]) -> str:
    """Render :func:`run_matcher_benchmark`'s rows as a markdown table.

    Parameters
    ----------
    rows : sequence of dict
        The benchmark's rows.

    Returns
    -------
    str
        A markdown table: activations, S, C, matcher, fraction of the exact similarity
        (median, min over pairs) and milliseconds per pair.
    """
    lines = [
        "| activations | S | C | matcher | fraction of exact (median) | worst pair | ms per pair |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['positions']} | {r['features']} | {r['matcher']} | "
            f"{r['fraction_median']:.4f} | {r['fraction_min']:.4f} | {r['ms_per_pair']:.3f} |"
        )
    return "\n".join(lines)
