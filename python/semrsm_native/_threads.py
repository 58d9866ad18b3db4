"""Resolution of the ``threads`` argument shared by every parallel entry point."""

from __future__ import annotations

import operator
import os

from . import _core

__all__ = ["resolve_threads"]


def resolve_threads(threads: int | None, func: str) -> int:
    """Return the number of worker threads to use.

    ``None`` means the ``SEMRSM_NUM_THREADS`` environment variable when set, else the cores
    available to this process (its CPU affinity, not the machine's core count).
    """
    if threads is None:
        env = os.environ.get("SEMRSM_NUM_THREADS", "").strip()
        if env:
            try:
                value = int(env)
            except ValueError:
                raise ValueError(
                    f"{func}: SEMRSM_NUM_THREADS must be a positive integer, got {env!r}"
                ) from None
            if value < 1:
                raise ValueError(
                    f"{func}: SEMRSM_NUM_THREADS must be a positive integer, got {env!r}"
                )
            return value
        return max(1, int(_core.available_cores()))
    if isinstance(threads, bool):
        raise TypeError(f"{func}: threads must be an integer or None, got bool")
    try:
        value = operator.index(threads)
    except TypeError:
        raise TypeError(
            f"{func}: threads must be an integer or None, got {type(threads).__name__}"
        ) from None
    if value < 1:
        raise ValueError(f"{func}: threads must be >= 1, got {value}")
    return value
