"""The device-array adapter of the CUDA backend.

A Torch CUDA tensor, a CuPy array or anything with ``__cuda_array_interface__`` (read through
CuPy) is seen as a :class:`_Side`: pointer, dtype name, shape, strides in elements, device
index and the caller's current stream, without a copy; results are allocated by the same
framework on the same device and handed back in the caller's framework (NumPy in, NumPy out).
Host data sent to the GPU (``device="cuda"``) is uploaded through Torch, else CuPy. Neither
framework is imported unless it is needed. The host-side counterpart is :mod:`._arrays`.
"""

from __future__ import annotations

from typing import Any

from ._arrays import is_torch_tensor
from ._checks import compute_dtype

__all__ = ["is_gpu_array"]


def is_gpu_array(x: Any) -> bool:
    """True for a Torch CUDA tensor or any object exposing ``__cuda_array_interface__``."""
    if x is None:
        return False
    if hasattr(x, "__cuda_array_interface__"):
        return True
    return is_torch_tensor(x) and x.device.type == "cuda"


def _is_cupy(x: Any) -> bool:
    return type(x).__module__.startswith("cupy") and hasattr(x, "data") and hasattr(x, "device")


def _device_index(device: str | None, func: str) -> int | None:
    """Explicit index of ``device="cuda:k"``; None for "cuda"/"auto"."""
    if device is None or ":" not in device:
        return None
    try:
        return int(device.split(":", 1)[1])
    except ValueError:
        raise ValueError(f"{func}: bad device {device!r}") from None


