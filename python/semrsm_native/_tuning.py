"""Tuning knobs of the CUDA backend that only benchmarks and tests turn.

They are not part of any public signature: results do not depend on them, only speed and
memory use. ``bench_gpu.py`` (and the GPU tests) set them for the duration of a block::

    from semrsm_native import _tuning
    with _tuning.gpu_tuning(placement="global", max_tile_pairs=64):
        semantic_rsm(x_cuda)
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from typing import Iterator

__all__ = ["GpuTuning", "current", "gpu_tuning"]

PLACEMENTS = ("auto", "shared", "global")


@dataclass(frozen=True)
class GpuTuning:
    """How the GPU kernels are launched.

    placement: where each warp keeps its cost matrix: "auto" (shared memory when it fits),
        "shared" (an error when it does not fit) or "global".
    max_tile_pairs: cap on the RSM pairs per tile; 0 sizes tiles from free device memory.
    """

    placement: str = "auto"
    max_tile_pairs: int = 0


_current = GpuTuning()


def current() -> GpuTuning:
    """The tuning the GPU entry points launch with now."""
    return _current


@contextlib.contextmanager
def gpu_tuning(**changes: object) -> Iterator[GpuTuning]:
    """Launch the GPU kernels with ``changes`` (fields of :class:`GpuTuning`) inside the block."""
    global _current
    new = replace(_current, **changes)
    if new.placement not in PLACEMENTS:
        raise ValueError(f"gpu_tuning: placement must be one of {', '.join(PLACEMENTS)}, got {new.placement!r}")
    if isinstance(new.max_tile_pairs, bool) or not isinstance(new.max_tile_pairs, int) or new.max_tile_pairs < 0:
        raise ValueError(f"gpu_tuning: max_tile_pairs must be an integer >= 0, got {new.max_tile_pairs!r}")
    old, _current = _current, new
    try:
        yield new
    finally:
        _current = old
