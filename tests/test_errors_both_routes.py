"""The same bad array gets the same error on the CPU and on the GPU route (issue 12).

test_request.py checks that both routes get one request and refuse bad arguments alike; here
the arrays themselves are bad (dtype, rank, layout, features, positions), which each route
meets only when it reads them. The GPU route runs for real up to the launch: a stand-in for
``semrsm_native._cuda`` reports one device and fails the test if anything is launched, CPU
tensors play device memory, and NumPy inputs go through the real upload path, which raises
before it would need a device. Needs neither the CUDA build nor a GPU.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from semrsm_native import semantic_rsm, semantic_rsm_block, spatio_semantic_rsm  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))  # the shared helpers (importlib import mode)
from _fake_cuda import emulate_gpu, fake_device  # noqa: E402


class _NoLaunch:
    """A _cuda module with a device, whose launches must never be reached."""

    def build_info(self):
        return {"cuda_device_count": 1, "cuda_error": None}

    def __getattr__(self, name):
        raise AssertionError(f"_cuda.{name} was reached: the input should have been refused before")


@pytest.fixture
def gpu_route(monkeypatch):
    fake_device(monkeypatch, _NoLaunch())  # CPU tensors play device memory


def _error(f, *args, **kw):
    with pytest.raises((TypeError, ValueError)) as info:
        f(*args, **kw)
    return type(info.value), str(info.value)


def _t(shape, dtype=torch.float32):
    return torch.ones(shape, dtype=dtype)


BAD_DTYPES = [
    np.zeros((3, 4, 2, 2), dtype=np.complex128),
    np.full((3, 4, 5), "a"),
    np.zeros((3, 4, 5), dtype=object),
    _t((3, 4, 5), torch.complex64),
]

BAD_SHAPES = [  # (x, y, options)
    (_t((4, 6)), None, {}),
    (_t((2, 2, 2, 2, 2)), None, {}),
    (_t((4, 3, 5)), _t((3, 3, 2, 2)), {}),
    (_t((4, 3, 2, 2)), None, {"layout": "ntd"}),
    (_t((4, 3, 5)), None, {"layout": "nhwc"}),
    (_t((4, 3, 5)), _t((3, 3, 4)), {}),
    (_t((4, 3, 2, 2)), _t((3, 4, 2, 2)), {}),
    (_t((4, 2, 2, 3)), _t((3, 2, 2, 4)), {"layout": "nhwc"}),
]


@pytest.mark.parametrize("x", BAD_DTYPES, ids=lambda a: str(a.dtype))
@pytest.mark.parametrize("func", [semantic_rsm, spatio_semantic_rsm], ids=lambda f: f.__name__)
@pytest.mark.parametrize("side", ["x", "y"])
def test_a_bad_dtype_gets_one_error(gpu_route, func, x, side):
    good = _t((2, 4, 5) if x.ndim == 3 else (2, 4, 2, 2))
    args = (x, None) if side == "x" else (good, x)
    cpu = _error(func, *args, device="cpu")
    assert cpu == _error(func, *args, device="cuda")
    assert cpu[0] is TypeError
    assert cpu[1] == f"{func.__name__}: {side} must hold real numbers (float, int or bool), got dtype {x.dtype}".replace(
        "torch.", "")


@pytest.mark.parametrize("x, y, options", BAD_SHAPES)
@pytest.mark.parametrize("func", [semantic_rsm, spatio_semantic_rsm], ids=lambda f: f.__name__)
def test_a_bad_shape_gets_one_error(gpu_route, func, x, y, options):
    cpu = _error(func, x, y, **options, device="cpu")
    assert cpu == _error(func, x, y, **options, device="cuda")
    assert cpu[0] is ValueError and cpu[1].startswith(f"{func.__name__}: ")


def test_positions_differ_only_for_the_spatio_semantic_baseline(gpu_route):
    x, y = _t((4, 3, 5)), _t((3, 4, 5))  # 3 and 4 positions of 5 features
    cpu = _error(spatio_semantic_rsm, x, y, device="cpu")
    assert cpu == (ValueError, "spatio_semantic_rsm: x and y must have the same number of positions, got 3 and 4")
    assert _error(spatio_semantic_rsm, x, y, device="cuda") == cpu
    # the semantic RSM matches 3 positions into 4: not an error (on the CPU here)
    assert semantic_rsm(x, y, device="cpu").shape == (4, 3)


@pytest.mark.parametrize("x", BAD_DTYPES[:1] + [BAD_SHAPES[0][0], BAD_SHAPES[1][0]], ids=str)
def test_the_block_gets_the_same_errors(monkeypatch, x):
    # The block reads its samples to the host first, so here the upload itself is emulated
    # (tests/_fake_cuda.py); the block names the shape of the samples it read.
    emulate_gpu(monkeypatch, _NoLaunch())
    whole = _error(semantic_rsm, x[:1], device="cpu")
    for device in ("cpu", "cuda"):
        got = _error(semantic_rsm_block, x, rows=slice(0, 1), cols=slice(1, 2), device=device)
        assert got == (whole[0], whole[1].replace("semantic_rsm:", "semantic_rsm_block:"))
