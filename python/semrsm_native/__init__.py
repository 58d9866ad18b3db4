"""semrsm_native: exact and fast semantic representational similarity matrices.

Semantic RSMs (Wald et al., NeurIPS 2024) compare the responses of a layer to N samples while
ignoring where things appear: each pair of samples is aligned by the permutation of spatial
positions (or tokens) that maximises their similarity, a linear assignment problem.
"""

from ._info import build_info
from ._version import __version__
from ._bounds import Bounds
from .lap import linear_sum_assignment, linear_sum_assignment_batch
from .block import semantic_rsm_block
from .rsm import semantic_rsm, spatio_semantic_rsm
from .store import open_rsm, semantic_rsm_to_store  # zarr is imported on first use only
from .topk import semantic_topk

__all__ = [
    "Bounds",
    "build_info",
    "linear_sum_assignment",
    "linear_sum_assignment_batch",
    "semantic_rsm",
    "semantic_rsm_to_store",
    "open_rsm",
    "semantic_rsm_block",
    "semantic_topk",
    "spatio_semantic_rsm",
    "__version__",
]
