"""Exact k-th smallest over chunks by radix selection (the store's median of d2)."""

import zlib

import numpy as np
import pytest

from semrsm_native._select import _sequence_mapper, lower_median_rank, select_kth, sortable_keys


def _values(kind, n, rng):
    if kind == "normal":
        return rng.standard_normal(n)
    if kind == "ties":
        return rng.integers(0, 3, n).astype(np.float64)
    if kind == "wide":  # every exponent: the first 16 bits split nothing
        return np.abs(rng.standard_normal(n)) * 10.0 ** rng.integers(-300, 300, n)
    if kind == "close":  # all in one 16-bit bin: every pass is needed
        return 1.0 + rng.integers(0, 50, n) * np.finfo(np.float64).eps
    return np.concatenate([rng.standard_normal(n), [0.0, -0.0, np.inf, -np.inf]])


@pytest.mark.parametrize("kind", ["normal", "ties", "wide", "close", "specials"])
@pytest.mark.parametrize("collect", [0, 10, 1 << 22])
def test_select_equals_sort(kind, collect):
    rng = np.random.default_rng(zlib.crc32(kind.encode()) + collect)  # replayable
    for _ in range(40):
        v = _values(kind, int(rng.integers(1, 300)), rng)
        chunks = np.array_split(v, int(rng.integers(1, 8)))
        k = int(rng.integers(0, v.size))
        got, count = select_kth(_sequence_mapper(chunks), lambda m: k, collect=collect)
        assert count == v.size and got == np.sort(v)[k]


def test_lower_median_and_empty():
    v = np.array([4.0, 1.0, 3.0, 2.0])
    assert select_kth(_sequence_mapper([v[:1], v[1:]]), lower_median_rank, collect=0) == (2.0, 4)
    assert select_kth(_sequence_mapper([np.zeros(0)]), lower_median_rank) == (None, 0)


def test_keys_order_like_the_values():
    v = np.array([-np.inf, -3.5, -1e-300, -0.0, 0.0, 5e-324, 1.0, 2.0, np.inf])
    k = sortable_keys(v)
    assert (np.diff(k.astype(object)) > 0).all()
