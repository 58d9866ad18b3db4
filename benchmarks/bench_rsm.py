"""Benchmark of whole semantic RSMs: semrsm_native against the reference algorithm and the best
composite pipeline a user could assemble from libraries, plus the quality of the approximate
matchers and the peak memory of a large RSM.

    python benchmarks/bench_rsm.py            # full run, writes benchmarks/results/rsm.{md,json,png}
    python benchmarks/bench_rsm.py --quick    # a smoke run in about a minute

Competitors (all compute the same semantic cosine RSM of N samples against themselves):
- reference: the authors' algorithm, re-written here (not imported): per pair a NumPy inner
  product matrix and scipy.optimize.linear_sum_assignment, pairs (i >= j, as the authors
  enumerate them) spread over a multiprocessing pool of 2 processes, BLAS threads left at
  their default (the authors' default configuration).
- composite: NumPy batched matmul for the pair costs (BLAS limited to the same threads) and
  lapx.lapjvh_batch with the same threads, i < j only.
- semrsm_native: semantic_rsm(x, matcher=...) for every matcher, 1 and 2 threads.

Features ("realistic post-ReLU"): "photo-convnet", crops of the natural photographs that
scikit-image bundles, through semrsm_native's fixed random CNN (Gabor first layer, seeded
random 3x3 convolutions, batch norm, ReLU, max-pooling; see semrsm_native._features), at the
layer whose grid gives each S; used for every speed configuration and the quality table.
Also "structured" synthetic maps (realistic_features) and "relu-gaussian" max(N(0,1), 0)
features (the assignment-core benchmark's "realistic costs") in the quality table and one
speed row. No trained network is available offline; the paper's numbers come from trained
ones.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MATCHERS = ["hungarian", "greedy", "auction", "batch_optimal"]


# ---------------------------------------------------------------------------------------
# Data


def realistic_features(n: int, c: int, side: int, seed: int = 0) -> np.ndarray:
    """(n, c, side, side) float32 post-ReLU feature maps with the statistics of CNN layers.

    Spatially smooth latent fields (4 "classes" of prototypes, each sample a shifted copy plus
    its own smooth noise) are mixed into C channels by a random matrix, passed through a ReLU
    and scaled by a smooth log-normal saliency envelope, so that the features are sparse,
    non-negative and spatially correlated, and concept-vector norms vary strongly between
    positions (objects against background), as in trained networks.
    """
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    k = 16  # latent channels
    sd = max(side / 8.0, 0.7)
    blur = (0, sd, sd)
    protos = np.stack([gaussian_filter(rng.standard_normal((k, side, side)), blur, mode="wrap") for _ in range(4)])
    protos /= protos.std()
    mix = rng.standard_normal((c, k)) / np.sqrt(k)
    out = np.empty((n, c, side, side), dtype=np.float32)
    for i in range(n):
        z = np.roll(protos[rng.integers(4)], tuple(rng.integers(0, side, 2)), axis=(1, 2))
        noise = gaussian_filter(rng.standard_normal((k, side, side)), blur, mode="wrap")
        z = z + 0.7 * noise / noise.std()
        sal = gaussian_filter(rng.standard_normal((side, side)), (sd, sd), mode="wrap")
        f = np.tensordot(mix, z, axes=(1, 0)) - 0.5
        out[i] = np.maximum(f, 0) * np.exp(sal / sal.std())
    return out


def relu_gaussian_features(n: int, c: int, side: int, seed: int = 0) -> np.ndarray:
    """max(N(0, 1), 0) features: the "realistic costs" of the assignment-core benchmarks."""
    rng = np.random.default_rng(seed)
    return np.maximum(rng.standard_normal((n, c, side, side), dtype=np.float32), 0)


# Layer of the package's RandomConvNet (Gabor bank + seeded random convolutions + batch norm)
# and input size that give each (side) feature grid; C is the width of that layer.
_PHOTO_LAYERS = {7: (112, "conv4"), 14: (224, "conv4"), 28: (224, "conv2"), 56: (448, "conv2")}


def photo_features(n: int, c: int, side: int, seed: int = 0) -> np.ndarray:
    """Post-ReLU activations of natural photographs (the ones bundled with scikit-image) in
    semrsm_native's fixed random convolutional network: random crops and flips of the 16
    photos, the layer whose grid is side x side, with C channels."""
    from semrsm_native._features import DEMO_IMAGES, RandomConvNet, load_image

    size, layer = _PHOTO_LAYERS[side]
    widths = (64, 128, c) if layer == "conv4" else (c, 128, 256)
    rng = np.random.default_rng(seed)
    photos = [load_image(name, short_side=int(size * 1.25)) for name in DEMO_IMAGES]
    imgs = np.empty((n, 3, size, size))
    for i in range(n):
        im = photos[i % len(photos)]
        y, x = rng.integers(0, im.shape[0] - size + 1), rng.integers(0, im.shape[1] - size + 1)
        crop = im[y : y + size, x : x + size]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        imgs[i] = crop.transpose(2, 0, 1)
    return np.ascontiguousarray(RandomConvNet(seed=0, widths=widths)(imgs, layers=[layer])[layer])


def _have_photos() -> bool:
    try:
        import skimage  # noqa: F401
    except ImportError:
        return False
    return True


def gamma_features(n: int, c: int, side: int, seed: int = 0) -> np.ndarray:
    """Hard costs (issue 8): max(N(0, 1), 0) features with every position scaled by its own
    Gamma(2, 1) draw, so that position norms vary as objects against background do."""
    rng = np.random.default_rng(seed)
    x = np.maximum(rng.standard_normal((n, c, side, side), dtype=np.float32), 0)
    return x * rng.gamma(2.0, 1.0, size=(n, 1, side, side)).astype(np.float32)


FEATURES = {"photo-convnet": photo_features, "structured": realistic_features, "relu-gaussian": relu_gaussian_features}
if not _have_photos():  # scikit-image (semrsm-native[demo]) provides the photographs
    del FEATURES["photo-convnet"]
PRIMARY = next(iter(FEATURES))
SPEED_ONLY = {"gamma": gamma_features}  # speed rows only (the quality table keeps its families)


def positions(x: np.ndarray) -> np.ndarray:
    """(N, S, C) contiguous view of NCHW activations."""
    n, c, h, w = x.shape
    return np.ascontiguousarray(x.reshape(n, c, h * w).transpose(0, 2, 1))


def cosine_from(lin: np.ndarray, sq: np.ndarray) -> np.ndarray:
    nrm = np.sqrt(sq) + 1e-13
    return lin / np.outer(nrm, nrm)


# ---------------------------------------------------------------------------------------
# Competitors


def _reference_pair(xi: np.ndarray, xj: np.ndarray) -> float:
    from scipy.optimize import linear_sum_assignment

    cost = xi @ xj.T
    rows, cols = linear_sum_assignment(cost, maximize=True)
    a = xi[rows].reshape(1, -1)
    b = xj[cols].reshape(1, -1)
    a = a / (np.linalg.norm(a, axis=1, keepdims=True) + 1e-13)
    b = b / (np.linalg.norm(b, axis=1, keepdims=True) + 1e-13)
    return float((a @ b.T)[0, 0])


def reference_rsm(x: np.ndarray, processes: int = 2) -> np.ndarray:
    """The authors' algorithm: per pair matmul + scipy, pairs over a process pool."""
    xs = x.reshape(x.shape[0], x.shape[1], -1).transpose(0, 2, 1)  # (n, S, C) views, as theirs
    n = xs.shape[0]
    pairs = [(i, j) for i in range(n) for j in range(n) if i >= j]
    args = [(xs[i], xs[j]) for i, j in pairs]
    if processes > 1:
        with mp.get_context("fork").Pool(processes) as pool:
            vals = pool.starmap(_reference_pair, args)
    else:
        vals = [_reference_pair(*a) for a in args]
    out = np.zeros((n, n))
    for (i, j), v in zip(pairs, vals):
        out[i, j] = out[j, i] = v
    return out


