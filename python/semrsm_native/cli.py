"""The ``semrsm`` command line: compute RSMs from saved activations, run the demo, compare
matchers, describe the build.

Exit codes: 0 success, 1 failure (unreadable or unsuitable input, a computation that raised),
2 usage error (argparse), 130 interrupted. Failures print one line, ``semrsm: error: ...``, on
stderr and no traceback (``--debug`` shows it).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ._checks import argparse_type, positive_float, positive_int
from ._vocabulary import LAYOUTS, MATCHERS
from ._vocabulary import KERNELS as _KERNELS

__all__ = ["main", "build_parser"]


KERNELS = tuple(sorted(_KERNELS))  # alphabetical in the help text and messages


class _Failure(Exception):
    """An error to report in one line with exit code 1."""


def _name_list(what: str, allowed: Callable[[], Sequence[str]]) -> Callable[[str], list[str]]:
    """An argparse type: a comma-separated list of names of ``allowed()`` (asked only when a
    value is parsed, so that a list kept elsewhere is imported only then), repeats dropped."""

    def parse(text: str) -> list[str]:
        names = [k.strip() for k in text.split(",") if k.strip()]
        choices = allowed()
        bad = [k for k in names if k not in choices]
        if not names or bad:
            raise argparse.ArgumentTypeError(
                f"invalid {what} {bad[0] if bad else text!r}: choose from {', '.join(choices)} (comma-separated)"
            )
        return list(dict.fromkeys(names))

    return parse


def _bench_matchers() -> Sequence[str]:
    from .matcher_bench import BENCH_MATCHERS

    return BENCH_MATCHERS


_kernel_list = _name_list("kernel", lambda: KERNELS)
_matcher_list = _name_list("matcher", _bench_matchers)


def _size_list(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid sizes {text!r}: expected integers like 49,196,784") from None
    for s in sizes:
        r = int(round(np.sqrt(s)))
        if s < 1 or r * r != s:
            raise argparse.ArgumentTypeError(f"invalid size {s}: positions must be perfect squares (H*W)")
    if not sizes:
        raise argparse.ArgumentTypeError("no sizes given")
    return sizes


# The same checks as the Python API (semrsm_native._checks), as argparse types.
_positive_int = argparse_type(int, positive_int, "a positive integer")
_positive_float = argparse_type(float, positive_float, "a positive number")


def _progress(args: argparse.Namespace) -> bool:
    if args.progress is not None:
        return bool(args.progress)
    return sys.stderr.isatty()


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=_positive_int, default=None,
                   help="worker threads (default: all available cores, or SEMRSM_NUM_THREADS)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show progress bars (default: when stderr is a terminal)")


def build_parser() -> argparse.ArgumentParser:
    """Build the ``semrsm`` argument parser.

    Returns
    -------
    argparse.ArgumentParser
        The parser with the ``compute``, ``demo``, ``bench``, ``search`` and ``info`` subcommands.
    """
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="semrsm",
        description="Semantic representational similarity matrices (Wald et al., NeurIPS 2024): "
        "RSMs that compare what a layer represents, not where.",
    )
    parser.add_argument("--version", action="version", version=f"semrsm_native {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of a failure")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    c = sub.add_parser(
        "compute",
        help="semantic RSMs of saved activations",
        # Wrapped here: the raw formatter (for the examples) keeps line breaks as written.
        description="Compute one semantic RSM per layer and kernel from a file of activations and\n"
        "write them to an .npz file (-o), with the parameters used stored in its 'parameters'\n"
        "entry (a JSON string). Keys: 'semantic/LAYER/KERNEL' (and 'spatio_semantic/LAYER/KERNEL'\n"
        "with --baseline).\n\n"
        "With --store DIR the RSMs are computed tile by tile into resumable Zarr stores\n"
        "DIR/LAYER/KERNEL (needs the dask extra): interrupted, the same command resumes where it\n"
        "stopped; --workers N or --scheduler ADDRESS spreads the tiles over Dask workers.",
        epilog="examples:\n"
        "  semrsm compute acts.npz -o rsm.npz --kernel cosine,rbf\n"
        "  semrsm compute acts.npy --store rsm.zarr --tile 256            # resumable, this process\n"
        "  semrsm compute acts.npy --store rsm.zarr --workers 4 --threads 2   # LocalCluster\n"
        "  semrsm compute acts.npy --store /shared/rsm.zarr --scheduler tcp://head:8786\n"
        "The stores open with semrsm_native.open_rsm('DIR/LAYER/KERNEL').",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument("acts", metavar="ACTS",
                   help="activations: .npy (one array; memory-mapped with --store), .npz (one array per "
                   "layer), .pt/.pth (a tensor or a dict of tensors; loaded with weights_only=True), "
                   ".safetensors, or a Zarr v3 array or group directory (read tile by tile with --store); "
                   "each array (N, C, H, W) or (N, T, D)")
    c.add_argument("-o", "--output", default=None, metavar="OUT.npz",
                   help="output file (.npz); required unless --store is given (with --store, the "
                   "finished RSMs are also written here)")
    st = c.add_argument_group("resumable and distributed runs (pip install 'semrsm-native[dask]')")
    st.add_argument("--store", default=None, metavar="DIR",
                    help="compute tile by tile into resumable Zarr v3 stores DIR/LAYER/KERNEL; run the "
                    "same command again to resume (other inputs or options are refused); each kernel is "
                    "its own store and its own matching pass")
    st.add_argument("--tile", type=_positive_int, default=256, metavar="T",
                    help="samples per tile side with --store (default 256); fixed per store")
    where = st.add_mutually_exclusive_group()
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run the tiles on the Dask cluster at ADDRESS (e.g. tcp://host:8786); the "
                       "store and ACTS must be on storage every worker sees; --threads per task "
                       "(default 1)")
    where.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                       help="run the tiles on a local Dask cluster of N worker processes; --threads per "
                       "worker (default: the cores divided among them)")
    c.add_argument("--kernel", type=_kernel_list, default=["cosine"], metavar="K[,K...]",
                   help="kernels, comma-separated, from cosine, linear, rbf (default: cosine); one "
                   "matching serves all")
    c.add_argument("--matcher", choices=MATCHERS, default="hungarian",
                   help="hungarian (exact, default), greedy, auction, batch_optimal")
    c.add_argument("--window", type=_positive_int, default=128, help="window of batch_optimal (default 128)")
    c.add_argument("--eps", type=_positive_float, default=None, help="final epsilon of auction")
    c.add_argument("--cost", choices=("inner", "cosine"), default="inner",
                   help="what the matching maximises: inner products (default) or cosines of concept vectors")
    c.add_argument("--sigma", type=_positive_float, default=None,
                   help="RBF bandwidth (default: the median heuristic)")
    c.add_argument("--layer", action="append", default=None, metavar="NAME",
                   help="layer to use (repeatable; default: every array in the file)")
    c.add_argument("--layout", choices=LAYOUTS, default=None,
                   help="layout of the arrays (default: nchw for 4-D, ntd for 3-D)")
    c.add_argument("--baseline", action="store_true", help="also compute the spatio-semantic (classic) RSMs")
    c.add_argument("--bounds", action="store_true",
                   help="also write certified bounds on the exact semantic similarities, "
                   "semantic_lower/LAYER/KERNEL <= exact <= semantic_upper/LAYER/KERNEL (equal for "
                   "hungarian; CPU, --cost inner; rbf with an approximate matcher needs --sigma)")
    c.add_argument("--plot", metavar="OUT.png", default=None, help="also draw the RSMs as heatmaps")
    c.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where to compute (default auto: the GPU only for GPU inputs; with --store, "
                   "cuda computes every tile on the GPU, on Dask on each worker's own GPU)")
    _add_common(c)
    c.set_defaults(func=_cmd_compute, validate=_validate_compute, subparser=c)

    d = sub.add_parser(
        "demo",
        help="translated crops of real photographs: semantic vs classic RSMs (the paper's Figure 2)",
        description="Cut pairs of overlapping, translated crops from photographs shipped with "
        "scikit-image, pass them through a fixed-seed convolutional network, and compare how the "
        "spatio-semantic and the semantic RSM rate translated pairs against different images. "
        "Offline and deterministic; writes demo.png, demo_results.json and demo_rsms.npz.",
    )
    d.add_argument("--out", default="semrsm-demo", metavar="DIR", help="output directory (default semrsm-demo)")
    d.add_argument("--quick", action="store_true", help="8 photographs, one pair each (seconds)")
    d.add_argument("--retrieval", action="store_true",
                   help="the retrieval experiment instead: find each photograph's translated crop among "
                   "crops of all photographs (semantic_topk vs the spatio-semantic search; recall@1/@5; "
                   "writes retrieval.png and retrieval_results.json)")
    d.add_argument("--kernel", choices=KERNELS, default=None,
                   help="kernel (default rbf, as in the paper; cosine with --retrieval, which takes "
                   "cosine or linear)")
    d.add_argument("--matcher", choices=MATCHERS, default="hungarian", help="matcher (default hungarian)")
    d.add_argument("--seed", type=int, default=0, help="seed of crops and network weights (default 0)")
    d.add_argument("--no-plot", action="store_true", help="skip demo.png (no matplotlib needed)")
    _add_common(d)
    d.set_defaults(func=_cmd_demo)

    b = sub.add_parser(
        "bench",
        help="compare matchers: fraction of the exact similarity and time per pair (the paper's Figure 5)",
        description="Compute linear-kernel semantic RSMs with every matcher and report, per size, "
        "the fraction of the exact (Hungarian) similarity each reaches and the time per pair. "
        "Built-in activations (the demo network's conv2 on photographs) unless --acts is given.",
    )
    b.add_argument("--sizes", type=_size_list, default=[49, 196, 784], metavar="S[,S...]",
                   help="positions per sample of the built-in activations (perfect squares; "
                   "default 49,196,784)")
    b.add_argument("--samples", type=_positive_int, default=None, metavar="N",
                   help="samples per RSM (default 16, 8 with --quick)")
    b.add_argument("--quick", action="store_true", help="fewer samples")
    b.add_argument("--acts", default=None, metavar="ACTS", help="benchmark on these activations instead")
    b.add_argument("--layer", action="append", default=None, metavar="NAME", help="layer of --acts (repeatable)")
    b.add_argument("--layout", choices=LAYOUTS, default=None, help="layout of --acts")
    b.add_argument("--matchers", type=_matcher_list, default=None, metavar="M[,M...]",
                   help="matchers (default: hungarian,greedy,auction,batch_optimal,none)")
    b.add_argument("--window", type=_positive_int, default=128, help="window of batch_optimal (default 128)")
    b.add_argument("--out", default="semrsm-bench", metavar="DIR",
                   help="output directory for bench.md, bench.json, bench.png (default semrsm-bench)")
    b.add_argument("--no-plot", action="store_true", help="skip bench.png")
    _add_common(b)
    b.set_defaults(func=_cmd_bench)

    from ._search_cli import add_search_parser

    add_search_parser(sub, _add_common, _positive_int, _positive_float, LAYOUTS, _cmd_search)

    i = sub.add_parser("info", help="what was built", description="Describe the compiled extension.")
    i.add_argument("--json", action="store_true", help="print JSON instead of text")
    i.set_defaults(func=_cmd_info)
    return parser


# --------------------------------------------------------------------------------------------
# compute
# --------------------------------------------------------------------------------------------


def _layer_description(x: np.ndarray, layout: str | None) -> str:
    eff = layout or ("nchw" if x.ndim == 4 else "ntd")
    n = x.shape[0]
    if x.ndim == 4:
        c, h, w = (x.shape[1], x.shape[2], x.shape[3]) if eff == "nchw" else (x.shape[3], x.shape[1], x.shape[2])
        return f"{n} samples x {h * w} positions ({h}x{w}) x {c} features"
    return f"{n} samples x {x.shape[1]} tokens x {x.shape[2]} features"


def _validate_compute(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Usage errors (exit 2) of option combinations argparse cannot express."""
    if args.store is None and (args.scheduler is not None or args.workers is not None):
        parser.error("--scheduler and --workers need --store (the tiles are written there)")
    if args.output is None and args.store is None:
        parser.error("one of -o/--output or --store is required")
    if args.output is None and (args.baseline or args.plot is not None):
        parser.error("--baseline and --plot need -o/--output")
    if args.bounds and args.store is not None:
        parser.error("--bounds is not kept in a store: drop --store (the bounds go to -o/--output)")


