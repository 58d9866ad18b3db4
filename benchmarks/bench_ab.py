#!/usr/bin/env python
"""A/B benchmark: two installed builds of semrsm_native, measured in one run.

A restructuring must leave speed and results unchanged. Timing the old build today and the
new one tomorrow on a shared two-core machine measures the load, not the code; so this script
starts one worker process per build (each with its own interpreter, e.g. two virtual
environments) and times them round-robin on the same inputs, alternating which goes first,
so that both see the same load. It also compares a digest of every output: a change that is
meant to be behaviour-neutral must give identical bits.

    python benchmarks/bench_ab.py --a /path/to/old/venv/bin/python --b /path/to/new/venv/bin/python
    SEMRSM_SIMD=avx2 python benchmarks/bench_ab.py ...     # the AVX2 path in both workers
    python benchmarks/bench_ab.py --a ... --b ... --instructions   # callgrind counts instead

--instructions counts the instructions per call under callgrind (a process running the case N
times minus one running it not at all; repeatable where a loaded machine makes seconds noisy). Valgrind does not run AVX-512, so
those counts are the AVX2 path's (simd_level() sees what valgrind's CPUID offers).

Cases: exact single solves (easy ReLU costs and hard gamma-scaled ones; float32, float64,
rectangular), batches (exact, auction with its bound, greedy in both dtypes), and small
semantic RSMs with every matcher, all on one thread. Writes a markdown table and JSON
(median ms per call of A and B, the ratio B / A, and whether the outputs were identical).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


# ----------------------------------------------------------------------------- inputs
# Deterministic generators, evaluated in each worker (both workers build identical arrays).


def relu_features(rng, n, s, c):
    """Post-ReLU Gaussian features (the easy family)."""
    return np.maximum(rng.standard_normal((n, s, c)), 0).astype(np.float32)


def gamma_features(rng, n, s, c):
    """ReLU features with every position scaled by a Gamma(2, 1) draw (a hard family)."""
    x = relu_features(rng, n, s, c)
    return (x * rng.gamma(2.0, 1.0, size=(n, s, 1))).astype(np.float32)


def cost_of(x):
    """The affinity matrix A = X_0 X_1^T of the first two samples."""
    return np.ascontiguousarray(x[0] @ x[1].T)


def make_case(name):
    """Returns (callable, description) for a case name; the callable returns its output."""
    import semrsm_native as sn

    rng = np.random.default_rng(_seed(name))
    kind, _, rest = name.partition(":")
    if kind == "lap":
        family, s = rest.split(",")
        s = int(s)
        c = 512 if s <= 196 else 64
        gen = gamma_features if family == "gamma" else relu_features
        a = cost_of(gen(rng, 2, s, c))
        return lambda: sn.linear_sum_assignment(a, maximize=True)[1]
    if kind == "lap64":  # float64: the double solver, and from S = 256 its float detour
        family, s = rest.split(",")
        s = int(s)
        gen = gamma_features if family == "gamma" else relu_features
        a = cost_of(gen(rng, 2, s, 64)).astype(np.float64)
        return lambda: sn.linear_sum_assignment(a, maximize=True)[1]
    if kind == "laprect":  # rectangular float32: the double solver from v = 0
        family, n, m = rest.split(",")
        gen = gamma_features if family == "gamma" else relu_features
        a = np.ascontiguousarray(gen(rng, 1, int(n), 128)[0] @ gen(rng, 1, int(m), 128)[0].T)
        return lambda: sn.linear_sum_assignment(a, maximize=True)
    if kind == "batchm":  # another method or dtype through the batch API
        method, family, b, s, dtype = rest.split(",")
        b, s = int(b), int(s)
        gen = gamma_features if family == "gamma" else relu_features
        costs = np.matmul(gen(rng, b, s, 128), gen(rng, b, s, 128).transpose(0, 2, 1))
        costs = costs.astype(dtype)
        kw = {"return_bound": True} if method == "auction" else {}
        return lambda: sn.linear_sum_assignment_batch(costs, maximize=True, method=method,
                                                      threads=1, **kw)
    if kind == "batch":
        family, b, s = rest.split(",")
        b, s = int(b), int(s)
        gen = gamma_features if family == "gamma" else relu_features
        xs, ys = gen(rng, b, s, 512), gen(rng, b, s, 512)
        costs = np.matmul(xs, ys.transpose(0, 2, 1))
        return lambda: sn.linear_sum_assignment_batch(costs, maximize=True, threads=1)[1]
    if kind == "rsm":
        matcher, family, n, s, c = rest.split(",")
        gen = gamma_features if family == "gamma" else relu_features
        x = gen(rng, int(n), int(s), int(c))
        if matcher == "spatio":
            return lambda: sn.spatio_semantic_rsm(x, kernel=["linear", "cosine", "rbf"], threads=1)
        return lambda: sn.semantic_rsm(x, kernel=["linear", "cosine", "rbf"], matcher=matcher, threads=1)
    raise ValueError(f"unknown case {name!r}")


def _seed(name):
    # Stable across processes (Python's str hash is salted per process).
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


CASES = [
    "lap:relu,49",
    "lap:relu,196",
    "lap:gamma,49",
    "lap:gamma,196",
    "lap:gamma,784",
    "batch:gamma,64,49",
    "rsm:hungarian,gamma,24,49,256",
    "rsm:greedy,gamma,24,49,256",
    "rsm:auction,gamma,24,49,256",
    "rsm:batch_optimal,gamma,24,49,256",
    "rsm:hungarian,relu,12,196,128",
    "rsm:spatio,gamma,64,49,256",
    "lap64:gamma,120",
    "lap64:gamma,300",
    "laprect:gamma,100,160",
    "laprect:relu,160,100",
    "batchm:auction,gamma,8,49,float64",
    "batchm:greedy,gamma,8,100,float32",
    "batchm:greedy,gamma,8,100,float64",
]
QUICK = ["lap:gamma,49", "lap:gamma,196", "rsm:hungarian,gamma,12,49,64", "rsm:greedy,gamma,12,49,64"]


def _digest(out):
    if isinstance(out, dict):  # several kernels: one matrix each, in key order
        out = [out[k] for k in sorted(out)]
    outs = out if isinstance(out, (list, tuple)) else [out]
    h = hashlib.sha256()
    for o in outs:
        a = np.ascontiguousarray(np.asarray(o))
        h.update(str(a.dtype).encode() + str(a.shape).encode() + a.tobytes())
    return h.hexdigest()[:16]


# ----------------------------------------------------------------------------- worker


def worker():
    """Answers JSON requests on stdin: {"case", "budget"} -> {"ms", "digest"}."""
    import semrsm_native as sn

    info = sn.build_info()
    print(json.dumps({"version": sn.__version__, "simd": info.get("simd"), "path": sn.__file__}), flush=True)
    made = {}
    for line in sys.stdin:
        req = json.loads(line)
        name = req["case"]
        if name not in made:
            fn = make_case(name)
            out = fn()  # warm-up, and the output whose bits are compared
            made[name] = (fn, _digest(out))
        fn, digest = made[name]
        # As many calls as fit in the budget (at least one); the time per call.
        calls, t0 = 0, time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= req["budget"]:
                break
        print(json.dumps({"ms": 1e3 * elapsed / calls, "digest": digest}), flush=True)


class Worker:
    def __init__(self, python):
        env = dict(os.environ)
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
        # One BLAS thread: the engines under test run on one thread too.
        env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        self.p = subprocess.Popen(
            [python, __file__, "--worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, env=env, cwd="/",  # never import a source tree by accident
        )
        self.info = json.loads(self.p.stdout.readline())

    def ask(self, case, budget):
        self.p.stdin.write(json.dumps({"case": case, "budget": budget}) + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError(f"worker {self.info} died on case {case}")
        return json.loads(line)

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)


# ----------------------------------------------------------------------------- callgrind

# Calls per count: enough that the solver's instructions dwarf the run-to-run wobble of the
# interpreter's start (the count of a run without them is subtracted).
INSTRUCTION_CALLS = {"49": 200, "64": 20, "100": 40, "120": 50, "160": 50, "196": 40, "300": 10, "784": 3}


def instruction_calls(case):
    kind, _, rest = case.partition(":")
    if kind == "rsm":
        return 2
    return INSTRUCTION_CALLS.get(rest.split(",")[-1 if kind != "batchm" else -2], 10)


def worker_once(name, calls):
    """Builds one case, runs it once (warm-up), then `calls` more times (callgrind's target)."""
    fn = make_case(name)
    for _ in range(calls + 1):
        fn()


def _count(python, case, calls, out):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONHASHSEED="0")
    subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", python, __file__,
         "--worker-once", case, str(calls)],
        check=True, env=env, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for line in Path(out).read_text().splitlines():
        if line.startswith("summary:") or line.startswith("totals:"):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {out}")


