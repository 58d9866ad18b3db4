#!/usr/bin/env python
"""Benchmark of the assignment core against scipy, lapx, lapjv and OR-Tools.

A script, not a test: median times (after a warm-up) of one solve and of batches on
realistic costs (A = X_i X_j^T with post-ReLU features: C=512 for S<=196, C=64 for S>=784)
and uniform costs, float32 and float64, 1 and 2 threads; the hard cost families of real
networks (benchmarks/families.py: Gamma-scaled positions, batch-normed CNN maps of
photographs, outlier tokens), reported separately; plus the quality (fraction of the
optimum) of the approximate methods. Writes benchmarks/results/lap.md and lap.json (with
--suffix, lap<suffix>.*) with the machine, the SIMD path, the library versions and the date.

    python benchmarks/bench_lap.py            # S = 49, 196, 784
    python benchmarks/bench_lap.py --big      # also S = 3136 (minutes)
    python benchmarks/bench_lap.py --quick    # a few minutes: hard families and a short easy run
    SEMRSM_SIMD=avx2 python benchmarks/bench_lap.py --quick --suffix _avx2   # the AVX2 path

Timings on a shared machine vary from run to run; compare rows within one run.
"""

from __future__ import annotations

import os
import sys

# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (set on some machines for old OpenBLAS builds) slow a
# current NumPy's GEMM; unset them for this process only, before NumPy loads.
if os.environ.get("OPENBLAS_CORETYPE") or os.environ.get("OPENBLAS_L2_SIZE"):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    os.execve(sys.executable, [sys.executable, *sys.argv], env)

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import semrsm_native  # noqa: E402
from semrsm_native import linear_sum_assignment, linear_sum_assignment_batch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import families  # noqa: E402
from hostinfo import cpu_model  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


# ----------------------------------------------------------------------------- inputs


def features(rng, b, s, c, dtype):
    return np.maximum(rng.standard_normal((b, s, c)), 0).astype(dtype)


def realistic(rng, b, s, dtype):
    ch = 512 if s <= 196 else 64
    x, y = features(rng, b, s, ch, dtype), features(rng, b, s, ch, dtype)
    return np.matmul(x, y.transpose(0, 2, 1)), np.linalg.norm(x, axis=2), np.linalg.norm(y, axis=2)


def uniform(rng, b, s, dtype):
    return rng.random((b, s, s)).astype(dtype), None, None


# ----------------------------------------------------------------------------- timing


def median_ms(fn, budget, min_reps=3, max_reps=1000):
    fn()  # warm-up (allocations, pools, caches)
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - start < budget and len(times) < max_reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times) * 1e3)


def round_robin_ms(fns, budget, min_rounds=3):
    """Median ms of each function, timed in rounds that call every function once, so that a
    change of load on a shared machine hits all of them alike. The caller has called each
    function once already (the warm-up: that call also gives its objective)."""
    times = {k: [] for k in fns}
    start = time.perf_counter()
    rounds = 0
    while rounds < min_rounds or (time.perf_counter() - start < budget * len(fns) and rounds < 1000):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t)
        rounds += 1
    return {k: float(np.median(v) * 1e3) for k, v in times.items()}


# ----------------------------------------------------------------------------- peers
# Each returns a function cost -> (rows, cols) that MINIMISES (we pass -A for the realistic
# maximisation problems).


def peers():
    out = {}
    from scipy.optimize import linear_sum_assignment as scipy_lsa

    out["scipy"] = lambda c: scipy_lsa(c)
    try:
        import lap

        out["lapx.lapjvh"] = lambda c: lap.lapjvh(c, return_cost=False)
        out["lapx.lapjvr"] = lambda c: lap.lapjvr(c, return_cost=False)
        out["lapx.lapjvs"] = lambda c: lap.lapjvs(c, return_cost=False)
    except ImportError:
        pass
    try:
        import lapjv

        def run_lapjv(c):
            x, _, _ = lapjv.lapjv(c)
            return np.arange(c.shape[0]), x

        out["lapjv"] = run_lapjv
    except ImportError:
        pass
    try:
        from ortools.graph.python import linear_sum_assignment as ort

        def run_ortools(c):
            # OR-Tools takes int64 costs: scale so the largest magnitude is 2^40 / n and round,
            # so its optimum is that of the rounded problem (not exact for float costs).
            n = c.shape[0]
            scale = float(2**40 / n) / max(float(np.abs(c).max()), 1e-300)
            a = ort.SimpleLinearSumAssignment()
            rows, cols = np.divmod(np.arange(c.size), c.shape[1])
            a.add_arcs_with_cost(rows, cols, np.rint(c.ravel() * scale).astype(np.int64))
            a.solve()
            return np.arange(n), np.array([a.right_mate(i) for i in range(n)])

        out["ortools(int64)"] = run_ortools
    except ImportError:
        pass
    return out


