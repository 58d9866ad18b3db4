"""Candidate first stages of semantic_topk: how much they cost and how many pairs they leave.

semantic_topk certifies an interval for every pair first, then solves exactly the pairs whose
upper bound still reaches their row's k-th best lower bound. This script measures, on the
retrieval benchmark's features (windows of photo-CNN maps, bench_retrieval.py), each
candidate first stage, i.e. one ``semantic_rsm(..., return_bounds=True)`` over all pairs:
its time against the exact RSM's, and the pairs left undecided after it (what the exact
rounds must then at least solve). A first stage can only give the issue's 3x over "exact
RSM + sort" if its time plus the exact solves of the undecided pairs stay below a third of
the exact RSM's time.

Run: ``python benchmarks/bench_topk_stage1.py [--queries 16 --database 512 --side 14 -k 10]``.
Writes ``benchmarks/results/topk_stage1{suffix}.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

import semrsm_native
from semrsm_native import semantic_rsm

from bench_lap import machine
from bench_retrieval import photo_windows

RESULTS = Path(__file__).resolve().parent / "results"
STAGES = (
    ("auction, eps=1e-2 (the default)", dict(matcher="auction", eps=1e-2)),
    ("auction, eps=3e-2", dict(matcher="auction", eps=3e-2)),
    ("greedy + dual bound", dict(matcher="greedy")),
    ("batch_optimal window 32 + dual bound", dict(matcher="batch_optimal", window=32)),
    ("batch_optimal window 64 + dual bound", dict(matcher="batch_optimal", window=64)),
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=16)
    ap.add_argument("--database", type=int, default=512)
    ap.add_argument("--side", type=int, default=14)
    ap.add_argument("-k", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--suffix", default="")
    args = ap.parse_args()
    feats = photo_windows(args.queries + args.database, args.side)
    q, db = feats[: args.queries], feats[args.queries :]
    m = machine()
    opts = dict(kernel="cosine", threads=args.threads)
    t = time.perf_counter()
    exact = semantic_rsm(q, db, **opts)
    t_exact = time.perf_counter() - t
    rows = []
    for name, kw in STAGES:
        t = time.perf_counter()
        _, b = semantic_rsm(q, db, return_bounds=True, **kw, **opts)
        ts = time.perf_counter() - t
        assert ((b.lower <= exact) & (exact <= b.upper)).all(), name
        tau = -np.partition(-b.lower, args.k - 1, axis=1)[:, args.k - 1]
        undecided = int((b.upper >= tau[:, None]).sum())
        rows.append({"stage": name, "time": ts, "undecided": undecided})
        print(f"{name:40s} {ts:.2f} s ({ts / t_exact:.2f} of exact), undecided {undecided}", flush=True)
    m["loadavg_end"] = os.getloadavg()
    stem = RESULTS / f"topk_stage1{args.suffix}"
    stem.with_suffix(".json").write_text(json.dumps(
        {"args": vars(args), "machine": m, "t_exact": t_exact, "rows": rows}, indent=1))
    pairs = exact.size
    lines = [
        f"# First stages of `semantic_topk` (Q={args.queries}, D={args.database}, "
        f"S={args.side ** 2}, C={q.shape[1]}, k={args.k}, cosine, {args.threads} threads)",
        "",
        f"{m['cpu']}, SIMD path {m['build_info']['simd']}, semrsm_native "
        f"{semrsm_native.__version__}; load average at start {m['loadavg_start'][0]:.2f}, at end "
        f"{m['loadavg_end'][0]:.2f}; one run each. The exact RSM took {t_exact:.2f} s.",
        "",
        "| first stage (all pairs, certified) | time (s) | / exact RSM | pairs left undecided |",
        "|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['stage']} | {r['time']:.2f} | {r['time'] / t_exact:.2f} | "
                     f"{r['undecided']} ({r['undecided'] / pairs:.1%}) |")
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print(f"wrote {stem}.md")


if __name__ == "__main__":
    main()
