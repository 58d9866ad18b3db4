"""The retrieval demo: find a photograph's translated crop in a database of crops, after the
paper's retrieval experiment (Wald et al., NeurIPS 2024, Figures 3-4, on EgoObjects).

Each bundled photograph gives one query crop; the database holds a translated crop of every
query's photograph (the target: the same content, moved) and further crops of all
photographs at other places (distractors). A similarity that ignores where things appear
should rank the target first; the spatio-semantic similarity (positions compared in place)
is hurt by the translation. The semantic neighbours come from :func:`semantic_topk`, which
returns exactly the top of the exact semantic RSM.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ._features import DEMO_IMAGES, RandomConvNet, load_image
from .demo import _DIRECTIONS  # the eight directions a translated crop moves in
from .demo import _report

__all__ = ["RetrievalResult", "make_retrieval_set", "run_retrieval_demo"]


def make_retrieval_set(
    images=DEMO_IMAGES,
    *,
    crop: int = 64,
    shift: int = 16,
    distractors_per_image: int = 3,
    short_side: int = 128,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Query crops, a database of crops, and which database entry is each query's target.

    Parameters
    ----------
    images : sequence of str
        Photographs bundled with scikit-image (see ``semrsm_native._features.DEMO_IMAGES``).
    crop : int
        Side of the square crops in pixels.
    shift : int
        Translation of the target against its query, in pixels along each moved axis (one of
        eight directions per photograph, chosen with ``seed``).
    distractors_per_image : int
        Further crops of each photograph at random places in the database (>= 0).
    short_side : int
        Each photograph is first resized so that its shorter side has this length.
    seed : int
        Seed of the crop positions and directions.

    Returns
    -------
    queries : numpy.ndarray
        (P, 3, crop, crop) RGB in [0, 1], one per photograph.
    database : numpy.ndarray
        (P * (1 + distractors_per_image), 3, crop, crop).
    target : numpy.ndarray
        (P,) index into ``database`` of each query's translated crop.
    database_image : numpy.ndarray
        Photograph index of each database crop.
    """
    if crop + shift > short_side:
        raise ValueError(f"make_retrieval_set: crop + shift ({crop} + {shift}) exceeds short_side {short_side}")
    if distractors_per_image < 0:
        raise ValueError(f"make_retrieval_set: distractors_per_image must be >= 0, got {distractors_per_image}")
    rng = np.random.default_rng(seed)
    queries, database, target, database_image = [], [], [], []
    for i, name in enumerate(images):
        img = load_image(name, short_side=short_side)
        h, w = img.shape[:2]
        dy, dx = (shift * d for d in _DIRECTIONS[int(rng.integers(len(_DIRECTIONS)))])
        y0 = int(rng.integers(max(0, -dy), h - crop - max(0, dy) + 1))
        x0 = int(rng.integers(max(0, -dx), w - crop - max(0, dx) + 1))
        queries.append(img[y0 : y0 + crop, x0 : x0 + crop])
        target.append(len(database))
        database.append(img[y0 + dy : y0 + dy + crop, x0 + dx : x0 + dx + crop])
        database_image.append(i)
        for _ in range(distractors_per_image):
            yy = int(rng.integers(0, h - crop + 1))
            xx = int(rng.integers(0, w - crop + 1))
            database.append(img[yy : yy + crop, xx : xx + crop])
            database_image.append(i)
    # Shuffle the database so that a target's index says nothing about its query.
    order = rng.permutation(len(database))
    where = np.empty_like(order)
    where[order] = np.arange(len(order))
    db = np.stack(database)[order]
    return (
        np.stack(queries).transpose(0, 3, 1, 2).copy(),
        db.transpose(0, 3, 1, 2).copy(),
        where[np.asarray(target)],
        np.asarray(database_image)[order],
    )


def _recall(indices: np.ndarray, target: np.ndarray, k: int) -> float:
    return float(np.mean([t in row[:k] for row, t in zip(indices, target)]))


def _spatio_semantic_topk(q: np.ndarray, db: np.ndarray, k: int, kernel: str) -> np.ndarray:
    from . import spatio_semantic_rsm

    full = np.asarray(spatio_semantic_rsm(q, db, kernel=kernel))
    cols = np.arange(full.shape[1])
    return np.array([np.lexsort((cols, -row))[:k] for row in full])


@dataclass
class RetrievalResult:
    """Neighbours and recalls of the retrieval demo."""

    images: tuple[str, ...]
    kernel: str
    target: np.ndarray
    queries: np.ndarray = field(repr=False)
    database: np.ndarray = field(repr=False)
    neighbours: dict[str, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)
    recall: dict[str, dict[str, float]] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    files: list[Path] = field(default_factory=list)


def format_retrieval(result: RetrievalResult) -> str:
    """The recall table of a :class:`RetrievalResult` as text."""
    lines = [
        f"{len(result.images)} query crops against {len(result.database)} database crops "
        f"({result.kernel} kernel); target: the query's translated crop.",
        f"{'layer':<8} {'semantic R@1':>13} {'R@5':>6}   {'spatio-semantic R@1':>20} {'R@5':>6}   exact pairs",
    ]
    for layer, r in result.recall.items():
        st = result.stats[layer]
        lines.append(
            f"{layer:<8} {r['semantic@1']:>13.2f} {r['semantic@5']:>6.2f}   "
            f"{r['spatio_semantic@1']:>20.2f} {r['spatio_semantic@5']:>6.2f}   "
            f"{st['exact']}/{st['pairs']}"
        )
    return "\n".join(lines)