def versions():
    v = {"semrsm_native": semrsm_native.__version__, "python": platform.python_version()}
    for dist in ("numpy", "scipy", "lapx", "lapjv", "ortools", "torch", "threadpoolctl"):
        try:
            v[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return v


def machine():
    cpu = cpu_model()
    blas = []
    try:
        from threadpoolctl import threadpool_info

        blas = [
            {k: d.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for d in threadpool_info()
        ]
    except ImportError:
        pass
    return {
        "cpu": cpu,
        "cores_available": semrsm_native.build_info()["available_cores"],
        "os_cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "build_info": {k: v for k, v in semrsm_native.build_info().items() if not k.startswith("cuda_")},
        "blas": blas,
        "loadavg_start": os.getloadavg(),
    }


# ----------------------------------------------------------------------------- runs


def run_single(sizes, budget, rows, big_budget):
    rng = np.random.default_rng(0)
    peer_fns = peers()
    for s in sizes:
        kinds = [("realistic", realistic), ("uniform", uniform)]
        dtypes = [np.float32, np.float64]
        if s >= 3136:  # the big size only on the case of the target
            kinds, dtypes = kinds[:1], dtypes[:1]
        for kind, make in kinds:
            for dtype in dtypes:
                a, _, _ = make(rng, 1, s, dtype)
                a = a[0]
                maximize = kind == "realistic"
                c = np.ascontiguousarray(-a if maximize else a)  # peers minimise
                b = big_budget if s >= 3136 else budget
                reps = 3
                opt = float(a.astype(np.float64)[linear_sum_assignment(a, maximize=maximize)].sum())
                row = {"S": s, "kind": kind, "dtype": np.dtype(dtype).name, "ms": {}, "fraction": {}}
                a3 = a[None]
                fns = {"semrsm (exact)": lambda: linear_sum_assignment(a, maximize=maximize)}
                for name, method in [("semrsm greedy", "greedy"), ("semrsm auction", "auction")]:
                    if method == "auction" and s >= 3136:
                        continue
                    fns[name] = (lambda method=method: linear_sum_assignment_batch(
                        a3, maximize=maximize, method=method, threads=1))
                    obj = linear_sum_assignment_batch(a3, maximize=maximize, method=method, threads=1)[1][0]
                    row["fraction"][name] = obj / opt
                for name, fn in peer_fns.items():
                    if s >= 3136 and name in ("scipy", "ortools(int64)") and big_budget < 20:
                        continue  # minutes each; run with --big-budget to include
                    try:
                        r, cc = fn(c)
                        row["fraction"][name] = float(a.astype(np.float64)[r, cc].sum()) / opt
                        fns[name] = (lambda fn=fn: fn(c))
                    except Exception as exc:  # noqa: BLE001 - a peer that cannot run this case
                        row["ms"][name] = None
                        row.setdefault("errors", {})[name] = f"{type(exc).__name__}: {exc}"[:120]
                row["ms"].update(round_robin_ms(fns, b, reps))
                rows.append(row)
                print(f"single S={s} {kind} {row['dtype']}: " + ", ".join(
                    f"{k} {v:.3f}" for k, v in row["ms"].items() if v is not None), flush=True)


def run_hard(sizes, budget, rows, quick):
    """One float32 solve per call on the hard families (and the easy ReLU one for reference),
    averaged over a few instances per family and size (hard instances vary a lot)."""
    peer_fns = {k: v for k, v in peers().items() if k != "ortools(int64)"}
    for fam in families.HARD + families.EASY:
        for s in sizes:
            if s >= 3136 and fam not in ("photo", "gamma"):
                continue
            b = 4 if s <= 196 else (2 if s <= 784 else 1)
            if quick and s >= 784:
                b = 1
            a, _, _ = families.costs(fam, np.random.default_rng(1000 + s), b, s)
            c = np.ascontiguousarray(-a)
            a64 = a.astype(np.float64)
            opt = [float(a64[k][linear_sum_assignment(a[k], maximize=True)].sum()) for k in range(b)]
            row = {"family": fam, "S": s, "instances": b, "ms": {}, "fraction": {}}

            def over(fn):
                return lambda: [fn(k) for k in range(b)]

            fns = {"semrsm (exact)": over(lambda k: linear_sum_assignment(a[k], maximize=True))}
            approx = [("semrsm auction", {"method": "auction"}), ("semrsm greedy", {"method": "greedy"})]
            if s <= 784:
                approx.insert(1, ("semrsm auction eps=1e-3", {"method": "auction", "eps_final": 1e-3}))
            for name, kw in approx:
                try:
                    objs = [linear_sum_assignment_batch(a[k:k + 1], maximize=True, threads=1, **kw)[1][0] for k in range(b)]
                except TypeError:  # an option this build does not have
                    continue
                row["fraction"][name] = float(np.mean(np.array(objs) / np.array(opt)))
                fns[name] = over(lambda k, kw=kw: linear_sum_assignment_batch(a[k:k + 1], maximize=True, threads=1, **kw))
            for name, fn in peer_fns.items():
                if s >= 3136 and name in ("scipy", "lapx.lapjvs"):
                    continue  # seconds each
                if s >= 784 and quick and name in ("scipy", "lapx.lapjvs"):
                    continue
                r, cc = fn(c[0])
                row["fraction"][name] = float(a64[0][r, cc].sum()) / opt[0]
                fns[name] = over(lambda k, fn=fn: fn(c[k]))
            ms = round_robin_ms(fns, budget if s < 784 else budget / 4, 3 if s < 784 else 1)
            row["ms"] = {k: v / b for k, v in ms.items()}
            rows.append(row)
            print(f"hard {fam} S={s}: " + ", ".join(f"{k} {v:.3f}" for k, v in row["ms"].items()), flush=True)


def run_batches(sizes, batch, budget, rows):
    rng = np.random.default_rng(1)
    try:
        import lap
    except ImportError:
        lap = None
    for s in sizes:
        for dtype in (np.float32, np.float64):
            a, xn, yn = realistic(rng, batch, s, dtype)
            c = np.ascontiguousarray(-a)
            for threads in (1, 2):
                row = {"S": s, "B": batch, "dtype": np.dtype(dtype).name, "threads": threads, "ms_per_problem": {}}
                for method in ("hungarian", "greedy", "auction", "batch_optimal"):
                    opts = {"row_keys": xn, "col_keys": yn} if method == "batch_optimal" else {}
                    row["ms_per_problem"][f"semrsm {method}"] = median_ms(
                        lambda: linear_sum_assignment_batch(a, maximize=True, method=method, threads=threads, **opts),
                        budget,
                    ) / batch
                if lap is not None:
                    row["ms_per_problem"]["lapx.lapjvh_batch"] = median_ms(
                        lambda: lap.lapjvh_batch(c, n_threads=threads, return_cost=False), budget
                    ) / batch
                rows.append(row)
                print(f"batch S={s} B={batch} {row['dtype']} threads={threads}: " + ", ".join(
                    f"{k} {v:.4f}" for k, v in row["ms_per_problem"].items()), flush=True)


def quality(sizes, batch, rows):
    """Fraction of the optimum of each approximation on realistic costs (maximisation)."""
    rng = np.random.default_rng(2)
    for s in sizes:
        a, xn, yn = realistic(rng, batch, s, np.float32)
        _, opt = linear_sum_assignment_batch(a, maximize=True)
        row = {"S": s, "B": batch, "fraction": {}}
        _, obj = linear_sum_assignment_batch(a, maximize=True, method="greedy")
        row["fraction"]["greedy"] = float((obj / opt).mean())
        _, obj, bound = linear_sum_assignment_batch(a, maximize=True, method="auction", return_bound=True)
        row["fraction"]["auction (default eps)"] = float((obj / opt).mean())
        row["auction_rel_bound_max"] = float((bound / opt).max())
        for w in (128, 512):
            if w < s:
                _, obj = linear_sum_assignment_batch(
                    a, maximize=True, method="batch_optimal", window=w, row_keys=xn, col_keys=yn
                )
                row["fraction"][f"batch_optimal w={w} (norm keys)"] = float((obj / opt).mean())
        rows.append(row)
        print(f"quality S={s}: {row['fraction']} auction bound/opt <= {row['auction_rel_bound_max']:.2e}", flush=True)


# ----------------------------------------------------------------------------- report


def fmt(v, digits=3):
    return "-" if v is None else f"{v:.{digits}f}"


def column_names(rows, key):
    """The keys of every row's `key` dict in first-seen order: one table column each."""
    names = []
    for r in rows:
        for k in r[key]:
            if k not in names:
                names.append(k)
    return names


def md_table(head, rows):
    """Lines of a markdown table: the header, the separator and one line per row of cells."""
    return (["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            + ["| " + " | ".join(row) + " |" for row in rows])


EXACT_PEERS = ("scipy", "lapx.lapjvh", "lapx.lapjvr", "lapx.lapjvs", "lapjv")


def hard_markdown(hard, simd):
    """The hard-family tables: times, ratio to the fastest exact peer, fractions of the optimum."""
    lines = ["", f"## Hard cost families (float32, one thread, SIMD path {simd})", "",
             "Families of benchmarks/families.py: gamma = ReLU features with a Gamma(2, 1) scale per "
             "position; photo = builtin_activations (batch-normed CNN maps of photographs, 64 "
             "channels); tokens = ReLU features with ~2% of the tokens at 10-50x the norm; relu = "
             "the easy family, for reference. ms per solve, mean over the instances of a row, "
             "median over round-robin rounds.", ""]
    names = column_names(hard, "ms")
    lines += md_table(["family", "S", "instances"] + names + ["exact / fastest exact peer"],
                      [[r["family"], str(r["S"]), str(r["instances"])] + [fmt(r["ms"].get(k)) for k in names]
                       + [ratio_to_peer(r)] for r in hard])
    fnames = column_names(hard, "fraction")
    lines += ["", "Objective over the exact optimum (first instance for peers, mean for ours):", ""]
    lines += md_table(["family", "S"] + fnames,
                      [[r["family"], str(r["S"])] + [fmt(r["fraction"].get(k), 6) for k in fnames] for r in hard])
    return lines


def ratio_to_peer(r):
    cand = {k: v for k, v in r["ms"].items() if k in EXACT_PEERS and v is not None}
    if not cand:
        return "-"
    best = min(cand, key=cand.get)
    return f"{r['ms']['semrsm (exact)'] / cand[best]:.2f}x ({best})"


def write_markdown(res, path):
    m = res["machine"]
    lines = [
        "# Assignment core benchmark",
        "",
        f"Date: {res['date']}. Command: `{res['command']}`.",
        f"Machine: {m['cpu']}, {m['cores_available']} cores available to the process; "
        f"SIMD path {m['build_info']['simd']}; load average at start {m['loadavg_start']}, "
        f"at end {res['loadavg_end']}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in res["versions"].items()) + ".",
        "",
    ]
    if max(m["loadavg_start"][0], res["loadavg_end"][0]) > m["cores_available"]:
        lines += [
            "**Measured under load**: other processes kept the machine busy (load average above "
            "the core count), so absolute times are inflated and 2-thread rows could not scale; "
            "compare libraries within a row (one solves are timed round-robin for that reason).",
            "",
        ]
    lines += [
        "Medians after a warm-up, in ms; one solves are timed in rounds that call every library "
        "once, so that load from other processes hits all alike. Realistic costs: A = X_i X_j^T with post-ReLU features "
        "(C=512 for S<=196, C=64 for S>=784), maximised (peers get -A); uniform: U(0,1), minimised. "
        "OR-Tools gets int64 costs rounded after scaling the largest magnitude to 2^40/S, so it "
        "solves a rounded problem.",
        "",
        "## One solve, one thread",
        "",
    ]
    names = column_names(res["single"], "ms")
    lines += md_table(["S", "costs", "dtype"] + names,
                      [[str(r["S"]), r["kind"], r["dtype"]] + [fmt(r["ms"].get(k)) for k in names]
                       for r in res["single"]])
    fnames = [k for k in ("semrsm greedy", "semrsm auction", "ortools(int64)", "lapjv", "lapx.lapjvh")
              if any(k in r["fraction"] for r in res["single"])]
    lines += ["", "Objective over the exact optimum of the same solves (1.0 = optimal; realistic rows "
              "maximise, so below 1 is worse; uniform rows minimise, so above 1 is worse):", ""]
    lines += md_table(["S", "costs", "dtype"] + fnames,
                      [[str(r["S"]), r["kind"], r["dtype"]]
                       + [fmt(r["fraction"].get(k), 6) for k in fnames] for r in res["single"]])
    lines += ["", "Speed-up of the exact solver over the fastest exact peer (float32 realistic rows):", ""]
    exact_peers = ("scipy", "lapx.lapjvh", "lapx.lapjvr", "lapx.lapjvs", "lapjv")
    for r in res["single"]:
        if r["kind"] == "realistic" and r["dtype"] == "float32":
            cand = {k: v for k, v in r["ms"].items() if k in exact_peers and v is not None}
            if cand:
                best = min(cand, key=cand.get)
                lines.append(f"- S={r['S']}: {cand[best] / r['ms']['semrsm (exact)']:.2f}x vs {best} "
                             f"({cand[best]:.3f} ms vs {r['ms']['semrsm (exact)']:.3f} ms); greedy "
                             f"{r['ms']['semrsm (exact)'] / r['ms']['semrsm greedy']:.1f}x faster than exact")
    if res.get("hard"):
        lines += hard_markdown(res["hard"], m["build_info"]["simd"])
    lines += ["", "## Batches (ms per problem), realistic costs", ""]
    bnames = column_names(res["batch"], "ms_per_problem")
    lines += md_table(["S", "B", "dtype", "threads"] + bnames,
                      [[str(r["S"]), str(r["B"]), r["dtype"], str(r["threads"])]
                       + [fmt(r["ms_per_problem"].get(k), 4) for k in bnames] for r in res["batch"]])
    lines += ["", "## Quality of the approximations (mean fraction of the optimum, realistic costs, float32)", ""]
    qnames = column_names(res["quality"], "fraction")
    lines += md_table(["S", "B"] + qnames + ["auction bound / optimum (max)"],
                      [[str(r["S"]), str(r["B"])] + [fmt(r["fraction"].get(k), 4) for k in qnames]
                       + [f"{r['auction_rel_bound_max']:.1e}"] for r in res["quality"]])
    lines.append("")
    path.write_text("\n".join(lines))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a smoke run: small sizes, short budgets")
    p.add_argument("--big", action="store_true", help="also S = 3136 (one solve per library)")
    p.add_argument("--big-budget", type=float, default=1.0,
                   help="seconds per timing at S=3136; >= 20 also runs scipy and OR-Tools there")
    p.add_argument("--budget", type=float, default=0.5, help="seconds per timing (default 0.5)")
    p.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    p.add_argument("--suffix", default="", help="appended to the result file names (e.g. _avx2)")
    p.add_argument("--hard-only", action="store_true", help="only the hard-family section")
    args = p.parse_args(argv)

    sizes = [49, 196] if args.quick else [49, 196, 784]
    budget = 0.05 if args.quick else args.budget
    res = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": "python benchmarks/bench_lap.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": machine(),
        "versions": versions(),
        "single": [],
        "batch": [],
        "quality": [],
        "hard": [],
    }
    run_hard([49, 196, 784] + ([3136] if args.big else []), 0.3 if args.quick else args.budget * 2,
             res["hard"], args.quick)
    if not args.hard_only:
        run_single(sizes + ([3136] if args.big else []), budget, res["single"], args.big_budget)
        run_batches([49, 196] if args.quick else [49, 196, 784], 8 if args.quick else 64, budget, res["batch"])
        quality([49, 196] if args.quick else [49, 196, 784], 2 if args.quick else 8, res["quality"])
    res["loadavg_end"] = os.getloadavg()
    args.out.mkdir(parents=True, exist_ok=True)
    stem = ("lap_quick" if args.quick else "lap") + args.suffix
    (args.out / f"{stem}.json").write_text(json.dumps(res, indent=1, default=float))
    write_markdown(res, args.out / f"{stem}.md")
    print(f"wrote {args.out / (stem + '.md')} and {stem}.json")


if __name__ == "__main__":
    main()
