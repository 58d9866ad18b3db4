"""Concurrent calls from 8 Python threads give the same results as one call, bit for bit.

The native code releases the GIL, so these calls really overlap; any shared mutable state in
the core (scratch buffers, the thread pool's queues, dispatch caches) would show up as a
different result or, under .ci/sanitize.sh, as an AddressSanitizer report.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the shared helpers (importlib import mode)
from _public_calls import CALLS, run  # noqa: E402

THREADS = 8
ROUNDS = 20


@pytest.mark.parametrize("name,call", CALLS, ids=[name for name, _ in CALLS])
def test_eight_threads_identical(name, call):
    expected = run(call)
    results: list = [None] * THREADS
    errors: list = []
    start = threading.Barrier(THREADS)

    def worker(k: int) -> None:
        try:
            start.wait()
            results[k] = [run(call) for _ in range(ROUNDS)]
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    workers = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors
    for per_thread in results:
        for got in per_thread:
            assert len(got) == len(expected)
            for a, b in zip(got, expected):
                assert a.dtype == b.dtype
                np.testing.assert_array_equal(a, b, strict=True)
