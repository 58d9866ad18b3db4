"""Throughput and peak memory of one semantic_rsm call, the tiled store and a LocalCluster.

Usage::

    python benchmarks/bench_scale.py                      # both suites below
    python benchmarks/bench_scale.py --suite exact --n 2000
    python benchmarks/bench_scale.py --suite overhead --n 10000 --reps 3
    python benchmarks/bench_scale.py --suite exact --n 10000 --out scale_10000   # ~1 h on 2 cores

Suites (each configuration runs in a fresh subprocess, so its peak RSS is its own):

* ``exact``: the issue's workload (default N = 2,000, S = 49, C = 512, exact cosine RSM):
  one call with W threads, the store in this process with W engine threads per tile, and a
  LocalCluster of W single-threaded worker processes (one engine thread per task). Gives
  pairs/s, peak memory and the overhead ratios against the one call; its per-pair cost
  feeds the projection.
* ``overhead``: tile scheduling at N = 10,000 in a configuration cheap enough to run here
  (S = 1, C = 8: one position, so a pair costs well under a microsecond): the same three
  runs, whose time differences per tile are the store's and Dask's overhead per tile (Zarr
  writes, task round trips, reads).
  The overhead of an exact N = 10,000 run is then *projected* from that per-tile overhead
  and the exact suite's per-pair cost: an exact N = 10,000 run takes about 50M pairs times
  that cost (1.5 h on a loaded machine, ~20 min on a quiet one).

Every run's matrix is compared with the one call's, bit for bit. Writes
benchmarks/results/scale.{json,md} (or ``--out NAME``: NAME.{json,md}), with the machine, its
load (uptime) and the SIMD path.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RUNS = ("one call", "store", "LocalCluster")
BIG_N, BIG_WORKERS = 100_000, 64


def _peak_mib() -> float:
    """Peak resident memory of this process's own address space (VmHWM). Not ru_maxrss:
    Linux carries that across fork and exec, so a child would report its parent's peak."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _time_blocks() -> bool:
    """Wrap the store's semantic_rsm_block so that this process adds up the time tiles spend
    in it (reading their samples and the engine); the rest of a run is the tiling overhead.

    The totals live on the store module, not in a global of this script: Dask sends each
    function of a ``__main__`` by value, with its own copy of such globals."""
    import time as _time

    from semrsm_native import store

    if getattr(store.semantic_rsm_block, "_timed", False):
        return True
    real = store.semantic_rsm_block
    store._bench_block_totals = totals = [0.0, 0]

    def timed(*args, **kw):
        t = _time.perf_counter()
        try:
            return real(*args, **kw)
        finally:
            totals[0] += _time.perf_counter() - t
            totals[1] += 1

    timed._timed = True
    store.semantic_rsm_block = timed
    return True


def _engine_totals() -> tuple[float, int]:
    from semrsm_native import store

    s, b = store._bench_block_totals
    return s, b


def _inputs(d: Path, n: int, s: int, c: int) -> Path:
    side = int(round(s ** 0.5))
    path = d / f"x-{n}-{s}-{c}.npy"
    if not path.exists():
        x = np.random.default_rng(0).random((n, c, side, side), dtype=np.float32)
        np.save(path, x)
    return path


# --------------------------------------------------------------------------------------------
# one configuration, in its own process
# --------------------------------------------------------------------------------------------


