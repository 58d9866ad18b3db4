"""The SIMD levels the test hooks of semrsm_native._testing take (core/cpu_features.hpp's
SimdLevel values), and a skip for levels this CPU lacks: the core lowers such a level to the
best it has, so a case asking for AVX-512 on an AVX2 machine would silently test AVX2 again."""

from __future__ import annotations

import pytest

import semrsm_native

LEVELS = {"scalar": 0, "avx2": 2, "avx512": 3}


def skip_unless_available(level: str) -> None:
    best = semrsm_native.build_info()["simd"]
    if LEVELS[level] > LEVELS.get(best, 1):
        pytest.skip(f"SIMD level {level} not available here (best: {best})")
