"""Certified intervals on semantic similarities, from a matched linear value and a gap.

An approximate matcher's objective ``a`` is a lower bound on the exact matched linear value
``lin`` (the exact solver's optimum over the same cost entries), and a certified gap ``g``
(``rsm::Output::gap``: the auction's primal-dual gap, or the dual bound of greedy and
Batch-Optimal, ``cpp/core/lap/dual_bound.hpp``) gives ``a <= lin <= a + g``. Every kernel is
a non-decreasing function of ``lin`` given the two sample norms (cosine divides by them; RBF
is ``exp(-(|x|^2 + |y|^2 - 2 lin) / (2 sigma^2))``), so the interval maps to one on the
similarity. :class:`_Bracket` does that mapping, with the rounding margins below, for
:func:`semantic_topk` and for ``semantic_rsm(..., return_bounds=True)``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from . import _core
from ._vocabulary import KERNEL_CODES

__all__ = ["Bounds"]


class Bounds(NamedTuple):
    """Certified bounds on the exact semantic similarities: ``lower <= exact <= upper``
    entry by entry, each shaped (and typed) like the RSM they come with (a dict per kernel
    when the RSM is one)."""

    lower: Any
    upper: Any


# Rounding margin of the certified intervals, relative to the pair's scale S * maxabs (which
# Cauchy-Schwarz bounds by S times the two largest position norms): the matcher's objective,
# its gap (a dual value: sums of S_x + S_y prices and reduced costs of magnitude <= a few
# maxabs) and the exact value are double sums of the same float cost entries in different
# orders, and the norms here are recomputed in NumPy (errors ~1e-13 relative).
_SLACK = 1e-9

_CHUNK = 256  # samples read at a time for the norms (memory maps stay unread otherwise)


def _norms(a: np.ndarray, layout: str) -> tuple[np.ndarray, np.ndarray, int]:
    """Per sample: the squared norm (float64) and the largest position norm; and S."""
    n = a.shape[0]
    sq = np.empty(n)
    peak = np.empty(n)
    feature_axis = 1 if layout == "nchw" else a.ndim - 1
    for s in range(0, n, _CHUNK):
        part = np.asarray(a[s : s + _CHUNK], dtype=np.float64)
        pos = np.square(part).sum(axis=feature_axis).reshape(part.shape[0], -1)
        sq[s : s + _CHUNK] = pos.sum(axis=1)
        peak[s : s + _CHUNK] = np.sqrt(pos.max(axis=1))
    positions = int(np.prod(a.shape[2:])) if layout == "nchw" else int(np.prod(a.shape[1:-1]))
    return sq, peak, positions


def _unit_roundoff(*dtypes: np.dtype) -> float:
    """Unit roundoff of the engine's GEMM: float64 when every input is float64 (integers
    and bool are computed in float64 too), float32 otherwise (float16 and bfloat16 are
    computed in float32)."""
    wide = all(d == np.float64 or d.kind in "biu" for d in dtypes)
    return 2.0**-53 if wide else 2.0**-24


def _kernel_of_linear(kernel: str, lin: np.ndarray, sqx: np.ndarray, sqy: np.ndarray,
                      sigma: float | None) -> np.ndarray:
    """The kernel of matched linear values ``lin`` (rows: x samples, columns: y samples):
    the engine's own formulas (``cpp/core/rsm/kernels.hpp``), non-decreasing in ``lin``."""
    return _core.rsm_apply_kernel(
        KERNEL_CODES[kernel], np.ascontiguousarray(lin, dtype=np.float64), None,
        np.ascontiguousarray(sqx, dtype=np.float64), np.ascontiguousarray(sqy, dtype=np.float64),
        0.0 if sigma is None else sigma,
    )


class _Bracket:
    """Certified similarity intervals from matched linear values and their certified gaps
    (module docs). ``x_norms`` / ``y_norms``: (squared sample norms, largest position norm
    per sample, position count), as :func:`_norms` returns them."""

    def __init__(self, x_norms, y_norms, kernel: str, sigma: float | None,
                 features: int = 0, unit_roundoff: float = 0.0):
        (self.sqx, peak_x, s_x), (self.sqy, peak_y, s_y) = x_norms, y_norms
        self.scale = max(s_x, s_y) * peak_x[:, None] * peak_y[None, :]  # >= S * maxabs
        self.kernel, self.sigma = kernel, sigma
        # The matched linear values come from cost entries computed in the GEMM's precision;
        # cosine and linear are functions of exactly those values, but RBF sums d2 directly
        # from the vectors in double. A C-term dot product errs by at most C u |x_s| |y_t|
        # (Higham, "Accuracy and Stability", Sec. 3.1), so a matched sum by C u scale.
        self.relative_margin = _SLACK + (
            1.01 * features * unit_roundoff if kernel == "rbf" else 0.0)

    def interval(self, lin_lb: np.ndarray, gap: np.ndarray, rows: Any, cols: Any):
        """(lo, hi) of the similarities of pairs (rows, cols) whose matcher reached the
        matched linear values ``lin_lb`` with certified gaps ``gap`` (2-D, rows x cols)."""
        sc = self.scale[rows, cols]
        margin = self.relative_margin * (np.abs(lin_lb) + sc)
        hi_lin = lin_lb + gap + margin
        a, b = np.atleast_1d(self.sqx[rows]), np.atleast_1d(self.sqy[cols])
        return (_kernel_of_linear(self.kernel, np.atleast_2d(lin_lb - margin), a, b, self.sigma),
                _kernel_of_linear(self.kernel, np.atleast_2d(hi_lin), a, b, self.sigma))
