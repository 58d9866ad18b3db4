"""Certified intervals of semantic_rsm(..., return_bounds=True) on the hard cost families.

For each family of benchmarks/families.py (gamma, photo, tokens; relu as the easy reference)
and each approximate matcher (greedy, batch_optimal, the auction at its default epsilon and
at a coarse 1e-2), one cross RSM of N x M samples (linear kernel) with bounds, against the
exact RSM of the same samples:

* relative width of each entry's interval, (upper - lower) / exact: median and 90th
  percentile (the same for the cosine kernel, which divides all three by the same norms);
* where the width comes from: the matcher's own shortfall (exact - lower) / exact and the
  dual bound's overshoot (upper - exact) / exact, medians;
* time with bounds, without bounds, and of the exact matcher (medians of round-robin runs).

Every interval is checked to contain the exact entry (the run fails otherwise).

Run: ``python benchmarks/bench_bounds.py [--sizes 49 196 --n 8 --m 8 --repeats 3]``;
``--quick`` runs S = 49 only. Writes ``benchmarks/results/bounds{suffix}.md`` and ``.json``.
Set ``SEMRSM_SIMD=avx2`` to measure the AVX2 path.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

import families
import semrsm_native
from semrsm_native import semantic_rsm

from bench_lap import machine  # the same machine record as the LAP benchmark (benchmarks/ on sys.path)

RESULTS = Path(__file__).resolve().parent / "results"
FAMILIES = ("gamma", "photo", "tokens", "relu")


def matchers(s: int):
    """The approximate matchers and their options at S = s: Batch-Optimal with the paper's
    window 128 where it cuts the positions (S >= 196), S / 4 below."""
    return (
        ("greedy", {}),
        ("batch_optimal", {"window": 128 if s >= 196 else max(1, s // 4)}),
        ("auction", {}),
        ("auction", {"eps": 1e-2}),
    )


def label(matcher: str, opts: dict) -> str:
    extra = ", ".join(f"{k}={v:g}" for k, v in opts.items())
    return f"{matcher} ({extra})" if extra else matcher


def pct(v: float) -> str:
    """A relative width as a percentage, or in scientific notation when far below 0.01%."""
    return f"{v:.2%}" if v >= 1e-4 or v == 0 else f"{v:.1e}"


def timed(fn, repeats: int):
    out, times = None, []
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[49, 196])
    ap.add_argument("--n", type=int, default=8, help="x samples")
    ap.add_argument("--m", type=int, default=8, help="y samples")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="S = 49 only, 1 repeat")
    ap.add_argument("--suffix", default="")
    ap.add_argument("--report", type=Path, help="only rewrite the .md of this .json")
    args = ap.parse_args()
    if args.report is not None:
        run = json.loads(args.report.read_text())
        report(args.report.with_suffix(""), argparse.Namespace(**run["args"]), run["machine"],
               run["rows"])
        return
    if args.quick:
        args.sizes, args.repeats = [49], 1
    m = machine()
    rows = []
    for s in args.sizes:
        for fam in FAMILIES:
            rng = np.random.default_rng(s)
            x, y = families.features(fam, rng, args.n, s), families.features(fam, rng, args.m, s)
            run = dict(kernel="linear", layout="ntd", threads=args.threads)
            exact, t_exact = timed(lambda: semantic_rsm(x, y, matcher="hungarian", **run), args.repeats)
            for matcher, opts in matchers(s):
                plain, t_plain = timed(lambda: semantic_rsm(x, y, matcher=matcher, **opts, **run),
                                       args.repeats)
                (value, b), t_bounds = timed(
                    lambda: semantic_rsm(x, y, matcher=matcher, return_bounds=True, **opts, **run),
                    args.repeats)
                assert np.array_equal(plain, value)
                inside = (b.lower <= exact) & (exact <= b.upper)
                assert inside.all(), f"{fam} S={s} {matcher}: interval misses the exact value"
                scale = np.abs(exact)
                width = (b.upper - b.lower) / scale
                row = {
                    "S": s, "family": fam, "matcher": label(matcher, opts),
                    "width_median": float(np.median(width)),
                    "width_p90": float(np.percentile(width, 90)),
                    "below_median": float(np.median((exact - b.lower) / scale)),
                    "above_median": float(np.median((b.upper - exact) / scale)),
                    "t_bounds": t_bounds, "t_plain": t_plain, "t_exact": t_exact,
                }
                rows.append(row)
                print(f"S={s} {fam:7s} {row['matcher']:24s} width median {row['width_median']:.4f} "
                      f"p90 {row['width_p90']:.4f}  t {t_bounds:.3f}s (plain {t_plain:.3f}, "
                      f"exact {t_exact:.3f})", flush=True)
    m["loadavg_end"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"bounds{args.suffix}"
    stem.with_suffix(".json").write_text(json.dumps({"args": vars(args), "machine": m, "rows": rows},
                                                    indent=1))
    report(stem, args, m, rows)


def report(stem: Path, args, m: dict, rows: list) -> None:
    """Writes ``stem``.md from a run's arguments, machine record and rows."""
    bi = m["build_info"]
    lines = [
        f"# Certified intervals of `semantic_rsm(..., return_bounds=True)` "
        f"({args.n} x {args.m} samples per RSM, linear kernel, {args.threads} thread(s))",
        "",
        f"{m['cpu']}, SIMD path {bi['simd']}, semrsm_native {semrsm_native.__version__}; load average at start {m['loadavg_start'][0]:.2f}, "
        f"at end {m['loadavg_end'][0]:.2f}; medians of {args.repeats} round-robin run(s). "
        "Features: benchmarks/families.py (C = 512 at S <= 196, photo: 64 channels).",
        "",
        "Width: (upper - lower) / exact per entry; below: (exact - lower) / exact (the "
        "matcher's shortfall); above: (upper - exact) / exact (the dual bound's overshoot). "
        "Every interval contains the exact entry. Times: the whole RSM with bounds, without, "
        "and the exact matcher's (`hungarian`).",
        "",
        "| S | family | matcher | width median | width p90 | below median | above median "
        "| time with bounds (s) | without (s) | exact (s) | with bounds / exact |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['S']} | {r['family']} | {r['matcher']} | {pct(r['width_median'])} | "
            f"{pct(r['width_p90'])} | {pct(r['below_median'])} | {pct(r['above_median'])} | "
            f"{r['t_bounds']:.3f} | {r['t_plain']:.3f} | {r['t_exact']:.3f} | "
            f"{r['t_bounds'] / r['t_exact']:.2f} |"
        )
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print(f"wrote {stem}.md")


if __name__ == "__main__":
    main()