def instructions(python, case, tmp):
    """Instructions per call of the case (whole process with `calls` calls minus without)."""
    calls = instruction_calls(case)
    out = str(Path(tmp) / "cg.out")
    return (_count(python, case, calls, out) - _count(python, case, 0, out)) / calls


def main_instructions(args, cases):
    import tempfile

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            if case.startswith("rsm:spatio"):
                continue  # no assignment solver
            ia, ib = instructions(args.a, case, tmp), instructions(args.b, case, tmp)
            rows.append({"case": case, "a_ir": ia, "b_ir": ib, "ratio": ib / ia})
            print(f"{case}: {ia:.0f} / {ib:.0f}", file=sys.stderr)
    lines = [
        f"# A/B instructions: {args.label_a} vs {args.label_b}",
        "",
        f"{_cpu_name()}; callgrind (valgrind's CPUID: the AVX2 path); instructions per call "
        f"(Python call included), a run of N calls minus a run of none; "
        f"{datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='minutes')}.",
        "",
        f"| case | {args.label_a} Ir/call | {args.label_b} Ir/call | ratio |",
        "|---|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(f"| `{row['case']}` | {row['a_ir']:.4g} | {row['b_ir']:.4g} | {row['ratio']:.3f} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps({"rows": rows}, indent=1) + "\n")
    print("\n".join(lines))
    return 0