def composite_rsm(x: np.ndarray, threads: int, chunk: int = 256) -> np.ndarray:
    """NumPy batched matmul for the costs + lapx.lapjvh_batch, i < j only."""
    import lap
    from threadpoolctl import threadpool_limits

    X = positions(x)
    n = X.shape[0]
    I, J = np.triu_indices(n, 1)
    lin = np.zeros((n, n))
    sq = np.einsum("nsc,nsc->n", X, X, dtype=np.float64)
    with threadpool_limits(threads):
        for s in range(0, len(I), chunk):
            i, j = I[s : s + chunk], J[s : s + chunk]
            costs = np.matmul(X[i], X[j].transpose(0, 2, 1))
            np.negative(costs, out=costs)
            totals, _, _ = lap.lapjvh_batch(costs, n_threads=threads)
            lin[i, j] = -np.asarray(totals)
    lin = lin + lin.T
    lin[np.diag_indices(n)] = sq
    return cosine_from(lin, sq)


def ours(x, matcher, threads, **kw):
    from semrsm_native import semantic_rsm

    return semantic_rsm(x, matcher=matcher, threads=threads, **kw)


def available_matchers() -> list[str]:
    from semrsm_native import semantic_rsm

    ok = []
    probe = np.ones((2, 2, 2, 2), dtype=np.float32)
    for m in MATCHERS:
        try:
            semantic_rsm(probe, matcher=m)
            ok.append(m)
        except ValueError:
            pass
    return ok


