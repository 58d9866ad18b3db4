"""GPU benchmark of the CUDA backend (issue 4). A script, not a test.

Grid: exact / greedy / auction semantic RSMs at N in {256, 1024} for (T=196, D=768),
(S=49, C=2048) and (S=784, C=256), from CUDA tensors (float32); tensor-core precisions for
the ViT shape; batched exact LAP of 1024 x 196^2 realistic costs against
torch-linear-assignment on the same GPU (skipped with a note when it is not installed) and
against our CPU solver. Writes markdown + JSON (default benchmarks/results/gpu.{md,json}).

Every configuration is first timed on a small N and its time for the full N predicted from
the pair count; configurations predicted to exceed what is left of --budget-s are skipped
and reported as such, so the whole script stays inside the time the GPU run allows.

    python benchmarks/bench_gpu.py            # full grid (minutes on an H100/H200)
    python benchmarks/bench_gpu.py --quick    # what tests/gpu/run.sh runs (< 3 minutes)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np


def realistic(n, S, C, seed, device):
    """Post-ReLU-like activations (N, S, C): rectified Gaussians with a shared component."""
    import torch

    g = torch.Generator(device=device).manual_seed(seed)
    base = torch.randn((1, S, C), generator=g, device=device)
    x = torch.randn((n, S, C), generator=g, device=device)
    return torch.relu(0.6 * base + x).float()


def timed(fn, repeat):
    import torch

    times = []
    out = None
    for _ in range(repeat):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        out = fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller grid and budget (for tests/gpu/run.sh)")
    ap.add_argument("--budget-s", type=float, default=None, help="time budget for the RSM grid")
    ap.add_argument("--out", default="benchmarks/results/gpu", help="output path without extension")
    args = ap.parse_args()

    import torch

    import semrsm_native
    from semrsm_native import _tuning, lap, rsm

    if not torch.cuda.is_available():
        print("bench_gpu: no CUDA device visible to torch", file=sys.stderr)
        return 2
    budget = args.budget_s if args.budget_s is not None else (70.0 if args.quick else 1200.0)
    dev = "cuda"
    props = torch.cuda.get_device_properties(0)
    info = semrsm_native.build_info()
    machine = {
        "gpu": props.name,
        "sms": props.multi_processor_count,
        "memory_gib": round(props.total_memory / 2**30, 1),
        "cuda_driver_version": info.get("cuda_driver_version"),
        "cuda_runtime_version": info.get("cuda_runtime_version"),
        "cuda_architectures": info.get("cuda_architectures"),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "cpu_cores": os.cpu_count(),
    }
    print("machine:", json.dumps(machine))
    results: dict = {"machine": machine, "rsm": [], "precision": [], "lap": [], "notes": []}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)

    def save() -> None:
        # Written after every row: a run cut short by its time limit still leaves its numbers.
        out.with_suffix(".json").write_text(json.dumps(results, indent=2))
        out.with_suffix(".md").write_text(markdown(results))

    # Warm-up: loads the module's kernels and sizes the memory pool.
    rsm.semantic_rsm(realistic(4, 8, 8, 0, dev), kernel="linear")
    torch.cuda.synchronize()

    shapes = [(196, 768), (49, 2048), (784, 256)]
    matchers = ["hungarian", "greedy", "auction"]
    sizes = [256, 1024]
    t_start = time.perf_counter()
    for S, C in shapes:
        for matcher in matchers:
            # The probe must hold more problems than the GPU keeps resident (~2-3k warps on
            # an H200), or its time is one problem's latency and the extrapolation lies.
            probe_n = 96 if S <= 196 else 48
            if time.perf_counter() - t_start > budget:
                results["rsm"].append({"S": S, "C": C, "matcher": matcher, "N": None, "pairs": None,
                                       "skipped": "budget spent before the probe"})
                continue
            x = realistic(probe_n, S, C, 1, dev)
            t_probe, _ = timed(lambda: rsm.semantic_rsm(x, kernel=["linear", "cosine", "rbf"], matcher=matcher), 1)
            per_pair = t_probe / (probe_n * (probe_n - 1) / 2)
            for N in sizes:
                pairs = N * (N - 1) // 2
                predicted = per_pair * pairs
                left = budget - (time.perf_counter() - t_start)
                row = {"S": S, "C": C, "matcher": matcher, "N": N, "pairs": pairs,
                       "predicted_s": round(predicted, 3)}
                if predicted > left:
                    row["skipped"] = f"predicted {predicted:.1f} s > {left:.1f} s left of the budget"
                    print("rsm", row)
                    results["rsm"].append(row)
                    save()
                    continue
                xN = realistic(N, S, C, 2, dev)
                t, res = timed(lambda: rsm.semantic_rsm(xN, kernel=["linear", "cosine", "rbf"], matcher=matcher), 1)
                row.update(seconds=round(t, 4), us_per_pair=round(1e6 * t / pairs, 3),
                           mean_cosine=float(res["cosine"].mean()))
                per_pair = t / pairs  # the next, larger N is predicted from this measurement
                print("rsm", row)
                results["rsm"].append(row)
                save()
                del xN, res
                torch.cuda.empty_cache()

    # Quality of the approximations relative to exact (same inputs), and tensor-core precision.
    x = realistic(128 if args.quick else 256, 196, 768, 3, dev)
    t_ex, exact = timed(lambda: rsm.semantic_rsm(x, kernel="linear"), 1)
    iu = torch.triu_indices(x.shape[0], x.shape[0], 1, device=dev)
    ex = exact[iu[0], iu[1]]
    for matcher in ["greedy", "auction"]:
        ap_ = rsm.semantic_rsm(x, kernel="linear", matcher=matcher)[iu[0], iu[1]]
        results["rsm_quality"] = results.get("rsm_quality", [])
        results["rsm_quality"].append({"S": 196, "C": 768, "matcher": matcher,
                                       "min_fraction_of_exact": float((ap_ / ex).min()),
                                       "mean_fraction_of_exact": float((ap_ / ex).mean())})
    for precision in ["tf32", "bf16"]:
        t, got = timed(lambda: rsm.semantic_rsm(x, kernel="linear", precision=precision), 1)
        rel = ((got - exact).abs() / exact.abs().clamp_min(1e-30)).max().item()
        results["precision"].append({"S": 196, "C": 768, "N": x.shape[0], "precision": precision,
                                     "seconds": round(t, 4), "float32_seconds": round(t_ex, 4),
                                     "max_rel_error_vs_float32": rel})
        print("precision", results["precision"][-1])
        save()

    # Batched exact LAP: 1024 problems of 196 x 196 realistic costs (X_i X_j^T, C=512).
    B, S = (1024, 196)
    feats = realistic(2 * B, S, 512, 4, dev)
    costs = torch.bmm(feats[:B], feats[B:].transpose(1, 2)).contiguous()
    del feats
    for placement in ["auto", "shared", "global"]:
        try:
            with _tuning.gpu_tuning(placement=placement):
                t, (col, obj) = timed(lambda: lap.linear_sum_assignment_batch(costs, maximize=True), 3)
        except ValueError as exc:  # 196 x 196 float32 exceeds the shared memory of pre-Hopper GPUs
            results["notes"].append(f"placement={placement}: {exc}")
            continue
        results["lap"].append({"solver": f"semrsm_native GPU ({placement})", "B": B, "n": S,
                               "seconds": round(t, 4), "ms_per_problem": round(1e3 * t / B, 4)})
        print("lap", results["lap"][-1])
        save()
    ours_obj = obj.cpu().numpy()
    ours_t = results["lap"][0]["seconds"]
    for method in ["greedy", "auction"]:
        t, (col_m, obj_m) = timed(lambda: lap.linear_sum_assignment_batch(costs, maximize=True, method=method), 3)
        results["lap"].append({"solver": f"semrsm_native GPU {method}", "B": B, "n": S, "seconds": round(t, 4),
                               "ms_per_problem": round(1e3 * t / B, 4),
                               "min_fraction_of_exact": float((obj_m.cpu().numpy() / ours_obj).min())})
        print("lap", results["lap"][-1])
        save()
    try:
        from torch_linear_assignment import batch_linear_assignment
    except ImportError:
        results["notes"].append("torch-linear-assignment is not installed on this machine: its row is missing")
        print("lap: torch-linear-assignment not installed; skipped")
    else:
        neg = (-costs).contiguous()
        batch_linear_assignment(neg[:8])  # compile / warm up
        t, tla = timed(lambda: batch_linear_assignment(neg), 3)
        tla_obj = costs.gather(2, tla.long().unsqueeze(2)).squeeze(2).double().sum(1).cpu().numpy()
        agree = float(np.max(np.abs(tla_obj - ours_obj) / np.abs(ours_obj)))
        results["lap"].append({"solver": "torch-linear-assignment (GPU)", "B": B, "n": S, "seconds": round(t, 4),
                               "ms_per_problem": round(1e3 * t / B, 4), "max_rel_objective_diff": agree,
                               "our_speedup": round(t / ours_t, 2)})
        print("lap", results["lap"][-1])
        save()
    host = costs.cpu().numpy()
    threads = os.cpu_count() or 1
    t0 = time.perf_counter()
    _, cpu_obj = lap.linear_sum_assignment_batch(host, maximize=True, device="cpu", threads=threads)
    t_cpu = time.perf_counter() - t0
    results["lap"].append({"solver": f"semrsm_native CPU ({threads} threads)", "B": B, "n": S,
                           "seconds": round(t_cpu, 4), "ms_per_problem": round(1e3 * t_cpu / B, 4),
                           "max_rel_objective_diff": float(np.max(np.abs(cpu_obj - ours_obj) / np.abs(ours_obj))),
                           "our_speedup": round(t_cpu / ours_t, 2)})
    print("lap", results["lap"][-1])
    save()
    print(f"bench_gpu: wrote {out.with_suffix('.md')} and {out.with_suffix('.json')}")
    return 0


def markdown(r: dict) -> str:
    m = r["machine"]
    lines = [
        "# GPU benchmark (benchmarks/bench_gpu.py)",
        "",
        f"{m['gpu']} ({m['sms']} SMs, {m['memory_gib']} GiB), driver {m['cuda_driver_version']}, "
        f"runtime {m['cuda_runtime_version']}, built for {m['cuda_architectures']}; torch {m['torch']}, "
        f"Python {m['python']}, {m['cpu_cores']} CPU cores. Inputs are CUDA tensors (float32); one call "
        "computes linear, cosine and RBF from one matching pass.",
        "",
        "## Semantic RSM",
        "",
        "| S | C | matcher | N | pairs | seconds | us / pair | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in r["rsm"]:
        lines.append(
            f"| {row['S']} | {row['C']} | {row['matcher']} | {row['N']} | {row['pairs']} | "
            f"{row.get('seconds', '-')} | {row.get('us_per_pair', '-')} | {row.get('skipped', '')} |"
        )
    if r.get("rsm_quality"):
        lines += ["", "## Approximation quality (fraction of the exact linear similarity)", "",
                  "| matcher | min | mean |", "|---|---|---|"]
        for q in r["rsm_quality"]:
            lines.append(f"| {q['matcher']} | {q['min_fraction_of_exact']:.5f} | {q['mean_fraction_of_exact']:.5f} |")
    lines += ["", "## Tensor-core precision (T=196, D=768)", "",
              "| precision | N | seconds | float32 seconds | max rel. error vs float32 |", "|---|---|---|---|---|"]
    for p in r["precision"]:
        lines.append(f"| {p['precision']} | {p['N']} | {p['seconds']} | {p['float32_seconds']} | "
                     f"{p['max_rel_error_vs_float32']:.2e} |")
    lines += ["", "## Batched LAP, 1024 x 196^2 realistic costs (maximise X_i X_j^T)", "",
              "| solver | seconds | ms / problem | our speed-up | note |", "|---|---|---|---|---|"]
    for row in r["lap"]:
        note = ""
        if "max_rel_objective_diff" in row:
            note = f"objective diff {row['max_rel_objective_diff']:.1e}"
        if "min_fraction_of_exact" in row:
            note = f"min fraction of exact {row['min_fraction_of_exact']:.4f}"
        lines.append(f"| {row['solver']} | {row['seconds']} | {row['ms_per_problem']} | "
                     f"{row.get('our_speedup', '')} | {note} |")
    for n in r["notes"]:
        lines += ["", f"Note: {n}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
