"""Routing between the CPU engine and the optional CUDA backend, and the GPU entry points.

Every public entry point that accepts ``device`` asks :func:`wants_gpu` first. Without the
CUDA backend compiled in, CPU inputs pass through and GPU inputs or ``device="cuda"`` get a
clear RuntimeError instead of a crash.

The GPU functions here have the signatures of the CPU ones (plus ``precision``). Torch CUDA
tensors and CuPy arrays (or anything with ``__cuda_array_interface__``, through CuPy) are
used in place, without a copy, on the caller's current stream and the array's device; the
results are allocated by the same framework on that device. NumPy input with
``device="cuda[:k]"`` is moved through Torch (or CuPy when Torch is absent) and the result
comes back as NumPy. Neither framework is imported unless it is needed.
"""

from __future__ import annotations

import importlib
import operator
from typing import Any

from ._arrays import is_torch_tensor

__all__ = [
    "wants_gpu",
    "is_gpu_array",
    "cuda_module",
    "semantic_rsm",
    "spatio_semantic_rsm",
    "linear_sum_assignment_batch",
]

_DEVICES = ("auto", "cpu", "cuda")
from ._vocabulary import GPU_MATCHERS as _GPU_MATCHERS
from ._vocabulary import KERNELS as _KERNELS
from ._vocabulary import LAYOUTS as _LAYOUTS
from ._vocabulary import MATCHERS as _MATCHERS
_PRECISIONS = ("float32", "tf32", "bf16")


def is_gpu_array(x: Any) -> bool:
    """True for a Torch CUDA tensor or any object exposing ``__cuda_array_interface__``."""
    if x is None:
        return False
    if hasattr(x, "__cuda_array_interface__"):
        return True
    return is_torch_tensor(x) and x.device.type == "cuda"


def cuda_module(func: str):
    """Import the compiled CUDA backend or raise a RuntimeError that says why it is absent."""
    try:
        return importlib.import_module("semrsm_native._cuda")
    except ImportError as exc:
        raise RuntimeError(
            f"{func}: the CUDA backend is not available in this build of semrsm_native "
            f"({exc}); reinstall with a CUDA toolkit present (see build_info())"
        ) from None


def wants_gpu(func: str, device: str | None, *arrays: Any) -> bool:
    """Decide where to compute.

    ``device="auto"`` (or None) follows the inputs: GPU arrays go to the GPU, everything else
    stays on the CPU. ``"cpu"`` forces the CPU (GPU arrays are then rejected by the CPU path
    with a message to move them), ``"cuda"`` forces the GPU.
    """
    if device is None:
        device = "auto"
    if not isinstance(device, str) or device.split(":")[0] not in _DEVICES:
        raise ValueError(f"{func}: device must be 'auto', 'cpu' or 'cuda[:index]', got {device!r}")
    kind = device.split(":")[0]
    if kind == "cpu":
        return False
    gpu = kind == "cuda" or any(is_gpu_array(a) for a in arrays)
    if gpu:
        cuda_module(func)
    return gpu


# ---------------------------------------------------------------------------------------------
# Framework adapters: a device array seen as (pointer, dtype name, shape, strides in elements,
# device index, stream handle), and allocation of results in the same framework.


def _is_cupy(x: Any) -> bool:
    return type(x).__module__.startswith("cupy") and hasattr(x, "data") and hasattr(x, "device")


_RUNTIME: dict | None = None


def _require_driver(func: str, cuda) -> None:
    """RuntimeError (not a crash) without a driver or device; asked once per process."""
    global _RUNTIME
    if _RUNTIME is None:
        _RUNTIME = dict(cuda.build_info())
    info = _RUNTIME
    if info.get("cuda_error"):
        raise RuntimeError(f"{func}: no usable CUDA device: {info['cuda_error']}")
    if not info.get("cuda_device_count"):
        raise RuntimeError(f"{func}: no CUDA device found")


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
            x = x.to(f"cuda:{like.device}" if like else _torch_device(device))
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
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{func}: {name} must be numeric, got dtype {a.dtype}")
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None and torch.cuda.is_available():
        dev = f"cuda:{like.device}" if like else _torch_device(device)
        if a.dtype == np.float16:
            a = a.astype(np.float32)
        return _Side(torch.from_numpy(np.ascontiguousarray(a)).to(dev), "torch", "numpy")
    try:
        import cupy
    except ImportError:
        raise RuntimeError(
            f"{func}: device='cuda' with NumPy input needs Torch or CuPy to move it to the GPU"
        ) from None
    idx = like.device if like else (_device_index(device, func) or 0)
    with cupy.cuda.Device(idx):
        return _Side(cupy.asarray(a), "cupy", "numpy")


