"""The one place in Python that holds the library's names and their native codes.

Every matcher, kernel, cost and layout has one name and one integer code, defined in
``cpp/core/vocabulary.hpp`` and exported by ``_core.vocabulary()``; the tables here are
built from that export, so Python and C++ cannot disagree. Other modules import from here
instead of declaring their own lists.
"""

from __future__ import annotations

from types import MappingProxyType

from . import _core

_NATIVE = _core.vocabulary()

#: name -> code of every assignment method ("identity" = no matching, RSM engine only).
METHOD_CODES = MappingProxyType(dict(_NATIVE["method"]))
#: name -> code of the similarity kernels.
KERNEL_CODES = MappingProxyType(dict(_NATIVE["kernel"]))
#: name -> code of the matching costs.
COST_CODES = MappingProxyType(dict(_NATIVE["cost"]))
#: native sample layout name -> code ("feature_major", "position_major").
LAYOUT_CODES = MappingProxyType(dict(_NATIVE["layout"]))

#: Public names, in code order.
KERNELS: tuple[str, ...] = tuple(sorted(KERNEL_CODES, key=KERNEL_CODES.__getitem__))
MATCHERS: tuple[str, ...] = tuple(m for m in sorted(METHOD_CODES, key=METHOD_CODES.__getitem__) if m != "identity")
#: The matchers the CUDA backend runs.
GPU_MATCHERS: tuple[str, ...] = ("hungarian", "greedy", "auction")
COSTS: tuple[str, ...] = tuple(sorted(COST_CODES, key=COST_CODES.__getitem__))
#: Array layouts accepted by the public functions, and the native layout each maps to.
LAYOUTS: tuple[str, ...] = ("nchw", "nhwc", "ntd")
FEATURE_MAJOR: int = LAYOUT_CODES["feature_major"]
POSITION_MAJOR: int = LAYOUT_CODES["position_major"]
LAYOUT_OF = MappingProxyType({"nchw": FEATURE_MAJOR, "nhwc": POSITION_MAJOR, "ntd": POSITION_MAJOR})
