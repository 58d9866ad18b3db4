"""Resident memory stays flat over 10,000 calls of each public function (issue 14).

Each function runs 100 times first (warm-up: caches, the thread pool, NumPy's allocator reach
their steady state), then 10,000 times more; the resident set size read from /proc/self/statm
may not grow by more than 1% or 4 MiB, whichever is larger. A leak of even a few bytes per call
of a scratch buffer, a Python reference or a result array would exceed that (10,000 calls x the
smallest output here, 40 bytes, is 400 kB; any real buffer is far more).
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the shared helpers (importlib import mode)
from _public_calls import CALLS, run  # noqa: E402

WARMUP = 100
CALLS_MEASURED = 10_000
SLACK_BYTES = 4 << 20

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/statm").exists(), reason="reads resident memory from /proc/self/statm (Linux)"
)


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.parametrize("name,call", CALLS, ids=[name for name, _ in CALLS])
def test_rss_flat_over_10000_calls(name, call):
    for _ in range(WARMUP):
        run(call)
    gc.collect()
    before = _rss_bytes()
    for _ in range(CALLS_MEASURED):
        run(call)
    gc.collect()
    after = _rss_bytes()
    allowed = max(SLACK_BYTES, before // 100)
    print(f"{name}: RSS {before / 2**20:.1f} MiB after {WARMUP} calls, {after / 2**20:.1f} MiB after {CALLS_MEASURED} more")
    assert after - before <= allowed, (
        f"{name}: resident memory grew by {(after - before) / 2**20:.2f} MiB over {CALLS_MEASURED} calls "
        f"(allowed {allowed / 2**20:.2f} MiB)"
    )