def _torch_device(device: str | None) -> str:
    if device and device.startswith("cuda"):
        return device
    return "cuda"


def _compute_dtype(side: _Side, func: str, name: str) -> _Side:
    """float32 and float64 stay; half precisions compute in float32; integers and bools in
    float64 (as scipy and the CPU engine do); anything else is a TypeError."""
    dt = side.dtype
    if dt in ("float32", "float64"):
        return side
    if dt in ("float16", "bfloat16"):
        return side.cast("float32")
    if dt == "bool" or dt.startswith(("int", "uint")):
        return side.cast("float64")
    raise TypeError(f"{func}: {name} must be a real numeric array, got dtype {dt}")


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


def _kernels(kernel: Any, func: str) -> tuple[list[str], bool]:
    if isinstance(kernel, str):
        names, single = [kernel], True
    else:
        try:
            names, single = list(kernel), False
        except TypeError:
            raise TypeError(f"{func}: kernel must be a string or a list of strings") from None
    for k in names:
        if k not in _KERNELS:
            raise ValueError(f"{func}: unknown kernel {k!r} (expected one of {', '.join(_KERNELS)})")
    if not names:
        raise ValueError(f"{func}: kernel list is empty")
    return names, single


def _sigma(sigma: Any, func: str) -> float:
    if sigma is None:
        return 0.0
    s = float(sigma)
    if not s > 0.0 or s != s or s == float("inf"):
        raise ValueError(f"{func}: sigma must be a positive finite number, got {sigma!r}")
    return s


def _finish_outputs(side: _Side, names: list[str], single: bool, n: int, m: int):
    """Allocate the float64 outputs: the linear matrix is always computed (it is the matched
    sum every kernel derives from)."""
    linear = side.empty((n, m), "float64")
    outs = {"linear": linear}
    if "cosine" in names:
        outs["cosine"] = side.empty((n, m), "float64")
    if "rbf" in names:
        outs["rbf"] = side.empty((n, m), "float64")
    return outs


def _package(side: _Side, outs: dict, names: list[str], single: bool):
    if single:
        return side.out(outs[names[0]])
    return {k: side.out(outs[k]) for k in names}


def _check_device_match(a: _Side, b: _Side, func: str) -> None:
    if a.fw != b.fw:
        raise TypeError(f"{func}: x and y must come from the same framework (got {a.fw} and {b.fw})")
    if a.device != b.device:
        raise ValueError(f"{func}: x is on cuda:{a.device} but y is on cuda:{b.device}")


def _pair_sides(x: Any, y: Any, func: str, device: Any) -> tuple[_Side, _Side | None]:
    """Reads x (and y) in place on their device, in one compute dtype for both sides."""
    xs = _compute_dtype(_to_side(x, func, "x", device), func, "x")
    if y is None:
        return xs, None
    ys = _compute_dtype(_to_side(y, func, "y", device, like=xs), func, "y")
    _check_device_match(xs, ys, func)
    if xs.dtype != ys.dtype:  # one compute type for both sides: the wider one
        ys = ys.cast("float64") if xs.dtype == "float64" else ys
        xs = xs.cast("float64") if ys.dtype == "float64" else xs
    return xs, ys