# ----------------------------------------------------------------------------- driver


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--worker-once", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--instructions", action="store_true",
                    help="count the solver's instructions under callgrind instead of timing")
    ap.add_argument("--a", help="interpreter of build A (the baseline)")
    ap.add_argument("--b", help="interpreter of build B (the change)")
    ap.add_argument("--label-a", default="before")
    ap.add_argument("--label-b", default="after")
    ap.add_argument("--rounds", type=int, default=7, help="round-robin rounds (median over them)")
    ap.add_argument("--budget", type=float, default=0.3, help="seconds per measurement")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--case", action="append", help="run only these cases (repeatable)")
    ap.add_argument("--out", type=Path, default=RESULTS / "ab.md", help="markdown file (json beside it)")
    args = ap.parse_args()
    if args.worker:
        return worker()
    if args.worker_once:
        return worker_once(args.worker_once[0], int(args.worker_once[1]))
    if not args.a or not args.b:
        ap.error("--a and --b are required")

    cases = args.case or (QUICK if args.quick else CASES)
    if args.instructions:
        return main_instructions(args, cases)
    rounds = 2 if args.quick else args.rounds
    wa, wb = Worker(args.a), Worker(args.b)
    times = {c: ([], []) for c in cases}
    digests = {c: [None, None] for c in cases}
    for r in range(rounds):
        for case in cases:
            order = ((0, wa), (1, wb)) if r % 2 == 0 else ((1, wb), (0, wa))
            for side, w in order:
                ans = w.ask(case, args.budget)
                times[case][side].append(ans["ms"])
                digests[case][side] = ans["digest"]
        print(f"round {r + 1}/{rounds} done", file=sys.stderr)
    wa.close()
    wb.close()

    rows = []
    for case in cases:
        ma, mb = statistics.median(times[case][0]), statistics.median(times[case][1])
        rows.append({
            "case": case, "a_ms": ma, "b_ms": mb, "ratio": mb / ma,
            "identical": digests[case][0] == digests[case][1],
        })
    machine = {
        "cpu": _cpu_name(), "cores": os.cpu_count(), "platform": platform.platform(),
        "simd_a": wa.info["simd"], "simd_b": wb.info["simd"],
        "SEMRSM_SIMD": os.environ.get("SEMRSM_SIMD", "(unset: widest)"),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="minutes"),
        "rounds": rounds, "budget_s": args.budget,
    }
    lines = [
        f"# A/B: {args.label_a} vs {args.label_b}",
        "",
        f"{machine['cpu']}, {machine['cores']} cores; SIMD path {machine['simd_a']} (A) / "
        f"{machine['simd_b']} (B), SEMRSM_SIMD={machine['SEMRSM_SIMD']}; {machine['date']}.",
        f"Median over {rounds} round-robin rounds of {args.budget} s each; one thread; "
        f"load average {_load()}.",
        "",
        f"| case | {args.label_a} ms | {args.label_b} ms | ratio | identical output |",
        "|---|---:|---:|---:|---|",
    ]
    for row in rows:
        lines.append(f"| `{row['case']}` | {row['a_ms']:.4g} | {row['b_ms']:.4g} | "
                     f"{row['ratio']:.3f} | {'yes' if row['identical'] else 'NO'} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps({"machine": machine, "rows": rows}, indent=1) + "\n")
    print("\n".join(lines))
    return 0 if all(r["identical"] for r in rows) else 1


def _load():
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def _cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
