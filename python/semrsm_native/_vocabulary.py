"""The package's vocabulary: every name a user can pass, and its code in the native core.

One home for the kernel, matcher, cost, layout, device and precision names, imported by the
public functions, the GPU backend, the tile API and the command line, so that adding a name
means editing this file (and the native side it maps to), not five lists.

The integer codes mirror the native enums they are passed to:

* ``KERNEL_CODE``: ``semrsm::rsm::KernelKind`` (cpp/core/rsm/kernels.hpp);
* ``RSM_MATCHER_CODE``: ``semrsm::rsm::Matcher`` (cpp/core/rsm/rsm.hpp), where code 0 is
  ``identity``, the spatio-semantic baseline (position p with position p);
* ``LAP_METHOD_CODE``: the ``Method`` enum of the assignment binding (cpp/bindings/bind_lap.cpp);
* ``COST_CODE``: ``semrsm::rsm::CostKind``.

The RSM engine and the assignment binding still number the matchers differently (identity
first in one, absent in the other); one native enum for both is open work (issue 12), and
``tests/test_vocabulary.py`` checks these tables against what the extension accepts.
"""

from __future__ import annotations

__all__ = [
    "KERNELS", "MATCHERS", "GPU_MATCHERS", "COSTS", "LAYOUTS", "DEVICES", "PRECISIONS",
    "KERNEL_CODE", "RSM_MATCHER_CODE", "LAP_METHOD_CODE", "COST_CODE",
]

#: RSM kernels: functions of the matched linear value and the two sample norms.
KERNELS = ("linear", "cosine", "rbf")
#: Matchers of a pair's positions (and methods of the batched assignment solver).
MATCHERS = ("hungarian", "greedy", "auction", "batch_optimal")
#: The matchers the CUDA backend implements (batch_optimal runs on the CPU only).
GPU_MATCHERS = ("hungarian", "greedy", "auction")
#: Assignment objectives: summed inner products (the paper's) or summed cosines.
COSTS = ("inner", "cosine")
#: Input layouts: (N, C, H, W), (N, H, W, C) and (N, T, D).
LAYOUTS = ("nchw", "nhwc", "ntd")
#: Where to compute: ``auto`` follows the input (GPU arrays on the GPU).
DEVICES = ("auto", "cpu", "cuda")
#: Cost GEMM precisions of the CUDA backend (the CPU computes in the input's precision).
PRECISIONS = ("float32", "tf32", "bf16")

KERNEL_CODE = {name: code for code, name in enumerate(KERNELS)}
RSM_MATCHER_CODE = {"identity": 0, **{name: code + 1 for code, name in enumerate(MATCHERS)}}
LAP_METHOD_CODE = {name: code for code, name in enumerate(MATCHERS)}
COST_CODE = {name: code for code, name in enumerate(COSTS)}
