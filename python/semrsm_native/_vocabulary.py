"""The package's vocabulary: every name a user can pass, and its code in the native core.

Every matcher, kernel, cost and layout has one name and one integer code, defined once in
``cpp/core/vocabulary.hpp`` and exported by ``_core.vocabulary()``; the code tables here are
built from that export, so Python and C++ cannot disagree. The public functions, the GPU
backend, the tile API and the command line import their names from here instead of
declaring their own lists, so adding a name means editing the native header (and, for the
names only Python knows: devices, precisions, the GPU subset, this file).
"""

from __future__ import annotations

from types import MappingProxyType

from . import _core

__all__ = [
    "KERNELS", "MATCHERS", "GPU_MATCHERS", "COSTS", "LAYOUTS", "DEVICES", "PRECISIONS",
    "METHOD_CODES", "LAP_METHOD_CODES", "KERNEL_CODES", "COST_CODES", "LAYOUT_CODES",
    "FEATURE_MAJOR", "POSITION_MAJOR", "LAYOUT_OF",
]

_NATIVE = _core.vocabulary()

#: name -> code of every matcher ("identity" = no matching: the RSM engine's spatio-semantic
#: baseline, which the assignment binding rejects).
METHOD_CODES = MappingProxyType(dict(_NATIVE["method"]))
#: name -> code of the similarity kernels.
KERNEL_CODES = MappingProxyType(dict(_NATIVE["kernel"]))
#: name -> code of the matching costs.
COST_CODES = MappingProxyType(dict(_NATIVE["cost"]))
#: native sample layout name -> code ("feature_major", "position_major").
LAYOUT_CODES = MappingProxyType(dict(_NATIVE["layout"]))


def _in_code_order(table):
    return tuple(sorted(table, key=table.__getitem__))


#: RSM kernels: functions of the matched linear value and the two sample norms.
KERNELS: tuple[str, ...] = _in_code_order(KERNEL_CODES)
#: Matchers of a pair's positions (and methods of the batched assignment solver).
MATCHERS: tuple[str, ...] = tuple(m for m in _in_code_order(METHOD_CODES) if m != "identity")
#: Methods of ``linear_sum_assignment_batch`` and their codes.
LAP_METHOD_CODES = MappingProxyType({m: METHOD_CODES[m] for m in MATCHERS})
#: The matchers the CUDA backend implements (batch_optimal runs on the CPU only).
GPU_MATCHERS: tuple[str, ...] = ("hungarian", "greedy", "auction")
#: Assignment objectives: summed inner products (the paper's) or summed cosines.
COSTS: tuple[str, ...] = _in_code_order(COST_CODES)
#: Input layouts: (N, C, H, W), (N, H, W, C) and (N, T, D), and the native layout of each.
LAYOUTS: tuple[str, ...] = ("nchw", "nhwc", "ntd")
FEATURE_MAJOR: int = LAYOUT_CODES["feature_major"]
POSITION_MAJOR: int = LAYOUT_CODES["position_major"]
LAYOUT_OF = MappingProxyType({"nchw": FEATURE_MAJOR, "nhwc": POSITION_MAJOR, "ntd": POSITION_MAJOR})
#: Where to compute: ``auto`` follows the input (GPU arrays on the GPU).
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")
#: Cost GEMM precisions of the CUDA backend (the CPU computes in the input's precision).
PRECISIONS: tuple[str, ...] = ("float32", "tf32", "bf16")
