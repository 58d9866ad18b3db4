"""``semrsm compute --store``: resumable tiled runs from the command line, here and on Dask."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

zarr = pytest.importorskip("zarr")

import semrsm_native  # noqa: E402
from semrsm_native import cli, open_rsm  # noqa: E402


def _acts(n=13, seed=0):
    return np.random.default_rng(seed).standard_normal((n, 6, 3, 3)).astype(np.float32)


def _run(*args, env=None, **kw):
    env = dict(os.environ, SEMRSM_NUM_THREADS="1", **(env or {}))
    return subprocess.run([sys.executable, "-m", "semrsm_native", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300, **kw)


def _done(path):
    return np.asarray(zarr.open_group(str(path), mode="r")["done"][...])


def _done_files(path):
    """Tiles marked done so far, cheaply: the done mask's chunk files."""
    return sum(len(f) for _, _, f in os.walk(path / "done" / "c"))


def _upper(done):
    return np.triu(np.ones(done.shape, dtype=bool))


def test_store_run_equals_one_call_and_resumes(tmp_path, capsys):
    x = _acts()
    np.save(tmp_path / "x.npy", x)
    args = ["compute", str(tmp_path / "x.npy"), "--store", str(tmp_path / "st"), "--tile", "4",
            "--kernel", "cosine,rbf", "--threads", "1"]
    assert cli.main(args) == 0
    text = capsys.readouterr().out
    assert "cosine: " in text and "(10 tiles of 4 x 4 samples; new store)" in text
    for k in ("cosine", "rbf"):
        m, meta, complete = open_rsm(tmp_path / "st" / "x" / k)
        assert complete and meta["tile"] == 4
        assert np.array_equal(np.asarray(m), semrsm_native.semantic_rsm(x, kernel=k))
    # Again, with -o: nothing recomputed, the finished RSMs also go to the .npz.
    assert cli.main(args + ["-o", str(tmp_path / "o.npz")]) == 0
    assert "resuming, 10 of 10 tiles done" in capsys.readouterr().out
    assert (_done(tmp_path / "st" / "x" / "cosine")[_upper(_done(tmp_path / "st" / "x" / "cosine"))] == 1).all()
    with np.load(tmp_path / "o.npz") as z:
        assert np.array_equal(z["semantic/x/rbf"], semrsm_native.semantic_rsm(x, kernel="rbf"))
        assert '"tile": 4' in str(z["parameters"])
    # Other options on the same store: refused in one line, exit 1.
    assert cli.main(args[:-2] + ["--matcher", "greedy"]) == 1
    assert "options" in capsys.readouterr().err


