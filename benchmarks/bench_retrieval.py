"""Exact top-k retrieval: semantic_topk against the exact queries x database RSM + sorting.

Both give the same answer (checked here, indices and values bit for bit); the question is how
much of the exact work the certified intervals save. Features: windows of S = side^2
positions of the demo network's ``conv2`` maps (64 channels, batch norm + ReLU) of the
bundled photographs, cut at random places (the same realistic, hard cost family as
``matcher_bench.builtin_activations``, without running the network once per crop).
Queries are windows too, so each has near neighbours in other windows of its photograph.

Run: ``python benchmarks/bench_retrieval.py [--queries 64 --database 4096 --side 14 -k 10]``;
``--quick`` runs a small configuration. Writes ``benchmarks/results/retrieval{suffix}.md``
and ``.json``. Set ``SEMRSM_SIMD=avx2`` to measure the AVX2 path.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

import semrsm_native
from semrsm_native import semantic_rsm, semantic_topk
from semrsm_native._features import DEMO_IMAGES, RandomConvNet, load_image

from bench_lap import machine  # the same machine record as the LAP benchmark (benchmarks/ on sys.path)

RESULTS = Path(__file__).resolve().parent / "results"


def photo_windows(n: int, side: int, seed: int = 0) -> np.ndarray:
    """n windows of side x side positions from the conv2 maps of the demo photographs."""
    net = RandomConvNet(seed=seed)
    maps = []
    for name in DEMO_IMAGES:
        img = load_image(name, short_side=8 * (side + 24))
        maps.append(net(img[None].transpose(0, 3, 1, 2), layers=["conv2"])["conv2"][0])
    rng = np.random.default_rng(seed)
    out = np.empty((n, maps[0].shape[0], side, side), np.float32)
    for k in range(n):
        m = maps[int(rng.integers(len(maps)))]
        y0 = int(rng.integers(0, m.shape[1] - side + 1))
        x0 = int(rng.integers(0, m.shape[2] - side + 1))
        out[k] = m[:, y0 : y0 + side, x0 : x0 + side]
    return out


def brute_force(q, db, k, threads):
    full = semantic_rsm(q, db, kernel="cosine", threads=threads)
    cols = np.arange(full.shape[1])
    idx = np.array([np.lexsort((cols, -row))[:k] for row in full])
    return idx, np.take_along_axis(full, idx, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=64)
    ap.add_argument("--database", type=int, default=4096)
    ap.add_argument("--side", type=int, default=14, help="S = side^2 positions")
    ap.add_argument("-k", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=1, help="round-robin repetitions (medians)")
    ap.add_argument("--quick", action="store_true", help="16 queries, 512 samples")
    ap.add_argument("--suffix", default="", help="appended to the result file names")
    args = ap.parse_args()
    if args.quick:
        args.queries, args.database = 16, 512
    t0 = time.perf_counter()
    feats = photo_windows(args.queries + args.database, args.side)
    q, db = feats[: args.queries], feats[args.queries :]
    print(f"features {feats.shape} in {time.perf_counter() - t0:.1f} s")
    m = machine()

    times = {"exact RSM + sort": [], "semantic_topk": []}
    stats = None
    for _ in range(args.repeats):
        t = time.perf_counter()
        want = brute_force(q, db, args.k, args.threads)
        times["exact RSM + sort"].append(time.perf_counter() - t)
        t = time.perf_counter()
        idx, sim, stats = semantic_topk(q, db, args.k, threads=args.threads, return_stats=True)
        times["semantic_topk"].append(time.perf_counter() - t)
        if not (np.array_equal(idx, want[0]) and np.array_equal(sim, want[1])):
            raise SystemExit("semantic_topk differs from the sorted exact RSM")
    med = {name: statistics.median(v) for name, v in times.items()}
    speedup = med["exact RSM + sort"] / med["semantic_topk"]
    pairs = stats["pairs"]
    result = {
        "config": vars(args) | {"S": args.side**2, "C": int(q.shape[1])},
        "machine": m | {"loadavg_end": os.getloadavg()},
        "times_s": times,
        "median_s": med,
        "speedup": speedup,
        "stats": stats,
        "fraction_exact": stats["exact"] / pairs,
        "identical": True,
    }
    lines = [
        f"# Exact top-k retrieval (Q={args.queries}, D={args.database}, S={args.side**2}, "
        f"C={q.shape[1]}, k={args.k}, cosine, {args.threads} threads)",
        "",
        f"{m['cpu']}, SIMD path {m['build_info']['simd']}, semrsm_native {semrsm_native.__version__}; "
        "load average at start "
        f"{m['loadavg_start'][0]:.2f}, at end {os.getloadavg()[0]:.2f}; medians of "
        f"{args.repeats} round-robin run(s). Features: windows of the demo network's conv2 maps "
        "of the bundled photographs.",
        "",
        "| method | time (s) | pairs solved exactly |",
        "|---|---|---|",
        f"| exact RSM (`semantic_rsm`) + sort | {med['exact RSM + sort']:.2f} | {pairs} (100%) |",
        f"| `semantic_topk` | {med['semantic_topk']:.2f} | {stats['exact']} "
        f"({100 * stats['exact'] / pairs:.2f}%) |",
        "",
        f"Speed-up {speedup:.2f}x; identical indices and similarities (bit for bit).",
        "",
        f"Pairs per stage: threshold (solved exactly): {stats.get('threshold', 0)}, " + ", ".join(
            f"screen to eps={s['eps']:g}: {s['pairs']} ({100 * s['pairs'] / pairs:.1f}%"
            + (f", {s['phases'] / max(s['pairs'], 1):.2f} auction phases per pair)" if "phases" in s else ")")
            for s in stats["stages"]) + f", exact in all: {stats['exact']} ({stats['rounds']} "
        "rounds after the screen).",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"retrieval{args.suffix}.md").write_text("\n".join(lines) + "\n")
    (RESULTS / f"retrieval{args.suffix}.json").write_text(json.dumps(result, indent=1, default=float))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
