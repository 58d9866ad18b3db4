"""The built-in demo: offline images, the seeded network, translated crops, and the finding."""

import json
import socket

import numpy as np
import pytest

from semrsm_native._features import DEMO_IMAGES, RandomConvNet, image_path, load_image
from semrsm_native.demo import auroc, make_translated_crops, run_demo
from semrsm_native.matcher_bench import builtin_activations, run_matcher_benchmark


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the demo tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_images_are_bundled_and_load_offline(no_network):
    for name in DEMO_IMAGES:
        assert image_path(name).is_file()
    img = load_image("chelsea.png", short_side=64)
    assert img.shape == (64, 96, 3) and img.dtype == np.float64
    assert 0.0 <= img.min() and img.max() <= 1.0 and img.std() > 0.05
    grey = load_image("camera.png", short_side=32)
    assert grey.shape == (32, 32, 3) and np.array_equal(grey[..., 0], grey[..., 2])
    with pytest.raises(FileNotFoundError, match="never downloads"):
        image_path("eagle.png")  # fetched by pooch on demand, not in the wheel


def test_translated_crops_overlap_exactly():
    crops, image_index, pair_index = make_translated_crops(DEMO_IMAGES[:3], crop=32, shift=8,
                                                           pairs_per_image=2, short_side=64, seed=3)
    assert crops.shape == (12, 3, 32, 32)
    assert list(image_index) == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    assert list(pair_index) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    for k in range(0, 12, 2):
        a, b = crops[k], crops[k + 1]
        # b is a moved by (dy, dx) in {-8, 0, 8}^2 minus (0, 0): find the shift that aligns them
        hits = []
        for dy in (-8, 0, 8):
            for dx in (-8, 0, 8):
                if dy == dx == 0:
                    continue
                ya, yb = (slice(dy, 32), slice(0, 32 - dy)) if dy >= 0 else (slice(0, 32 + dy), slice(-dy, 32))
                xa, xb = (slice(dx, 32), slice(0, 32 - dx)) if dx >= 0 else (slice(0, 32 + dx), slice(-dx, 32))
                if np.array_equal(a[:, ya, xa], b[:, yb, xb]):
                    hits.append((dy, dx))
        assert len(hits) == 1, hits
        assert not np.array_equal(a, b)
    again = make_translated_crops(DEMO_IMAGES[:3], crop=32, shift=8, pairs_per_image=2, short_side=64, seed=3)
    assert np.array_equal(again[0], crops)
    with pytest.raises(ValueError, match="exceeds short_side"):
        make_translated_crops(DEMO_IMAGES[:1], crop=64, shift=16, short_side=64)


def test_network_is_deterministic_and_shaped():
    x = np.random.default_rng(0).random((3, 3, 32, 32))
    a = RandomConvNet(seed=1)(x)
    b = RandomConvNet(seed=1)(x)
    assert [v.shape for v in a.values()] == [(3, 22, 8, 8), (3, 64, 4, 4), (3, 128, 2, 2), (3, 256, 2, 2)]
    for k in a:
        assert a[k].dtype == np.float32 and (a[k] >= 0).all()
        assert np.array_equal(a[k], b[k])
    c = RandomConvNet(seed=2)(x, layers=["conv2"])
    assert list(c) == ["conv2"] and not np.array_equal(c["conv2"], a["conv2"])
    with pytest.raises(ValueError, match="unknown layer 'fc'"):
        RandomConvNet()(x, layers=["fc"])


def test_auroc_matches_pairwise_definition():
    rng = np.random.default_rng(0)
    pos = np.round(rng.normal(1, 1, 37), 1)
    neg = np.round(rng.normal(0, 1, 53), 1)  # rounding makes ties
    brute = np.mean((pos[:, None] > neg[None]) + 0.5 * (pos[:, None] == neg[None]))
    assert auroc(pos, neg) == pytest.approx(brute, abs=1e-12)
    assert auroc([2, 3], [0, 1]) == 1.0 and auroc([0, 1], [2, 3]) == 0.0 and auroc([1], [1]) == 0.5


def test_quick_demo_reproduces_the_finding(tmp_path, no_network):
    lines = []
    res = run_demo(tmp_path, quick=True, echo=lines.append)
    assert list(res.stats) == ["conv1", "conv2", "conv3", "conv4"]
    for layer, s in res.stats.items():
        # the semantic RSM separates translated pairs from different images ...
        assert s["semantic_auroc"] > 0.75, (layer, s)
        assert s["semantic_translated_median"] > s["semantic_different_median"] + 0.15, (layer, s)
        # ... better than the spatio-semantic one does
        assert s["semantic_auroc"] > s["spatio_semantic_auroc"], (layer, s)
        S, B = res.semantic[layer], res.spatio_semantic[layer]
        assert S.shape == B.shape == (16, 16)
        np.testing.assert_allclose(np.diag(S), 1.0)  # RBF of a sample with itself
    first = res.stats["conv1"]
    assert first["semantic_auroc"] > 0.95 and first["spatio_semantic_auroc"] < 0.8
    assert res.separated_layers() == ["conv1", "conv2", "conv3", "conv4"]
    text = "\n".join(lines)
    assert "In 4 of 4 layers the semantic RSM separates" in text
    assert f"{first['semantic_translated_median']:.3f}" in text
    saved = json.loads((tmp_path / "demo_results.json").read_text())
    assert saved["layers"]["conv1"]["semantic_auroc"] == pytest.approx(first["semantic_auroc"])
    with np.load(tmp_path / "demo_rsms.npz") as z:
        np.testing.assert_array_equal(z["semantic/conv2"], res.semantic["conv2"])
    assert (tmp_path / "demo.png").read_bytes()[:4] == b"\x89PNG"


def test_quick_demo_is_deterministic():
    a = run_demo(None, quick=True, echo=None, plots=False)
    b = run_demo(None, quick=True, echo=None, plots=False, threads=1)
    for layer in a.stats:
        np.testing.assert_allclose(a.semantic[layer], b.semantic[layer], rtol=0, atol=1e-12)


def test_matcher_benchmark_fractions():
    x = builtin_activations(49, n=5)
    assert x.shape == (5, 64, 7, 7)
    rows = run_matcher_benchmark({"x": x}, matchers=["greedy", "auction", "batch_optimal", "none"], window=16)
    by = {r["matcher"]: r for r in rows}
    assert by["hungarian"]["fraction_min"] == 1.0
    assert 0.9 < by["greedy"]["fraction_min"] <= 1.0 + 1e-12
    assert by["auction"]["fraction_min"] > 1 - 1e-4
    assert by["batch_optimal(window=16)"]["fraction_median"] <= 1.0 + 1e-12
    assert by["none"]["fraction_median"] < by["greedy"]["fraction_median"]
    with pytest.raises(ValueError, match="perfect square"):
        builtin_activations(50)
    with pytest.raises(ValueError, match="unknown matcher 'magic'"):
        run_matcher_benchmark({"x": x}, matchers=["magic"])