def semantic_rsm(
    x: Any,
    y: Any = None,
    *,
    kernel: Any = "cosine",
    matcher: str = "hungarian",
    cost: str = "inner",
    layout: str | None = None,
    window: int = 128,
    eps: float | None = None,
    sigma: float | None = None,
    threads: int | None = None,
    progress: bool = False,
    return_permutations: bool = False,
    device: str | None = "auto",
    precision: str = "float32",
    placement: str = "auto",
    max_tile_pairs: int = 0,
):
    """Semantic RSM on the GPU; see :func:`semrsm_native.semantic_rsm` for the parameters.

    GPU-only parameters: ``precision`` ("float32", the default, computes the pair costs with
    CUDA-core FMAs in the input precision; "tf32" and "bf16" use tensor cores with inputs
    rounded to 10 and 7 mantissa bits (relative error of each cost entry about 2^-11 resp.
    2^-8 times |x_s| |y_t|), so the matched similarities carry errors of that order and the
    matching may pick a slightly different permutation); ``placement`` ("auto", "shared",
    "global": where each warp keeps its cost matrix; for benchmarks) and ``max_tile_pairs``
    (cap on pairs per tile; 0 sizes tiles from free memory). ``threads`` and ``progress`` have
    no effect on the GPU (no host work happens per tile to report). ``window`` belongs to
    matcher="batch_optimal", which runs on the CPU only.
    """
    func = "semantic_rsm"
    cuda = cuda_module(func)
    names, single = _kernels(kernel, func)
    if matcher not in _MATCHERS:
        raise ValueError(f"{func}: unknown matcher {matcher!r} (expected one of {', '.join(_MATCHERS)})")
    if matcher not in _GPU_MATCHERS:
        raise NotImplementedError(
            f"{func}: matcher={matcher!r} has no GPU implementation; pass device='cpu' "
            "(the GPU runs 'hungarian', 'greedy' and 'auction')"
        )
    if cost not in ("inner", "cosine"):
        raise ValueError(f"{func}: cost must be 'inner' or 'cosine', got {cost!r}")
    if precision not in _PRECISIONS:
        raise ValueError(f"{func}: precision must be one of {', '.join(_PRECISIONS)}, got {precision!r}")
    if layout is not None and layout not in _LAYOUTS:
        raise ValueError(f"{func}: unknown layout {layout!r} (expected one of {', '.join(_LAYOUTS)})")
    eps_rel = 0.0 if eps is None else float(eps)
    if eps is not None and not eps_rel > 0.0:
        raise ValueError(f"{func}: eps must be positive, got {eps!r}")
    sig = _sigma(sigma, func)
    _require_driver(func, cuda)

    xs, ys = _pair_sides(x, y, func, device)
    for name, s in (("x", xs), ("y", ys)):
        if s is not None and len(s.shape) not in (3, 4):
            raise ValueError(
                f"{func}: {name} must be (N, C, H, W) or (N, T, D), got shape {s.shape}"
            )
    if precision != "float32":
        xs = xs.cast("float32")
        ys = ys.cast("float32") if ys is not None else None

    def layout_of(s: _Side) -> str:
        lay = layout or ("nchw" if len(s.shape) == 4 else "ntd")
        if (lay == "ntd") != (len(s.shape) == 3):
            raise ValueError(f"{func}: layout {lay!r} does not fit an array of rank {len(s.shape)}")
        return lay

    xs, dx = _acts(xs, layout_of(xs), func, "x")
    dy = None
    if ys is not None:
        ys, dy = _acts(ys, layout_of(ys), func, "y")
        if dx[4] != dy[4]:
            raise ValueError(f"{func}: x has {dx[4]} features per position but y has {dy[4]}")
    n = dx[2]
    m = dy[2] if dy is not None else n
    outs = _finish_outputs(xs, names, single, n, m)
    perm = None
    if return_permutations:
        perm = xs.empty((n, m, dx[3]), "int32")
    cuda.semantic_rsm(
        dx,
        dy,
        matcher,
        cost == "cosine",
        precision,
        eps_rel,
        7.0,
        xs.ptr_of(outs["linear"]),
        xs.ptr_of(outs["cosine"]) if "cosine" in outs else 0,
        xs.ptr_of(outs["rbf"]) if "rbf" in outs else 0,
        xs.ptr_of(perm) if perm is not None else 0,
        sig,
        xs.device,
        xs.stream(),
        placement,
        int(max_tile_pairs),
    )
    result = _package(xs, outs, names, single)
    if return_permutations:
        return result, xs.out(perm)
    return result


def spatio_semantic_rsm(
    x: Any,
    y: Any = None,
    *,
    kernel: Any = "cosine",
    sigma: float | None = None,
    layout: str | None = None,
    threads: int | None = None,
    device: str | None = "auto",
):
    """Classic (flattened) RSM on the GPU; see :func:`semrsm_native.spatio_semantic_rsm`.

    The Gram matrix accumulates in float64 (flattened samples are long) and the RBF distance
    is summed directly, as on the CPU. ``layout`` only checks the rank (the flattened inner
    product does not depend on it); ``threads`` has no effect on the GPU."""
    func = "spatio_semantic_rsm"
    cuda = cuda_module(func)
    names, single = _kernels(kernel, func)
    sig = _sigma(sigma, func)
    if layout is not None and layout not in _LAYOUTS:
        raise ValueError(f"{func}: unknown layout {layout!r} (expected one of {', '.join(_LAYOUTS)})")
    _require_driver(func, cuda)
    xs, ys = _pair_sides(x, y, func, device)
    for name, s in (("x", xs), ("y", ys)):
        if s is not None and len(s.shape) < 2:
            raise ValueError(f"{func}: {name} must have a sample axis and features, got shape {s.shape}")
    n = xs.shape[0]
    F = 1
    for d in xs.shape[1:]:
        F *= d
    xs = xs.reshape((n, F)).contiguous()
    m = n
    if ys is not None:
        m = ys.shape[0]
        Fy = 1
        for d in ys.shape[1:]:
            Fy *= d
        if Fy != F:
            raise ValueError(f"{func}: x has {F} features per sample but y has {Fy}")
        ys = ys.reshape((m, F)).contiguous()
    outs = _finish_outputs(xs, names, single, n, m)
    cuda.spatio_rsm(
        xs.ptr,
        ys.ptr if ys is not None else 0,
        xs.dtype,
        n,
        m,
        F,
        ys is None,
        xs.ptr_of(outs["linear"]),
        xs.ptr_of(outs["cosine"]) if "cosine" in outs else 0,
        xs.ptr_of(outs["rbf"]) if "rbf" in outs else 0,
        sig,
        xs.device,
        xs.stream(),
    )
    return _package(xs, outs, names, single)


