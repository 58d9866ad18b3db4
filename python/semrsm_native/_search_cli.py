"""``semrsm search``: exact top-k retrieval (semantic_topk) between two activation files."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

__all__ = ["add_search_parser", "pair_layers"]


def _eps_list(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid eps {text!r}: expected numbers like 1e-2,1e-3") from None
    if any(not (0.0 < v < 1.0) for v in values):
        raise argparse.ArgumentTypeError(f"invalid eps {text!r}: each must be in (0, 1)")
    if any(b >= a for a, b in zip(values, values[1:])):
        raise argparse.ArgumentTypeError(f"invalid eps {text!r}: must decrease")
    return values


def add_search_parser(sub: Any, add_common: Callable[[argparse.ArgumentParser], None],
                      positive_int: Callable[[str], int], positive_float: Callable[[str], float],
                      layouts: tuple[str, ...], run: Callable[[argparse.Namespace], int]) -> None:
    """Register the ``search`` subcommand on ``sub`` (the CLI's subparsers)."""
    s = sub.add_parser(
        "search",
        help="exact top-k neighbours of queries in a database under the semantic similarity",
        description="For every query sample, the k most similar database samples under the "
        "semantic similarity: exactly the top of each row of the exact semantic RSM (ties: lower "
        "index), found without solving most pairs exactly (certified intervals from a coarse "
        "auction first). Without DATABASE, each sample's neighbours among the other samples of "
        "QUERIES. Writes OUT.npz with 'indices/LAYER' (Q x k, int64), 'similarities/LAYER' and "
        "'parameters' (a JSON string with the settings and, per layer, the pairs per stage).",
        epilog="example:\n  semrsm search queries.npy database.npy -k 10 -o neighbours.npz",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("queries", metavar="QUERIES", help="query activations (file formats as in compute)")
    s.add_argument("database", metavar="DATABASE", nargs="?", default=None,
                   help="database activations (default: search QUERIES within itself)")
    s.add_argument("-k", type=positive_int, default=10, help="neighbours per query (default 10)")
    s.add_argument("-o", "--output", required=True, metavar="OUT.npz", help="output file (.npz)")
    s.add_argument("--kernel", choices=("cosine", "linear", "rbf"), default="cosine",
                   help="similarity (default cosine); rbf needs --sigma")
    s.add_argument("--sigma", type=positive_float, default=None, help="RBF bandwidth (required for rbf)")
    s.add_argument("--eps", type=_eps_list, default=None, metavar="E[,E...]",
                   help="final epsilons of the coarse auction stages, decreasing (default 1e-2); "
                   "only the time depends on them")
    s.add_argument("--layer", action="append", default=None, metavar="NAME",
                   help="layer to use (repeatable; default: every layer both files have)")
    s.add_argument("--layout", choices=layouts, default=None,
                   help="layout of the arrays (default: nchw for 4-D, ntd for 3-D)")
    add_common(s)
    s.set_defaults(func=run, validate=_validate, subparser=s)


def _validate(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.kernel == "rbf" and args.sigma is None:
        parser.error("--kernel rbf needs --sigma (the median bandwidth needs every pair)")


def pair_layers(q: dict[str, np.ndarray], db: dict[str, np.ndarray] | None) -> list[tuple[str, str]]:
    """(query layer, database layer) pairs: the same names, or the single array of each file
    (a .npy file's layer is named after the file)."""
    if db is None:
        return [(name, name) for name in q]
    common = [name for name in q if name in db]
    if common:
        return [(name, name) for name in common]
    if len(q) == 1 and len(db) == 1:
        return [(next(iter(q)), next(iter(db)))]
    raise ValueError(f"the files share no layer name (queries: {sorted(q)}, database: {sorted(db)})")


def run_search(args: argparse.Namespace, failure: type[Exception], progress: bool) -> int:
    """The ``search`` subcommand; ``failure`` is the CLI's one-line error type."""
    from . import __version__
    from ._io import load_activations
    from .topk import DEFAULT_EPS, semantic_topk

    out = Path(args.output)
    if out.suffix.lower() != ".npz":
        raise failure(f"{out}: the output must be an .npz file")
    if not out.parent.exists():
        raise failure(f"{out}: directory {out.parent} does not exist")
    ranks = (4,) if args.layout in ("nchw", "nhwc") else (3,) if args.layout == "ntd" else (3, 4)
    q = load_activations(args.queries, args.layer, ranks=ranks)
    db = None if args.database is None else load_activations(args.database, args.layer, ranks=ranks)
    try:
        pairs = pair_layers(q, db)
    except ValueError as exc:
        raise failure(str(exc)) from None
    eps = DEFAULT_EPS if args.eps is None else tuple(args.eps)
    results: dict[str, np.ndarray] = {}
    stages: dict[str, Any] = {}
    timings: dict[str, float] = {}
    for qname, dname in pairs:
        t = time.perf_counter()
        try:
            idx, sim, stats = semantic_topk(
                q[qname], None if db is None else db[dname], args.k, kernel=args.kernel,
                sigma=args.sigma, layout=args.layout, eps=eps, threads=args.threads,
                progress=progress, return_stats=True,
            )
        except (ValueError, TypeError) as exc:
            raise failure(f"layer {qname!r}: {exc}") from exc
        timings[qname] = time.perf_counter() - t
        results[f"indices/{qname}"] = np.asarray(idx)
        results[f"similarities/{qname}"] = np.asarray(sim)
        stages[qname] = stats
        print(f"{qname}: top {args.k} of {q[qname].shape[0]} queries in {timings[qname]:.2f} s; "
              f"{stats['exact']} of {stats['pairs']} pairs solved exactly", flush=True)
    parameters = {
        "semrsm_native": __version__, "queries": str(args.queries),
        "database": None if args.database is None else str(args.database),
        "layers": {a: b for a, b in pairs}, "k": args.k, "kernel": args.kernel,
        "sigma": args.sigma, "eps": list(eps), "layout": args.layout, "threads": args.threads,
        "stages": stages, "seconds": timings, "keys": list(results),
    }
    np.savez(out, parameters=np.array(json.dumps(parameters)), **results)
    print(f"Wrote {out}")
    return 0