def test_sigint_then_resume_recomputes_no_finished_tile(tmp_path):
    """A real Ctrl-C (SIGINT) mid-run: exit 130, finished tiles kept and all correct; the same
    command resumes to the identical matrix, every tile computed exactly once."""
    x = np.random.default_rng(3).standard_normal((30, 8, 4, 4))
    np.save(tmp_path / "x.npy", x)
    path = tmp_path / "st" / "x" / "linear"
    cmd = [sys.executable, "-m", "semrsm_native", "compute", str(tmp_path / "x.npy"), "--store",
           str(tmp_path / "st"), "--tile", "1", "--kernel", "linear", "--threads", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while proc.poll() is None and _done_files(path) < 20:
            time.sleep(0.005)
        assert proc.poll() is None, "the run ended before the interrupt"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (out, err)
    assert "semrsm: interrupted" in err and "Traceback" not in err
    assert "run the same command again to resume" in out
    done = _done(path)
    assert 20 <= done[_upper(done)].sum() < _upper(done).sum()
    ref = semrsm_native.semantic_rsm(x, kernel="linear")
    m = np.asarray(open_rsm(path)[0])
    for ti, tj in zip(*np.nonzero(done)):  # every tile marked done holds its final values
        assert m[ti, tj] == ref[ti, tj] and m[tj, ti] == ref[tj, ti]
    proc = _run(*cmd[3:])
    assert proc.returncode == 0, proc.stderr
    assert f"resuming, {int(done.sum())} of {int(_upper(done).sum())} tiles done" in proc.stdout
    assert np.array_equal(np.asarray(open_rsm(path)[0]), ref)
    done = _done(path)
    assert (done[_upper(done)] == 1).all() and (done[~_upper(done)] == 0).all()


def test_zarr_input_layers_and_workers(tmp_path):
    """A Zarr group of layers read tile by tile, on a two-worker LocalCluster (--workers)."""
    a, b = _acts(9, 1), _acts(7, 2)[:, :, :, 0]
    g = zarr.open_group(str(tmp_path / "acts.zarr"), mode="w")
    g.create_array("conv", data=a, chunks=(2, 6, 3, 3))
    g.create_array("tok", data=b, chunks=(3, 6, 3))
    proc = _run("compute", tmp_path / "acts.zarr", "--store", tmp_path / "st", "--tile", "3",
                "--workers", "2", "--layer", "tok", "--layer", "conv", "--kernel", "rbf")
    assert proc.returncode == 0, proc.stderr
    assert "local cluster of 2 workers" in proc.stdout
    assert proc.stdout.index("tok:") < proc.stdout.index("conv:")
    for name, x in (("conv", a), ("tok", b)):
        m, meta, complete = open_rsm(tmp_path / "st" / name / "rbf")
        assert complete and np.array_equal(np.asarray(m), semrsm_native.semantic_rsm(x, kernel="rbf"))


def test_scheduler_address(tmp_path):
    distributed = pytest.importorskip("distributed")
    x = _acts(10, 4)
    np.save(tmp_path / "x.npy", x)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        proc = _run("compute", tmp_path / "x.npy", "--store", tmp_path / "st", "--tile", "3",
                    "--scheduler", cluster.scheduler_address, "--matcher", "greedy")
        assert proc.returncode == 0, proc.stderr
        assert f"tiles run on {cluster.scheduler_address}, 1 engine thread(s) per tile" in proc.stdout
        with distributed.Client(cluster) as c:
            assert c.run(lambda: 1)  # the cluster outlives the command (it was not ours to close)
    m, _, complete = open_rsm(tmp_path / "st" / "x" / "cosine")
    assert complete and np.array_equal(np.asarray(m), semrsm_native.semantic_rsm(x, matcher="greedy"))


@pytest.mark.parametrize("extra", [
    [],  # neither -o nor --store
    ["--workers", "2"],  # Dask without a store
    ["--store", "S", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
    ["--store", "S", "--baseline"],
    ["--store", "S", "--tile", "0"],
])
def test_store_usage_errors_exit_2(tmp_path, extra):
    np.save(tmp_path / "x.npy", _acts())
    proc = _run("compute", tmp_path / "x.npy", *[str(tmp_path / e) if e == "S" else e for e in extra])
    assert proc.returncode == 2, proc.stderr
    assert "usage:" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "S").exists()


def test_help_documents_the_store_options(capsys):
    with pytest.raises(SystemExit):
        cli.main(["compute", "--help"])
    text = capsys.readouterr().out
    for flag in ("--store DIR", "--tile T", "--scheduler ADDRESS", "--workers N", "resume"):
        assert flag in text


def test_sigint_on_a_local_cluster_then_resume(tmp_path):
    """Ctrl-C of ``--workers 2``: exit 130, the cluster shut down with the command, and the
    same command resumes without recomputing a finished tile."""
    x = np.random.default_rng(9).standard_normal((30, 8, 4, 4))
    np.save(tmp_path / "x.npy", x)
    path = tmp_path / "st" / "x" / "cosine"
    cmd = ["compute", str(tmp_path / "x.npy"), "--store", str(tmp_path / "st"), "--tile", "1",
           "--workers", "2", "--threads", "1"]
    proc = subprocess.Popen([sys.executable, "-m", "semrsm_native", *cmd], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        while proc.poll() is None and _done_files(path) < 20:
            time.sleep(0.005)
        assert proc.poll() is None, "the run ended before the interrupt"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (out, err[-2000:])
    assert "semrsm: interrupted" in err and "run the same command again to resume" in out
    done = _done(path)
    assert done[_upper(done)].sum() < _upper(done).sum()
    proc2 = _run(*cmd)
    assert proc2.returncode == 0, proc2.stderr[-2000:]
    assert np.array_equal(np.asarray(open_rsm(path)[0]), semrsm_native.semantic_rsm(x))
    done = _done(path)
    assert (done[_upper(done)] == 1).all()