def _child(a: argparse.Namespace) -> None:
    from semrsm_native import semantic_rsm
    from semrsm_native import dask as sdask
    from semrsm_native.store import semantic_rsm_to_store

    d = Path(a.dir)
    xpath = _inputs(d, a.n, a.s, a.c)
    semantic_rsm(np.load(xpath, mmap_mode="r")[:8], threads=1)  # warm-up: libraries, pools
    if a.child != "one call":
        import zarr  # noqa: F401  (its import, ~0.3-0.9 s once per process, is not per tile)
    res: dict = {"run": a.child}
    out = d / f"{a.child.replace(' ', '_')}-{a.rep}"
    if a.child == "one call":
        x = np.load(xpath)
        t = time.perf_counter()
        rsm = semantic_rsm(x, threads=a.workers, matcher=a.matcher)
        res["seconds"] = time.perf_counter() - t
        np.save(str(out) + ".npy", rsm)
        res["result"] = str(out) + ".npy"
    elif a.child == "store":
        mm = np.load(xpath, mmap_mode="r")
        _time_blocks()
        t = time.perf_counter()
        semantic_rsm_to_store(mm, out, tile=a.tile, threads=a.workers, matcher=a.matcher)
        res["seconds"] = time.perf_counter() - t
        # One process with all cores: every second outside the blocks holds them all.
        secs, blocks = _engine_totals()
        res["block_core_seconds"] = secs * a.workers
        res["blocks"] = blocks - 1  # less the probe pair
        res["result"] = str(out)
    else:
        from distributed import Client, LocalCluster

        mm = np.load(xpath, mmap_mode="r")
        with LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cl, Client(cl) as client:
            # Warm-up of each worker: the engine and zarr imported (once per process, not per tile).
            client.run(lambda: __import__("semrsm_native").semantic_rsm(np.ones((2, 2, 1, 1)), threads=1))
            client.run(lambda: bool(__import__("zarr")))
            client.run(_time_blocks)
            t = time.perf_counter()
            sdask.semantic_rsm(mm, out, client=client, tile=a.tile, threads=1, matcher=a.matcher)
            res["seconds"] = time.perf_counter() - t
            totals = list(client.run(_engine_totals).values())
            res["block_core_seconds"] = sum(s for s, _ in totals)  # one engine thread per worker
            res["blocks"] = sum(b for _, b in totals)
            if res["blocks"] != tiles_of(a):
                raise RuntimeError(f"timed {res['blocks']} blocks on the workers, expected {tiles_of(a)}")
            res["worker_peak_rss_mib"] = sorted(client.run(_peak_mib).values())
        res["result"] = str(out)
    res["peak_rss_mib"] = _peak_mib()
    print("RESULT " + json.dumps(res), flush=True)


