"""``semrsm`` flags and option pass-through (issue 14): ``--version``, ``--debug``, and every
option of ``compute``, ``bench`` and ``demo`` reaching the function that does the work with
the value given (recorded by stand-ins, so a dropped or renamed option fails here even
where the default happens to give the same numbers).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import semrsm_native
from semrsm_native import cli
from semrsm_native._io import ActivationFileError


def _run(*args):
    env = dict(os.environ, SEMRSM_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "semrsm_native", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=120)


# ---- --version ----------------------------------------------------------------------------


def test_version_in_process(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"semrsm_native {semrsm_native.__version__}"


def test_version_as_a_command():
    proc = _run("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"semrsm_native {semrsm_native.__version__}"
    assert proc.stderr == ""


# ---- --debug ------------------------------------------------------------------------------


def test_debug_shows_the_traceback(tmp_path):
    missing = tmp_path / "missing.npy"
    plain = _run("compute", missing, "-o", tmp_path / "o.npz")
    assert plain.returncode == 1 and "Traceback" not in plain.stderr
    assert plain.stderr.strip() == f"semrsm: error: {missing}: no such file"
    debug = _run("--debug", "compute", missing, "-o", tmp_path / "o.npz")
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1] == (
        f"semrsm_native._io.ActivationFileError: {missing}: no such file"
    )


def test_debug_reraises_in_process(tmp_path, capsys):
    with pytest.raises(ActivationFileError, match="no such file"):
        cli.main(["--debug", "compute", str(tmp_path / "missing.npy"), "-o", str(tmp_path / "o.npz")])
    assert cli.main(["compute", str(tmp_path / "missing.npy"), "-o", str(tmp_path / "o.npz")]) == 1
    assert capsys.readouterr().err.count("\n") == 1


def test_debug_is_not_needed_for_success(tmp_path):
    np.save(tmp_path / "x.npy", np.ones((3, 2, 2, 2), np.float32))
    assert cli.main(["--debug", "compute", str(tmp_path / "x.npy"), "-o", str(tmp_path / "o.npz")]) == 0


# ---- compute: every option reaches semantic_rsm / spatio_semantic_rsm ---------------------


class _Recorder:
    def __init__(self, value=0.5):
        self.calls: list[tuple[tuple, dict]] = []
        self.value = value

    def __call__(self, x, *args, **kwargs):
        self.calls.append((args, kwargs))
        n = np.asarray(x).shape[0]
        kernel = kwargs.get("kernel", "cosine")
        if isinstance(kernel, (list, tuple)):
            return {k: np.full((n, n), self.value + i) for i, k in enumerate(kernel)}
        return np.full((n, n), self.value)


@pytest.fixture
def recorded(monkeypatch):
    sem, spatio = _Recorder(0.5), _Recorder(-1.0)
    monkeypatch.setattr(semrsm_native, "semantic_rsm", sem)
    monkeypatch.setattr(semrsm_native, "spatio_semantic_rsm", spatio)
    return sem, spatio


def test_compute_passes_every_option(tmp_path, recorded, capsys):
    sem, spatio = recorded
    x = np.ones((5, 4, 3), np.float32)  # (N, T, D)
    np.save(tmp_path / "tok.npy", x)
    out = tmp_path / "o.npz"
    code = cli.main([
        "compute", str(tmp_path / "tok.npy"), "-o", str(out), "--kernel", "rbf,linear", "--matcher", "auction",
        "--window", "7", "--eps", "0.001", "--cost", "cosine", "--sigma", "2.5", "--layout", "ntd",
        "--threads", "3", "--no-progress", "--device", "cpu", "--baseline",
    ])
    assert code == 0, capsys.readouterr().err
    (args, kw), = sem.calls
    assert args == ()
    assert kw == {"kernel": ["rbf", "linear"], "matcher": "auction", "cost": "cosine", "layout": "ntd",
                  "window": 7, "eps": 0.001, "sigma": 2.5, "threads": 3, "progress": False, "device": "cpu"}
    assert [c[1] for c in spatio.calls] == [
        {"kernel": "rbf", "sigma": 2.5, "device": "cpu"}, {"kernel": "linear", "sigma": 2.5, "device": "cpu"},
    ]
    with np.load(out) as z:
        params = json.loads(str(z["parameters"]))
        # each result stored under its own key (a mix-up of kernels or of the baseline fails)
        np.testing.assert_array_equal(z["semantic/tok/rbf"], np.full((5, 5), 0.5))
        np.testing.assert_array_equal(z["semantic/tok/linear"], np.full((5, 5), 1.5))
        np.testing.assert_array_equal(z["spatio_semantic/tok/rbf"], np.full((5, 5), -1.0))
    for key, value in {"kernels": ["rbf", "linear"], "matcher": "auction", "window": 7, "eps": 0.001,
                       "cost": "cosine", "sigma": 2.5, "layout": "ntd", "threads": 3, "device": "cpu",
                       "baseline": True}.items():
        assert params[key] == value, key


def test_compute_defaults(tmp_path, recorded):
    sem, spatio = recorded
    np.save(tmp_path / "x.npy", np.ones((3, 2, 2, 2), np.float32))
    assert cli.main(["compute", str(tmp_path / "x.npy"), "-o", str(tmp_path / "o.npz"), "--progress"]) == 0
    (_, kw), = sem.calls
    assert kw == {"kernel": ["cosine"], "matcher": "hungarian", "cost": "inner", "layout": None, "window": 128,
                  "eps": None, "sigma": None, "threads": None, "progress": True, "device": "auto"}
    assert spatio.calls == []


@pytest.mark.parametrize("option, value", [("--sigma", "nan"), ("--sigma", "0"), ("--eps", "nan"), ("--eps", "-1"),
                                           ("--window", "0"), ("--threads", "0"), ("--window", "2.5")])
def test_compute_refuses_bad_numbers_as_usage_errors(tmp_path, option, value, capsys):
    np.save(tmp_path / "x.npy", np.ones((3, 2, 2, 2), np.float32))
    with pytest.raises(SystemExit) as exc:
        cli.main(["compute", str(tmp_path / "x.npy"), "-o", str(tmp_path / "o.npz"), option, value])
    assert exc.value.code == 2
    assert f"argument {option}" in capsys.readouterr().err


# ---- bench and demo -----------------------------------------------------------------------


def test_bench_passes_its_options(tmp_path, monkeypatch, capsys):
    from semrsm_native import matcher_bench

    seen = {}

    def fake_bench(acts, **kw):
        seen["acts"] = {k: v.shape for k, v in acts.items()}
        seen.update(kw)
        return [{"layer": "l", "positions": 4, "features": 2, "matcher": "greedy", "fraction_median": 1.0,
                 "fraction_min": 1.0, "ms_per_pair": 1.0}]

    monkeypatch.setattr(matcher_bench, "run_matcher_benchmark", fake_bench)
    monkeypatch.setattr(matcher_bench, "format_benchmark", lambda rows: "table")
    np.savez(tmp_path / "a.npz", l1=np.ones((9, 2, 2, 2), np.float32), l2=np.ones((9, 3, 2), np.float32))
    code = cli.main(["bench", "--acts", str(tmp_path / "a.npz"), "--layer", "l1", "--samples", "4",
                     "--matchers", "greedy,auction", "--window", "5", "--threads", "2", "--layout", "nhwc",
                     "--no-plot", "--out", str(tmp_path / "b"), "--progress"])
    assert code == 0, capsys.readouterr().err
    assert seen == {"acts": {"l1": (4, 2, 2, 2)}, "matchers": ["greedy", "auction"], "window": 5, "threads": 2,
                    "layout": "nhwc", "progress": True}


def test_demo_passes_its_options(tmp_path, monkeypatch):
    from semrsm_native import demo

    seen = {}
    monkeypatch.setattr(demo, "run_demo", lambda out, **kw: seen.update(out=out, **kw))
    code = cli.main(["demo", "--out", str(tmp_path), "--quick", "--kernel", "linear", "--matcher", "greedy",
                     "--seed", "4", "--threads", "2", "--no-plot", "--no-progress"])
    assert code == 0
    assert seen == {"out": str(tmp_path), "quick": True, "kernel": "linear", "matcher": "greedy", "threads": 2,
                    "seed": 4, "progress": False, "plots": False}