def _figure(result: RetrievalResult, layer: str, path: Path, rows: int = 4) -> Path:
    from . import plot

    rows = min(rows, len(result.images))
    fig = plot._new_figure((11.0, 1.6 * rows + 0.6))
    axes = fig.subplots(rows, 7, squeeze=False)
    # The queries where the two similarities disagree most about the target come first.
    sem, spa = result.neighbours[layer]["semantic"], result.neighbours[layer]["spatio_semantic"]
    rank = lambda nb, q: int(np.flatnonzero(nb[q] == result.target[q])[0]) if result.target[q] in nb[q] else nb.shape[1]
    order = sorted(range(len(result.images)), key=lambda q: rank(sem, q) - rank(spa, q))[:rows]
    for r, q in enumerate(order):
        panels = [("query", result.queries[q], False)]
        panels += [(f"spatio-sem. #{i + 1}", result.database[j], j == result.target[q]) for i, j in enumerate(spa[q, :3])]
        panels += [(f"semantic #{i + 1}", result.database[j], j == result.target[q]) for i, j in enumerate(sem[q, :3])]
        for c, (title, img, hit) in enumerate(panels):
            ax = axes[r, c]
            ax.imshow(np.clip(img.transpose(1, 2, 0), 0, 1))
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(title + (" (target)" if hit else ""), fontsize=7, color="green" if hit else "black")
            for side in ax.spines.values():
                side.set_edgecolor("green" if hit else "black")
                side.set_linewidth(3 if hit else 0.5)
    fig.suptitle(f"Top 3 of each query ({layer}, {result.kernel}): spatio-semantic vs semantic similarity")
    plot.save_figure(fig, path, dpi=80)
    return path


def run_retrieval_demo(
    out: str | os.PathLike[str] | None = None,
    *,
    quick: bool = False,
    kernel: str = "cosine",
    k: int = 5,
    threads: int | None = None,
    seed: int = 0,
    plots: bool = True,
    echo: Callable[[str], Any] | None = print,
) -> RetrievalResult:
    """Run the retrieval experiment and report recall@1 and @5 per layer.

    Parameters
    ----------
    out : str or os.PathLike, optional
        Directory for ``retrieval.png`` (queries and their top 3 under each similarity, for
        the ``conv2`` layer) and ``retrieval_results.json``. Nothing is written when omitted.
    quick : bool
        8 photographs with one distractor each instead of all photographs with three.
    kernel : {"cosine", "linear"}
        Similarity of both searches (RBF needs a bandwidth from all pairs, which a search
        does not compute).
    k : int
        Neighbours kept per query (>= 5 for recall@5).
    threads : int, optional
        Worker threads (default: all available cores).
    seed : int
        Seed of the crops and of the network's weights.
    plots : bool
        Write ``retrieval.png`` (needs matplotlib) when ``out`` is given.
    echo : callable, optional
        Called with each line of the report (``print`` by default; ``None`` for silence).

    Returns
    -------
    RetrievalResult
    """
    from .topk import semantic_topk

    if kernel not in ("cosine", "linear"):
        raise ValueError(f"run_retrieval_demo: kernel must be 'cosine' or 'linear', got {kernel!r}")
    if k < 5:
        raise ValueError(f"run_retrieval_demo: k must be >= 5 for recall@5, got {k}")
    t0 = time.perf_counter()
    images = DEMO_IMAGES[:8] if quick else DEMO_IMAGES
    queries, database, target, _ = make_retrieval_set(
        images, distractors_per_image=1 if quick else 3, seed=seed)
    k = min(k, len(database))
    net = RandomConvNet(seed=seed)
    # One batch: the network's batch norm must standardise queries and database alike.
    feats = net(np.concatenate([queries, database]))
    nq = len(queries)
    fq = {layer: f[:nq] for layer, f in feats.items()}
    fdb = {layer: f[nq:] for layer, f in feats.items()}
    result = RetrievalResult(tuple(images), kernel, target, queries, database)
    for layer in net.layer_names:
        sem, _, stats = semantic_topk(fq[layer], fdb[layer], k, kernel=kernel, threads=threads,
                                      return_stats=True)
        spa = _spatio_semantic_topk(fq[layer], fdb[layer], k, kernel)
        result.neighbours[layer] = {"semantic": sem, "spatio_semantic": spa}
        result.recall[layer] = {
            f"{name}@{r}": _recall(nb, target, r)
            for name, nb in (("semantic", sem), ("spatio_semantic", spa)) for r in (1, 5)
        }
        result.stats[layer] = stats
    result.seconds = time.perf_counter() - t0
    if out is not None:
        d = Path(out)
        d.mkdir(parents=True, exist_ok=True)
        js = d / "retrieval_results.json"
        js.write_text(json.dumps({
            "images": list(images), "kernel": kernel, "quick": quick, "seed": seed,
            "target": target.tolist(), "recall": result.recall, "stats": result.stats,
            "neighbours": {layer: {n: v.tolist() for n, v in nb.items()}
                           for layer, nb in result.neighbours.items()},
        }, indent=2))
        result.files.append(js)
        if plots:
            result.files.append(_figure(result, "conv2", d / "retrieval.png"))
    if echo is not None:
        _report(echo, format_retrieval(result), result.files, result.seconds)
    return result