class _Side:
    """One input array on the GPU, in its framework, with what the kernels need to read it."""

    def __init__(self, arr: Any, fw: str, host: str | None):
        self.arr = arr
        self.fw = fw  # "torch" or "cupy"
        self.host = host  # None (device input), "numpy" or "torch" (host input sent over)

    @property
    def ptr(self) -> int:
        return self.arr.data_ptr() if self.fw == "torch" else int(self.arr.data.ptr)

    @property
    def dtype(self) -> str:
        return str(self.arr.dtype).replace("torch.", "")

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(s) for s in self.arr.shape)

    @property
    def strides(self) -> tuple[int, ...]:
        if self.fw == "torch":
            return tuple(int(s) for s in self.arr.stride())
        item = self.arr.itemsize
        return tuple(int(s) // item for s in self.arr.strides)

    @property
    def device(self) -> int:
        if self.fw == "torch":
            return int(self.arr.device.index or 0)
        return int(self.arr.device.id)

    def stream(self) -> int:
        if self.fw == "torch":
            import torch

            return int(torch.cuda.current_stream(self.arr.device).cuda_stream)
        import cupy

        with cupy.cuda.Device(self.device):
            return int(cupy.cuda.get_current_stream().ptr)

    def empty(self, shape: tuple[int, ...], dtype: str) -> Any:
        if self.fw == "torch":
            import torch

            return torch.empty(shape, dtype=getattr(torch, dtype), device=self.arr.device)
        import cupy

        with cupy.cuda.Device(self.device):
            return cupy.empty(shape, dtype=dtype)

    def wrap(self, arr: Any) -> "_Side":
        return _Side(arr, self.fw, self.host)

    def cast(self, dtype: str) -> "_Side":
        if self.dtype == dtype:
            return self
        if self.fw == "torch":
            import torch

            return self.wrap(self.arr.to(getattr(torch, dtype)))
        return self.wrap(self.arr.astype(dtype))

    def contiguous(self) -> "_Side":
        if self.fw == "torch":
            return self.wrap(self.arr.contiguous())
        import cupy

        return self.wrap(cupy.ascontiguousarray(self.arr))

    def reshape(self, shape: tuple[int, ...]) -> "_Side":
        return self.wrap(self.arr.reshape(shape))

    def out(self, result: Any) -> Any:
        """Result in the caller's framework and place: NumPy in, NumPy out; a CPU tensor sent
        over with device="cuda" comes back as a CPU tensor."""
        if self.host is None:
            return result
        if self.host == "torch":
            return result.cpu()
        if self.fw == "torch":
            return result.cpu().numpy()
        return result.get()

    def ptr_of(self, result: Any) -> int:
        return result.data_ptr() if self.fw == "torch" else int(result.data.ptr)


def _to_side(x: Any, func: str, name: str, device: str | None, like: _Side | None = None) -> _Side:
    """View ``x`` as a device array without copying; NumPy/array-likes are uploaded."""
    if is_torch_tensor(x):
        host = None
        if x.device.type != "cuda":
            host = "torch"
            x = x.to(_torch_device(device, like))
        t = x.detach()
        if t.is_conj():
            t = t.resolve_conj()
        return _Side(t, "torch", host)
    if _is_cupy(x):
        return _Side(x, "cupy", None)
    if hasattr(x, "__cuda_array_interface__"):
        try:
            import cupy
        except ImportError:
            raise TypeError(
                f"{func}: {name} exposes __cuda_array_interface__; reading it needs CuPy "
                "(or pass a Torch tensor)"
            ) from None
        return _Side(cupy.asarray(x), "cupy", None)
    # Host data sent to the GPU (device="cuda"): through Torch, else CuPy.
    import numpy as np

    a = np.asarray(x)
    # Cast on the host by the CPU's rule (and its error): the frameworks hold no float128,
    # and the kernels take float32 or float64 only.
    a = a.astype(compute_dtype(a.dtype, name, func), copy=False)
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None and torch.cuda.is_available():
        # Torch warns on read-only arrays (a memory-mapped .npy); the upload copies anyway.
        a = np.ascontiguousarray(a) if a.flags.writeable else np.array(a, order="C")
        return _Side(torch.from_numpy(a).to(_torch_device(device, like)), "torch", "numpy")
    try:
        import cupy
    except ImportError:
        raise RuntimeError(
            f"{func}: device='cuda' with NumPy input needs Torch or CuPy to move it to the GPU"
        ) from None
    idx = like.device if like else (_device_index(device, func) or 0)
    with cupy.cuda.Device(idx):
        return _Side(cupy.asarray(a), "cupy", "numpy")


def _torch_device(device: str | None, like: _Side | None = None) -> str:
    """Torch's name of the device host data is sent to: where ``like`` (x, for y) is, else
    ``device`` ("cuda:k"), else the current one."""
    if like is not None:
        return f"cuda:{like.device}"
    if device and device.startswith("cuda"):
        return device
    return "cuda"


def _compute_dtype(side: _Side, func: str, name: str) -> _Side:
    """``side`` in the dtype it is computed in, by the CPU engine's rule
    (:func:`._checks.compute_dtype`: half precisions in float32, integers and bool in
    float64), cast on its device; the same TypeError as the CPU for anything else."""
    return side.cast(compute_dtype(side.dtype, name, func))


def _acts(side: _Side, layout: str, func: str, name: str) -> tuple[_Side, tuple]:
    """(side, descriptor) with descriptor = (ptr, dtype, n, S, C, sn, ss, sc): concept vectors
    read in place through strides. The two spatial axes must merge into one position axis
    (true for contiguous and channels-last tensors); otherwise one contiguous copy is made."""
    shape = side.shape
    if layout == "ntd":
        n, S, C = shape
        sn, ss, sc = side.strides
        return side, (side.ptr, side.dtype, n, S, C, sn, ss, sc)
    if layout == "nchw":
        n, C, H, W = shape
        sn, sc_, sh, sw = side.strides
    else:  # nhwc
        n, H, W, C = shape
        sn, sh, sw, sc_ = side.strides
    if H > 1 and W > 1 and sh != W * sw:
        side = side.contiguous()
        return _acts(side, layout, func, name)
    ss = sw if W > 1 else sh
    return side, (side.ptr, side.dtype, n, H * W, C, sn, ss, sc_)
