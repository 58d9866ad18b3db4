"""Exact k-th smallest value of a set of float64 values held in many chunks, never all at once.

This is how a store takes the RBF kernel's default bandwidth, the lower median of N(N-1)/2
squared distances, without loading them: radix selection on the values' bit patterns
(the classic "select by counting" of Floyd and Rivest's setting, here as in GPU radix-select).

Each float64 is mapped to a uint64 *key* whose unsigned order is the numeric order (positive
numbers: set the sign bit; negative ones: flip every bit). A pass histograms the next 16 bits
of the keys that share the prefix fixed so far, summed over all chunks, and keeps the bin that
holds the k-th key; after at most four passes the key, hence the value, is known exactly.
As soon as the surviving candidates are few (``collect`` of them or fewer), one last pass
gathers them and ``np.partition`` finishes, which usually means two or three passes in all.
The chunks are read once per pass through ``map_chunks``, so the passes can run in parallel
(a Dask cluster maps them onto its workers).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

import numpy as np

__all__ = ["sortable_keys", "key_value", "chunk_histogram", "merge_histograms", "select_kth",
           "lower_median_rank"]

_BITS = 16  # key bits resolved per pass: a 65,536-bin histogram per chunk
_SIGN = np.uint64(1 << 63)


def sortable_keys(values: np.ndarray) -> np.ndarray:
    """uint64 keys with the numeric order of the (non-NaN) float64 ``values``."""
    u = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64).ravel()
    neg = (u & _SIGN) != 0
    return np.where(neg, ~u, u | _SIGN)


def key_value(key: int) -> float:
    """The float64 of a key of :func:`sortable_keys`."""
    k = np.uint64(key)
    u = k & ~_SIGN if k & _SIGN else ~k
    return float(np.array([u], dtype=np.uint64).view(np.float64)[0])


def chunk_histogram(keys: np.ndarray, prefix: int, fixed: int, collect: bool) -> Any:
    """One chunk's part of a pass: among the keys whose top ``fixed`` bits equal ``prefix``,
    the histogram of the next 16 bits as ``(bins, counts)`` of its nonzero bins (sparse: a
    chunk's values share few leading bits, and a cluster sends one per chunk to the client),
    or with ``collect`` the keys themselves."""
    if fixed:
        keys = keys[(keys >> np.uint64(64 - fixed)) == np.uint64(prefix)]
    if collect:
        return keys
    digit = (keys >> np.uint64(64 - fixed - _BITS)) & np.uint64((1 << _BITS) - 1)
    return merge_histograms([np.unique(digit.astype(np.int64), return_counts=True)])


def merge_histograms(parts: Iterable[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The sum of sparse histograms ``(bins, counts)``, sparse again."""
    total = np.zeros(1 << _BITS, dtype=np.int64)
    for bins, counts in parts:
        np.add.at(total, np.asarray(bins, dtype=np.int64), np.asarray(counts, dtype=np.int64))
    bins = np.flatnonzero(total)
    return bins, total[bins]


def select_kth(
    map_chunks: Callable[[int, int, bool], Iterable[Any]],
    rank: Callable[[int], int],
    *,
    collect: int = 1 << 22,
) -> tuple[float | None, int]:
    """The value of rank ``rank(count)`` (0-based) among ``count`` float64 values in chunks.

    Parameters
    ----------
    map_chunks : callable
        ``map_chunks(prefix, fixed, collect)`` returns, for every chunk (or group of chunks),
        what :func:`chunk_histogram` returns for its keys (each chunk's values through
        :func:`sortable_keys`; a group's histograms merged with :func:`merge_histograms`, its
        collected keys concatenated).
    rank : callable
        The rank wanted, from the number of values (known after the first pass), e.g.
        :func:`lower_median_rank`.
    collect : int
        Gather the candidates and finish in memory once at most this many remain.

    Returns
    -------
    (float or None, int)
        The value, exactly (bit for bit what a sort of all values puts at that rank), or
        ``None`` when there are no values; and the number of values.
    """
    hist = _summed(map_chunks(0, 0, False))
    count = int(hist.sum())
    if count == 0:
        return None, 0
    k = int(rank(count))
    if not 0 <= k < count:
        raise ValueError(f"select_kth: rank {k} outside 0..{count - 1}")
    prefix, fixed, remaining = 0, 0, count
    while True:
        cum = np.cumsum(hist)
        b = int(np.searchsorted(cum, k, side="right"))  # first bin whose cumulative count > k
        k -= int(cum[b - 1]) if b else 0
        remaining = int(hist[b])
        prefix = (prefix << _BITS) | b
        fixed += _BITS
        if fixed == 64:
            return key_value(prefix), count
        if remaining <= collect:
            keys = np.concatenate(
                [np.asarray(c, dtype=np.uint64) for c in map_chunks(prefix, fixed, True)]
            )
            if keys.size != remaining:
                raise RuntimeError("select_kth: the chunks changed between passes")
            return key_value(int(np.partition(keys, k)[k])), count
        hist = _summed(map_chunks(prefix, fixed, False))
        if int(hist.sum()) != remaining:
            raise RuntimeError("select_kth: the chunks changed between passes")


def _summed(parts: Iterable[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    total = np.zeros(1 << _BITS, dtype=np.int64)
    bins, counts = merge_histograms(parts)
    total[bins] = counts
    return total


def lower_median_rank(count: int) -> int:
    """The rank of the lower middle value of ``count`` values (as ``torch.median``)."""
    return (count - 1) // 2


def _sequence_mapper(chunks: Sequence[np.ndarray]) -> Callable[[int, int, bool], list[Any]]:
    """``map_chunks`` over in-memory arrays of values (tests, small inputs)."""
    keys = [sortable_keys(c[~np.isnan(c)]) for c in chunks]
    return lambda prefix, fixed, collect: [chunk_histogram(kc, prefix, fixed, collect) for kc in keys]