def tiles_of(a) -> int:
    nt = -(-a.n // a.tile)
    return nt * (nt + 1) // 2


def _run_child(a: argparse.Namespace, run: str, rep: int, d: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", run, "--rep", str(rep), "--dir", str(d),
           "--n", str(a.n), "--s", str(a.s), "--c", str(a.c), "--tile", str(a.tile),
           "--workers", str(a.workers), "--matcher", a.matcher]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{run} failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def _identical(ref_npy: str, result: str) -> bool:
    ref = np.load(ref_npy, mmap_mode="r")
    if result.endswith(".npy"):
        other = np.load(result, mmap_mode="r")
    else:
        from semrsm_native import open_rsm

        other = open_rsm(result)[0]
    step = 1000
    return all(np.array_equal(np.asarray(ref[i:i + step]), np.asarray(other[i:i + step]))
               for i in range(0, ref.shape[0], step))


# --------------------------------------------------------------------------------------------
# a suite: every run, round-robin, medians
# --------------------------------------------------------------------------------------------


def _suite(a: argparse.Namespace) -> dict:
    pairs = a.n * (a.n - 1) // 2
    nt = -(-a.n // a.tile)
    tiles = nt * (nt + 1) // 2
    by_run: dict[str, list[dict]] = {r: [] for r in RUNS}
    base = Path(a.tmp) if a.tmp else None
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        d = Path(tmp)
        _inputs(d, a.n, a.s, a.c)
        for rep in range(a.reps):
            for run in RUNS:
                r = _run_child(a, run, rep, d)
                print(f"  rep {rep} {run}: {r['seconds']:.2f} s, peak RSS {r['peak_rss_mib']:.0f} MiB",
                      flush=True)
                by_run[run].append(r)
            ref = by_run["one call"][rep]["result"]
            for run in RUNS[1:]:
                r = by_run[run][rep]
                r["identical"] = _identical(ref, r["result"])
                if not r["identical"]:
                    raise AssertionError(f"{run} differs from one call (rep {rep})")
            for run in RUNS:  # keep the disk free between repetitions
                p = Path(by_run[run][rep]["result"])
                subprocess.run(["rm", "-rf", str(p)], check=True)
    rows = []
    for run in RUNS:
        secs = [r["seconds"] for r in by_run[run]]
        row = {"run": run, "seconds_median": statistics.median(secs), "seconds": secs,
               "pairs_per_s": pairs / statistics.median(secs),
               "peak_rss_mib": max(r["peak_rss_mib"] for r in by_run[run])}
        if "block_core_seconds" in by_run[run][0]:
            # Direct: core-seconds of the run outside the tiles' blocks, per tile (the tail
            # of a cluster run, a worker idle while the other finishes, counts as overhead).
            row["outside_blocks_core_ms_per_tile"] = statistics.median(
                (r["seconds"] * a.workers - r["block_core_seconds"]) / tiles * 1000 for r in by_run[run])
        if "worker_peak_rss_mib" in by_run[run][0]:
            row["worker_peak_rss_mib"] = max(max(r["worker_peak_rss_mib"]) for r in by_run[run])
        rows.append(row)
    one = rows[0]["seconds_median"]
    for row in rows:
        row["ratio_to_one_call"] = row["seconds_median"] / one
        # Same-rep ratios, then their median: robust to load drifting between repetitions.
        row["ratio_to_one_call_paired_median"] = statistics.median(
            r["seconds"] / o["seconds"] for r, o in zip(by_run[row["run"]], by_run["one call"]))
    return {
        "n": a.n, "S": a.s, "C": a.c, "matcher": a.matcher, "tile": a.tile, "tiles": tiles,
        "pairs": pairs, "workers": a.workers, "reps": a.reps, "runs": rows,
        "core_seconds_per_pair": {row["run"]: row["seconds_median"] * a.workers / pairs for row in rows},
        # Difference to the one call (noisy on a loaded machine) and measured directly.
        "overhead_core_seconds_per_tile_vs_one_call": {
            row["run"]: (row["seconds_median"] - one) * a.workers / tiles for row in rows[1:]},
        "overhead_core_seconds_per_tile": {
            row["run"]: row["outside_blocks_core_ms_per_tile"] / 1000 for row in rows[1:]},
    }


def _machine() -> dict:
    from semrsm_native import build_info

    info = build_info()
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "simd": info.get("simd") or info.get("simd_level") or info.get("simd_selected"),
        "SEMRSM_SIMD": os.environ.get("SEMRSM_SIMD"),
        "version": info.get("version"),
    }


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _projection(exact: dict | None, overhead: dict | None) -> dict:
    """N = 100,000 on 64 single-core workers, and the overhead of an exact N = 10,000 run."""
    out: dict = {}
    if exact is not None:
        c = exact["core_seconds_per_pair"]["LocalCluster"]
        tile = exact["tile"]
        nt = -(-BIG_N // tile)
        big_pairs = BIG_N * (BIG_N - 1) // 2
        # The larger of the two measures of the per-tile overhead (direct, and vs one call).
        o = _overhead(overhead, "LocalCluster") if overhead else 0.0
        hours = (big_pairs * c + nt * (nt + 1) // 2 * max(o, 0.0)) / BIG_WORKERS / 3600
        out["n100000_64_workers"] = {
            "hours": hours, "tile": tile, "tiles": nt * (nt + 1) // 2,
            "core_seconds_per_pair": c, "overhead_core_seconds_per_tile": o,
            "basis": "per-pair cost of the exact suite's LocalCluster run (1 engine thread per "
                     "task) x pairs / 64 workers, plus the overhead suite's per-tile overhead; "
                     "no shared-storage contention modelled (the matrix is 80 GB of float64)",
        }
    if exact is not None and overhead is not None:
        c = exact["core_seconds_per_pair"]["one call"]
        n, tile = 10_000, exact["tile"]
        nt = -(-n // tile)
        tiles = nt * (nt + 1) // 2
        work = n * (n - 1) // 2 * c
        out["n10000_exact_overhead"] = {
            run: _overhead(overhead, run) * tiles / work for run in overhead["overhead_core_seconds_per_tile"]
        }
        out["n10000_exact_overhead"]["basis"] = (
            f"projected: the larger per-tile overhead measured at N={overhead['n']} (S={overhead['S']}, "
            f"C={overhead['C']}) x {tiles} tiles / (pairs x per-pair cost of the exact one call)")
    return out


def _overhead(suite: dict, run: str) -> float:
    return max(suite["overhead_core_seconds_per_tile"][run],
               suite["overhead_core_seconds_per_tile_vs_one_call"][run], 0.0)


def _markdown(res: dict) -> str:
    m = res["machine"]
    md = ["# Scale-out benchmark: one call, resumable store, LocalCluster", "",
          f"{m['machine']} (shared with other helpers' builds and tests: see the load of each "
          f"suite), SIMD path {m['simd']}, semrsm_native {m['version']}.",
          "Every run is a fresh process; bit-identical results to the one call checked in every "
          "run. Peak RSS: the process's own maximum resident set (the LocalCluster client "
          "process includes the scheduler; workers separately).", ""]
    for name in ("exact", "overhead"):
        s = res.get(name)
        if s is None:
            continue
        title = {"exact": "Exact workload", "overhead": "Tile-scheduling overhead (cheap pairs)"}[name]
        md += [f"## {title}: N = {s['n']:,}, S = {s['S']}, C = {s['C']}, {s['matcher']}, cosine, "
               f"tile {s['tile']} ({s['tiles']} tiles), {s['workers']} cores, {s['reps']} rep(s)", "",
               f"{s['date_utc']} UTC. Load before: `{s['uptime_before']}`; after: `{s['uptime_after']}`.", "",
               "| run | seconds (median) | pairs/s | vs one call | peak RSS MiB (process) | peak RSS MiB (per worker) |",
               "|---|---|---|---|---|---|"]
        for r in s["runs"]:
            w = f"{r['worker_peak_rss_mib']:.0f}" if "worker_peak_rss_mib" in r else ""
            md.append(f"| {r['run']} | {r['seconds_median']:.2f} | {r['pairs_per_s']:,.0f} | "
                      f"{r['ratio_to_one_call_paired_median']:.3f} | {r['peak_rss_mib']:.0f} | {w} |")
        md.append("")
        md.append("Overhead per tile, measured: core-time of the run outside the tiles' "
                  "`semantic_rsm_block` calls (Zarr writes and reads of the masks, task round "
                  "trips, a worker idle at the tail), per tile: " + ", ".join(
                      f"{k} {v * 1000:.1f} ms" if v is not None else f"{k} not measured ({s.get('note', '')})"
                      for k, v in s["overhead_core_seconds_per_tile"].items())
                  + ". As the difference to the one call's time (noisier: the load changes between "
                  "runs): " + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in
                                        s["overhead_core_seconds_per_tile_vs_one_call"].items()) + ".")
        md.append("")
    p = res["projection"]
    if "n100000_64_workers" in p:
        q = p["n100000_64_workers"]
        md += ["## Projections", "",
               f"* N = 100,000 (S = {res['exact']['S']}, C = {res['exact']['C']}, exact) on 64 "
               f"single-core workers, tile {q['tile']} ({q['tiles']:,} tasks): about "
               f"**{q['hours']:.1f} h** ({q['core_seconds_per_pair'] * 1e6:.1f} core-us per pair, "
               f"{q['overhead_core_seconds_per_tile'] * 1000:.1f} core-ms overhead per tile). "
               f"Basis: {q['basis']}."]
    if "n10000_exact_overhead" in p:
        q = p["n10000_exact_overhead"]
        est = ""
        if res.get("exact") is not None:  # what running it would take on this machine's cores
            e = res["exact"]
            per_pair = max(e["core_seconds_per_pair"].values())
            est = f" (not run here: ~{10000 * 9999 / 2 * per_pair / e['workers'] / 60:.0f} min)"
        md.append(f"* Tile-scheduling overhead of an exact N = 10,000 run{est}: "
                  + ", ".join(f"{k} {v * 100:.2f}%" for k, v in q.items() if k != "basis")
                  + f" of the work. {q['basis']}.")
    if res.get("exact") is not None:
        e = res["exact"]
        c = e["core_seconds_per_pair"]
        big = BIG_N * (BIG_N - 1) / 2
        md += ["", "## Reading these numbers", "",
               f"* The exact suite ran each configuration once, one after another, on a machine "
               f"whose load changed during the run: the per-pair cost ranges from "
               f"{min(c.values()) * 1e6:.0f} to {max(c.values()) * 1e6:.0f} core-us between its "
               "runs. Ratios below 1 against the one call are most likely that load, not a speedup; the "
               "10% LocalCluster target can be judged from the per-tile overheads instead: "
               "a tile of the exact workload costs "
               f"{65536 * min(c.values()):.1f}-{65536 * max(c.values()):.1f} core-s, its "
               "machinery tens of core-ms (the overhead suite).",
               f"* The N = 100,000 projection with the most expensive per-pair cost measured "
               f"({max(c.values()) * 1e6:.0f} core-us) instead: about "
               f"{big * max(c.values()) / BIG_WORKERS / 3600:.1f} h.",
               "* Peak memory: the one call holds the inputs and the N x N result; a store run "
               "one tile pair's samples and one tile of output (the Dask client holds neither)."]
    md.append("")
    return "\n".join(md)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", choices=("all", "exact", "overhead"), default="all")
    ap.add_argument("--n", type=int, default=None, help="samples (default 2000 exact, 10000 overhead)")
    ap.add_argument("--s", type=int, default=None, help="positions (default 49 exact, 1 overhead)")
    ap.add_argument("--c", type=int, default=None, help="features (default 512 exact, 8 overhead)")
    ap.add_argument("--tile", type=int, default=256)
    ap.add_argument("--workers", type=int, default=2, help="cores: one-call threads = workers")
    ap.add_argument("--matcher", default="hungarian")
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 1 exact, 3 overhead)")
    ap.add_argument("--tmp", default=None, help="directory for inputs and stores")
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument("--out", default="scale", help="results file name, without extension")
    ap.add_argument("--report", action="store_true", help="rewrite scale.md from scale.json only")
    ap.add_argument("--child", choices=RUNS, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--rep", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--dir", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child is not None:
        _child(a)
        return
    out_dir = Path(__file__).parent / "results"
    js, mdp = out_dir / f"{a.out}.json", out_dir / f"{a.out}.md"
    if a.report:
        res = json.loads(js.read_text())
        res["projection"] = _projection(res.get("exact"), res.get("overhead"))
        js.write_text(json.dumps(res, indent=2) + "\n")
        mdp.write_text(_markdown(res))
        print(_markdown(res))
        return
    res: dict = {}
    if a.suite != "all" and js.exists():
        # One suite at a time (they take minutes each on a shared machine): keep the other's.
        old = json.loads(js.read_text())
        res = {k: v for k, v in old.items() if k in ("exact", "overhead")}
    res["machine"] = _machine()
    defaults = {"exact": (2000, 49, 512, 1), "overhead": (10_000, 1, 8, 3)}
    for name in ("exact", "overhead"):
        if a.suite not in ("all", name):
            continue
        n, s, c, reps = defaults[name]
        sa = argparse.Namespace(**vars(a))
        sa.n, sa.s, sa.c = a.n or n, a.s or s, a.c or c
        sa.reps = a.reps or reps
        print(f"{name}: N={sa.n} S={sa.s} C={sa.c} tile={sa.tile} workers={sa.workers} reps={sa.reps}",
              flush=True)
        before = _uptime()
        res[name] = _suite(sa)
        res[name].update(uptime_before=before, uptime_after=_uptime(),
                         date_utc=time.strftime("%Y-%m-%d %H:%M", time.gmtime()))
    res["projection"] = _projection(res.get("exact"), res.get("overhead"))
    md = _markdown(res)
    print(md)
    if not a.no_write:
        js.write_text(json.dumps(res, indent=2) + "\n")
        mdp.write_text(md)


if __name__ == "__main__":
    main()
