#!/usr/bin/env python
"""Per-call Python overhead of the public entry points, A/B between two builds in one run.

What the argument checks and routing cost (issue 12, "validate once, route once") is only
visible on calls whose native work is tiny, so every case here is a minimal problem: the
time is the wrapper's. Each build runs in its own interpreter (e.g. a wrapper script that
sets PYTHONPATH to the old package); the builds are timed round-robin, alternating which
goes first, so both see the same machine load. Medians of per-call microseconds.

    python benchmarks/bench_call_overhead.py --a /old/bin/python --b /new/bin/python

With --peers it instead times one build's single-solve entry point against the peers' on
minimal problems (2 x 2 and 8 x 8, float32 and float64; the solve itself is a few hundred
nanoseconds there, so the time is the call): semrsm_native.linear_sum_assignment, the native
call under it (`_core.lap_solve_exact`, the floor a Python wrapper can reach),
linear_sum_assignment_batch on a stack of one, lapx's lapjvr / lapjvh / lapjvs, lapjv and
scipy. Writes results/call_overhead_peers.{md,json}.

    python benchmarks/bench_call_overhead.py --peers
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

CASES = {
    "semantic_rsm 3x(2,1,1)": "sn.semantic_rsm(x, threads=1)",
    "semantic_rsm 3 kernels": "sn.semantic_rsm(x, kernel=['linear', 'cosine', 'rbf'], threads=1)",
    "spatio_semantic_rsm": "sn.spatio_semantic_rsm(x, threads=1)",
    "semantic_rsm_block": "sn.semantic_rsm_block(x, rows=slice(0, 1), cols=slice(1, 3), threads=1)",
    "lap batch 1x2x2": "sn.linear_sum_assignment_batch(c, threads=1)",
    "lap batch auction": "sn.linear_sum_assignment_batch(c, method='auction', threads=1, eps_final=1e-3)",
    "bad kernel (error path)": "err(lambda: sn.semantic_rsm(x, kernel='poly'))",
}


def worker() -> None:
    import timeit

    import numpy as np

    import semrsm_native as sn

    x = np.random.default_rng(0).random((3, 2, 1, 1)).astype(np.float32)
    c = np.random.default_rng(1).random((1, 2, 2))

    def err(f):
        try:
            f()
        except ValueError:
            pass

    env = {"sn": sn, "x": x, "c": c, "err": err}
    for line in sys.stdin:
        name = line.strip()
        t = timeit.Timer(CASES[name], globals=env)
        n, _ = t.autorange()
        best = min(t.repeat(repeat=3, number=n)) / n
        print(json.dumps({"case": name, "us": best * 1e6}), flush=True)


PEER_CASES = {
    "semrsm linear_sum_assignment": "sn.linear_sum_assignment(a, maximize=True)",
    "semrsm _core.lap_solve_exact (native floor)": "core.lap_solve_exact(a, True)",
    "semrsm linear_sum_assignment_batch (B=1)": "sn.linear_sum_assignment_batch(a3, maximize=True, threads=1)",
    "lapx.lapjvr": "lap.lapjvr(c, return_cost=False)",
    "lapx.lapjvh": "lap.lapjvh(c, return_cost=False)",
    "lapx.lapjvs": "lap.lapjvs(c, return_cost=False)",
    "lapjv.lapjv": "lapjv.lapjv(c)",
    "scipy linear_sum_assignment": "scipy_lsa(c)",
}


def peers(rounds: int) -> int:
    """Per-call microseconds of the single-solve entry points on minimal problems."""
    import timeit

    import lap
    import lapjv
    import numpy as np
    from scipy.optimize import linear_sum_assignment as scipy_lsa

    import semrsm_native as sn
    from semrsm_native import _core

    shapes = [(2, np.float32), (2, np.float64), (8, np.float32), (8, np.float64)]
    times = {(n, np.dtype(dt).name, k): [] for n, dt in shapes for k in PEER_CASES}
    envs = {}
    for n, dt in shapes:
        a = np.random.default_rng(n).random((n, n)).astype(dt)
        envs[n, np.dtype(dt).name] = {"sn": sn, "core": _core, "lap": lap, "lapjv": lapjv, "scipy_lsa": scipy_lsa,
                                      "a": a, "a3": a[None], "c": np.ascontiguousarray(-a)}
    for _ in range(rounds):  # round-robin: every case once per round
        for (n, dt, k) in times:
            t = timeit.Timer(PEER_CASES[k], globals=envs[n, dt])
            num, _ = t.autorange()
            times[n, dt, k].append(min(t.repeat(repeat=3, number=num)) / num * 1e6)
    load = os.getloadavg()
    rows = [{"n": n, "dtype": dt, "case": k, "us": statistics.median(v)} for (n, dt, k), v in times.items()]
    md = ["# Per-call overhead of single solves: semrsm_native against the peers", "",
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; SIMD {sn.build_info()['simd']}; "
          f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}; "
          f"{datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='minutes')}.",
          f"Median over {rounds} round-robin rounds of the best of 3 timeit repeats; microseconds per call "
          "(random uniform costs; peers get the negated matrix, ours maximize=True).", "",
          "| case | " + " | ".join(f"{n}x{n} {dt}" for n, dt in [(n, np.dtype(d).name) for n, d in shapes]) + " |",
          "|---|" + "---:|" * len(shapes)]
    for k in PEER_CASES:
        md.append(f"| {k} | " + " | ".join(f"{r['us']:.2f}" for r in rows if r["case"] == k) + " |")
    out = RESULTS / "call_overhead_peers.md"
    out.write_text("\n".join(md) + "\n")
    out.with_suffix(".json").write_text(json.dumps({"load_average": load, "rows": rows}, indent=1) + "\n")
    print("\n".join(md))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--peers", action="store_true", help="one build's single solves against the peers")
    ap.add_argument("--a", help="interpreter of build A (the baseline)")
    ap.add_argument("--b", help="interpreter of build B (the change)")
    ap.add_argument("--label-a", default="before")
    ap.add_argument("--label-b", default="after")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--out", type=Path, default=RESULTS / "call_overhead.md")
    args = ap.parse_args()
    if args.worker:
        worker()
        return 0
    if args.peers:
        return peers(args.rounds)
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    procs = {
        k: subprocess.Popen([py, __file__, "--worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env=env, cwd="/")
        for k, py in (("a", args.a), ("b", args.b))
    }
    times: dict[str, dict[str, list[float]]] = {k: {c: [] for c in CASES} for k in procs}
    for r in range(args.rounds):
        order = ("a", "b") if r % 2 == 0 else ("b", "a")
        for case in CASES:
            for k in order:
                procs[k].stdin.write(case + "\n")
                procs[k].stdin.flush()
                times[k][case].append(json.loads(procs[k].stdout.readline())["us"])
    for p in procs.values():
        p.stdin.close()
        p.wait()
    load = os.getloadavg()
    rows = []
    for case in CASES:
        a, b = statistics.median(times["a"][case]), statistics.median(times["b"][case])
        rows.append({"case": case, "a_us": a, "b_us": b, "ratio": b / a})
    meta = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "load_average": load,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="minutes"),
        "rounds": args.rounds,
        "labels": [args.label_a, args.label_b],
    }
    md = [
        f"# Per-call overhead: {args.label_a} vs {args.label_b}",
        "",
        f"{meta['machine']}; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}; {meta['date']}.",
        f"Median over {args.rounds} round-robin rounds of the best of 3 timeit repeats; microseconds per call.",
        "",
        f"| case | {args.label_a} us | {args.label_b} us | ratio |",
        "|---|---:|---:|---:|",
    ]
    md += [f"| `{r['case']}` | {r['a_us']:.2f} | {r['b_us']:.2f} | {r['ratio']:.3f} |" for r in rows]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(md) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
