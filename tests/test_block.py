"""semantic_rsm_block: every block equals the same entries of one semantic_rsm call, bit for bit."""

import numpy as np
import pytest

from semrsm_native import semantic_rsm, semantic_rsm_block

MATCHERS = ["hungarian", "greedy", "auction", "batch_optimal"]


def _assemble(x, y, tile, **opts):
    n = x.shape[0]
    m = n if y is None else y.shape[0]
    out = np.empty((n, m))
    for r0 in range(0, n, tile):
        for c0 in range(0, m, tile):
            rows, cols = slice(r0, min(r0 + tile, n)), slice(c0, min(c0 + tile, m))
            out[rows, cols] = semantic_rsm_block(x, y, rows, cols, **opts)
    return out


@pytest.mark.parametrize("matcher", MATCHERS)
@pytest.mark.parametrize("tile", [1, 3, 4, 11])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_self_blocks_bit_identical(matcher, tile, dtype):
    x = np.random.default_rng(1).standard_normal((11, 6, 3, 3)).astype(dtype)
    opts = dict(kernel="cosine", matcher=matcher, window=4)
    assert np.array_equal(_assemble(x, None, tile, threads=1, **opts), semantic_rsm(x, threads=2, **opts))


@pytest.mark.parametrize("tile", [2, 5])
def test_cross_blocks_and_kernels_bit_identical(tile):
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((7, 5, 4)), rng.standard_normal((6, 3, 4))
    for kernel in ["linear", "cosine"]:
        assert np.array_equal(_assemble(x, y, tile, kernel=kernel),
                              semantic_rsm(x, y, kernel=kernel))
    full = semantic_rsm(x, y, kernel="rbf", sigma=3.0)
    assert np.array_equal(_assemble(x, y, tile, kernel="rbf", sigma=3.0), full)


def test_d2_and_rbf_rules():
    x = np.random.default_rng(3).standard_normal((6, 4, 2, 2))
    lin, d2 = semantic_rsm_block(x, None, slice(0, 3), slice(3, 6), kernel="linear", return_d2=True)
    assert d2.shape == (3, 3) and np.all(d2 > 0)
    lower, d2t = semantic_rsm_block(x, None, slice(3, 6), slice(0, 3), kernel="linear", return_d2=True)
    assert np.array_equal(lower, lin.T) and np.array_equal(d2t, d2.T)
    with pytest.raises(ValueError, match="needs sigma"):
        semantic_rsm_block(x, kernel="rbf")
    with pytest.raises(ValueError, match="equal or disjoint"):
        semantic_rsm_block(x, None, slice(0, 4), slice(2, 6))
    with pytest.raises(ValueError, match="selects no samples"):
        semantic_rsm_block(x, None, slice(4, 4), slice(0, 2))
    with pytest.raises(TypeError, match="must be a slice"):
        semantic_rsm_block(x, None, 3, slice(0, 2))


def test_reads_memmap(tmp_path):
    x = np.random.default_rng(4).standard_normal((8, 4, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    assert np.array_equal(_assemble(mm, None, 3), semantic_rsm(x))