def linear_sum_assignment_batch(
    costs: Any,
    maximize: bool = False,
    method: str = "hungarian",
    threads: int | None = None,
    device: str | None = "auto",
    *,
    return_bound: bool = False,
    **method_options: Any,
):
    """Batched LAP on the GPU, one warp per problem; see
    :func:`semrsm_native.linear_sum_assignment_batch`.

    Returns ``(col_ind, objective)`` (and ``bound`` with ``return_bound=True``: 0 for
    "hungarian", the auction's certified primal-dual gap) on the input's device and in its
    framework: ``col_ind`` (B, n) int64 with -1 for unassigned rows, ``objective`` (B,)
    float64. Method options: ``eps_final`` (auction: final epsilon relative to the largest
    |cost|, default 1e-6 / max(n, m)), ``eps_factor`` (default 7), and ``placement``
    ("auto", "shared", "global": where each warp keeps its cost matrix; for benchmarks).
    The auction on the GPU needs finite costs (ValueError otherwise).
    """
    func = "linear_sum_assignment_batch"
    cuda = cuda_module(func)
    if method not in ("hungarian", "greedy", "auction", "batch_optimal"):
        raise ValueError(f"{func}: unknown method {method!r}")
    if method == "batch_optimal":
        raise NotImplementedError(f"{func}: method='batch_optimal' has no GPU implementation; pass device='cpu'")
    opts = dict(method_options)
    placement = opts.pop("placement", "auto")
    eps = opts.pop("eps_final", None) if method == "auction" else None
    eps_factor = float(opts.pop("eps_factor", 7.0)) if method == "auction" else 7.0
    if opts:
        raise TypeError(f"{func}: unexpected option(s) {', '.join(sorted(opts))} for method {method!r}")
    if return_bound and method not in ("hungarian", "auction"):
        raise ValueError(f"{func}: return_bound is available for 'hungarian' and 'auction' only")
    eps_rel = 0.0 if eps is None else float(eps)
    if eps is not None and not eps_rel >= 0.0:
        raise ValueError(f"{func}: eps_final must be >= 0, got {eps!r}")
    if not eps_factor > 1.0:
        raise ValueError(f"{func}: eps_factor must be > 1, got {eps_factor!r}")
    if threads is not None:
        operator.index(threads)  # same type check as the CPU path; no effect on the GPU
    _require_driver(func, cuda)
    cs = _compute_dtype(_to_side(costs, func, "costs", device), func, "costs")
    if len(cs.shape) != 3:
        raise ValueError(f"{func}: expected a stack of matrices (B, n, m), got shape {cs.shape}")
    cs = cs.contiguous()
    B, n, m = cs.shape
    col = cs.empty((B, n), "int64")
    obj = cs.empty((B,), "float64")
    # The exact solver's bound is 0; the kernel writes the auction's.
    bound = None
    if return_bound:
        bound = cs.empty((B,), "float64")
        if method == "hungarian":
            bound.fill_(0.0) if cs.fw == "torch" else bound.fill(0.0)
    cuda.lap_batch(
        cs.ptr,
        cs.dtype,
        B,
        n,
        m,
        bool(maximize),
        method,
        eps_rel,
        eps_factor,
        cs.ptr_of(col),
        cs.ptr_of(obj),
        cs.ptr_of(bound) if bound is not None and method == "auction" else 0,
        cs.device,
        cs.stream(),
        placement,
    )
    if return_bound:
        return cs.out(col), cs.out(obj), cs.out(bound)
    return cs.out(col), cs.out(obj)
