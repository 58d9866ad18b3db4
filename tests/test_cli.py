"""The ``semrsm`` command line, end to end: every input format, bad files, usage errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import semrsm_native
from semrsm_native import cli
from semrsm_native._io import ActivationFileError, load_activations


def _acts(n=6, c=5, h=3, w=3, seed=0):
    rng = np.random.default_rng(seed)
    return np.maximum(rng.standard_normal((n, c, h, w)), 0).astype(np.float32)


def _run(*args, cwd=None):
    env = dict(os.environ, SEMRSM_NUM_THREADS="1")
    return subprocess.run(
        [sys.executable, "-m", "semrsm_native", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=120,
    )


def _assert_one_line_failure(proc, *fragments):
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("semrsm: error: ")
    assert "Traceback" not in proc.stderr
    for f in fragments:
        assert f in lines[0], lines[0]


def _check_output(out, layers, kernels, x_by_layer, baseline=False):
    with np.load(out, allow_pickle=False) as z:
        params = json.loads(str(z["parameters"]))
        assert params["kernels"] == kernels
        assert list(params["layers"]) == layers
        for layer in layers:
            x = x_by_layer[layer]
            expected = semrsm_native.semantic_rsm(x, kernel=kernels)
            for k in kernels:
                K = z[f"semantic/{layer}/{k}"]
                assert K.shape == (x.shape[0], x.shape[0]) and K.dtype == np.float64
                np.testing.assert_allclose(K, expected[k], rtol=1e-6, atol=1e-9)
                if baseline:
                    B = z[f"spatio_semantic/{layer}/{k}"]
                    np.testing.assert_allclose(B, semrsm_native.spatio_semantic_rsm(x, kernel=k),
                                               rtol=1e-6, atol=1e-9)
                else:
                    assert f"spatio_semantic/{layer}/{k}" not in z.files
        assert sorted(params["keys"]) == sorted(f for f in z.files if f != "parameters")


# ---- every format, in a subprocess --------------------------------------------------------


def test_compute_npy_with_baseline_and_plot(tmp_path):
    x = _acts()
    np.save(tmp_path / "feat.npy", x)
    out = tmp_path / "rsm.npz"
    png = tmp_path / "rsm.png"
    proc = _run("compute", tmp_path / "feat.npy", "-o", out, "--kernel", "cosine,rbf", "--baseline",
                "--plot", png)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    _check_output(out, ["feat"], ["cosine", "rbf"], {"feat": x}, baseline=True)
    assert png.stat().st_size > 1000 and png.read_bytes()[:4] == b"\x89PNG"


def test_compute_npz_layers_selected_in_order(tmp_path):
    acts = {"block1": _acts(c=4, seed=1), "block2": _acts(c=7, h=2, w=2, seed=2), "tok": _acts(seed=3)[:, :, :, 0]}
    np.savez(tmp_path / "acts.npz", **acts)
    out = tmp_path / "out.npz"
    proc = _run("compute", tmp_path / "acts.npz", "-o", out, "--layer", "tok", "--layer", "block1",
                "--kernel", "linear")
    assert proc.returncode == 0, proc.stderr
    _check_output(out, ["tok", "block1"], ["linear"], acts)


def test_compute_pt_tensor_and_dict(tmp_path, capsys):
    import torch

    x = _acts(seed=4)
    torch.save({"layer4": torch.from_numpy(x), "fc": torch.from_numpy(x[:, :, 0, :])}, tmp_path / "d.pt")
    out = tmp_path / "d.npz"
    proc = _run("compute", tmp_path / "d.pt", "-o", out)
    assert proc.returncode == 0, proc.stderr
    _check_output(out, ["layer4", "fc"], ["cosine"], {"layer4": x, "fc": x[:, :, 0, :]})
    # a bare bfloat16 tensor in a .pth (in process: torch is imported already)
    torch.save(torch.from_numpy(x).to(torch.bfloat16), tmp_path / "t.pth")
    assert cli.main(["compute", str(tmp_path / "t.pth"), "-o", str(tmp_path / "t.npz")]) == 0
    assert "t: 6 samples x 9 positions (3x3) x 5 features" in capsys.readouterr().out
    x16 = torch.from_numpy(x).to(torch.bfloat16).to(torch.float32).numpy()
    with np.load(tmp_path / "t.npz") as z:
        np.testing.assert_allclose(z["semantic/t/cosine"], semrsm_native.semantic_rsm(x16), rtol=1e-6, atol=1e-9)


def test_compute_safetensors(tmp_path):
    import safetensors.numpy as st
    x = _acts(seed=5)
    st.save_file({"enc": x}, str(tmp_path / "a.safetensors"))
    out = tmp_path / "a.npz"
    proc = _run("compute", tmp_path / "a.safetensors", "-o", out, "--matcher", "greedy")
    assert proc.returncode == 0, proc.stderr
    with np.load(out) as z:
        params = json.loads(str(z["parameters"]))
        assert params["matcher"] == "greedy"
        np.testing.assert_allclose(z["semantic/enc/cosine"], semrsm_native.semantic_rsm(x, matcher="greedy"),
                                   rtol=1e-6, atol=1e-9)


def test_compute_bounds(tmp_path):
    # --bounds writes return_bounds=True's intervals, and each holds the exact entry.
    x = _acts(n=7, seed=8)
    np.save(tmp_path / "a.npy", x)
    out = tmp_path / "b.npz"
    proc = _run("compute", tmp_path / "a.npy", "-o", out, "--matcher", "greedy", "--kernel", "cosine,linear",
                "--bounds")
    assert proc.returncode == 0, proc.stderr
    exact = semrsm_native.semantic_rsm(x, kernel=["cosine", "linear"])
    want, bounds = semrsm_native.semantic_rsm(x, kernel=["cosine", "linear"], matcher="greedy", return_bounds=True)
    with np.load(out) as z:
        assert json.loads(str(z["parameters"]))["bounds"] is True
        for k in ("cosine", "linear"):
            lo, hi = z[f"semantic_lower/a/{k}"], z[f"semantic_upper/a/{k}"]
            np.testing.assert_array_equal(lo, bounds.lower[k])
            np.testing.assert_array_equal(hi, bounds.upper[k])
            np.testing.assert_array_equal(z[f"semantic/a/{k}"], want[k])
            assert (lo <= exact[k]).all() and (exact[k] <= hi).all()
    # Without the flag, no bound is written; with --store it is a usage error.
    assert _run("compute", tmp_path / "a.npy", "-o", out).returncode == 0
    with np.load(out) as z:
        assert not any(f.startswith("semantic_lower/") for f in z.files)
    proc = _run("compute", tmp_path / "a.npy", "--store", tmp_path / "s", "--bounds")
    assert proc.returncode == 2 and "--bounds is not kept in a store" in proc.stderr
    # What return_bounds refuses is a one-line failure naming the layer.
    _assert_one_line_failure(_run("compute", tmp_path / "a.npy", "-o", out, "--bounds", "--cost", "cosine",
                                  "--matcher", "greedy"), "layer 'a'", "return_bounds needs cost='inner'")


# ---- bad files: one line, exit 1, no traceback ---------------------------------------------


def test_bad_files_fail_in_one_line(tmp_path):
    _assert_one_line_failure(_run("compute", tmp_path / "missing.npy", "-o", tmp_path / "o.npz"),
                             "missing.npy", "no such file")
    (tmp_path / "acts.txt").write_text("1 2 3")
    _assert_one_line_failure(_run("compute", tmp_path / "acts.txt", "-o", tmp_path / "o.npz"),
                             "unsupported file type '.txt'")
    np.save(tmp_path / "flat.npy", np.zeros((4, 10), np.float32))
    _assert_one_line_failure(_run("compute", tmp_path / "flat.npy", "-o", tmp_path / "o.npz"),
                             "flat.npy", "rank 2")
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04 not really a zip file")
    _assert_one_line_failure(_run("compute", tmp_path / "broken.npz", "-o", tmp_path / "o.npz"), "broken.npz")
    assert not (tmp_path / "o.npz").exists()


def test_pt_holding_a_non_tensor_fails_in_one_line(tmp_path):
    import torch

    torch.save([torch.zeros(2, 3, 4, 4)], tmp_path / "list.pt")
    _assert_one_line_failure(_run("compute", tmp_path / "list.pt", "-o", tmp_path / "o.npz"),
                             "list.pt", "holds a list")
    torch.save({"a": torch.zeros(2, 3, 4, 4), "b": 3}, tmp_path / "mixed.pt")
    with pytest.raises(ActivationFileError, match="entry 'b' is a int, expected a tensor"):
        load_activations(tmp_path / "mixed.pt")


def test_nan_activations_fail_in_one_line(tmp_path):
    x = _acts()
    x[3, 0, 1, 1] = np.nan
    np.save(tmp_path / "nan.npy", x)
    proc = _run("compute", tmp_path / "nan.npy", "-o", tmp_path / "o.npz")
    _assert_one_line_failure(proc, "nan.npy", "layer 'nan'")


def test_usage_errors_exit_2(tmp_path):
    np.save(tmp_path / "x.npy", _acts())
    for args in (
        [],
        ["compute", tmp_path / "x.npy"],  # no -o
        ["compute", tmp_path / "x.npy", "-o", tmp_path / "o.npz", "--kernel", "cosine,poly"],
        ["compute", tmp_path / "x.npy", "-o", tmp_path / "o.npz", "--matcher", "magic"],
        ["bench", "--sizes", "50"],
        ["frobnicate"],
    ):
        proc = _run(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "usage:" in proc.stderr and "Traceback" not in proc.stderr


def test_console_script_is_declared():
    from importlib.metadata import entry_points

    eps = [e for e in entry_points(group="console_scripts") if e.name == "semrsm"]
    assert eps and eps[0].value == "semrsm_native.cli:main"


# ---- in process: the remaining paths ------------------------------------------------------


def test_help_of_every_subcommand(capsys):
    for sub in ("compute", "demo", "bench", "info"):
        with pytest.raises(SystemExit) as exc:
            cli.main([sub, "--help"])
        assert exc.value.code == 0
        assert f"usage: semrsm {sub}" in capsys.readouterr().out


def test_info_text_and_json(capsys):
    assert cli.main(["info"]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"semrsm_native {semrsm_native.__version__}")
    assert "simd" in text and "default_threads" in text
    assert cli.main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["version"] == semrsm_native.__version__


def test_unknown_layer_and_bad_output(tmp_path, capsys):
    np.savez(tmp_path / "a.npz", conv=_acts())
    assert cli.main(["compute", str(tmp_path / "a.npz"), "-o", str(tmp_path / "o.npz"), "--layer", "fc"]) == 1
    err = capsys.readouterr().err
    assert "no layer named 'fc'" in err and "'conv'" in err
    assert cli.main(["compute", str(tmp_path / "a.npz"), "-o", str(tmp_path / "o.txt")]) == 1
    assert "must be an .npz file" in capsys.readouterr().err
    assert cli.main(["compute", str(tmp_path / "a.npz"), "-o", str(tmp_path / "nodir" / "o.npz")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert cli.main(["compute", str(tmp_path / "a.npz"), "-o", str(tmp_path / "a.npz")]) == 1
    assert "would overwrite the input" in capsys.readouterr().err


def test_layout_option_nhwc(tmp_path, capsys):
    x = _acts(n=5, c=4, h=3, w=2)
    np.save(tmp_path / "h.npy", x.transpose(0, 2, 3, 1))
    assert cli.main(["compute", str(tmp_path / "h.npy"), "-o", str(tmp_path / "h.npz"), "--layout", "nhwc"]) == 0
    assert "6 positions (3x2) x 4 features" in capsys.readouterr().out
    with np.load(tmp_path / "h.npz") as z:
        np.testing.assert_allclose(z["semantic/h/cosine"], semrsm_native.semantic_rsm(x), rtol=1e-6, atol=1e-9)
    np.save(tmp_path / "t.npy", x[:, :, :, 0])
    assert cli.main(["compute", str(tmp_path / "t.npy"), "-o", str(tmp_path / "t.npz"), "--layout", "nchw"]) == 1
    assert "rank 3" in capsys.readouterr().err


def test_bench_small(tmp_path, capsys):
    out = tmp_path / "bench"
    code = cli.main(["bench", "--sizes", "16,49", "--samples", "4", "--out", str(out),
                     "--matchers", "greedy,batch_optimal,none", "--window", "8"])
    assert code == 0
    text = capsys.readouterr().out
    assert "| built-in S=16 | 16 | 64 | hungarian | 1.0000 |" in text
    rows = json.loads((out / "bench.json").read_text())["rows"]
    assert {r["matcher"] for r in rows} == {"hungarian", "greedy", "batch_optimal(window=8)", "none"}
    for r in rows:
        assert r["fraction_min"] <= r["fraction_median"] <= 1.0 + 1e-9
        assert r["ms_per_pair"] > 0
    assert (out / "bench.png").read_bytes()[:4] == b"\x89PNG"


def test_bench_on_given_activations(tmp_path, capsys):
    np.savez(tmp_path / "a.npz", l1=_acts(n=5, c=6, h=4, w=4))
    code = cli.main(["bench", "--acts", str(tmp_path / "a.npz"), "--out", str(tmp_path / "b"), "--no-plot",
                     "--matchers", "hungarian,none"])
    assert code == 0
    assert "| l1 | 16 | 6 | none |" in capsys.readouterr().out
    assert not (tmp_path / "b" / "bench.png").exists()


# ---- the loader itself ---------------------------------------------------------------------


def test_load_activations_formats_and_errors(tmp_path):
    x = _acts()
    np.save(tmp_path / "a.npy", x)
    got = load_activations(tmp_path / "a.npy")
    assert list(got) == ["a"] and np.array_equal(got["a"], x)
    np.save(tmp_path / "s.npy", np.array(["a", "b"]))
    with pytest.raises(ActivationFileError, match="dtype <U1"):
        load_activations(tmp_path / "s.npy")
    with pytest.raises(ActivationFileError, match="is a directory"):
        load_activations(Path(tmp_path, "d.npy").mkdir() or tmp_path / "d.npy")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ActivationFileError, match="obj.npy"):
        load_activations(tmp_path / "obj.npy")
    assert issubclass(ActivationFileError, ValueError)


def test_demo_command_quick(tmp_path, capsys):
    assert cli.main(["demo", "--quick", "--out", str(tmp_path), "--no-plot", "--progress", "--kernel", "cosine"]) == 0
    captured = capsys.readouterr()
    assert "8 photographs, 16 crops" in captured.out and "cosine kernel" in captured.out
    assert "semantic RSM separates" in captured.out
    assert captured.err.strip()  # the progress bars (stderr is not a terminal here, so they were asked for)
    assert (tmp_path / "demo_results.json").exists() and not (tmp_path / "demo.png").exists()


def test_cuda_request_without_a_device_fails_cleanly(tmp_path, capsys):
    info = semrsm_native.build_info()
    if info["cuda"] and info.get("cuda_device_count", 0) > 0:
        pytest.skip("a CUDA device is present")
    np.save(tmp_path / "x.npy", _acts())
    assert cli.main(["compute", str(tmp_path / "x.npy"), "-o", str(tmp_path / "o.npz"), "--device", "cuda"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("semrsm: error: ") and "CUDA" in err and len(err.splitlines()) == 1


def test_load_safetensors_bfloat16_and_corrupt(tmp_path):
    import torch
    from safetensors.torch import save_file

    x = torch.arange(24, dtype=torch.float32).reshape(2, 3, 2, 2)
    save_file({"h": x.to(torch.bfloat16)}, str(tmp_path / "b.safetensors"))
    got = load_activations(tmp_path / "b.safetensors")
    assert got["h"].dtype == np.float32 and np.array_equal(got["h"], x.numpy())
    (tmp_path / "c.safetensors").write_bytes(b"\x00\x01garbage")
    with pytest.raises(ActivationFileError, match="c.safetensors: not a readable safetensors file"):
        load_activations(tmp_path / "c.safetensors")