def _cmd_compute(args: argparse.Namespace) -> int:
    from . import __version__, semantic_rsm, spatio_semantic_rsm
    from ._io import load_activations

    out = None if args.output is None else Path(args.output)
    if out is not None:
        if out.suffix.lower() != ".npz":
            raise _Failure(f"{out}: the output must be an .npz file")
        if not out.parent.exists():
            raise _Failure(f"{out}: directory {out.parent} does not exist")
        if out.exists() and Path(args.acts).exists() and out.resolve() == Path(args.acts).resolve():
            raise _Failure(f"{out}: the output would overwrite the input")
    if args.plot is not None:
        from .plot import _matplotlib

        _matplotlib()  # fail before the work if matplotlib is missing
    ranks = (4,) if args.layout in ("nchw", "nhwc") else (3,) if args.layout == "ntd" else (3, 4)
    if args.store is not None:
        from ._store_cli import open_lazy_activations

        acts = open_lazy_activations(args.acts, args.layer, ranks)
    else:
        acts = load_activations(args.acts, args.layer, ranks=ranks)
    progress = _progress(args)
    results: dict[str, np.ndarray] = {}
    shapes: dict[str, list[int]] = {}
    timings: dict[str, float] = {}
    if args.store is not None:
        stores = _compute_stores(args, acts, progress, timings)
    for layer, x in acts.items():
        shapes[layer] = list(x.shape)
        if args.store is not None:
            if out is None:
                continue
            from .store import open_rsm

            for kernel, path in stores[layer].items():
                results[f"semantic/{layer}/{kernel}"] = np.asarray(open_rsm(path)[0], dtype=np.float64)
        else:
            print(f"{layer}: {_layer_description(x, args.layout)}", flush=True)
            t = time.perf_counter()
            try:
                K = semantic_rsm(
                    x, kernel=list(args.kernel), matcher=args.matcher, cost=args.cost, layout=args.layout,
                    window=args.window, eps=args.eps, sigma=args.sigma, threads=args.threads,
                    progress=progress, device=args.device,
                    **({"return_bounds": True} if args.bounds else {}),
                )
            except (ValueError, TypeError, NotImplementedError) as exc:
                raise _Failure(f"{args.acts}: layer {layer!r}: {exc}") from exc
            timings[layer] = time.perf_counter() - t
            if args.bounds:
                K, bounds = K
            for kernel in args.kernel:
                results[f"semantic/{layer}/{kernel}"] = np.asarray(K[kernel], dtype=np.float64)
                if args.bounds:
                    results[f"semantic_lower/{layer}/{kernel}"] = np.asarray(bounds.lower[kernel], dtype=np.float64)
                    results[f"semantic_upper/{layer}/{kernel}"] = np.asarray(bounds.upper[kernel], dtype=np.float64)
            print(f"  semantic RSM ({', '.join(args.kernel)}; {args.matcher}) in {timings[layer]:.2f} s",
                  flush=True)
        if args.baseline:
            xb = np.asarray(x)
            for kernel in args.kernel:
                try:
                    B = spatio_semantic_rsm(xb, kernel=kernel, sigma=args.sigma, device=args.device)
                except (ValueError, TypeError) as exc:
                    raise _Failure(f"{args.acts}: layer {layer!r}: {exc}") from exc
                results[f"spatio_semantic/{layer}/{kernel}"] = np.asarray(B, dtype=np.float64)
    if out is None:
        return 0
    parameters = {
        "semrsm_native": __version__,
        "input": str(args.acts),
        "layers": shapes,
        "kernels": list(args.kernel),
        "matcher": args.matcher,
        "window": args.window,
        "eps": args.eps,
        "cost": args.cost,
        "sigma": args.sigma,
        "layout": args.layout,
        "threads": args.threads,
        "device": args.device,
        "baseline": bool(args.baseline),
        "bounds": bool(args.bounds),
        "seconds": timings,
        "keys": list(results),
    }
    if args.store is not None:
        parameters["store"] = {"dir": str(args.store), "tile": args.tile,
                               "paths": {k: {kk: str(p) for kk, p in v.items()} for k, v in stores.items()}}
    np.savez(out, parameters=np.array(json.dumps(parameters)), **results)
    print(f"Wrote {len(results)} RSMs to {out}")
    if args.plot is not None:
        _plot_compute(results, acts, args)
        print(f"Wrote {args.plot}")
    return 0


