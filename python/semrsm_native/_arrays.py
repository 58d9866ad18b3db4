"""Array conversion at the package boundary: NumPy, Torch (CPU) and array-likes in, and
results returned in the caller's framework. Torch is never imported unless a tensor is given.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["is_torch_tensor", "to_numpy", "like_input"]


def is_torch_tensor(x: Any) -> bool:
    """True for a ``torch.Tensor`` without importing torch."""
    t = type(x)
    return t.__module__.startswith("torch") and hasattr(x, "detach") and hasattr(x, "device")


def to_numpy(x: Any, func: str, name: str = "input") -> np.ndarray:
    """Return a NumPy view (or copy, where unavoidable) of ``x``.

    Torch CPU tensors are shared without a copy where their dtype has a NumPy equivalent;
    bfloat16 (which NumPy lacks) is converted to float32. Tensors that live on another
    device raise a ValueError that points at the ``device`` argument; the GPU backend
    handles them before this point.
    """
    if is_torch_tensor(x):
        import torch

        if x.device.type != "cpu":
            raise ValueError(
                f"{func}: {name} is a {x.device.type} tensor; this build computes on the CPU "
                "(move it with .cpu() or use a build with the CUDA backend)"
            )
        t = x.detach()
        if t.is_conj():
            t = t.resolve_conj()
        if t.dtype == torch.bfloat16:
            t = t.to(torch.float32)
        return t.numpy()
    return np.asarray(x)


def like_input(result: np.ndarray, template: Any) -> Any:
    """Return ``result`` in the framework of ``template`` (Torch in, Torch out)."""
    if is_torch_tensor(template):
        import torch

        return torch.from_numpy(np.ascontiguousarray(result)).to(template.device)
    return result
