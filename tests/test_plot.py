"""semrsm_native.plot: every function draws and writes a file; a clear error without matplotlib."""

import subprocess
import sys

import numpy as np
import pytest

from semrsm_native import plot


def _rsm(n=8, seed=0):
    x = np.random.default_rng(seed).random((n, 5))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x @ x.T


def _is_png(path):
    return path.stat().st_size > 1000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_rsm_writes_png(tmp_path):
    ax = plot.plot_rsm(_rsm(), title="layer", labels=[f"s{i}" for i in range(8)])
    assert ax.get_title() == "layer"
    assert [t.get_text() for t in ax.get_yticklabels()][:2] == ["s0", "s1"]
    written = plot.save_figure(ax.figure, tmp_path / "sub" / "rsm.png")  # creates sub/
    assert written == str(tmp_path / "sub" / "rsm.png") and _is_png(tmp_path / "sub" / "rsm.png")
    with pytest.raises(ValueError, match="2-D"):
        plot.plot_rsm(np.zeros(3))
    with pytest.raises(ValueError, match="3 labels"):
        plot.plot_rsm(_rsm(), labels=["a", "b", "c"])


def test_plot_rsm_pair_shares_colour_range(tmp_path):
    S, B = _rsm(seed=1), 0.5 * _rsm(seed=2)
    fig = plot.plot_rsm_pair(S, B)
    a0, a1 = fig.axes[:2]
    lims0, lims1 = a0.images[0].get_clim(), a1.images[0].get_clim()
    assert lims0 == lims1 == (pytest.approx(min(S.min(), B.min())), pytest.approx(max(S.max(), B.max())))
    assert a0.get_title() == "spatio-semantic RSM" and a1.get_title() == "semantic RSM"
    # Each title sits over its own matrix: swapped panels (or both showing one) would fail.
    np.testing.assert_array_equal(np.asarray(a0.images[0].get_array()), B)
    np.testing.assert_array_equal(np.asarray(a1.images[0].get_array()), S)
    plot.save_figure(fig, tmp_path / "pair.png")
    assert _is_png(tmp_path / "pair.png")
    with pytest.raises(ValueError, match="differ in shape"):
        plot.plot_rsm_pair(S, B[:3, :3])


def test_plot_similarity_distributions(tmp_path):
    rng = np.random.default_rng(0)
    ax = plot.plot_similarity_distributions(
        {"translated": rng.normal(0.9, 0.05, 40), "different": rng.normal(0.6, 0.1, 400)}, title="t"
    )
    values = np.random.default_rng(0).normal(0.9, 0.05, 40)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == f"translated (median {np.median(values):.2f}, n=40)"
    assert len(ax.lines) == 2  # the two median lines
    plot.save_figure(ax.figure, tmp_path / "dist.pdf")
    assert (tmp_path / "dist.pdf").read_bytes()[:4] == b"%PDF"
    with pytest.raises(ValueError, match="empty"):
        plot.plot_similarity_distributions({})


def test_plot_matcher_comparison(tmp_path):
    rows = [
        {"matcher": m, "positions": s, "fraction_median": f, "fraction_min": f - 0.01, "ms_per_pair": t}
        for m, f, t in (("hungarian", 1.0, 1.0), ("greedy", 0.97, 0.3))
        for s in (49, 196)
    ]
    fig = plot.plot_matcher_comparison(rows)
    assert len(fig.axes) == 2 and fig.axes[1].get_yscale() == "log"
    plot.save_figure(fig, tmp_path / "m.png")
    assert _is_png(tmp_path / "m.png")


def test_missing_matplotlib_gives_clear_error():
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "import semrsm_native, semrsm_native.plot as p\n"
        "try:\n"
        "    p.plot_rsm([[1.0]])\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pip install 'semrsm-native[plot]'" in out


def test_importing_the_user_modules_imports_no_optional_dependency():
    code = (
        "import sys, semrsm_native, semrsm_native.plot, semrsm_native.compat, semrsm_native.demo, "
        "semrsm_native.cli, semrsm_native._io\n"
        "print(sorted(m for m in ('matplotlib', 'torch', 'rsatoolbox', 'skimage', 'safetensors', 'scipy') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
