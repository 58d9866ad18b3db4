"""The scipy drop-in on the inputs scipy accepts and callers really pass (issue 14).

scipy.optimize.linear_sum_assignment takes any array_like: read-only buffers, big-endian
data (files written on other machines, FITS/HDF5), memory-mapped files, strided views,
Fortran order. For each, the assignment must equal scipy's exactly (the costs are random
floats, so the optimum is unique) and the input must be left untouched: same bytes, same
flags, same dtype. As scipy's own tests do, every case runs for minimise and maximise and
for a wide and a tall matrix.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment as scipy_lsa

from semrsm_native import linear_sum_assignment, linear_sum_assignment_batch

SHAPES = [(7, 7), (6, 11), (11, 6)]


def _cost(shape, seed=0):
    return np.random.default_rng(seed).random(shape) * 10.0 - 3.0


def _read_only(c):
    a = c.copy()
    a.setflags(write=False)
    return a


def _memmap(c, tmp_path, mode):
    path = tmp_path / f"cost_{mode}.npy"
    np.save(path, c)
    return np.load(path, mmap_mode=mode)


def _raw_memmap(c, tmp_path):
    # np.memmap itself (not np.load): a subclass of ndarray, so `type(a) is np.ndarray`
    # fast paths must not catch it, and a big-endian layout as a file from another machine.
    path = tmp_path / "cost.raw"
    be = c.astype(">f8")
    be.tofile(path)
    return np.memmap(path, dtype=">f8", mode="r", shape=c.shape)


VARIANTS = {
    "read_only": lambda c, tmp: _read_only(c),
    "big_endian_f8": lambda c, tmp: c.astype(">f8"),
    "big_endian_f4": lambda c, tmp: c.astype(">f4"),
    "big_endian_i4": lambda c, tmp: np.round(c * 100).astype(">i4"),
    "big_endian_read_only": lambda c, tmp: _read_only(c.astype(">f8")),
    "memmap_r": lambda c, tmp: _memmap(c, tmp, "r"),
    "memmap_copy_on_write": lambda c, tmp: _memmap(c, tmp, "c"),
    "memmap_read_write": lambda c, tmp: _memmap(c, tmp, "r+"),
    "memmap_big_endian": lambda c, tmp: _raw_memmap(c, tmp),
    "fortran_order": lambda c, tmp: np.asfortranarray(c),
    "transposed_view": lambda c, tmp: np.ascontiguousarray(c.T).T,
    "column_stride_2": lambda c, tmp: np.repeat(c, 2, axis=1)[:, ::2],
    "negative_strides": lambda c, tmp: c[::-1, ::-1].copy()[::-1, ::-1],
    "float32_strided_read_only": lambda c, tmp: _read_only(np.repeat(c.astype(np.float32), 2, axis=0))[::2],
}


def _snapshot(a):
    return (a.tobytes(order="A"), a.dtype.str, a.shape, a.strides, a.flags.writeable, type(a))


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("maximize", [False, True])
def test_matches_scipy_and_leaves_input_unmodified(variant, shape, maximize, tmp_path):
    a = VARIANTS[variant](_cost(shape), tmp_path)
    # The variant really is what it claims (a broken fixture would test plain arrays).
    if "big_endian" in variant:
        assert a.dtype.byteorder == ">"
    if "read_only" in variant or variant in ("memmap_r", "memmap_big_endian"):
        assert not a.flags.writeable
    if "memmap" in variant:
        assert isinstance(a, np.memmap)
    if variant in ("fortran_order", "transposed_view", "column_stride_2", "float32_strided_read_only"):
        assert not a.flags.c_contiguous
    before = _snapshot(a)
    plain = np.array(a, dtype=np.float64)  # native order, contiguous, a copy

    rows, cols = linear_sum_assignment(a, maximize=maximize)
    want_rows, want_cols = scipy_lsa(plain, maximize=maximize)

    assert _snapshot(a) == before, "linear_sum_assignment modified its input"
    assert rows.dtype == np.int64 and cols.dtype == np.int64
    np.testing.assert_array_equal(rows, want_rows)
    np.testing.assert_array_equal(cols, want_cols)


@pytest.mark.parametrize("variant", ["read_only", "big_endian_f8", "big_endian_f4", "memmap_r", "fortran_order"])
@pytest.mark.parametrize("method", ["hungarian", "greedy", "auction", "batch_optimal"])
def test_batch_leaves_input_unmodified(variant, method, tmp_path):
    base = np.stack([_cost((6, 8), seed=s) for s in range(3)])
    if variant == "read_only":
        a = _read_only(base)
    elif variant == "big_endian_f8":
        a = base.astype(">f8")
    elif variant == "big_endian_f4":
        a = base.astype(">f4")
    elif variant == "memmap_r":
        a = _memmap(base, tmp_path, "r")
    else:
        a = np.asfortranarray(base)
    before = _snapshot(a)
    opts = {"window": 3} if method == "batch_optimal" else {}
    col, obj = linear_sum_assignment_batch(a, maximize=True, method=method, threads=1, **opts)
    assert _snapshot(a) == before, "linear_sum_assignment_batch modified its input"
    # Same answer as on a plain native-order copy of the same values.
    plain = np.array(a, dtype=a.dtype.newbyteorder("="), order="C")
    ref_col, ref_obj = linear_sum_assignment_batch(plain, maximize=True, method=method, threads=1, **opts)
    np.testing.assert_array_equal(col, ref_col)
    np.testing.assert_array_equal(obj, ref_obj)
    if method == "hungarian":
        for b in range(3):
            p = plain[b].astype(np.float64)
            assert obj[b] == pytest.approx(p[scipy_lsa(p, maximize=True)].sum(), rel=1e-12)


def test_nested_lists_and_tuples_like_scipy():
    c = _cost((5, 4))
    for obj in (c.tolist(), tuple(map(tuple, c.tolist()))):
        np.testing.assert_array_equal(linear_sum_assignment(obj)[1], scipy_lsa(c)[1])


def test_maximize_does_not_negate_the_callers_array():
    # maximize=True is a sign flip; done in place on a writable input it would corrupt the
    # caller's data (and pass a test that only compares the assignment).
    c = _cost((9, 9), seed=3)
    a = c.copy()
    linear_sum_assignment(a, maximize=True)
    np.testing.assert_array_equal(a, c)
    b = c.astype(np.float32)
    b0 = b.copy()
    linear_sum_assignment_batch(b[None], maximize=True)
    np.testing.assert_array_equal(b, b0)