def _compute_stores(args: argparse.Namespace, acts: dict, progress: bool, timings: dict) -> dict:
    """The ``--store`` path: every layer and kernel into its resumable store, here or on Dask."""
    from . import _store_cli

    options = {"matcher": args.matcher, "cost": args.cost, "layout": args.layout,
               "window": args.window, "eps": args.eps, "sigma": args.sigma}
    client = cluster = None
    threads = args.threads
    if args.scheduler is not None or args.workers is not None:
        client, cluster = _store_cli.dask_client(args.scheduler, args.workers)
        if threads is None and args.workers is not None:
            from ._threads import resolve_threads

            threads = max(1, resolve_threads(None, "semrsm compute") // args.workers)
        elif threads is None:
            threads = 1
        where = args.scheduler or f"a local cluster of {args.workers} workers"
        print(f"Dask: tiles run on {where}, {threads} engine thread(s) per tile", flush=True)
    try:
        stores = {}
        for layer, x in acts.items():
            print(f"{layer}: {_layer_description(x, args.layout)}", flush=True)
            t = time.perf_counter()
            try:
                stores.update(_store_cli.run_stores(
                    {layer: x}, args.store, list(args.kernel), options, tile=args.tile,
                    threads=threads, progress=progress, client=client,
                    # the store's inputs are files on the host: "auto" computes on the CPU
                    device="cuda" if args.device == "cuda" else "cpu",
                ))
            except (ValueError, TypeError) as exc:
                raise _Failure(f"{args.acts}: layer {layer!r}: {exc}") from exc
            timings[layer] = time.perf_counter() - t
        return stores
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


def _plot_compute(results: dict[str, np.ndarray], acts: dict[str, np.ndarray], args: argparse.Namespace) -> None:
    from . import plot

    layers, kernels = list(acts), list(args.kernel)
    cols = len(kernels) * (2 if args.baseline else 1)
    fig = plot._new_figure((4.2 * cols, 3.6 * len(layers)))
    axes = fig.subplots(len(layers), cols, squeeze=False)
    for r, layer in enumerate(layers):
        for k, kernel in enumerate(kernels):
            S = results[f"semantic/{layer}/{kernel}"]
            if args.baseline:
                B = results[f"spatio_semantic/{layer}/{kernel}"]
                plot.plot_rsm_pair(S, B, axes=axes[r, 2 * k : 2 * k + 2],
                                   titles=(f"{layer}: spatio-semantic ({kernel})", f"{layer}: semantic ({kernel})"))
            else:
                plot.plot_rsm(S, axes[r, k], title=f"{layer}: semantic ({kernel})")
    plot.save_figure(fig, args.plot)


# --------------------------------------------------------------------------------------------
# demo, bench, info
# --------------------------------------------------------------------------------------------


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    if not args.no_plot:
        from .plot import _matplotlib

        _matplotlib()
    if args.retrieval:
        from .retrieval import run_retrieval_demo

        kernel = args.kernel or "cosine"
        if kernel == "rbf":
            raise _Failure("--retrieval compares cosine or linear similarities (rbf needs a bandwidth "
                           "from every pair, which a search does not compute)")
        run_retrieval_demo(args.out, quick=args.quick, kernel=kernel, threads=args.threads,
                           seed=args.seed, plots=not args.no_plot)
        return 0
    run_demo(
        args.out, quick=args.quick, kernel=args.kernel or "rbf", matcher=args.matcher, threads=args.threads,
        seed=args.seed, progress=_progress(args), plots=not args.no_plot,
    )
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from .matcher_bench import BENCH_MATCHERS, builtin_activations, format_benchmark, run_matcher_benchmark

    if not args.no_plot:
        from .plot import _matplotlib

        _matplotlib()
    n = args.samples or (8 if args.quick else 16)
    if args.acts is not None:
        from ._io import load_activations

        ranks = (4,) if args.layout in ("nchw", "nhwc") else (3,) if args.layout == "ntd" else (3, 4)
        acts = load_activations(args.acts, args.layer, ranks=ranks)
        acts = {name: x[:n] for name, x in acts.items()}
        source = f"{args.acts} (first {n} samples)"
    else:
        acts = {f"built-in S={s}": builtin_activations(s, n=n) for s in args.sizes}
        source = "built-in activations (demo network conv2, 64 features)"
    matchers = args.matchers or list(BENCH_MATCHERS)
    print(f"Matchers on {source}; linear kernel; exact = hungarian.", flush=True)
    try:
        rows = run_matcher_benchmark(
            acts, matchers=matchers, window=args.window, threads=args.threads, layout=args.layout,
            progress=_progress(args),
        )
    except (ValueError, TypeError) as exc:
        raise _Failure(str(exc)) from exc
    table = format_benchmark(rows)
    print(table)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.md").write_text(table + "\n")
    (out / "bench.json").write_text(json.dumps({"source": source, "rows": rows}, indent=2))
    written = [out / "bench.md", out / "bench.json"]
    if not args.no_plot:
        from . import plot

        written.append(Path(plot.save_figure(plot.plot_matcher_comparison(rows), out / "bench.png")))
    print("Wrote " + ", ".join(str(p) for p in written))
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    from ._search_cli import run_search

    return run_search(args, _Failure, _progress(args))


def _cmd_info(args: argparse.Namespace) -> int:
    from . import build_info

    info = build_info()
    if "cuda" in info:  # list "cuda" (was it built?) before its details
        first = next((k for k in info if k.startswith("cuda")), "cuda")
        keys = list(info)
        keys.remove("cuda")
        keys.insert(keys.index(first) if first != "cuda" else len(keys), "cuda")
        info = {k: info[k] for k in keys}
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    width = max(len(k) for k in info)
    print(f"semrsm_native {info.get('version', '')}")
    for key, value in info.items():
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value) or "(none)"
        elif key == "cuda":
            value = "compiled in" if value else "not compiled in (CPU-only build)"
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        print(f"  {key:<{width}}  {value}")
    return 0


# --------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``semrsm`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code: 0 success, 1 failure, 2 usage error (argparse exits with it directly),
        130 interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "validate", None) is not None:
        args.validate(args.subparser, args)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("semrsm: interrupted", file=sys.stderr)
        return 130
    except (_Failure, ValueError, TypeError, OSError, ImportError, RuntimeError, MemoryError) as exc:
        if args.debug:
            raise
        print(f"semrsm: error: {_one_line(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
