#!/usr/bin/env python
"""Where the time of an exact semantic RSM goes: cost GEMM or assignment, ours and the
composite pipeline (NumPy batched matmul + lapx.lapjvh_batch), one run.

Issue 8's target at N=200, S=49, C=512 (gamma family, 2 threads) compares the whole RSMs;
this script splits both into their two parts, timed round-robin (every part once per round)
on the same i < j pairs:

- ours, whole: `semantic_rsm(x, kernel="linear", threads=T)` (GEMM, solve, sums in one pass).
- ours, assignment only: `linear_sum_assignment_batch(costs, maximize=True, threads=T)` on
  the pairs' precomputed float32 costs (the solver the engine calls, same problems).
- ours, rest = whole - assignment: packing, cost GEMM and direct sums.
- composite (1 thread), GEMM: `np.matmul` of the pairs in chunks of 256 (BLAS limited to one
  thread), negated (lapx minimises); composite, assignment: `lap.lapjvh_batch(costs, n_threads=1)`.

Run once per SIMD path (the path is chosen when the library loads):

    python benchmarks/bench_rsm_breakdown.py
    SEMRSM_SIMD=avx2 python benchmarks/bench_rsm_breakdown.py --suffix _avx2

Writes benchmarks/results/rsm_breakdown<suffix>.{md,json}.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import families  # noqa: E402
from hostinfo import cpu_model  # noqa: E402

CHUNK = 256  # composite_rsm's chunk in bench_rsm.py


def pair_costs(x: np.ndarray, I: np.ndarray, J: np.ndarray) -> np.ndarray:
    return np.concatenate([np.matmul(x[I[s:s + CHUNK]], x[J[s:s + CHUNK]].transpose(0, 2, 1))
                           for s in range(0, len(I), CHUNK)])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--s", type=int, default=49)
    ap.add_argument("--c", type=int, default=512)
    ap.add_argument("--family", default="gamma", choices=sorted(families.MAKERS))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--suffix", default="")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    args = ap.parse_args(argv)

    import lap
    from threadpoolctl import threadpool_limits

    import semrsm_native as sn

    load0 = os.getloadavg()
    x = families.MAKERS[args.family](np.random.default_rng(49), args.n, args.s, args.c)  # (N, S, C)
    I, J = np.triu_indices(args.n, 1)
    costs = pair_costs(x, I, J)  # float32 (P, S, S)
    neg = np.negative(costs)

    # The parts solve the same problems: the objectives agree with the RSM's entries.
    lin = sn.semantic_rsm(x, kernel="linear", threads=2)
    _, obj = sn.linear_sum_assignment_batch(costs, maximize=True, threads=2)
    totals, _, _ = lap.lapjvh_batch(neg, n_threads=1)
    np.testing.assert_allclose(obj, lin[I, J], rtol=1e-5)
    np.testing.assert_allclose(-np.asarray(totals), lin[I, J], rtol=1e-5)

    def composite_gemm(t):
        with threadpool_limits(t):
            for s in range(0, len(I), CHUNK):
                c = np.matmul(x[I[s:s + CHUNK]], x[J[s:s + CHUNK]].transpose(0, 2, 1))
                np.negative(c, out=c)

    # The composite at 2 threads is left to bench_rsm.py: NumPy's batched matmul of these
    # small matrices with 2 BLAS threads on a loaded machine took 40x its 1-thread time
    # (spinning BLAS threads), which would say nothing about where our time goes.
    parts = {}
    for t in (1, 2):
        parts[f"ours whole|{t}"] = lambda t=t: sn.semantic_rsm(x, kernel="linear", threads=t)
        parts[f"ours assignment|{t}"] = lambda t=t: sn.linear_sum_assignment_batch(costs, maximize=True, threads=t)
    parts["composite GEMM|1"] = lambda: composite_gemm(1)
    parts["composite assignment|1"] = lambda: lap.lapjvh_batch(neg, n_threads=1)
    for f in parts.values():
        f()  # warm-up
    times = {k: [] for k in parts}
    for _ in range(args.rounds):
        for k, f in parts.items():
            t0 = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    load1 = os.getloadavg()
    simd = sn.build_info()["simd"]

    rows = []
    nan = float("nan")
    for t in (1, 2):
        whole, assign = med[f"ours whole|{t}"], med[f"ours assignment|{t}"]
        cg, ca = med.get(f"composite GEMM|{t}", nan), med.get(f"composite assignment|{t}", nan)
        rows.append(dict(threads=t, ours_whole=whole, ours_assignment=assign, ours_rest=whole - assign,
                         composite_gemm=cg, composite_assignment=ca, composite_whole=cg + ca,
                         ratio=(cg + ca) / whole))
    cpu = cpu_model()
    P = len(I)
    L = ["# Where an exact semantic RSM's time goes: cost GEMM vs assignment", "",
         f"{cpu}, {len(os.sched_getaffinity(0))} cores available; SIMD path {simd}; load average at start "
         f"{load0[0]:.2f}, at end {load1[0]:.2f}; "
         f"{datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='minutes')}.",
         f"{args.family} family, N={args.n} ({P} pairs i < j), S={args.s}, C={args.c}, float32, linear kernel. "
         f"Median of {args.rounds} round-robin rounds after a warm-up, seconds for all pairs "
         "(ours' rest = whole - assignment: packing, GEMM, direct sums).", "",
         "| threads | ours whole | ours assignment | ours rest (GEMM...) | composite GEMM | composite assignment "
         "| composite whole | composite / ours |",
         "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        L.append(f"| {r['threads']} | {r['ours_whole']:.3f} | {r['ours_assignment']:.3f} | {r['ours_rest']:.3f} | "
                 f"{r['composite_gemm']:.3f} | {r['composite_assignment']:.3f} | {r['composite_whole']:.3f} | "
                 f"{r['ratio']:.2f}x |")
    L += ["", "Per pair (microseconds):", "", "| threads | ours assignment | ours rest | lapx assignment | NumPy GEMM |",
          "|---|---:|---:|---:|---:|"]
    for r in rows:
        L.append(f"| {r['threads']} | {r['ours_assignment'] / P * 1e6:.1f} | {r['ours_rest'] / P * 1e6:.1f} | "
                 f"{r['composite_assignment'] / P * 1e6:.1f} | {r['composite_gemm'] / P * 1e6:.1f} |")
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"rsm_breakdown{args.suffix}"
    (args.out / f"{stem}.md").write_text("\n".join(L) + "\n")
    (args.out / f"{stem}.json").write_text(json.dumps(dict(
        simd=simd, N=args.n, S=args.s, C=args.c, family=args.family, pairs=P, rounds=args.rounds,
        loadavg_start=load0, loadavg_end=load1, rows=rows, all_seconds=times), indent=1) + "\n")
    print("\n".join(L))
    return 0


if __name__ == "__main__":
    sys.exit(main())