def timeit(fn, reps: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


# ---------------------------------------------------------------------------------------
# Sections


def speed_config(kind: str, c: int, side: int, n: int, matchers: list[str], quick: bool,
                 reference: bool = True) -> list[dict]:
    s = side * side
    if s >= 784 and not quick:
        n = min(n, 24)  # exact solves take ~0.1-0.2 s per pair here; per-pair times stay comparable
    x = {**FEATURES, **SPEED_ONLY}[kind](n, c, side, seed=s)
    pairs = n * (n - 1) // 2
    big = s >= 784
    reps = 1 if (quick or big) else 3
    warm = 0 if big else 1
    base = dict(features=kind, C=c, S=s, N=n)
    rows = []
    print(f"-- {kind} C={c} S={s} N={n}", flush=True)
    exact = ours(x, "hungarian", 2)
    for m in matchers:
        for t in (1, 2):
            sec = timeit(lambda: ours(x, m, t), reps, warmup=warm)
            rows.append(dict(base, method=f"semrsm_native:{m}", threads=t, seconds=sec, ms_per_pair=sec / pairs * 1e3))
            print(f"   semrsm {m:14s} t={t}: {sec:.4f} s", flush=True)
    for t in (1, 2):
        sec = timeit(lambda: composite_rsm(x, t), reps, warmup=warm)
        rows.append(dict(base, method="composite:numpy+lapx.lapjvh_batch", threads=t, seconds=sec, ms_per_pair=sec / pairs * 1e3))
        print(f"   composite t={t}: {sec:.4f} s", flush=True)
    if not big:
        np.testing.assert_allclose(composite_rsm(x, 2), exact, rtol=1e-5, atol=1e-5)
    if not reference:
        return rows
    # The reference is slow: at S = 784 it runs on fewer samples and is projected to N by its
    # per-pair time (its work is exactly proportional to the number of pairs it solves).
    n_ref = n if not big else max(8, n // 4)
    t0 = time.perf_counter()
    r = reference_rsm(x[:n_ref], processes=2)
    sec = time.perf_counter() - t0
    np.testing.assert_allclose(r, exact[:n_ref, :n_ref], rtol=1e-5, atol=1e-5)
    per_pair = sec / (n_ref * (n_ref + 1) // 2)
    rows.append(dict(base, method="reference:authors-algorithm(2 processes)", threads=2,
                     seconds=per_pair * (n * (n + 1) // 2), ms_per_pair=per_pair * 1e3,
                     measured_N=n_ref, projected=n_ref != n))
    print(f"   reference (N={n_ref}): {sec:.3f} s", flush=True)
    return rows


def speed_section(quick: bool, matchers: list[str], hard_only: bool = False) -> list[dict]:
    n = 16 if quick else 64
    rows = []
    if not hard_only:
        for c, side in [(512, 7), (256, 14), (128, 28)]:
            rows += speed_config(PRIMARY, c, side, n, matchers, quick)
        rows += speed_config("relu-gaussian", 256, 14, n, ["hungarian"], quick)
    # Hard costs (issue 8), at the sizes of its targets: N=48 / N=32 at S=196, C=256 and
    # N=200 at S=49, C=512 (the reference only at N=32, where it takes seconds).
    rows += speed_config("gamma", 256, 14, 48, ["hungarian", "auction"], quick, reference=False)
    rows += speed_config("gamma", 256, 14, 32, ["hungarian"], quick)
    rows += speed_config("gamma", 512, 7, 200, ["hungarian", "auction"], quick, reference=False)
    return rows


def quality_section(quick: bool, matchers: list[str]) -> list[dict]:
    from semrsm_native import semantic_rsm

    cfgs = [(512, 7, 16), (256, 14, 16), (128, 28, 10), (64, 56, 6)]
    if quick:
        cfgs = [(512, 7, 8), (256, 14, 8), (128, 28, 6), (64, 56, 3)]
    rows = []
    for kind in FEATURES:
        for c, side, n in cfgs:
            s = side * side
            x = FEATURES[kind](n, c, side, seed=100 + s)
            iu = np.triu_indices(n, 1)
            t0 = time.perf_counter()
            exact = semantic_rsm(x, kernel="linear", matcher="hungarian", threads=2)
            t_exact = time.perf_counter() - t0
            for m in matchers:
                if m == "hungarian":
                    continue
                t0 = time.perf_counter()
                approx = semantic_rsm(x, kernel="linear", matcher=m, threads=2)
                sec = time.perf_counter() - t0
                frac = approx[iu] / exact[iu]
                rows.append(dict(features=kind, C=c, S=s, N=n, matcher=m, window=128 if m == "batch_optimal" else None,
                                 mean_fraction=float(frac.mean()), min_fraction=float(frac.min()),
                                 max_fraction=float(frac.max()), seconds=sec, exact_seconds=t_exact,
                                 speedup_vs_exact=t_exact / sec))
                print(f"   quality {kind} S={s} {m:14s}: mean {frac.mean():.5f} min {frac.min():.5f} "
                      f"({t_exact / sec:.1f}x faster than exact)", flush=True)
    return rows


MEMORY_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    import numpy as np
    from semrsm_native import semantic_rsm

    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    n, c, side = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    x = np.maximum(np.random.default_rng(0).standard_normal((n, c, side, side), dtype=np.float32), 0)
    semantic_rsm(x[:4], threads=2)  # load code, start the pool
    with open("/proc/self/clear_refs", "w") as f:  # reset the peak-RSS mark (VmHWM)
        f.write("5")
    before = status("VmRSS")
    t = time.perf_counter()
    r = semantic_rsm(x, threads=2)
    sec = time.perf_counter() - t
    peak = status("VmHWM")
    print(json.dumps(dict(N=n, C=c, S=side * side, input_bytes=x.nbytes, output_bytes=r.nbytes,
                          rss_before=before, peak=peak, extra_over_inputs=peak - before,
                          seconds=sec)))
    """
)


def memory_section(quick: bool) -> dict:
    n = 500 if quick else 2000
    out = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(n), "512", "7"], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["extra_beyond_output_MB"] = (res["extra_over_inputs"] - res["output_bytes"]) / 2**20
    print(f"   memory N={n}: extra over inputs {res['extra_over_inputs'] / 2**20:.1f} MB "
          f"(output {res['output_bytes'] / 2**20:.1f} MB) in {res['seconds']:.1f} s", flush=True)
    return res


# ---------------------------------------------------------------------------------------
# Report


def machine_info() -> dict:
    import scipy

    import semrsm_native

    info = dict(platform=platform.platform(), python=platform.python_version(), numpy=np.__version__,
                scipy=scipy.__version__, semrsm_native=semrsm_native.build_info())
    try:
        import lap

        info["lapx"] = getattr(lap, "__version__", "?")
    except ImportError:
        pass
    try:
        cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        info["cpu"] = {k.strip(): v.strip() for k, v in (l.split(":", 1) for l in cpu.splitlines() if ":" in l)
                       if k.strip() in ("Model name", "CPU(s)", "L2 cache", "L3 cache", "CPU max MHz")}
    except OSError:
        pass
    info["cores_available"] = len(os.sched_getaffinity(0))
    info["loadavg_start"] = os.getloadavg()
    return info


def write_markdown(path: Path, res: dict) -> None:
    L = ["# Semantic RSM benchmark", ""]
    m = res["machine"]
    L.append(f"Machine: {m.get('cpu', {}).get('Model name', '?')}, {m['cores_available']} cores available, "
             f"SIMD {m['semrsm_native']['simd']}; Python {m['python']}, NumPy {m['numpy']}, scipy {m['scipy']}, "
             f"lapx {m.get('lapx', '?')}. Load average at start {m['loadavg_start'][0]:.2f}, at end "
             f"{res['loadavg_end'][0]:.2f} (other jobs shared the cores{'' if res['loadavg_end'][0] > 0.5 else ' little'}).")
    L.append(f"Mode: {'quick' if res['quick'] else 'full'}. Medians of repeated runs after a warm-up "
             "(one run for S = 784, where N is smaller to bound the run time; ms / pair compares across N). "
             "Semantic cosine RSM of N samples against themselves.")
    cores = m["cores_available"]
    if max(m["loadavg_start"][0], res["loadavg_end"][0]) > cores:
        L.append("")
        L.append(f"**Measured under load**: the load average exceeded the {cores} available cores (other "
                 "jobs were running), so absolute times are inflated and the 2-thread rows, which compete "
                 "with those jobs, are distorted most (for every method); the 1-thread ratios are the more "
                 "reliable comparison.")
    L += ["", "## Whole RSM, seconds", "",
          "| features | C | S | N | method | threads | seconds | ms / pair |", "|---|---|---|---|---|---|---|---|"]
    for r in res["speed"]:
        note = f" (measured at N={r['measured_N']}, projected)" if r.get("projected") else ""
        L.append(f"| {r['features']} | {r['C']} | {r['S']} | {r['N']} | {r['method']}{note} | {r['threads']} | "
                 f"{r['seconds']:.4f} | {r['ms_per_pair']:.4f} |")
    L += ["", "## Speed-ups of the exact semrsm_native RSM", "",
          "| features | S | vs composite, 1 thread each | vs composite, 2 threads each | vs reference (authors' default: 2 processes) |",
          "|---|---|---|---|---|"]
    for key, d in res["speedups"].items():
        kind, s = key.split("/", 1)
        L.append(f"| {kind} | {s} | {d['vs_composite_1t']:.2f}x | {d['vs_composite_2t']:.2f}x | {d['vs_reference']:.1f}x |")
    if res["quality"]:
        L += ["", "## Quality of the approximations (matched linear similarity / exact), off-diagonal pairs", "",
              "| features | C | S | N | matcher | mean | min | max | speed-up vs exact |", "|---|---|---|---|---|---|---|---|---|"]
        for q in res["quality"]:
            name = q["matcher"] + (f" (window {q['window']})" if q["window"] else "")
            L.append(f"| {q['features']} | {q['C']} | {q['S']} | {q['N']} | {name} | {q['mean_fraction']:.5f} | {q['min_fraction']:.5f} | "
                     f"{q['max_fraction']:.5f} | {q['speedup_vs_exact']:.1f}x |")
    L += ["", "## Targets (issues 3 and 8)", "", "| target | measured | met |", "|---|---|---|"]
    for name, value, ok in targets(res):
        L.append(f"| {name} | {value} | {'yes' if ok else 'no'} |")
    mem = res["memory"]
    if not mem:
        path.write_text("\n".join(L) + "\n")
        return
    L += ["", "## Peak memory", "",
          f"N={mem['N']}, C={mem['C']}, S={mem['S']}, float32, 2 threads: inputs {mem['input_bytes'] / 2**20:.1f} MB, "
          f"output {mem['output_bytes'] / 2**20:.1f} MB, peak RSS growth during the call "
          f"{mem['extra_over_inputs'] / 2**20:.1f} MB, i.e. {mem['extra_beyond_output_MB']:.1f} MB beyond the output "
          f"(target: at most 64 MB); {mem['seconds']:.1f} s."]
    path.write_text("\n".join(L) + "\n")


def targets(res: dict) -> list[tuple[str, str, bool]]:
    out = []
    sp = res["speedups"]
    for key, goal, what in (("gamma/196/N=48", 2.5, "composite"), ("gamma/49/N=200", 3.0, "composite"),
                            ("gamma/196/N=32", 10.0, "reference")):
        if key in sp:  # issue 8: exact RSM on hard (gamma) costs, 2 threads
            val = sp[key]["vs_composite_2t" if what == "composite" else "vs_reference"]
            out.append((f"exact >= {goal}x {what} on {key} (2 threads)", f"{val:.2f}x", val >= goal))
    for key, d in res["speedups"].items():
        if key.endswith("/196"):
            out.append((f"exact >= 1.5x composite at S=196 ({key.split('/')[0]}, 2 threads)",
                        f"{d['vs_composite_2t']:.2f}x (1 thread: {d['vs_composite_1t']:.2f}x)", d["vs_composite_2t"] >= 1.5))
            out.append((f"exact >= 10x the authors' default at S=196 ({key.split('/')[0]})",
                        f"{d['vs_reference']:.1f}x", d["vs_reference"] >= 10))
    q = res["quality"]

    def pick(kind, m, s):
        return next((r for r in q if r["features"] == kind and r["matcher"] == m and r["S"] == s), None)

    for kind in FEATURES:
        g = [r for r in q if r["features"] == kind and r["matcher"] == "greedy"]
        if g:
            worst = min(r["mean_fraction"] for r in g)
            out.append((f"greedy >= 0.95 of exact ({kind}, mean per S, worst S)", f"{worst:.4f}", worst >= 0.95))
        a = [r for r in q if r["features"] == kind and r["matcher"] == "auction"]
        if a:
            worst = min(r["min_fraction"] for r in a)
            out.append((f"auction within 1e-4 of exact ({kind}, worst pair)", f"{1 - worst:.2e}", 1 - worst <= 1e-4))
        for s, goal in ((784, 0.96), (3136, 0.92)):
            r = pick(kind, "batch_optimal", s)
            if r:
                out.append((f"batch_optimal (w=128) >= {goal} at S={s} ({kind})", f"{r['mean_fraction']:.4f}", r["mean_fraction"] >= goal))
        r = pick(kind, "batch_optimal", 3136)
        if r:
            out.append((f"batch_optimal >= 10x faster than exact at S=3136 ({kind})", f"{r['speedup_vs_exact']:.1f}x", r["speedup_vs_exact"] >= 10))
    mem = res.get("memory")
    if mem:
        out.append((f"peak memory <= inputs + output + 64 MB (N={mem['N']}, S=49, C=512)",
                    f"{mem['extra_beyond_output_MB']:.1f} MB beyond inputs + output", mem["extra_beyond_output_MB"] <= 64))
    return out


def plot(path: Path, res: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    ax = axes[0]
    speed = [r for r in res["speed"] if r["features"] == PRIMARY]
    sizes = sorted({r["S"] for r in speed})
    methods = []
    for r in speed:
        key = (r["method"], r["threads"])
        if key not in methods:
            methods.append(key)
    width = 0.8 / len(methods)
    for k, (meth, t) in enumerate(methods):
        vals = [next((r["seconds"] for r in speed if r["S"] == s and r["method"] == meth and r["threads"] == t), np.nan) for s in sizes]
        ax.bar(np.arange(len(sizes)) + k * width, vals, width, color=plt.cm.tab20(k % 20),
               label=f"{meth.replace('semrsm_native:', '')} ({t}t)")
    ns = {s: next(r["N"] for r in speed if r["S"] == s) for s in sizes}
    ax.set_xticks(np.arange(len(sizes)) + 0.4 - width / 2, [f"S={s}, N={ns[s]}" for s in sizes])
    ax.set_yscale("log")
    ax.set_ylabel("seconds per RSM (log)")
    ax.set_title(f"Semantic cosine RSM, {PRIMARY} features")
    ax.legend(fontsize=6, ncol=2)
    ax = axes[1]
    for kind, style in zip(FEATURES, ("o-", "s--", "^:")):
        for m in sorted({q["matcher"] for q in res["quality"]}):
            qs = [q for q in res["quality"] if q["matcher"] == m and q["features"] == kind]
            if qs:
                ax.plot([q["S"] for q in qs], [q["mean_fraction"] for q in qs], style, label=f"{m} ({kind})")
    ax.set_xscale("log")
    ax.set_xlabel("S (positions)")
    ax.set_ylabel("fraction of exact similarity")
    ax.set_title("Approximation quality")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, one repetition")
    ap.add_argument("--out", type=Path, default=HERE / "results", help="output folder")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--hard-only", action="store_true",
                    help="only the hard-cost (gamma) speed rows of issue 8: no quality or memory section")
    ap.add_argument("--suffix", default="", help="appended to the result file names (e.g. _avx2)")
    ap.add_argument("--memory-only", action="store_true",
                    help="re-measure only the peak memory and update existing results")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = ("rsm.quick" if args.quick else "rsm") + ("_hard" if args.hard_only else "") + args.suffix
    if args.memory_only:
        res = json.loads((args.out / f"{stem}.json").read_text())
        res["memory"] = memory_section(args.quick)
        (args.out / f"{stem}.json").write_text(json.dumps(res, indent=2, default=str))
        write_markdown(args.out / f"{stem}.md", res)
        return 0
    res = dict(quick=args.quick, machine=machine_info())
    matchers = available_matchers()
    print("matchers:", matchers, flush=True)
    res["speed"] = speed_section(args.quick, matchers, args.hard_only)
    res["speedups"] = {}
    for kind, s, n in sorted({(r["features"], r["S"], r["N"]) for r in res["speed"]}):
        def get(meth, t, kind=kind, s=s, n=n):
            return next((r["seconds"] for r in res["speed"] if r["features"] == kind and r["S"] == s
                         and r["N"] == n and r["method"] == meth and r["threads"] == t), float("nan"))

        ours2 = get("semrsm_native:hungarian", 2)
        key = f"{kind}/{s}" if kind != "gamma" else f"{kind}/{s}/N={n}"
        res["speedups"][key] = dict(
            vs_composite_2t=get("composite:numpy+lapx.lapjvh_batch", 2) / ours2,
            vs_composite_1t=get("composite:numpy+lapx.lapjvh_batch", 1) / get("semrsm_native:hungarian", 1),
            vs_reference=get("reference:authors-algorithm(2 processes)", 2) / ours2,
        )
    res["quality"] = [] if args.hard_only else quality_section(args.quick, matchers)
    res["memory"] = {} if (args.skip_memory or args.hard_only) else memory_section(args.quick)
    res["loadavg_end"] = os.getloadavg()
    (args.out / f"{stem}.json").write_text(json.dumps(res, indent=2, default=str))
    write_markdown(args.out / f"{stem}.md", res)
    if not args.hard_only:
        plot(args.out / f"{stem}.png", res)
    print(f"wrote {args.out / stem}.{{json,md,png}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
