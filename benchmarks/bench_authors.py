#!/usr/bin/env python
"""The authors' reference code (TaWald/semantic_rsm) against semrsm_native, in one run.

Their code is not part of this repository and is never copied into it: point the script at
a checkout of it (the folder that holds the `srsm` package, i.e. the repository's `src/`),
by argument or environment variable, and install what its modules import (torch, scipy,
lapjv, ortools, tqdm, loguru, seaborn, matplotlib: the `bench-authors` extra of pyproject.toml):

    python benchmarks/bench_authors.py --authors /path/to/semantic_rsm/src
    SEMRSM_AUTHORS_SRC=/path/to/semantic_rsm/src python benchmarks/bench_authors.py --quick

What is timed (issue 8's target: ours at least 10x faster than theirs, same run):
- theirs: `srsm.core.sim_calc.semantic_sim_parallel(x, x, sim_func, matching_func,
  processes=P)` on (N, C, S) activations, with the kernels their `get_or_calculate_RSM`
  picks for an exact matcher (`[inner_product, cosine_sim, own_rbf]`) and both of their
  exact matchers (`hungarian_match`: scipy; `lapjv_match`: lapjv), P = 1 and 2 processes
  (the machine has 2 cores) and P = 24, the default of `semantic_sim_parallel`. BLAS threads
  are left as they come (their configuration).
- ours: `semantic_rsm(x, kernel=["linear", "cosine", "rbf"], threads=T)` on the same
  samples as (N, S, C) tokens, T = 1 and 2, on every SIMD path the machine has (each in
  its own interpreter, `SEMRSM_SIMD` set before the import), after a warm-up.

The one change to their code, made here at run time and nowhere else: with NumPy >= 2,
`_fill_sim_matrix` fails because the per-pair inner-product and cosine values are 1 x 1
arrays (NumPy 2 no longer assigns a size-1 array to a scalar element). The shim
`_float_values` wraps their `_fill_sim_matrix` so that each value is converted with
`float()` before their function runs; nothing else is touched.

Before timing, both RSMs (every kernel) are compared to rounding. Timings are round-robin
medians (every configuration once per round). Writes benchmarks/results/authors.{md,json}.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))
import families  # noqa: E402
from hostinfo import cpu_model  # noqa: E402

OUR_KERNELS = ["linear", "cosine", "rbf"]


# ----------------------------------------------------------------------------- theirs


def load_authors(src: str):
    """Their modules, imported from `src`, with the NumPy >= 2 shim applied."""
    if not (Path(src) / "srsm" / "core" / "sim_calc.py").is_file():
        raise SystemExit(f"bench_authors: no srsm/core/sim_calc.py under {src!r} (pass the checkout's src/)")
    sys.path.insert(0, str(Path(src).resolve()))
    sim_calc = importlib.import_module("srsm.core.sim_calc")
    matching = importlib.import_module("srsm.core.bipartite_matching")
    sim_func = importlib.import_module("srsm.core.sim_func")
    sim_calc._fill_sim_matrix = _float_values(sim_calc._fill_sim_matrix)
    return sim_calc, matching, sim_func


def _float_values(fill):
    """Their _fill_sim_matrix, given plain floats instead of 1 x 1 arrays (NumPy >= 2)."""

    def fill_with_floats(cnts, all_sim_values, *args, **kwargs):
        return fill(cnts, [float(np.asarray(v).reshape(())) for v in all_sim_values], *args, **kwargs)

    return fill_with_floats


def theirs(mods, x_ncs: np.ndarray, matcher: str, processes: int) -> list[np.ndarray]:
    sim_calc, matching, sim_func = mods
    kernels = [sim_func.inner_product, sim_func.cosine_sim, sim_func.own_rbf]
    match = {"hungarian_match": matching.hungarian_match, "lapjv_match": matching.lapjv_match}[matcher]
    return sim_calc.semantic_sim_parallel(x_ncs, x_ncs, kernels, match, processes=processes)


def their_worker(src: str, data: str, matcher: str, processes: int) -> None:
    """One of their RSMs in a fresh interpreter, as a user's script runs it: their pool forks
    the interpreter, and a fork after Torch has run a parallel operation (their RBF part runs
    on Torch) can deadlock, so no interpreter runs theirs twice. Prints the seconds of the
    call (imports excluded) and saves the RSMs."""
    mods = load_authors(src)
    x_ncs = np.ascontiguousarray(np.load(data).transpose(0, 2, 1))  # theirs takes (N, C, H*W)
    t0 = time.perf_counter()
    out = theirs(mods, x_ncs, matcher, processes)
    sec = time.perf_counter() - t0
    np.save(data.replace(".npy", f".theirs_{matcher}.npy"), np.stack(out))
    print(json.dumps({"seconds": sec}), flush=True)


def run_theirs(src: str, data: str, matcher: str, processes: int) -> float:
    out = subprocess.run([sys.executable, __file__, "--authors", src, "--their-worker", data, matcher, str(processes)],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


# ----------------------------------------------------------------------------- ours (workers)


def worker(data: str) -> None:
    """One interpreter per SIMD path: reads thread counts on stdin, answers seconds."""
    import semrsm_native as sn

    x = np.load(data)
    out = sn.semantic_rsm(x, kernel=OUR_KERNELS, threads=2)  # warm-up and the check
    np.save(data.replace(".npy", f".ours_{os.environ.get('SEMRSM_SIMD', 'native')}.npy"), np.stack([out[k] for k in OUR_KERNELS]))
    print(json.dumps({"simd": sn.build_info()["simd"]}), flush=True)
    for line in sys.stdin:
        t = int(line)
        t0 = time.perf_counter()
        sn.semantic_rsm(x, kernel=OUR_KERNELS, threads=t)
        print(json.dumps({"seconds": time.perf_counter() - t0}), flush=True)


def simd_levels() -> list[str]:
    """The widest path and AVX2 when the widest is AVX-512 (the two paths of issue 8)."""
    out = subprocess.run([sys.executable, "-c", "import semrsm_native as s; print(s.build_info()['simd'])"],
                         capture_output=True, text=True, check=True).stdout.split()[-1]
    return [out, "avx2"] if out == "avx512" else [out]


# ----------------------------------------------------------------------------- report


def machine() -> dict:
    from importlib import metadata

    cpu = cpu_model()

    v = {}
    for dist in ("numpy", "scipy", "lapjv", "torch", "semrsm-native"):
        try:
            v[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return {"cpu": cpu, "cores_available": len(os.sched_getaffinity(0)), "platform": platform.platform(),
            "python": platform.python_version(), "versions": v, "loadavg_start": os.getloadavg()}


def write(res: dict, stem: str) -> None:
    m = res["machine"]
    rows = res["rows"]
    L = ["# The authors' reference code against semrsm_native", "",
         f"{m['cpu']}, {m['cores_available']} cores available; Python {m['python']}, "
         + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
         + f"; authors' code: TaWald/semantic_rsm at {res['authors_commit']}.",
         f"Load average at start {m['loadavg_start'][0]:.2f}, at end {res['loadavg_end'][0]:.2f}; "
         f"{res['date']}.",
         *([f"**Measured under load** (the load average exceeded the {m['cores_available']} cores: other jobs "
            "shared the machine): absolute times are inflated; the configurations were timed round-robin, "
            "so the ratios are the comparison."]
           if max(m["loadavg_start"][0], res["loadavg_end"][0]) > m["cores_available"] else []),
         "",
         f"Exact semantic RSM of N={res['N']} samples against themselves, {res['family']} family, "
         f"S={res['S']}, C={res['C']}, float32; kernels linear, cosine and RBF (theirs: "
         "`[inner_product, cosine_sim, own_rbf]`, what their `get_or_calculate_RSM` takes for an exact "
         "matcher; ours: `kernel=['linear', 'cosine', 'rbf']`). Median of "
         f"{res['rounds']} round-robin rounds (every configuration once per round, ours after a warm-up). "
         f"Both RSMs agree before timing: largest relative difference {res['max_rel_diff']:.2e} over all "
         "kernels and pairs.",
         "",
         "| code | matcher | processes / threads | SIMD | seconds |",
         "|---|---|---|---|---:|"]
    for r in rows:
        L.append(f"| {r['code']} | {r['matcher']} | {r['workers']} | {r.get('simd', '-')} | {r['seconds']:.3f} |")
    L += ["", "## Ours against their fastest configuration", "",
          "| ours | seconds | their fastest (any matcher, any process count) | x faster | target 10x |",
          "|---|---:|---|---:|---|"]
    for t in res["targets"]:
        L.append(f"| {t['ours']} | {t['seconds']:.3f} | {t['theirs']} ({t['theirs_seconds']:.3f} s) | "
                 f"{t['ratio']:.1f}x | {'met' if t['ratio'] >= 10 else 'missed'} |")
    L += ["", "Their `semantic_sim_parallel` defaults to 24 processes; on this 2-core machine that "
          "oversubscribes the cores (each process also runs BLAS threads). The only change to their "
          "code is the float conversion of the per-pair values before `_fill_sim_matrix` (NumPy >= 2; "
          "see the script's docstring)."]
    (RESULTS / f"{stem}.md").write_text("\n".join(L) + "\n")
    (RESULTS / f"{stem}.json").write_text(json.dumps(res, indent=1, default=str) + "\n")
    print("\n".join(L))


def authors_commit(src: str) -> str:
    try:
        return subprocess.run(["git", "-C", src, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--authors", default=os.environ.get("SEMRSM_AUTHORS_SRC"),
                    help="folder holding their `srsm` package (default: $SEMRSM_AUTHORS_SRC)")
    ap.add_argument("--commit", default=None, help="their commit, for the record (default: git rev-parse in --authors)")
    ap.add_argument("--n", type=int, default=32)
    ap.add_argument("--s", type=int, default=196)
    ap.add_argument("--c", type=int, default=256)
    ap.add_argument("--family", default="gamma", choices=sorted(families.MAKERS))
    ap.add_argument("--processes", default="1,2,24", help="their process counts")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="N=12, one round, 1 and 2 processes")
    ap.add_argument("--suffix", default="")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--their-worker", nargs=3, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker)
        return 0
    if args.their_worker:
        data, matcher, processes = args.their_worker
        their_worker(args.authors, data, matcher, int(processes))
        return 0
    if not args.authors:
        ap.error("pass --authors PATH or set SEMRSM_AUTHORS_SRC (a checkout's src/ folder)")
    if args.quick:
        args.n, args.rounds, args.processes = 12, 1, "1,2"
    procs_list = [int(p) for p in args.processes.split(",")]
    res = {"machine": machine(), "N": args.n, "S": args.s, "C": args.c, "family": args.family,
           "rounds": args.rounds, "authors_commit": args.commit or authors_commit(args.authors),
           "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="minutes")}
    load_authors(args.authors)  # fails early, with the message, if their code cannot be imported

    x = families.MAKERS[args.family](np.random.default_rng(8), args.n, args.s, args.c)  # (N, S, C)
    tmp = tempfile.mkdtemp(prefix="bench_authors_")
    data = os.path.join(tmp, "x.npy")
    np.save(data, x)

    workers = {}
    for simd in simd_levels():
        env = dict(os.environ, SEMRSM_SIMD=simd)
        p = subprocess.Popen([sys.executable, __file__, "--worker", data], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=env)
        got = json.loads(p.stdout.readline())["simd"]
        workers[got] = (p, np.load(data.replace(".npy", f".ours_{simd}.npy")))

    # The check: their RSMs (scipy and lapjv, one process) against ours on every path.
    worst = 0.0
    for matcher in ("hungarian_match", "lapjv_match"):
        run_theirs(args.authors, data, matcher, 1)
        ref = np.load(data.replace(".npy", f".theirs_{matcher}.npy"))
        for simd, (_, mine) in workers.items():
            rel = np.abs(mine - ref) / np.maximum(np.abs(ref), 1e-30)
            worst = max(worst, float(rel.max()))
            np.testing.assert_allclose(mine, ref, rtol=2e-5, atol=0,
                                       err_msg=f"theirs ({matcher}) and ours ({simd}) differ")
    res["max_rel_diff"] = worst
    print(f"check passed: largest relative difference {worst:.2e}", flush=True)

    configs = [("theirs", m, p, None) for m in ("hungarian_match", "lapjv_match") for p in procs_list]
    configs += [("ours", "hungarian", t, simd) for simd in workers for t in (1, 2)]
    times = {c: [] for c in configs}
    for r in range(args.rounds):
        for cfg in configs:
            code, matcher, k, simd = cfg
            if code == "theirs":
                times[cfg].append(run_theirs(args.authors, data, matcher, k))
            else:
                p = workers[simd][0]
                p.stdin.write(f"{k}\n")
                p.stdin.flush()
                times[cfg].append(json.loads(p.stdout.readline())["seconds"])
            print(f"round {r}: {cfg} {times[cfg][-1]:.3f} s", flush=True)
    for p, _ in workers.values():
        p.stdin.close()
        p.wait()

    med = {c: statistics.median(v) for c, v in times.items()}
    rows = []
    for cfg in configs:
        code, matcher, k, simd = cfg
        row = {"code": "authors (semantic_sim_parallel)" if code == "theirs" else "semrsm_native (semantic_rsm)",
               "matcher": matcher, "workers": f"{k} process{'es' if k > 1 else ''}" if code == "theirs" else f"{k} thread{'s' if k > 1 else ''}",
               "seconds": med[cfg], "all_seconds": times[cfg]}
        if simd:
            row["simd"] = simd
        rows.append(row)
    theirs_best = min((c for c in configs if c[0] == "theirs"), key=lambda c: med[c])
    res["targets"] = []
    for cfg in configs:
        if cfg[0] == "ours":
            res["targets"].append({"ours": f"{cfg[3]}, {cfg[2]} thread(s)", "seconds": med[cfg],
                                   "theirs": f"{theirs_best[1]}, {theirs_best[2]} process(es)",
                                   "theirs_seconds": med[theirs_best], "ratio": med[theirs_best] / med[cfg]})
    res["rows"] = rows
    res["loadavg_end"] = os.getloadavg()
    write(res, ("authors_quick" if args.quick else "authors") + args.suffix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
